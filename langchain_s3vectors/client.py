"""The seam between this package and the outside world: an S3 Vectors client.

Everything above this module talks to *an S3 Vectors client*: anything with the method
names, parameters, response dicts and ``botocore.exceptions.ClientError`` codes of
``boto3.client("s3vectors")``. That is boto3 itself (against AWS or any compatible
endpoint), the embedded :class:`~langchain_s3vectors.local.LocalS3VectorsClient`, or
a test double. This module holds the three things that touch it directly:

* :class:`S3VectorsClient`, the protocol: the methods the package calls.
* :func:`create_client`, which builds a boto3 client with this package's defaults
  (standard retry mode, a connection pool sized for the concurrency, and the fast
  PutVectors serialization of :mod:`langchain_s3vectors.fastpath`). A client passed in
  by the caller is used as it is.
* :func:`call_translated`, the one place where a client error becomes an error of
  :mod:`langchain_s3vectors.errors` (``raise ... from exc``), and where an expected
  error (a missing index read as empty, an existing bucket on create) becomes a value.

Example:
    >>> from langchain_s3vectors.client import call_translated
    >>> from langchain_s3vectors.errors import ResourceNotFoundError
    >>> from langchain_s3vectors.local import LocalS3VectorsClient
    >>> client = LocalS3VectorsClient()
    >>> call_translated(
    ...     lambda: client.get_index(vectorBucketName="kbase", indexName="docs"),
    ...     operation="get_index",
    ...     absent=ResourceNotFoundError,
    ... ) is None
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

from langchain_s3vectors.errors import S3VectorsError, translate_client_error
from langchain_s3vectors.fastpath import enable_fast_put_vectors

if TYPE_CHECKING:
    from collections.abc import Callable

    from botocore.config import Config

__all__ = ["BOTOCORE_MAX_ATTEMPTS", "S3VectorsClient", "call_translated", "create_client"]

R = TypeVar("R")
D = TypeVar("D")

#: botocore retry attempts of a client built here (the package retries on top).
BOTOCORE_MAX_ATTEMPTS = 3


@runtime_checkable
class S3VectorsClient(Protocol):
    """The ``s3vectors`` client methods this package calls (keyword arguments only).

    Requests and responses are the dicts of the S3 Vectors API; errors are
    ``botocore.exceptions.ClientError`` (or other botocore errors) with the service's
    error codes. ``boto3.client("s3vectors")`` and
    :class:`~langchain_s3vectors.local.LocalS3VectorsClient` both satisfy it.
    """

    def create_vector_bucket(self, **kwargs: Any) -> Any:
        """CreateVectorBucket."""

    def get_vector_bucket(self, **kwargs: Any) -> Any:
        """GetVectorBucket."""

    def create_index(self, **kwargs: Any) -> Any:
        """CreateIndex."""

    def get_index(self, **kwargs: Any) -> Any:
        """GetIndex."""

    def update_metadata_configuration(self, **kwargs: Any) -> Any:
        """UpdateMetadataConfiguration."""

    def put_vectors(self, **kwargs: Any) -> Any:
        """PutVectors."""

    def get_vectors(self, **kwargs: Any) -> Any:
        """GetVectors."""

    def delete_vectors(self, **kwargs: Any) -> Any:
        """DeleteVectors."""

    def list_vectors(self, **kwargs: Any) -> Any:
        """ListVectors."""

    def query_vectors(self, **kwargs: Any) -> Any:
        """QueryVectors."""


def create_client(
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    profile_name: str | None = None,
    session: Any = None,
    config: Config | None = None,
    max_concurrency: int = 8,
    fast_put_vectors: bool = True,
) -> Any:
    """Build a boto3 ``s3vectors`` client with this package's defaults.

    Args:
        region_name: AWS region.
        endpoint_url: Endpoint (for an S3-Vectors-compatible service, or a local one).
        profile_name: AWS profile (ignored when ``session`` is given).
        session: A ``boto3.Session`` to build the client from.
        config: A ``botocore.config.Config`` merged over the defaults (standard retry
            mode with 3 attempts, a connection pool of ``2 * max_concurrency``).
        max_concurrency: Requests the caller will have in flight at once.
        fast_put_vectors: Serialize PutVectors float lists fast (see
            :mod:`langchain_s3vectors.fastpath`).

    Returns:
        The client.

    Raises:
        ConfigurationError: No usable region or profile (translated from botocore).

    Example:
        >>> client = create_client(region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
        >>> client.meta.endpoint_url, client.meta.config.retries["mode"]
        ('http://127.0.0.1:9', 'standard')
    """
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    merged = Config(
        retries={"mode": "standard", "max_attempts": BOTOCORE_MAX_ATTEMPTS},
        max_pool_connections=max(10, 2 * max_concurrency),
    )
    if config is not None:
        merged = merged.merge(config)

    def build() -> Any:
        sess = session or boto3.Session(profile_name=profile_name, region_name=region_name)
        return sess.client(
            "s3vectors", region_name=region_name, endpoint_url=endpoint_url, config=merged
        )

    client = call_translated(build, operation="create_client")
    if fast_put_vectors:
        enable_fast_put_vectors(client)
    return client


@overload
def call_translated(
    fn: Callable[[], R], *, operation: str, resource: str = "", absent: None = None
) -> R: ...


@overload
def call_translated(
    fn: Callable[[], R],
    *,
    operation: str,
    resource: str = "",
    absent: type[S3VectorsError] | tuple[type[S3VectorsError], ...],
    default: D = None,  # type: ignore[assignment]
) -> R | D: ...


def call_translated(
    fn: Callable[[], Any],
    *,
    operation: str,
    resource: str = "",
    absent: type[S3VectorsError] | tuple[type[S3VectorsError], ...] | None = None,
    default: Any = None,
) -> Any:
    """Call ``fn``; translate what it raises; turn the ``absent`` errors into ``default``.

    Args:
        fn: The call (a client method with its arguments bound, possibly with retries).
        operation: The client method name, for messages and IAM action names.
        resource: What the call is about, e.g. ``"index 'docs' in vector bucket 'kb'"``.
        absent: Translated error types that are an answer rather than a failure, e.g.
            :class:`~langchain_s3vectors.errors.ResourceNotFoundError` for a read
            where a missing index means empty.
        default: What to return for an ``absent`` error.

    Returns:
        What ``fn`` returned, or ``default``.

    Raises:
        S3VectorsError: The translated error, chained ``from`` the original.
    """
    try:
        return fn()
    except Exception as exc:
        error = translate_client_error(exc, operation=operation, resource=resource)
        if absent is not None and isinstance(error, absent):
            return default
        if error is exc:
            raise
        raise error from exc
