"""PutVectors batches, cut by vector count and by request payload size.

A PutVectors request takes at most ``limits.MAX_PUT_VECTORS`` vectors and
``limits.MAX_REQUEST_PAYLOAD_BYTES`` bytes. :func:`iter_put_batches` groups records
(lazily, so a generator of records is never held whole) into batches that keep a
margin under both; :meth:`~langchain_s3vectors.index.S3VectorsIndex.put` sends them.

Example:
    >>> from langchain_s3vectors.put_batches import split_put_batches
    >>> recs = [{"key": str(i), "data": {"float32": [1.0]}} for i in range(1200)]
    >>> [len(b) for b in split_put_batches(recs)]
    [500, 500, 200]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.checks import surrogate_message
from langchain_s3vectors.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = ["iter_put_batches", "record_payload_size", "split_put_batches"]


def record_payload_size(record: Mapping[str, Any]) -> int:
    """Approximate request-payload bytes one record adds to a PutVectors call.

    Raises:
        InvalidInputError: A metadata string holds a lone surrogate.

    Example:
        >>> record_payload_size({"key": "a", "data": {"float32": [1.0]}, "metadata": {}})
        61
    """
    vector = record.get("data", {}).get("float32", [])
    try:
        size = limits.json_size(record.get("metadata", {}), approximate=True)
    except UnicodeEncodeError as exc:
        raise InvalidInputError(surrogate_message("the text or metadata", exc)) from None
    # A float32 printed by JSON takes at most ~24 characters; be generous.
    return size + len(str(record.get("key", ""))) * 4 + (25 * len(vector) + 30)


#: Share of the request payload limit a PutVectors batch may fill.
_PAYLOAD_SHARE = 0.8


def iter_put_batches(
    records: Iterable[Mapping[str, Any]],
    *,
    max_vectors: int = limits.MAX_PUT_VECTORS,
    max_bytes: int = int(limits.MAX_REQUEST_PAYLOAD_BYTES * _PAYLOAD_SHARE),
) -> Iterator[list[Mapping[str, Any]]]:
    """Group PutVectors records by count and request payload size, lazily.

    Records are pulled from ``records`` only as batches are needed, so a generator of
    records is never materialised as a whole.

    Example:
        >>> recs = ({"key": str(i), "data": {"float32": [1.0]}} for i in range(3))
        >>> [len(b) for b in iter_put_batches(recs, max_vectors=2)]
        [2, 1]
    """
    current: list[Mapping[str, Any]] = []
    size = 0
    for record in records:
        record_size = record_payload_size(record)
        if current and (len(current) >= max_vectors or size + record_size > max_bytes):
            yield current
            current, size = [], 0
        current.append(record)
        size += record_size
    if current:
        yield current


def split_put_batches(
    records: Sequence[Mapping[str, Any]],
    *,
    max_vectors: int = limits.MAX_PUT_VECTORS,
    max_bytes: int = int(limits.MAX_REQUEST_PAYLOAD_BYTES * _PAYLOAD_SHARE),
) -> list[list[Mapping[str, Any]]]:
    """Split PutVectors records by count and by request payload size.

    Example:
        >>> recs = [{"key": str(i), "data": {"float32": [1.0]}, "metadata": {}} for i in range(3)]
        >>> [len(b) for b in split_put_batches(recs, max_vectors=2)]
        [2, 1]
    """
    return list(iter_put_batches(records, max_vectors=max_vectors, max_bytes=max_bytes))
