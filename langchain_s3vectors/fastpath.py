"""A fast PutVectors path for real boto3 ``s3vectors`` clients.

botocore serializes a request by walking it value by value: for a PutVectors call with
500 vectors of 384 dimensions that is 192,000 Python-level calls for the floats alone,
plus a validation pass over the same floats, which costs several hundred milliseconds of
client CPU per request. :func:`enable_fast_put_vectors` registers two botocore event
handlers on one client that take the float lists out of that walk:

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
    >>> import boto3
    >>> from langchain_s3vectors.fastpath import enable_fast_put_vectors
    >>> client = boto3.client(
    ...     "s3vectors",
    ...     region_name="us-east-1",
    ...     aws_access_key_id="test",
    ...     aws_secret_access_key="test",
    ... )
    >>> enable_fast_put_vectors(client)
    >>> is_fast_put_vectors_enabled(client)
    True
"""

from __future__ import annotations

import json
import math
import secrets
from typing import TYPE_CHECKING, Any

from botocore.serialize import create_serializer

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "enable_fast_put_vectors",
    "encode_float_list",
    "is_fast_put_vectors_enabled",
    "maybe_enable_fast_put_vectors",
]

try:  # orjson is optional: it is about three times faster than json for float lists.
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
        >>> from langchain_s3vectors.fastpath import is_fast_put_vectors_enabled
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
