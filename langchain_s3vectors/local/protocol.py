"""The boto3 shape of the embedded S3 Vectors client: errors, responses, ARNs, tokens.

Everything a caller sees besides the data itself is made here, as boto3 makes it: the
``s3vectors`` service model (loaded once per process), ``ClientError`` subclasses from
``client.exceptions`` with the model's HTTP status, ``ResponseMetadata``, ARNs, opaque
pagination tokens and the paginators of ``client.get_paginator``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore import xform_name
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError, OperationNotPageableError
from botocore.model import ServiceModel
from botocore.paginate import Paginator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
#: How much of a long key a ListVectors token carries (characters); see ``after_token``.
TOKEN_KEY_PREFIX = 200
ARN_RE = re.compile(
    r"^arn:aws[-a-z0-9]*:s3vectors:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"bucket/(?P<bucket>[^/]+)(?:/index/(?P<index>[^/]+))?$"
)

_service_model_cache: dict[str, ServiceModel] = {}
_paginator_cache: dict[str, dict[str, Any]] = {}


def service_model() -> ServiceModel:
    """The installed botocore ``s3vectors`` service model (loaded once per process)."""
    model = _service_model_cache.get("s3vectors")
    if model is None:
        session = botocore.session.get_session()
        model = ServiceModel(session.get_service_data("s3vectors"), service_name="s3vectors")
        _service_model_cache["s3vectors"] = model
    return model


def scope_hash(scope: str) -> str:
    """The short hash of a token's scope that the token carries."""
    return hashlib.sha256(scope.encode()).hexdigest()[:16]


def key_hash(key: str) -> str:
    """The hash of a long vector key that a ListVectors token carries."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


class Protocol:
    """Builds what boto3 would return or raise, for one region and account.

    Args:
        model: The ``s3vectors`` service model.
        region: The region of the store (ARNs carry it).
        account: The twelve-digit account id of the store (ARNs carry it).
    """

    def __init__(self, model: ServiceModel, region: str, account: str) -> None:
        """Build the client's exception classes from the model."""
        self.model = model
        self.region = region
        self.account = account
        self.exceptions = ClientExceptionsFactory().create_client_exceptions(model)

    # -- errors ------------------------------------------------------------------------

    def error(self, operation: str, code: str, message: str) -> ClientError:
        """The ``client.exceptions`` error of ``code``, with the model's HTTP status."""
        shape = self.model.shape_for(code)
        status = int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
        request_id = uuid.uuid4().hex
        response = {
            "Error": {"Code": code, "Message": message},
            "message": message,
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": status,
                "HTTPHeaders": {"x-amzn-errortype": code, "x-amzn-requestid": request_id},
                "RetryAttempts": 0,
            },
        }
        cls = getattr(self.exceptions, code, ClientError)
        error: ClientError = cls(response, operation)
        return error

    def validation(self, operation: str, message: str) -> ClientError:
        """A ``ValidationException`` (400)."""
        return self.error(operation, "ValidationException", message)

    def not_found(self, operation: str, message: str) -> ClientError:
        """A ``NotFoundException`` (404)."""
        return self.error(operation, "NotFoundException", message)

    def conflict(self, operation: str, message: str) -> ClientError:
        """A ``ConflictException`` (409)."""
        return self.error(operation, "ConflictException", message)

    # -- responses ---------------------------------------------------------------------

    @staticmethod
    def ok(body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with the ``ResponseMetadata`` of a successful call."""
        request_id = uuid.uuid4().hex
        body["ResponseMetadata"] = {
            "RequestId": request_id,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": request_id, "content-type": "application/json"},
            "RetryAttempts": 0,
        }
        return body

    def bucket_arn(self, name: str) -> str:
        """The ARN of a vector bucket."""
        return f"arn:aws:s3vectors:{self.region}:{self.account}:bucket/{name}"

    def index_arn(self, bucket: str, name: str) -> str:
        """The ARN of a vector index."""
        return f"{self.bucket_arn(bucket)}/index/{name}"

    @staticmethod
    def timestamp(value: float) -> datetime:
        """A stored creation time as boto3 returns it (an aware ``datetime``)."""
        return datetime.fromtimestamp(value, tz=UTC)

    # -- pagination tokens -------------------------------------------------------------

    @staticmethod
    def encode_token(payload: dict[str, Any]) -> str:
        """An opaque token: the payload as compact UTF-8 JSON, URL-safe base64.

        The scope is hashed, so a token's length does not grow with names; callers keep
        every other field short (see :meth:`after_token`).
        """
        payload = {**payload, "scope": scope_hash(str(payload["scope"]))}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode()

    @staticmethod
    def after_token(scope: str, key: str) -> str:
        """A token resuming after ``key``, within the model's 2,048 characters.

        A key of up to ``TOKEN_KEY_PREFIX`` characters travels whole. A longer one (keys
        run to 1,024 characters of any UTF-8, so up to 4 KiB) travels as its first
        ``TOKEN_KEY_PREFIX`` characters and a hash of the whole; :func:`resume_key`
        finds it again among the keys sharing that prefix.
        """
        if len(key) <= TOKEN_KEY_PREFIX:
            return Protocol.encode_token({"scope": scope, "after": key})
        return Protocol.encode_token(
            {"scope": scope, "prefix": key[:TOKEN_KEY_PREFIX], "hash": key_hash(key)}
        )


def resume_key(payload: dict[str, Any], candidates: Callable[[str], Iterator[str]]) -> str:
    """The key to list after, from a token of :meth:`Protocol.after_token`.

    ``candidates(prefix)`` yields the keys ``>= prefix`` in key order. When the long key
    has been deleted since, listing resumes at its prefix: keys may repeat, none is
    skipped.
    """
    if "after" in payload:
        return str(payload["after"])
    prefix, digest = str(payload.get("prefix", "")), str(payload.get("hash", ""))
    for candidate in candidates(prefix):
        if not candidate.startswith(prefix):
            break
        if key_hash(candidate) == digest:
            return candidate
    return prefix


def paginated_operations() -> dict[str, str]:
    """``{python name: model name}`` of the operations the model paginates.

    Example:
        >>> paginated_operations()["list_vectors"]
        'ListVectors'
    """
    return {xform_name(name): name for name in _paginator_config()}


def paginator(method: Callable[..., dict[str, Any]], operation: str) -> Paginator:
    """Botocore's own paginator for ``operation`` (e.g. ``"ListVectors"``) over ``method``.

    The same class and the same ``paginators-1`` model a boto3 client uses, so
    ``PaginationConfig`` (``MaxItems``, ``PageSize``, ``StartingToken``),
    ``build_full_result()`` and ``search()`` behave exactly as they do against AWS.

    Raises:
        OperationNotPageableError: The model has no paginator for ``operation``.
    """
    config = _paginator_config().get(operation)
    if config is None:
        raise OperationNotPageableError(operation_name=xform_name(operation))
    return Paginator(method, config, service_model().operation_model(operation))


def _paginator_config() -> dict[str, Any]:
    """The installed botocore ``s3vectors`` paginator model (loaded once per process)."""
    config = _paginator_cache.get("s3vectors")
    if config is None:
        loader = botocore.session.get_session().get_component("data_loader")
        config = loader.load_service_model("s3vectors", "paginators-1")["pagination"]
        _paginator_cache["s3vectors"] = config
    return config
