"""Exceptions raised by langchain-s3vectors.

Every error this package raises on purpose derives from :class:`S3VectorsError`.
Errors from botocore are translated once, in :func:`translate_client_error`, and
chained (``raise ... from exc``) so the original is never lost. :class:`FilterError`
(a ``ValueError``), which :mod:`langchain_s3vectors.filters` raises and re-exports,
is defined here too, so that this module imports nothing from the package::

    S3VectorsError
    ├── ConfigurationError          settings, credentials, region, model
    │   ├── CredentialsError        no AWS credentials could be found
    │   ├── DimensionMismatchError  index / embedding / VECTOR_DIMENSION disagree
    │   └── EmbeddingMismatchError  the index was built with another embedding model
    ├── InvalidInputError (ValueError)  rejected before anything is sent or written
    │   └── InvalidFilterError      filter outside the S3 Vectors filter language
    │                               (also a FilterError)
    ├── ServiceError                the service (or the local client) said no
    │   ├── ResourceNotFoundError   bucket or index does not exist
    │   ├── AccessDeniedError       IAM denied an ``s3vectors:`` action
    │   ├── ResourceConflictError   already exists / bucket not empty
    │   ├── ServiceValidationError  the service rejected the request (400)
    │   └── TransientServiceError   throttling, 5xx, timeouts: worth retrying
    ├── TextSearchNotEnabledError   full-text / hybrid search on an index without it
    └── PartialWriteError           a write failed after some batches were stored

Example:
    >>> from langchain_s3vectors.errors import S3VectorsError, InvalidInputError
    >>> issubclass(InvalidInputError, (S3VectorsError, ValueError))
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "AccessDeniedError",
    "ConfigurationError",
    "CredentialsError",
    "DimensionMismatchError",
    "EmbeddingMismatchError",
    "FilterError",
    "InvalidFilterError",
    "InvalidInputError",
    "PartialWriteError",
    "ResourceConflictError",
    "ResourceNotFoundError",
    "S3VectorsError",
    "ServiceError",
    "ServiceValidationError",
    "TextSearchNotEnabledError",
    "TransientServiceError",
    "is_transient",
    "translate_client_error",
]

#: Error codes that a retry may cure.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "RequestTimeoutException",
        "SlowDown",
        "RequestTimeout",
    }
)

#: The IAM action behind each client method, for access-denied messages.
IAM_ACTIONS = {
    "create_vector_bucket": "s3vectors:CreateVectorBucket",
    "get_vector_bucket": "s3vectors:GetVectorBucket",
    "list_vector_buckets": "s3vectors:ListVectorBuckets",
    "delete_vector_bucket": "s3vectors:DeleteVectorBucket",
    "create_index": "s3vectors:CreateIndex",
    "get_index": "s3vectors:GetIndex",
    "list_indexes": "s3vectors:ListIndexes",
    "delete_index": "s3vectors:DeleteIndex",
    "put_vectors": "s3vectors:PutVectors",
    "get_vectors": "s3vectors:GetVectors",
    "list_vectors": "s3vectors:ListVectors",
    "delete_vectors": "s3vectors:DeleteVectors",
    "query_vectors": "s3vectors:QueryVectors",
    "update_metadata_configuration": "s3vectors:UpdateMetadataConfiguration",
    "update_index_mode": "s3vectors:UpdateIndexMode",
}


class S3VectorsError(Exception):
    """Root of every error langchain-s3vectors raises on purpose."""


class ConfigurationError(S3VectorsError):
    """The configuration cannot work: settings, credentials, region or model."""


class CredentialsError(ConfigurationError):
    """No AWS credentials were found."""


class DimensionMismatchError(ConfigurationError, ValueError):
    """Index dimension, embedding dimension and ``VECTOR_DIMENSION`` disagree."""


class EmbeddingMismatchError(ConfigurationError):
    """The index records another embedding model than the store's (see ``identity``)."""


class InvalidInputError(S3VectorsError, ValueError):
    """Input rejected before any request was sent; nothing was written."""


class FilterError(ValueError):
    """A metadata filter that the S3 Vectors filter language does not accept.

    Raised by :mod:`langchain_s3vectors.filters` (and importable from there); the
    store raises its subclass :class:`InvalidFilterError`.
    """


class InvalidFilterError(InvalidInputError, FilterError):
    """A metadata filter outside the S3 Vectors filter language."""


class ServiceError(S3VectorsError):
    """The S3 Vectors service (or the local client) refused a request.

    Attributes:
        code: The service's error code, e.g. ``"NotFoundException"``.
        status: The HTTP status code.
        operation: The client method that failed, e.g. ``"put_vectors"``.
    """

    def __init__(
        self, message: str, *, code: str = "", status: int = 0, operation: str = ""
    ) -> None:
        """Create the error."""
        super().__init__(message)
        self.code = code
        self.status = status
        self.operation = operation


class ResourceNotFoundError(ServiceError):
    """The vector bucket or index does not exist."""


class AccessDeniedError(ServiceError):
    """The caller's IAM identity may not perform the action."""


class ResourceConflictError(ServiceError):
    """The resource already exists, or a bucket still has indexes."""


class ServiceValidationError(ServiceError, ValueError):
    """The service rejected the request as invalid (HTTP 400)."""


class TransientServiceError(ServiceError):
    """Throttling, capacity or timeout errors that survived every retry."""


class TextSearchNotEnabledError(S3VectorsError):
    """Full-text or hybrid search on an index with no text-searchable key."""


class PartialWriteError(S3VectorsError):
    """A write failed part-way: says which ids were stored and which were not.

    Attributes:
        stored_ids: Ids whose batches the service accepted.
        failed_ids: Ids whose batches failed; they may be retried safely
            (PutVectors is an upsert, DeleteVectors ignores missing keys).
    """

    def __init__(
        self, message: str, *, stored_ids: Sequence[str], failed_ids: Sequence[str]
    ) -> None:
        """Create the error."""
        super().__init__(message)
        self.stored_ids = list(stored_ids)
        self.failed_ids = list(failed_ids)


def is_transient(exc: BaseException) -> bool:
    """Whether an exception from a client call is worth retrying.

    Example:
        >>> from botocore.exceptions import ClientError
        >>> err = ClientError({"Error": {"Code": "TooManyRequestsException"}}, "PutVectors")
        >>> is_transient(err)
        True
    """
    if isinstance(exc, ClientError):
        return _code(exc) in TRANSIENT_ERROR_CODES or _status(exc) >= 500  # noqa: PLR2004
    if isinstance(exc, TransientServiceError):
        return True
    # botocore's ConnectionError family (endpoint, connect timeout, proxy) and its
    # HTTPClientError family (read timeout, connection closed, broken response stream).
    return isinstance(exc, (BotocoreConnectionError, HTTPClientError, ConnectionError))


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    meta: dict[str, Any] = exc.response.get("ResponseMetadata", {})
    return int(meta.get("HTTPStatusCode", 0) or 0)


#: Error codes of a missing bucket or index.
_NOT_FOUND_CODES = frozenset({"NotFoundException", "NoSuchBucket", "ResourceNotFoundException"})
#: Error codes of a denied IAM action.
_ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
#: Error codes of rejected or expired credentials.
_BAD_CREDENTIALS_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "InvalidClientTokenId",
    }
)


def translate_client_error(
    exc: BaseException, *, operation: str, resource: str = ""
) -> S3VectorsError:
    """Turn a botocore error into this package's error, with advice.

    The caller raises the result ``from exc``.

    Args:
        exc: The error a client call raised.
        operation: The client method, e.g. ``"query_vectors"``.
        resource: What the call was about, e.g. ``"index 'docs' in bucket 'kb'"``.

    Returns:
        The translated error (its message says what to do).
    """
    where = f" on {resource}" if resource else ""
    if isinstance(exc, S3VectorsError):
        return exc
    if isinstance(exc, ClientError):
        return _translate_service_error(exc, operation, where)
    return _translate_local_error(exc, operation, where)


def _translate_local_error(exc: BaseException, operation: str, where: str) -> S3VectorsError:
    """An error raised before the service answered: configuration, network, parameters."""
    if isinstance(exc, NoCredentialsError):
        return CredentialsError(
            "No AWS credentials found. Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE, or run 'aws configure'; or use the embedded backend "
            "(S3VectorsStore.local(...) / S3VECTORS_BACKEND=local) with no AWS at all."
        )
    if isinstance(exc, NoRegionError):
        return ConfigurationError(
            "No AWS region configured. Set AWS_REGION (e.g. us-east-1) or pass region_name=."
        )
    if isinstance(exc, EndpointConnectionError):
        return TransientServiceError(
            f"Could not reach the S3 Vectors endpoint{where}: {exc}. Check the region "
            "(S3 Vectors is not offered in every region) and endpoint_url.",
            operation=operation,
        )
    if isinstance(exc, ParamValidationError):
        return InvalidInputError(f"{operation}{where}: {exc}")
    return S3VectorsError(f"{operation}{where} failed: {exc}")


def _translate_service_error(exc: ClientError, operation: str, where: str) -> S3VectorsError:
    """An error the service answered with, by its error code and HTTP status."""
    code = _code(exc)
    status = _status(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    kwargs: dict[str, Any] = {"code": code, "status": status, "operation": operation}
    if code in _NOT_FOUND_CODES:
        return ResourceNotFoundError(
            f"Not found{where}: {message}. Create it (S3VectorsStore creates missing "
            "resources unless create_if_missing=False) or check the bucket/index names "
            "and the region.",
            **kwargs,
        )
    if code in _ACCESS_DENIED_CODES:
        action = IAM_ACTIONS.get(operation, f"s3vectors:{operation}")
        return AccessDeniedError(
            f"Access denied{where}: the caller may not perform {action}. Grant {action} "
            f"on the bucket/index ARN in the IAM policy (see the README's IAM section). "
            f"Service said: {message}",
            **kwargs,
        )
    if code in _BAD_CREDENTIALS_CODES:
        return CredentialsError(
            f"AWS rejected the credentials ({code}): {message}. Refresh or fix them "
            "(aws sts get-caller-identity shows who you are)."
        )
    return _translate_refusal(code, status, message, where, kwargs)


def _translate_refusal(
    code: str, status: int, message: str, where: str, kwargs: dict[str, Any]
) -> ServiceError:
    """A conflict, a transient failure, or a request the service found invalid."""
    operation = kwargs["operation"]
    if code == "ConflictException":
        return ResourceConflictError(f"Conflict{where}: {message}", **kwargs)
    if code in TRANSIENT_ERROR_CODES or status >= 500:  # noqa: PLR2004
        return TransientServiceError(
            f"{operation}{where} kept failing with {code or status}: {message}. The "
            "service is throttling or unavailable; retry later or lower the write rate.",
            **kwargs,
        )
    if code == "ValidationException" or status == 400:  # noqa: PLR2004
        return ServiceValidationError(f"{operation}{where} was rejected: {message}", **kwargs)
    return ServiceError(f"{operation}{where} failed ({code}): {message}", **kwargs)
