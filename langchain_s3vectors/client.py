"""The seam between this package and the outside world: an S3 Vectors client.

Everything above this module talks to *an S3 Vectors client*: anything with the method
names, parameters, response dicts and ``botocore.exceptions.ClientError`` codes of
``boto3.client("s3vectors")``. That is boto3 itself (against AWS or any compatible
endpoint), the embedded :class:`~langchain_s3vectors.local.LocalS3VectorsClient`, or
a test double. This module holds the things that touch it directly:

* :class:`S3VectorsClient`, the protocol: the methods the package calls.
* :func:`create_client`, which builds a boto3 client with this package's defaults
  (standard retry mode, a connection pool sized for the concurrency, and the fast
  PutVectors serialization below). A client passed in by the caller is used as it is.
* :func:`call_translated`, the one place where a client error becomes an error of
  :mod:`langchain_s3vectors.errors` (``raise ... from exc``), and where an expected
  error (a missing index read as empty, an existing bucket on create) becomes a value.
* The paging of the API: :func:`list_vectors_requests` and :func:`follow_pages` read a
  whole index with ListVectors (one request per segment, in turn or at once), and
  :func:`query_pages` collects ``topK`` QueryVectors results, both following
  ``nextToken``. They send through a function the caller gives (with its retries and
  its reading of a missing index), so they work over any client.
* :func:`enable_fast_put_vectors`, a fast PutVectors path for boto3 clients.

The fast PutVectors path. botocore serializes a request by walking it value by value:
for a PutVectors call with 500 vectors of 384 dimensions that is 192,000 Python-level
calls for the floats alone, plus a validation pass over the same floats, which costs
several hundred milliseconds of client CPU per request. :func:`enable_fast_put_vectors`
registers two botocore event handlers on one client that take the float lists out of
that walk:

1. ``before-parameter-build.s3vectors.PutVectors`` (registered last, so user handlers and
   botocore's ``Stubber`` see the parameters as given) encodes the float lists in one
   call, with ``orjson`` when it is installed (``json`` otherwise), and swaps each for
   a one-element placeholder list holding a random marker value. Everything else (bucket
   and index names, keys, metadata, the list length) still goes through botocore's
   validator and serializer unchanged. The caller's parameters are not mutated.
2. ``before-call.s3vectors.PutVectors`` splices the encoded lists into the serialized
   body in place of the placeholders.

Signing happens later (``request-created``), so the signature covers the final body, and
botocore's retries resend the same body. Only lists the fast encoder provably writes the
same way are swapped: lists or tuples of plain finite ``float`` values. Anything else
(numpy scalars, ``Decimal``, ``int``, ``bool``, strings, NaN or infinity, a numpy array
instead of a list) is left in place, so botocore validates and serializes it exactly as
it would without the fast path, errors included.

On 500 x 384 vectors this takes the client's CPU per request from about 300-450 ms to
about 35-40 ms (``benchmarks/write_throughput.py`` prints both).

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

import json
import math
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

from botocore.serialize import create_serializer

from langchain_s3vectors import limits
from langchain_s3vectors.errors import InvalidInputError, S3VectorsError, translate_client_error

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from botocore.config import Config

    #: Sends one request, answering its response, or ``None`` when there is nothing
    #: to read (a missing index, for a caller that reads it as empty).
    Send = Callable[[dict[str, Any]], Mapping[str, Any] | None]

__all__ = [
    "BOTOCORE_MAX_ATTEMPTS",
    "S3VectorsClient",
    "call_translated",
    "create_client",
    "enable_fast_put_vectors",
    "encode_float_list",
    "follow_pages",
    "is_fast_put_vectors_enabled",
    "list_vectors_requests",
    "maybe_enable_fast_put_vectors",
    "query_pages",
]

R = TypeVar("R")
D = TypeVar("D")

#: botocore retry attempts of a client built here (the package retries on top).
BOTOCORE_MAX_ATTEMPTS = 3

# The fast PutVectors path (see the module docstring); orjson is optional: it is
# about three times faster than json for float lists.
try:
    import orjson

    def _dumps_floats(values: list[float] | tuple[float, ...]) -> bytes:
        return orjson.dumps(values)

except ImportError:  # pragma: no cover - exercised only where orjson is missing
    _json_dumps: Callable[[Any], str] = json.JSONEncoder(
        allow_nan=False, separators=(",", ":")
    ).encode

    def _dumps_floats(values: list[float] | tuple[float, ...]) -> bytes:
        return _json_dumps(values).encode("utf-8")


#: Key under which the swapped float lists travel in botocore's per-call context.
_CONTEXT_KEY = "langchain_s3vectors.fast_put_vectors"
_UNIQUE_ID = "langchain-s3vectors-fast-put-vectors"
_OPERATION = "PutVectors"
_FLOAT_TYPE_SET = frozenset({float})


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
            :func:`enable_fast_put_vectors`).

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


# -- paging ----------------------------------------------------------------------------


def list_vectors_requests(
    ids: Mapping[str, str], segment_count: int, *, data: bool, metadata: bool
) -> list[dict[str, Any]]:
    """The ListVectors requests that read a whole index: one per segment.

    Args:
        ids: ``vectorBucketName`` and ``indexName`` (or ``indexArn``).
        segment_count: How many segments (1..16); one request without segments for 1.
        data: Ask for the vectors (``returnData``).
        metadata: Ask for the metadata (``returnMetadata``).

    Raises:
        InvalidInputError: ``segment_count`` is out of range.

    Example:
        >>> [r["segmentIndex"] for r in list_vectors_requests(
        ...     {"indexArn": "arn"}, 2, data=False, metadata=True)]
        [0, 1]
    """
    if not 1 <= segment_count <= limits.MAX_LIST_SEGMENTS:
        msg = f"segment_count must be 1..{limits.MAX_LIST_SEGMENTS}, got {segment_count}"
        raise InvalidInputError(msg)
    base = {
        **ids,
        "maxResults": limits.MAX_LIST_VECTORS_RESULTS,
        "returnData": data,
        "returnMetadata": metadata,
    }
    if segment_count == 1:
        return [base]
    return [
        {**base, "segmentCount": segment_count, "segmentIndex": i} for i in range(segment_count)
    ]


def follow_pages(
    send: Send, requests: list[dict[str, Any]], *, parallel: bool = False
) -> Iterator[list[dict[str, Any]]]:
    """The ``vectors`` of every page of list ``requests``, following ``nextToken``.

    Args:
        send: Sends one request (see :data:`Send`); ``None`` ends that request's pages.
        requests: The requests, e.g. one per segment (:func:`list_vectors_requests`).
        parallel: Read the requests at the same time (one thread each) instead of in
            turn; pages still come request by request.
    """
    if not parallel or len(requests) == 1:
        for request in requests:
            yield from _pages(send, request)
        return
    with ThreadPoolExecutor(max_workers=len(requests), thread_name_prefix="s3vectors-list") as pool:
        futures = [pool.submit(lambda r: list(_pages(send, r)), r) for r in requests]
        for future in futures:
            yield from future.result()


def _pages(send: Send, request: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    request = dict(request)
    while True:
        response = send(request)
        if response is None:
            return
        yield list(response.get("vectors") or [])
        token = response.get("nextToken")
        if not token:
            return
        request["nextToken"] = token


def query_pages(
    send: Send, request: Mapping[str, Any], k: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``k`` QueryVectors results, following ``nextToken``; and the metric.

    ``topK`` is the number of results in total (at most ``limits.MAX_TOP_K``); the
    service returns them in pages linked by ``nextToken`` when ``topK`` exceeds its
    page size, and every page is asked for with the same ``topK`` (S3 User Guide,
    "Querying vectors"). Pages are read until ``nextToken`` is absent or ``k`` results
    have arrived.

    Args:
        send: Sends one request (see :data:`Send`); ``None`` means no results.
        request: The QueryVectors request but ``topK``.
        k: How many results (``topK``).

    Returns:
        The results, and the distance metric as the service reported it (``None``
        when it did not).
    """
    request = {**request, "topK": k}
    results: list[dict[str, Any]] = []
    metric: str | None = None
    while True:
        response = send(request)
        if response is None:
            return [], None
        page = list(response.get("vectors") or [])
        results.extend(page)
        metric = response.get("distanceMetric") or metric
        token = response.get("nextToken")
        if len(results) >= k or not page or not token:
            return results[:k], metric
        request["nextToken"] = token


def encode_float_list(values: list[float] | tuple[float, ...]) -> bytes:
    """Encode a list of floats as a JSON array, with ``orjson`` when installed.

    Args:
        values: Plain, finite Python floats.

    Returns:
        The JSON array as UTF-8 bytes.

    Example:
        >>> encode_float_list([0.5, -1.0])
        b'[0.5,-1.0]'
    """
    return _dumps_floats(values)


def is_fast_put_vectors_enabled(client: Any) -> bool:
    """Tell whether :func:`enable_fast_put_vectors` was called on ``client``.

    Args:
        client: A boto3 ``s3vectors`` client (anything else gives ``False``).

    Returns:
        ``True`` when the fast PutVectors handlers are registered on the client.

    Example:
        >>> is_fast_put_vectors_enabled(object())
        False
    """
    meta = getattr(client, "meta", None)
    return bool(getattr(meta, "_langchain_s3vectors_fast_put_vectors", False))


def enable_fast_put_vectors(client: Any) -> None:
    """Make ``client.put_vectors`` serialize float lists with a fast JSON encoder.

    The request on the wire carries the same JSON content as botocore's own
    serialization (floats included), is signed after the body is final, and behaves
    the same on errors and retries. Calling this twice on one client is harmless.

    Args:
        client: A boto3/botocore client for the ``s3vectors`` service.

    Raises:
        TypeError: ``client`` is not a botocore client for ``s3vectors`` (for example a
            ``LocalS3VectorsClient``, which has no wire format to speed up).

    Example:
        >>> import boto3
        >>> client = boto3.client(
        ...     "s3vectors",
        ...     region_name="us-east-1",
        ...     aws_access_key_id="test",
        ...     aws_secret_access_key="test",
        ... )
        >>> enable_fast_put_vectors(client)
        >>> enable_fast_put_vectors(client)  # idempotent
    """
    meta: Any = getattr(client, "meta", None)
    events: Any = getattr(meta, "events", None)
    service_model: Any = getattr(meta, "service_model", None)
    if events is None or getattr(service_model, "service_name", None) != "s3vectors":
        msg = (
            f"enable_fast_put_vectors() needs a boto3 's3vectors' client, got "
            f"{type(client).__name__}; build one with boto3.client('s3vectors', ...)."
        )
        raise TypeError(msg)
    service_id = service_model.service_id.hyphenize()
    events.register_last(
        f"before-parameter-build.{service_id}.{_OPERATION}",
        _swap_float_lists,
        unique_id=f"{_UNIQUE_ID}-params",
    )
    events.register_first(
        f"before-call.{service_id}.{_OPERATION}",
        _splice_float_lists,
        unique_id=f"{_UNIQUE_ID}-body",
    )
    meta._langchain_s3vectors_fast_put_vectors = True  # noqa: SLF001


def maybe_enable_fast_put_vectors(client: Any) -> bool:
    """Enable the fast path when ``client`` is a boto3 ``s3vectors`` client.

    Any other client (a ``LocalS3VectorsClient``, a test double) is left alone: it has
    no wire format to speed up.

    Args:
        client: Any boto3-shaped ``s3vectors`` client.

    Returns:
        ``True`` when the fast path is now enabled on ``client``.

    Example:
        >>> from langchain_s3vectors import LocalS3VectorsClient
        >>> maybe_enable_fast_put_vectors(LocalS3VectorsClient())
        False
    """
    meta: Any = getattr(client, "meta", None)
    service_model: Any = getattr(meta, "service_model", None)
    if getattr(meta, "events", None) is None or (
        getattr(service_model, "service_name", None) != "s3vectors"
    ):
        return False
    enable_fast_put_vectors(client)
    return True


def _fast_float_list(data: Any) -> list[float] | tuple[float, ...] | None:
    """Return the float list of a ``data`` member if only plain floats are in it."""
    if type(data) is not dict or len(data) != 1:
        return None
    values = data.get("float32")
    if type(values) not in (list, tuple) or not values:
        return None
    if set(map(type, values)) != _FLOAT_TYPE_SET:
        return None
    return values  # type: ignore[no-any-return]


def _is_finite(values: list[float] | tuple[float, ...]) -> bool:
    # A NaN or an infinity makes the sum non-finite; so may an overflowing sum of
    # finite values, which only sends that list down botocore's own path.
    return math.isfinite(sum(values))


def _encode_all(lists: list[list[float] | tuple[float, ...]]) -> list[bytes] | None:
    """Encode every list in one call and cut the result into one chunk per list."""
    encoded = _dumps_floats(lists)  # type: ignore[arg-type]
    # A flat array of numbers holds no brackets: split the outer array at "],[".
    chunks = encoded[2:-2].split(b"],[")
    return chunks if len(chunks) == len(lists) else None


def _swap_float_lists(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """``before-parameter-build`` handler: replace eligible float lists by placeholders."""
    context.pop(_CONTEXT_KEY, None)
    vectors: Any = params.get("vectors")
    if type(vectors) not in (list, tuple):
        return
    found = [
        (i, values)
        for i, vector in enumerate(vectors)
        if type(vector) is dict
        and (values := _fast_float_list(vector.get("data"))) is not None
        # NaN and infinities are written as strings by botocore: leave those lists to it.
        and _is_finite(values)
    ]
    if not found:
        return
    chunks = _encode_all([values for _, values in found])
    if chunks is None:  # pragma: no cover - a flat float array always splits cleanly
        return
    marker = float(secrets.randbits(48)) + 0.25
    placeholder = {"float32": [marker]}
    new_vectors = list(vectors)
    for i, _values in found:
        new_vectors[i] = {**vectors[i], "data": placeholder}
    original = dict(params)
    params["vectors"] = new_vectors
    context[_CONTEXT_KEY] = (marker, chunks, original)


def _splice_float_lists(
    model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
) -> None:
    """``before-call`` handler: put the encoded float lists into the serialized body."""
    stash = context.pop(_CONTEXT_KEY, None)
    if stash is None:
        return
    marker, chunks, original = stash
    body = params.get("body")
    if not isinstance(body, bytes):  # pragma: no cover - rest-json bodies are bytes
        params["body"] = _botocore_body(original, model)
        return
    # json.dumps (botocore's encoder) writes the placeholder exactly like this.
    pattern = b'{"float32": [' + repr(marker).encode("ascii") + b"]}"
    parts = body.split(pattern)
    if len(parts) != len(chunks) + 1:
        # The marker also occurs elsewhere (astronomically unlikely with a random
        # 48-bit marker): serialize the original parameters the slow, sure way.
        params["body"] = _botocore_body(original, model)
        return
    pieces = [parts[0]]
    for chunk, tail in zip(chunks, parts[1:], strict=True):
        pieces += (b'{"float32": [', chunk, b"]}", tail)
    params["body"] = b"".join(pieces)


def _botocore_body(original: dict[str, Any], model: Any) -> bytes:
    """Serialize the original parameters with botocore's own rest-json serializer."""
    serializer = create_serializer("rest-json", include_validation=False)
    body: bytes = serializer.serialize_to_request(original, model)["body"]
    return body
