"""Documents <-> S3 Vectors records, with every limit checked before any call.

A LangChain :class:`~langchain_core.documents.Document` becomes one vector record::

    {"key": doc_id,
     "data": {"float32": [...]},
     "metadata": {**doc.metadata, "_page_content": doc.page_content}}

The page content lives under a reserved metadata key (``_page_content`` unless the
store says otherwise) which the index declares non-filterable, so a long chunk never
eats into the 2 KB filterable-metadata budget. :class:`RecordCodec` checks the key,
the vector and the metadata against :mod:`langchain_s3vectors.limits` and raises
:class:`~langchain_s3vectors.errors.InvalidInputError` naming the document and the
fix; the store runs these checks for a whole write before sending anything, so a bad
document means nothing is written.

Metadata round-trips through JSON: strings, ints, floats, booleans and lists of
those come back with the same types.

Example:
    >>> from langchain_s3vectors.records import RecordCodec
    >>> codec = RecordCodec(dimension=2)
    >>> record = codec.encode("doc-1", "hello", {"year": 2024}, [0.6, 0.8])
    >>> record["metadata"]
    {'year': 2024, '_page_content': 'hello'}
    >>> codec.decode(record)
    Document(id='doc-1', metadata={'year': 2024}, page_content='hello')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from langchain_core.documents import Document

from langchain_s3vectors import limits
from langchain_s3vectors.errors import InvalidInputError

__all__ = [
    "DEFAULT_PAGE_CONTENT_KEY",
    "FLOAT32_MAX",
    "RecordCodec",
    "check_k",
    "check_query_text",
    "check_unicode",
    "check_unique_ids",
    "checked_rows",
    "iter_put_batches",
    "json_size",
    "record_payload_size",
    "split_put_batches",
    "text_list",
    "validate_key",
    "validate_metadata",
    "validate_vector",
    "validate_vectors",
]

#: Metadata key that holds a document's page content.
DEFAULT_PAGE_CONTENT_KEY = "_page_content"
#: Largest finite float32.
FLOAT32_MAX = 3.4028234663852886e38

_MAX_REPR = 60


def json_size(value: Any) -> int:
    """Size in bytes of ``value`` as compact UTF-8 JSON, the way the service counts it.

    Example:
        >>> json_size({"city": "Zürich"})
        18
    """
    try:
        return limits.json_size(value)
    except UnicodeEncodeError as exc:
        raise InvalidInputError(_surrogate_message("the text or metadata", exc)) from None


try:  # orjson is optional: it sizes a record's metadata several times faster.
    import orjson

    def _approximate_json_size(value: Any) -> int | None:
        """Compact JSON size, give or take two characters a number; ``None`` if unknown."""
        try:
            return len(orjson.dumps(value))
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a surrogate
            return None

except ImportError:  # pragma: no cover - exercised only where orjson is missing

    def _approximate_json_size(value: Any) -> int | None:  # noqa: ARG001
        return None


#: Most characters by which a number's compact JSON from ``json`` can exceed orjson's
#: (``1e+16`` against ``1e16``; ``1e-07`` against ``1e-7``).
_FLOAT_SLACK = 2


def _metadata_size(metadata: Mapping[str, Any], limit: int) -> int:
    """The metadata's compact JSON size: exact whenever it decides ``<= limit``.

    orjson sizes a small dict in a fraction of ``json``'s time and prints everything
    but numbers byte for byte as ``json`` does; numbers differ by at most
    ``_FLOAT_SLACK`` characters. Its size is used when even that slack per number
    cannot bring it over ``limit``, and the exact :func:`json_size` otherwise.
    """
    approximate = _approximate_json_size(metadata)
    if approximate is not None:
        numbers = sum(len(v) if type(v) is list else type(v) is float for v in metadata.values())
        if approximate + _FLOAT_SLACK * numbers <= limit:
            return approximate
    return json_size(dict(metadata))


def _surrogate_message(what: str, exc: UnicodeEncodeError) -> str:
    bad = exc.object[exc.start : exc.end]
    return (
        f"{what} contains a lone surrogate {bad!r}, which is not valid Unicode and cannot "
        "be stored as UTF-8; remove it, or repair the string, e.g. "
        "s.encode('utf-8', 'replace').decode('utf-8')"
    )


def check_unicode(text: str, what: str) -> None:
    r"""Refuse a string that cannot be encoded as UTF-8 (a lone surrogate).

    Example:
        >>> check_unicode("Café", "the query")
        >>> check_unicode("bad \ud800", "the query")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: the query contains a lone surrogate ...
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(_surrogate_message(what, exc)) from None


def record_payload_size(record: Mapping[str, Any]) -> int:
    """Approximate request-payload bytes one record adds to a PutVectors call.

    Example:
        >>> record_payload_size({"key": "a", "data": {"float32": [1.0]}, "metadata": {}})
        61
    """
    vector = record.get("data", {}).get("float32", [])
    # A float32 printed by JSON takes at most ~24 characters; be generous.
    metadata = record.get("metadata", {})
    size = _approximate_json_size(metadata)
    return (
        (json_size(metadata) if size is None else size)
        + len(str(record.get("key", ""))) * 4
        + (25 * len(vector) + 30)
    )


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


def text_list(texts: Iterable[str]) -> list[str]:
    """``texts`` as a list, refusing one string (a common slip that would split it).

    Example:
        >>> text_list(("a", "b"))
        ['a', 'b']
    """
    if isinstance(texts, str):
        msg = "texts must be a list of strings, not one string; wrap it: [text]"
        raise InvalidInputError(msg)
    return list(texts)


def check_k(k: object) -> None:
    """Refuse a ``k`` that is not a positive integer up to ``limits.MAX_TOP_K``."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        msg = f"k must be a positive integer, got {k!r}"
        raise InvalidInputError(msg)
    if k > limits.MAX_TOP_K:
        msg = (
            f"k={k} is more than one S3 Vectors query returns (topK <= {limits.MAX_TOP_K}); "
            f"use k <= {limits.MAX_TOP_K}, or read every record with iter_records()"
        )
        raise InvalidInputError(msg)


def check_query_text(query: object) -> None:
    """Refuse an empty, blank or unencodable query the same way in every search mode."""
    if not isinstance(query, str) or not query.strip():
        msg = f"the query must contain some text, got {query!r}"
        raise InvalidInputError(msg)
    check_unicode(query, "the query")


def check_unique_ids(keys: Sequence[str | None]) -> None:
    """Refuse one call that gives the same id twice (the last would silently win)."""
    if len(set(keys)) == len(keys):
        return
    seen: dict[str | None, int] = {}
    for position, key in enumerate(keys):
        if key in seen:
            msg = (
                f"ids must be unique within one call: {key!r} is given for documents "
                f"{seen[key]} and {position}, and the second would silently replace the "
                "first; drop or rename the duplicate"
            )
            raise InvalidInputError(msg)
        seen[key] = position


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def validate_key(key: object, *, where: str = "") -> str:
    """Check a vector key (a document id).

    Args:
        key: The key.
        where: Which document it belongs to, for the message (e.g. ``"document 3"``).

    Returns:
        The key.

    Raises:
        InvalidInputError: The key is not a string of 1..1024 characters.

    Example:
        >>> validate_key("doc-1")
        'doc-1'
    """
    prefix = f"{where}: " if where else ""
    if not isinstance(key, str):
        msg = f"{prefix}document id {_short(key)} must be a string; pass ids as str"
        raise InvalidInputError(msg)
    if not limits.KEY_MIN_LENGTH <= len(key) <= limits.KEY_MAX_LENGTH:
        msg = (
            f"{prefix}document id {_short(key)} has {len(key)} characters; S3 Vectors keys "
            f"take {limits.KEY_MIN_LENGTH}..{limits.KEY_MAX_LENGTH} characters. Use a shorter "
            "id (e.g. a hash of the long one)"
        )
        raise InvalidInputError(msg)
    return key


def validate_vector(
    vector: Sequence[float],
    *,
    dimension: int | None,
    distance_metric: str = "cosine",
    where: str = "",
) -> list[float]:
    """Check one embedding and return it as a list of Python floats.

    Args:
        vector: The embedding.
        dimension: The index dimension, or ``None`` when not known yet.
        distance_metric: ``"cosine"`` rejects the zero vector.
        where: Which document it belongs to, for the message.

    Returns:
        The vector as ``list[float]``.

    Raises:
        InvalidInputError: Wrong dimension, a non-finite value, a value outside the
            float32 range, or a zero vector in a cosine index.

    Example:
        >>> validate_vector([0.5, 1], dimension=2)
        [0.5, 1.0]
    """
    prefix = f"{where}: " if where else ""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            array = np.asarray(vector, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{prefix}the embedding must be a sequence of numbers ({exc})"
        raise InvalidInputError(msg) from exc
    if array.ndim != 1:
        msg = f"{prefix}the embedding must be a flat sequence of numbers, got shape {array.shape}"
        raise InvalidInputError(msg)
    size = int(array.shape[0])
    if dimension is not None and size != dimension:
        msg = (
            f"{prefix}the embedding has {size} dimensions but the index has "
            f"{dimension}; use the embedding model the index was created with, or a new index"
        )
        raise InvalidInputError(msg)
    if not limits.MIN_DIMENSION <= size <= limits.MAX_DIMENSION:
        msg = (
            f"{prefix}the embedding has {size} dimensions; S3 Vectors supports "
            f"{limits.MIN_DIMENSION}..{limits.MAX_DIMENSION}"
        )
        raise InvalidInputError(msg)
    bad = ~(np.isfinite(array) & (np.abs(array) <= FLOAT32_MAX))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = float(array[i])
        if math.isnan(value):
            hint = "Check the embedding model's output (NaN usually means empty or corrupt input)"
        else:
            hint = (
                f"float32 holds magnitudes up to {FLOAT32_MAX:.4g}; scale the vector down "
                "(or normalise it) before storing it"
            )
        msg = (
            f"{prefix}embedding value {i} is {value!r}; S3 Vectors stores finite float32 "
            f"values only. {hint}"
        )
        raise InvalidInputError(msg)
    if distance_metric == "cosine" and not array.any():
        msg = (
            f"{prefix}the embedding is the zero vector, which has no direction and is "
            "rejected by a cosine index; check the input text or use a euclidean index"
        )
        raise InvalidInputError(msg)
    values: list[float] = array.tolist()
    return values


#: Rows checked per step by :func:`validate_vectors` (bounds its float64 scratch space).
_CHECK_ROWS = 1024


def validate_vectors(
    vectors: Sequence[Sequence[float]] | npt.NDArray[Any],
    *,
    dimension: int,
    distance_metric: str = "cosine",
    where: Callable[[int], str] = lambda i: f"document {i}",
) -> npt.NDArray[np.float32]:
    """Check many embeddings at once and return them as one float32 matrix.

    The rules and messages are those of :func:`validate_vector` (the first bad row is
    reported), checked a block of rows at a time with numpy, so a million vectors cost
    one float32 copy rather than a million Python lists.

    Args:
        vectors: The embeddings: a sequence of sequences or a 2-D array.
        dimension: The dimension every embedding must have.
        distance_metric: ``"cosine"`` rejects zero vectors.
        where: Names row ``i`` in a message.

    Returns:
        A C-contiguous ``float32`` array of shape ``(len(vectors), dimension)``.

    Raises:
        InvalidInputError: The first bad row, as :func:`validate_vector` describes it.

    Example:
        >>> validate_vectors([[0.5, 1], [1, 0]], dimension=2).shape
        (2, 2)
    """
    out = np.empty((len(vectors), dimension), dtype=np.float32)
    for start, block in _checked_blocks(vectors, dimension, distance_metric, where):
        out[start : start + len(block)] = block
    return out


def checked_rows(
    vectors: Sequence[Sequence[float]] | npt.NDArray[Any],
    *,
    dimension: int,
    distance_metric: str = "cosine",
    where: Callable[[int], str] = lambda i: f"document {i}",
) -> Sequence[list[float]] | npt.NDArray[np.float32]:
    """Check many embeddings; return them in the cheapest form the embedded client takes.

    Lists of numbers (what LangChain embeddings return) come back as they are, checked
    but not copied; anything else (numpy arrays, tuples, numeric strings) comes back as
    the float32 matrix of :func:`validate_vectors`. The lists may hold numpy scalars,
    which the embedded client accepts but botocore's validator does not: requests to
    other clients are built from :func:`validate_vectors` instead.

    Raises:
        InvalidInputError: The first bad row, as :func:`validate_vector` describes it.

    Example:
        >>> rows = [[0.5, 1.0]]
        >>> checked_rows(rows, dimension=2) is rows
        True
    """
    if isinstance(vectors, np.ndarray) or not isinstance(vectors, list):
        return validate_vectors(
            vectors, dimension=dimension, distance_metric=distance_metric, where=where
        )
    if _lists_pass(vectors, dimension, distance_metric):
        return vectors
    plain = all(type(row) is list for row in vectors)
    for _, block in _checked_blocks(vectors, dimension, distance_metric, where):
        plain = plain and block.dtype in _PLAIN_DTYPES
    if plain:
        return vectors
    return validate_vectors(
        vectors, dimension=dimension, distance_metric=distance_metric, where=where
    )


#: A row whose norm is at least this has a value that stays non-zero in float32.
_MIN_NORM = 1e-30


def _lists_pass(rows: list[Any], dimension: int, distance_metric: str) -> bool:
    """Whether lists of numbers surely pass every check, without converting them.

    ``math.hypot`` walks a list of numbers in C, several times faster than building an
    array from it. A finite norm no larger than the largest float32 bounds every value;
    a norm of at least ``_MIN_NORM`` keeps a value non-zero in float32 (a cosine index
    rejects zero vectors). ``False`` means "not sure": the exact check decides, and
    names the bad row.
    """
    hypot = math.hypot
    low = _MIN_NORM if distance_metric == "cosine" else 0.0
    try:
        return all(
            type(row) is list and len(row) == dimension and low <= hypot(*row) <= FLOAT32_MAX
            for row in rows
        )
    except (TypeError, ValueError, OverflowError):  # not numbers: the exact check explains
        return False


#: Inferred dtypes of rows holding only Python floats / ints (what botocore accepts).
_PLAIN_DTYPES = (np.dtype(np.float64), np.dtype(np.int64))


def _checked_blocks(
    vectors: Sequence[Sequence[float]] | npt.NDArray[Any],
    dimension: int,
    distance_metric: str,
    where: Callable[[int], str],
) -> Iterator[tuple[int, npt.NDArray[Any]]]:
    """``(start, block)`` of checked rows; raises for the first bad row."""
    for start in range(0, len(vectors), _CHECK_ROWS):
        rows = vectors[start : start + _CHECK_ROWS]
        block = _checked_block(rows, dimension, distance_metric)
        if block is None:
            for offset in range(len(rows)):  # raises for the first bad row
                validate_vector(
                    rows[offset],
                    dimension=dimension,
                    distance_metric=distance_metric,
                    where=where(start + offset),
                )
            msg = f"{where(start)}: the embeddings could not be read as numbers"
            raise InvalidInputError(msg)  # pragma: no cover - validate_vector raised
        yield start, block


def _checked_block(
    rows: Sequence[Sequence[float]] | npt.NDArray[Any], dimension: int, distance_metric: str
) -> npt.NDArray[Any] | None:
    """``rows`` as a 2-D array when every row passes, else ``None``."""
    if not limits.MIN_DIMENSION <= dimension <= limits.MAX_DIMENSION:
        return None
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            block = np.asarray(rows)
            if block.dtype.kind not in "fiub":
                # e.g. numeric strings: converted, as validate_vector does, and kept as
                # objects so that checked_rows does not take them for plain numbers
                block = np.asarray(rows, dtype=np.float64).astype(object)
    except (TypeError, ValueError):
        return None
    if block.ndim != 2 or block.shape[1] != dimension:  # noqa: PLR2004 - a matrix
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        wide = block.astype(np.float64, copy=False)
    return block if _rows_ok(wide, distance_metric) else None  # in its inferred dtype


def _rows_ok(block: npt.NDArray[Any], distance_metric: str) -> bool:
    """Whether every value is a finite float32 and (cosine) no row is zero."""
    if not block.size:
        return True
    # NaN propagates through max and min, so these two reductions (no temporary
    # arrays) also reject non-finite values.
    if not (block.max() <= FLOAT32_MAX and block.min() >= -FLOAT32_MAX):
        return False
    return distance_metric != "cosine" or bool(block.any(axis=1).all())


def _check_value(key: str, value: object, where: str) -> None:
    prefix = f"{where}: " if where else ""
    if isinstance(value, float) and not math.isfinite(value):
        msg = f"{prefix}metadata {key!r} is {value!r}; S3 Vectors stores finite numbers only"
        raise InvalidInputError(msg)
    if isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, list):
        for item in value:
            if isinstance(item, (list, dict)) or item is None:
                msg = (
                    f"{prefix}metadata {key!r} holds a list containing {_short(item)}; list "
                    "elements must be strings, numbers or booleans. Flatten the list or store "
                    "it as a JSON string"
                )
                raise InvalidInputError(msg)
            _check_value(key, item, where)
        return
    kind = "None" if value is None else type(value).__name__
    fix = {
        "None": "drop the key or store a sentinel such as an empty string",
        "dict": "flatten it into several keys or store it as a JSON string",
        "tuple": "pass a list instead",
    }.get(kind, "convert it to a string, number, boolean or list of those")
    msg = (
        f"{prefix}metadata {key!r} has a value of type {kind} ({_short(value)}); S3 Vectors "
        f"metadata values are strings, numbers, booleans or lists of those: {fix}"
    )
    raise InvalidInputError(msg)


def validate_metadata(
    metadata: Mapping[str, Any],
    *,
    page_content_key: str = DEFAULT_PAGE_CONTENT_KEY,
    non_filterable_keys: Collection[str] = (),
    where: str = "",
) -> None:
    """Check a vector's full metadata (user metadata plus the page content key).

    Args:
        metadata: The metadata exactly as it will be sent.
        page_content_key: The reserved page content key (non-filterable).
        non_filterable_keys: The index's other non-filterable keys.
        where: Which document it belongs to, for the message.

    Raises:
        InvalidInputError: A value of an unsupported type, a key too long, too many
            keys, more than 40 KB in total or more than 2 KB filterable.

    Example:
        >>> validate_metadata({"tags": ["a", "b"], "n": 1})
        >>> validate_metadata({"nested": {"a": 1}})
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: metadata 'nested' has a value ...
    """
    prefix = f"{where}: " if where else ""
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            msg = f"{prefix}metadata key {_short(key)} must be a non-empty string"
            raise InvalidInputError(msg)
        if len(key) > limits.METADATA_KEY_MAX_LENGTH:
            msg = (
                f"{prefix}metadata key {_short(key)} has {len(key)} characters; S3 Vectors "
                f"allows at most {limits.METADATA_KEY_MAX_LENGTH}. Rename the key"
            )
            raise InvalidInputError(msg)
        _check_value(key, value, where)
    if len(metadata) > limits.MAX_METADATA_KEYS:
        msg = (
            f"{prefix}metadata has {len(metadata)} keys (including {page_content_key!r}); "
            f"S3 Vectors allows at most {limits.MAX_METADATA_KEYS}. Drop keys or combine them "
            "into one JSON string"
        )
        raise InvalidInputError(msg)
    budget = limits.MAX_FILTERABLE_METADATA_BYTES
    total = _metadata_size(metadata, budget)  # exact unless it is within the budget
    if total <= budget:
        return  # within both limits: the filterable part is no larger than the whole
    if total > limits.MAX_METADATA_BYTES:
        msg = (
            f"{prefix}metadata (with the page content) is {total} bytes of UTF-8 JSON; S3 "
            f"Vectors allows {limits.MAX_METADATA_BYTES} bytes per vector. Split the document "
            "into smaller chunks or drop large metadata values"
        )
        raise InvalidInputError(msg)
    excluded = {page_content_key, *non_filterable_keys}
    filterable = {k: v for k, v in metadata.items() if k not in excluded}
    size = json_size(filterable)
    if size > limits.MAX_FILTERABLE_METADATA_BYTES:
        largest = max(filterable, key=lambda k: json_size({k: filterable[k]}))
        msg = (
            f"{prefix}filterable metadata is {size} bytes of UTF-8 JSON; S3 Vectors allows "
            f"{limits.MAX_FILTERABLE_METADATA_BYTES}. The largest value is under {largest!r}: "
            "move large values under non_filterable_metadata_keys (set when the index is "
            "created) or shorten them"
        )
        raise InvalidInputError(msg)


@dataclass
class RecordCodec:
    """Turns documents into S3 Vectors records and back, checking limits.

    Attributes:
        dimension: The index dimension, or ``None`` while unknown.
        distance_metric: ``"cosine"`` or ``"euclidean"``.
        page_content_key: Reserved metadata key holding the page content.
        non_filterable_keys: Other non-filterable metadata keys of the index.

    Example:
        >>> codec = RecordCodec(dimension=3, page_content_key="text")
        >>> codec.encode("a", "hi", {}, [1, 0, 0])["metadata"]
        {'text': 'hi'}
    """

    dimension: int | None = None
    distance_metric: str = "cosine"
    page_content_key: str = DEFAULT_PAGE_CONTENT_KEY
    non_filterable_keys: frozenset[str] = field(default_factory=frozenset)

    def check_user_metadata(self, metadata: Mapping[str, Any], *, where: str = "") -> None:
        """Reject user metadata that uses the reserved page content key.

        Raises:
            InvalidInputError: The metadata is not a mapping or uses the reserved key.
        """
        prefix = f"{where}: " if where else ""
        if type(metadata) is not dict and not isinstance(metadata, Mapping):
            msg = f"{prefix}metadata must be a dict, got {type(metadata).__name__}"
            raise InvalidInputError(msg)
        if self.page_content_key in metadata:
            msg = (
                f"{prefix}metadata uses the reserved key {self.page_content_key!r}, which holds "
                "the page content. Rename that metadata key, or create the store with another "
                "page_content_key"
            )
            raise InvalidInputError(msg)

    def build_metadata(
        self, text: str, metadata: Mapping[str, Any] | None, *, where: str = ""
    ) -> dict[str, Any]:
        """Return the metadata to store (a new dict), checked against the limits.

        Raises:
            InvalidInputError: The metadata breaks a rule; nothing should be written.
        """
        user = {} if metadata is None else metadata
        self.check_user_metadata(user, where=where)
        if not isinstance(text, str):
            prefix = f"{where}: " if where else ""
            msg = f"{prefix}page content must be a string, got {type(text).__name__}"
            raise InvalidInputError(msg)
        stored = {**user, self.page_content_key: text}
        validate_metadata(
            stored,
            page_content_key=self.page_content_key,
            non_filterable_keys=self.non_filterable_keys,
            where=where,
        )
        return stored

    def encode(
        self,
        key: str,
        text: str,
        metadata: Mapping[str, Any] | None,
        vector: Sequence[float],
        *,
        where: str = "",
        metadata_checked: bool = False,
    ) -> dict[str, Any]:
        """Build one PutVectors record.

        Args:
            key: The document id.
            text: The page content.
            metadata: The user metadata (not modified).
            vector: The embedding.
            where: Which document this is, for error messages.
            metadata_checked: The key and metadata already passed :func:`validate_key`
                and :meth:`build_metadata` with this codec's keys; only the vector is
                checked.

        Returns:
            ``{"key", "data": {"float32": [...]}, "metadata"}``.

        Raises:
            InvalidInputError: The document breaks a service limit.
        """
        label = where or f"document {key!r}"
        if metadata_checked:
            stored = {**(metadata or {}), self.page_content_key: text}
        else:
            validate_key(key, where=label)
            stored = self.build_metadata(text, metadata, where=label)
        values = validate_vector(
            vector, dimension=self.dimension, distance_metric=self.distance_metric, where=label
        )
        return {"key": key, "data": {"float32": values}, "metadata": stored}

    def decode(self, record: Mapping[str, Any]) -> Document:
        """Turn a record returned by the service into a Document (``id`` set).

        Example:
            >>> RecordCodec().decode({"key": "k", "metadata": {"_page_content": "x"}})
            Document(id='k', metadata={}, page_content='x')
        """
        metadata = dict(record.get("metadata") or {})
        text = metadata.pop(self.page_content_key, "")
        if not isinstance(text, str):
            text = str(text)
        return Document(id=str(record["key"]), page_content=text, metadata=metadata)

    def vector_of(self, record: Mapping[str, Any]) -> list[float] | None:
        """Return a record's vector when the response carried it.

        Example:
            >>> RecordCodec().vector_of({"key": "k", "data": {"float32": [1.0]}})
            [1.0]
        """
        data = record.get("data") or {}
        values = data.get("float32")
        return None if values is None else [float(v) for v in values]
