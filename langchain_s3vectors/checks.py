"""Pre-flight checks: every input refused with one clear line before any call.

The store runs these on a whole write (ids, embeddings, metadata) or a whole query
(``k``, the query text) before it sends anything, so bad input means nothing is
written. Each check raises :class:`~langchain_s3vectors.errors.InvalidInputError`
naming the input (``where``, e.g. ``"document 3"``) and the fix, against the service
limits in :mod:`langchain_s3vectors.limits`. :func:`checked_rows` and
:func:`validate_vectors` check many embeddings at once, with a fast path for the
lists of floats that LangChain embeddings return.

Example:
    >>> from langchain_s3vectors.checks import validate_key, validate_vector
    >>> validate_key("doc-1")
    'doc-1'
    >>> validate_vector([0.6, 0.8], dimension=2)
    [0.6, 0.8]
    >>> validate_vector([0.0, 0.0], dimension=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    langchain_s3vectors.errors.InvalidInputError: the embedding is the zero vector, ...
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from langchain_s3vectors import limits
from langchain_s3vectors.errors import DimensionMismatchError, InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

__all__ = [
    "FLOAT32_MAX",
    "check_index_matches",
    "check_k",
    "check_query_text",
    "check_unicode",
    "check_unique_ids",
    "checked_rows",
    "surrogate_message",
    "text_list",
    "validate_key",
    "validate_metadata",
    "validate_vector",
    "validate_vectors",
]

#: Largest finite float32.
FLOAT32_MAX = 3.4028234663852886e38

_MAX_REPR = 60


def surrogate_message(what: str, exc: UnicodeEncodeError) -> str:
    r"""The one-line refusal of a string that holds a lone surrogate.

    Example:
        >>> try:
        ...     "bad \ud800".encode("utf-8")
        ... except UnicodeEncodeError as exc:
        ...     print(surrogate_message("the query", exc))  # doctest: +ELLIPSIS
        the query contains a lone surrogate '\ud800', which is not valid Unicode ...
    """
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
        raise InvalidInputError(surrogate_message(what, exc)) from None


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


def check_index_matches(
    info: Mapping[str, Any], *, dimension: int | None, metric: str | None, resource: str
) -> None:
    """Refuse embeddings of another dimension, or a metric other than the index's.

    Args:
        info: GetIndex's ``index`` (``dimension`` and ``distanceMetric``).
        dimension: The embeddings' dimension (``None``: not known yet).
        metric: The distance metric asked for (``None``: whatever the index uses).
        resource: The index in words, for the message.

    Example:
        >>> check_index_matches({"dimension": 384}, dimension=384, metric=None, resource="")
    """
    have = int(info["dimension"])
    if dimension is not None and dimension != have:
        msg = (
            f"{resource} has dimension {have} but the embeddings have {dimension}; "
            "use the embedding model the index was built with, or a new index_name"
        )
        raise DimensionMismatchError(msg)
    used = info.get("distanceMetric")
    if metric is not None and used and used != metric:
        msg = (
            f"{resource} uses distance_metric={used!r}, not {metric!r}; pass "
            f"distance_metric={used!r} (or None) or use a new index_name"
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
    _check_finite_float32(array, prefix)
    if distance_metric == "cosine" and not array.any():
        msg = (
            f"{prefix}the embedding is the zero vector, which has no direction and is "
            "rejected by a cosine index; check the input text or use a euclidean index"
        )
        raise InvalidInputError(msg)
    values: list[float] = array.tolist()
    return values


def _check_finite_float32(array: npt.NDArray[np.float64], prefix: str) -> None:
    """Refuse the first value that is not finite or beyond the float32 range."""
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


def _metadata_size(metadata: Mapping[str, Any], limit: int) -> int:
    """The metadata's compact JSON size: exact whenever it decides ``<= limit``.

    The approximate size (orjson, when installed) prints everything but numbers byte
    for byte as ``json`` does; numbers differ by at most ``limits.JSON_NUMBER_SLACK``
    characters. It is used when even that slack per number cannot bring it over
    ``limit``, and the exact size otherwise.

    Raises:
        InvalidInputError: A string holds a lone surrogate.
    """
    try:
        approximate = limits.json_size(metadata, approximate=True)
        numbers = sum(len(v) if type(v) is list else type(v) is float for v in metadata.values())
        if approximate + limits.JSON_NUMBER_SLACK * numbers <= limit:
            return approximate
        return limits.json_size(dict(metadata))
    except UnicodeEncodeError as exc:
        raise InvalidInputError(surrogate_message("the text or metadata", exc)) from None


def validate_metadata(
    metadata: Mapping[str, Any],
    *,
    page_content_key: str | None = None,
    non_filterable_keys: Collection[str] = (),
    where: str = "",
) -> None:
    """Check a vector's full metadata (user metadata plus the page content key).

    Args:
        metadata: The metadata exactly as it will be sent.
        page_content_key: The reserved page content key (non-filterable), if the
            metadata holds one (:class:`~langchain_s3vectors.records.RecordCodec`
            passes its own).
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
        including = "" if page_content_key is None else f" (including {page_content_key!r})"
        msg = (
            f"{prefix}metadata has {len(metadata)} keys{including}; S3 Vectors allows at "
            f"most {limits.MAX_METADATA_KEYS}. Drop keys or combine them into one JSON string"
        )
        raise InvalidInputError(msg)
    budget = limits.MAX_FILTERABLE_METADATA_BYTES
    total = _metadata_size(metadata, budget)  # exact unless it is within the budget
    if total > budget:  # else within both limits: the filterable part is no larger
        _check_sizes(metadata, total, page_content_key, non_filterable_keys, prefix)


def _check_sizes(
    metadata: Mapping[str, Any],
    total: int,
    page_content_key: str | None,
    non_filterable_keys: Collection[str],
    prefix: str,
) -> None:
    """Refuse metadata of ``total`` bytes over 40 KB, or over 2 KB in its filterable keys."""
    if total > limits.MAX_METADATA_BYTES:
        msg = (
            f"{prefix}metadata (with the page content) is {total} bytes of UTF-8 JSON; S3 "
            f"Vectors allows {limits.MAX_METADATA_BYTES} bytes per vector. Split the document "
            "into smaller chunks or drop large metadata values"
        )
        raise InvalidInputError(msg)
    excluded = {*non_filterable_keys, *([] if page_content_key is None else [page_content_key])}
    filterable = {k: v for k, v in metadata.items() if k not in excluded}
    size = limits.json_size(filterable)  # a part of the whole, which encoded
    if size > limits.MAX_FILTERABLE_METADATA_BYTES:
        largest = max(filterable, key=lambda k: limits.json_size({k: filterable[k]}))
        msg = (
            f"{prefix}filterable metadata is {size} bytes of UTF-8 JSON; S3 Vectors allows "
            f"{limits.MAX_FILTERABLE_METADATA_BYTES}. The largest value is under {largest!r}: "
            "move large values under non_filterable_metadata_keys (set when the index is "
            "created) or shorten them"
        )
        raise InvalidInputError(msg)
