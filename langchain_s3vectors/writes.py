"""The store's write pipeline: every record checked before the first request, then streamed.

A write goes through these steps:

1. :func:`prepare`: ids generated or checked, keys and metadata checked against the
   limits (page content included), ids unique.
2. :func:`checked_vectors`: every embedding checked (count, dimension, finite values,
   zero vectors under cosine) before anything is sent.
3. :func:`records`: PutVectors records built one at a time, as the sender asks for them.
4. :class:`Writer` streams them to :meth:`S3VectorsIndex.put
   <langchain_s3vectors.index.S3VectorsIndex.put>`, creating the index first when missing.
5. :func:`iter_put_batches`, which that method calls, groups the stream (lazily, so a
   generator of records is never held whole) into PutVectors requests that keep a margin
   under both of a request's limits, ``limits.MAX_PUT_VECTORS`` vectors and
   ``limits.MAX_REQUEST_PAYLOAD_BYTES`` bytes.

Bad input therefore writes nothing; a failure after the first request raises
:class:`~langchain_s3vectors.errors.PartialWriteError` naming what was stored. Memory
holds one float32 copy of the vectors plus the requests in flight, never every record
as Python floats.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_s3vectors import limits
from langchain_s3vectors.checks import (
    check_unique_ids,
    checked_rows,
    surrogate_message,
    validate_key,
    validate_vector,
    validate_vectors,
)
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.records import RecordCodec

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    import numpy.typing as npt
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.index import S3VectorsIndex

__all__ = [
    "EMBED_CHUNK",
    "EmbeddingBatch",
    "Prepared",
    "Writer",
    "checked_vectors",
    "iter_put_batches",
    "prepare",
    "record_payload_size",
    "records",
    "split_put_batches",
]

#: Texts embedded per call when ``add_texts`` pipelines embedding with writing.
EMBED_CHUNK = 1000

#: One batch as a caller gives it: texts, embeddings, metadatas (or ``None``) and ids
#: (or ``None``).
EmbeddingBatch = tuple[
    "Sequence[str]",
    "Sequence[Sequence[float]] | npt.NDArray[Any]",
    "Sequence[Mapping[str, Any] | None] | None",
    "Sequence[str | None] | None",
]

#: One checked batch on its way to the writer: keys, texts, metadata to store, vectors and
#: the codec its keys and metadata were checked with.
Prepared = tuple[
    list[str],
    "Sequence[str]",
    "Sequence[dict[str, Any]]",
    "Sequence[Sequence[float]] | npt.NDArray[Any]",
    RecordCodec,
]


def _where(i: int, key: object) -> str:
    return f"document {i} (id {key!r})"


def prepare(
    texts: Sequence[str],
    metadatas: Sequence[Mapping[str, Any] | None] | None,
    ids: Sequence[str | None] | None,
    codec: RecordCodec,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Keys (generated where ``ids`` has none) and the metadata to store, every one checked.

    The metadata to store is each document's metadata with its page content under
    the codec's page content key, built once here and sent as it is.

    Raises:
        InvalidInputError: The lengths differ, a key or metadata breaks a limit, or
            an id repeats.
    """
    if isinstance(texts, str):
        msg = "texts must be a list of strings, not one string; wrap it: [text]"
        raise InvalidInputError(msg)
    if metadatas is not None and len(metadatas) != len(texts):
        msg = f"got {len(texts)} texts but {len(metadatas)} metadatas; pass one per text"
        raise InvalidInputError(msg)
    if ids is not None and len(ids) != len(texts):
        msg = f"got {len(texts)} texts but {len(ids)} ids; pass one id per text"
        raise InvalidInputError(msg)
    keys = [
        str(uuid.uuid4()) if ids is None or ids[i] is None else ids[i] for i in range(len(texts))
    ]
    metas: list[Mapping[str, Any] | None] = (
        list(metadatas) if metadatas is not None else [None] * len(texts)
    )
    stored: list[dict[str, Any]] = []
    for i, (key, text, meta) in enumerate(zip(keys, texts, metas, strict=True)):
        try:
            validate_key(key)
            stored.append(codec.build_metadata(text, meta))
        except InvalidInputError:  # again, to name the document in the message
            validate_key(key, where=_where(i, key))
            codec.build_metadata(text, meta, where=_where(i, key))
            raise  # pragma: no cover - the named check raised
    check_unique_ids(keys)
    return keys, stored  # type: ignore[return-value]


def _user_metadata(stored: Mapping[str, Any], codec: RecordCodec) -> dict[str, Any]:
    """The caller's metadata of a :func:`prepare` result (without the page content)."""
    return {k: v for k, v in stored.items() if k != codec.page_content_key}


def checked_vectors(
    keys: Sequence[str],
    vectors: Sequence[Sequence[float]] | npt.NDArray[Any],
    codec: RecordCodec,
    index: S3VectorsIndex,
) -> Sequence[list[float]] | npt.NDArray[np.float32]:
    """Every embedding checked: the caller's lists of floats, or one float32 matrix.

    ``codec`` carries the known dimension and metric; ``index`` decides how strictly
    (every value, for a paced service) and names the index in a dimension mismatch.
    """
    if len(vectors) != len(keys):
        msg = f"got {len(vectors)} embeddings for {len(keys)} texts; pass one per text"
        raise InvalidInputError(msg)
    try:
        dimension = len(vectors[0])
    except TypeError:
        validate_vector(vectors[0], dimension=None, where=_where(0, keys[0]))
        raise  # pragma: no cover - validate_vector raised
    if codec.dimension is not None and dimension != codec.dimension:
        index.check_compatible({"dimension": codec.dimension}, dimension)
    check = validate_vectors if index.paced else checked_rows
    return check(
        vectors,
        dimension=dimension,
        distance_metric=codec.distance_metric,
        where=lambda i: _where(i, keys[i]),
    )


def records(
    keys: Sequence[str],
    texts: Sequence[str],
    metas: Sequence[dict[str, Any]],
    matrix: Sequence[list[float]] | npt.NDArray[np.float32],
    codec: RecordCodec,
    *,
    metadata_checked: bool,
) -> Iterator[dict[str, Any]]:
    """PutVectors records, built one at a time as the sender asks for them.

    ``metas`` is the metadata to store from :func:`prepare`; unless
    ``metadata_checked`` (``codec`` is the one it was checked with), it is checked
    again with ``codec``.

    The same id twice in one call: the last one wins, as two upserts would.
    """
    last = {key: i for i, key in enumerate(keys)}
    step = limits.MAX_PUT_VECTORS
    for start in range(0, len(keys), step):
        block = matrix[start : start + step]
        # Checked lists of floats go as they are; a matrix becomes lists per block.
        rows = block.tolist() if isinstance(block, np.ndarray) else block
        for offset, values in enumerate(rows):
            i = start + offset
            key = keys[i]
            if last[key] != i:
                continue
            if metadata_checked:
                stored = metas[i]
            else:
                user = _user_metadata(metas[i], codec)
                stored = codec.build_metadata(texts[i], user, where=_where(i, key))
            yield {"key": key, "data": {"float32": values}, "metadata": stored}


def embedded_chunks(
    keys: Sequence[str],
    texts: Sequence[str],
    metas: Sequence[dict[str, Any]],
    embedding: Embeddings,
    codec: RecordCodec,
    chunk: int = EMBED_CHUNK,
) -> Iterator[Prepared]:
    """Prepared batches of ``chunk`` texts, each embedded only when the sender asks.

    The same id twice: the last one wins, as two upserts would (embedded once).
    """
    last = {key: i for i, key in enumerate(keys)}
    order = [i for i, key in enumerate(keys) if last[key] == i]
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part_texts = [texts[i] for i in part]
        vectors = embedding.embed_documents(part_texts)
        yield [keys[i] for i in part], part_texts, [metas[i] for i in part], vectors, codec


class Writer:
    """Writes checked records to one :class:`~langchain_s3vectors.index.S3VectorsIndex`.

    Args:
        index: The index written to.
        codec: The record codec for a dimension (``None``: the index's, once known);
            it reflects the keys the index declares non-filterable.
        probe: Learns the embedding dimension when the index must be created.
        before_put: Called with the vectors' dimension once the index exists, before
            records are sent (the store checks and records its embedding identity).
    """

    def __init__(
        self,
        index: S3VectorsIndex,
        codec: Callable[[int | None], RecordCodec],
        probe: Callable[[], int],
        before_put: Callable[[int], None] | None = None,
    ) -> None:
        """Write through ``index``, checking with ``codec``."""
        self.index = index
        self._codec = codec
        self._probe = probe
        self._before_put = before_put

    def ensure_index(self, dimension: int | None) -> dict[str, Any]:
        """Create the bucket and index when missing; check dimension, metric and identity."""
        info = self.index.ensure(dimension, probe=self._probe)
        if self._before_put is not None:
            self._before_put(int(info["dimension"]) if dimension is None else dimension)
        return info

    def prepare(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None,
        ids: Sequence[str | None] | None,
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """:func:`prepare`, once the index description (its declared keys) is known.

        GetIndex is a read: nothing is created when the index is missing.
        """
        if self.index.description is None:
            self.index.info()
        return prepare(texts, metadatas, ids, self._codec(None))

    def write(
        self,
        keys: Sequence[str],
        texts: Sequence[str],
        metas: Sequence[dict[str, Any]],
        vectors: Sequence[Sequence[float]] | npt.NDArray[Any],
    ) -> None:
        """Check every vector, then stream the records batch by batch to the index.

        Keys and metadata were checked by :meth:`prepare`; the vectors are checked
        here before the first request, so bad input still writes nothing.
        """
        matrix = checked_vectors(keys, vectors, self._codec(None), self.index)
        dimension = len(matrix[0])
        checked_with = self._codec(dimension)
        self.ensure_index(dimension)
        # The existing index may declare other non-filterable keys: check again if so.
        codec = self._codec(dimension)
        if codec != checked_with:
            metas = [
                codec.build_metadata(text, _user_metadata(meta, codec), where=_where(i, keys[i]))
                for i, (text, meta) in enumerate(zip(texts, metas, strict=True))
            ]
        self.index.put(records(keys, texts, metas, matrix, codec, metadata_checked=True), keys=keys)

    def prepared(
        self,
        batches: Iterable[EmbeddingBatch],
    ) -> Iterator[Prepared]:
        """Each ``(texts, embeddings, metadatas, ids)`` batch prepared as it comes."""
        if self.index.description is None:
            self.index.info()
        for texts, vectors, metadatas, ids in batches:
            keys, metas = prepare(texts, metadatas, ids, self._codec(None))
            if keys:
                yield keys, texts, metas, vectors, self._codec(None)

    def send_stream(
        self, batches: Iterable[Prepared], *, background: bool | None = None
    ) -> list[str]:
        """Check each prepared batch's vectors as it comes, then stream its records.

        ``background`` is that of :meth:`S3VectorsIndex.put
        <langchain_s3vectors.index.S3VectorsIndex.put>`.

        Returns:
            The ids written, in order.
        """
        written: list[str] = []

        def stream() -> Iterator[dict[str, Any]]:
            for keys, texts, metas, vectors, prepared_with in batches:
                matrix = checked_vectors(keys, vectors, self._codec(None), self.index)
                self.ensure_index(len(matrix[0]))
                codec = self._codec(len(matrix[0]))
                written.extend(keys)
                yield from records(
                    keys, texts, metas, matrix, codec, metadata_checked=codec == prepared_with
                )

        # ``written`` is read on failure: every id produced by then.
        self.index.put(stream(), keys=written, background=background)
        return written


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
