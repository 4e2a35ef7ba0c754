"""The store's read side: QueryVectors requests, relevance scores, MMR and result shaping.

* :func:`query_request` builds a checked QueryVectors request (vector, text or both).
* :func:`cosine_relevance_score` and :func:`euclidean_relevance_score` turn distances
  into relevance in [0, 1].
* :func:`with_distance`, :func:`scored` and :func:`mmr_select` turn results into
  LangChain documents with their distance, BM25 or fused score, or a diverse subset.
* :func:`text_search_ready` says whether full-text search can run on an index, and
  :func:`untokenised_notice` why a text query in an unsplit script matched nothing.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from langchain_s3vectors import limits
from langchain_s3vectors.checks import check_k, check_unicode
from langchain_s3vectors.errors import (
    DimensionMismatchError,
    InvalidFilterError,
    InvalidInputError,
    TextSearchNotEnabledError,
)
from langchain_s3vectors.filters import FilterError, normalize_filter, validate_filter

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence

    from langchain_core.documents import Document

    from langchain_s3vectors.index import S3VectorsIndex
    from langchain_s3vectors.records import RecordCodec

__all__ = [
    "RELEVANCE",
    "above_threshold",
    "bm25_score",
    "checked_filter",
    "cosine_relevance_score",
    "euclidean_relevance_score",
    "mmr_select",
    "query_request",
    "scored",
    "text_search_ready",
    "untokenised_notice",
    "with_distance",
]

logger = logging.getLogger(__name__)


def cosine_relevance_score(distance: float) -> float:
    """Relevance in [0, 1] from a cosine distance (``1 - cos``, in [0, 2]).

    ``1 - distance / 2`` equals ``(1 + cos) / 2``: 1 for the same direction, 0.5 for
    orthogonal vectors, 0 for opposite ones.

    Example:
        >>> cosine_relevance_score(0.0), cosine_relevance_score(1.0), cosine_relevance_score(2.0)
        (1.0, 0.5, 0.0)
    """
    return min(1.0, max(0.0, 1.0 - distance / 2.0))


def euclidean_relevance_score(distance: float) -> float:
    """Relevance in [0, 1] from a Euclidean (L2) distance.

    For unit vectors ``distance**2 == 2 - 2 cos``, so ``1 - distance**2 / 4`` equals
    ``(1 + cos) / 2``: the same score the cosine metric gives, 1 for identical vectors
    and 0 for opposite ones (distance 2). The popular ``1 - distance / sqrt(2)`` goes
    negative past orthogonal vectors; this does not. Vectors that are not normalised
    can lie further apart than 2 and then score 0 (clipped); pass
    ``relevance_score_fn=`` to the store for another scale.

    Example:
        >>> euclidean_relevance_score(0.0), round(euclidean_relevance_score(2**0.5), 6)
        (1.0, 0.5)
    """
    return min(1.0, max(0.0, 1.0 - (distance * distance) / 4.0))


#: The default distance -> relevance function of each distance metric.
RELEVANCE: dict[str, Callable[[float], float]] = {
    "cosine": cosine_relevance_score,
    "euclidean": euclidean_relevance_score,
}


def above_threshold(
    hits: list[tuple[Document, float]], threshold: float | None
) -> list[tuple[Document, float]]:
    """The (document, relevance) pairs at or above ``threshold`` (all when ``None``).

    Warns, as LangChain's ``VectorStore`` does, when a relevance falls outside [0, 1]
    (a custom ``relevance_score_fn`` with another scale).

    Example:
        >>> from langchain_core.documents import Document
        >>> hits = [(Document("a"), 0.9), (Document("b"), 0.4)]
        >>> [doc.page_content for doc, _ in above_threshold(hits, 0.5)]
        ['a']
    """
    if any(not 0.0 <= score <= 1.0 for _, score in hits):
        warnings.warn(
            f"Relevance scores must be between 0 and 1, got {[s for _, s in hits]}; "
            "check relevance_score_fn",
            UserWarning,
            stacklevel=3,
        )
    if threshold is None:
        return hits
    kept = [(doc, score) for doc, score in hits if score >= threshold]
    if not kept:
        logger.warning("No document reached the relevance score threshold %s", threshold)
    return kept


def checked_filter(
    flt: Mapping[str, Any] | None, non_filterable: Collection[str]
) -> dict[str, Any] | None:
    """``flt`` validated (no non-filterable key) and normalised, or ``None``.

    Raises:
        InvalidFilterError: The filter is malformed or uses a non-filterable key.
    """
    if flt is None:
        return None
    try:
        validate_filter(flt, non_filterable=non_filterable)
        return normalize_filter(flt)
    except FilterError as exc:
        raise InvalidFilterError(str(exc)) from exc


def _query_vector(
    vector: Sequence[float], dimension: int | None, resource: str
) -> dict[str, list[float]]:
    values = [float(v) for v in vector]
    if not all(math.isfinite(v) for v in values):
        msg = "the query embedding has a non-finite value; check the embedding model"
        raise InvalidInputError(msg)
    if dimension is not None and len(values) != dimension:
        msg = (
            f"the query embedding has {len(values)} dimensions but {resource} has "
            f"{dimension}; use the embedding model the index was built with"
        )
        raise DimensionMismatchError(msg)
    return {"float32": values}


def _query_texts(text: str, page_content_key: str) -> list[dict[str, str]]:
    if not text.strip():
        msg = "full-text query must contain some text"
        raise InvalidInputError(msg)
    check_unicode(text, "the query")
    return [{"text": text[: limits.QUERY_TEXT_MAX_LENGTH], "metadataKey": page_content_key}]


def query_request(
    k: int,
    flt: Mapping[str, Any] | None,
    codec: RecordCodec,
    resource: str,
    *,
    vector: Sequence[float] | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    """A checked QueryVectors request, without bucket, index and ``topK``.

    Args:
        k: Results wanted (checked against the service's top-k limit).
        flt: A metadata filter (checked with :func:`checked_filter`).
        codec: Gives the index dimension, the page content key and the keys a
            filter may not use.
        resource: The index, as error messages name it.
        vector: The query vector, for a vector (or hybrid) query.
        text: The query text, for a full-text (or hybrid) query.

    Raises:
        InvalidInputError: A bad ``k``, a non-finite vector or an empty text.
        DimensionMismatchError: The vector does not have the index's dimension.
        InvalidFilterError: A bad filter.
    """
    check_k(k)
    request: dict[str, Any] = {"returnMetadata": True}
    if vector is not None:
        request["queryVector"] = _query_vector(vector, codec.dimension, resource)
        request["returnDistance"] = True
    if text is not None:
        request["queryTexts"] = _query_texts(text, codec.page_content_key)
        request["returnScores"] = True
    normalized = checked_filter(flt, codec.non_filterable_keys)
    if normalized is not None:
        request["filter"] = normalized
    return request


def with_distance(
    results: list[dict[str, Any]], codec: RecordCodec
) -> list[tuple[Document, float]]:
    """(document, distance) pairs of QueryVectors results."""
    return [(codec.decode(r), float(r.get("distance", 0.0))) for r in results]


def scored(
    results: list[dict[str, Any]], codec: RecordCodec, *, hybrid: bool
) -> list[tuple[Document, float]]:
    """(document, score) pairs: the fused score of a hybrid query, else the page content's BM25."""
    out = []
    for r in results:
        if hybrid:
            score = float((r.get("scores") or {}).get("fused", 0.0))
        else:
            score = bm25_score(r, codec.page_content_key)
        out.append((codec.decode(r), score))
    return out


def bm25_score(result: Mapping[str, Any], page_content_key: str) -> float:
    """The BM25 score of a QueryVectors result on the page content (0 without one).

    Example:
        >>> bm25_score({"scores": {"bm25Scores": [{"metadataKey": "t", "score": 2.5}]}}, "t")
        2.5
    """
    scores = result.get("scores") or {}
    return sum(
        float(s.get("score", 0.0))
        for s in scores.get("bm25Scores") or []
        if s.get("metadataKey") == page_content_key
    )


def mmr_select(
    embedding: Sequence[float],
    results: list[dict[str, Any]],
    stored: Mapping[str, Mapping[str, Any]],
    codec: RecordCodec,
    *,
    k: int,
    lambda_mult: float,
) -> list[Document]:
    """Up to ``k`` of ``results`` chosen by maximal marginal relevance.

    Args:
        embedding: The query vector.
        results: QueryVectors results, nearest first.
        stored: GetVectors records (with data) by key; results missing from it, or
            without a vector, are left out.
        codec: Decodes records.
        k: Documents wanted.
        lambda_mult: 1 for relevance only, 0 for diversity only.
    """
    kept = [(r, codec.vector_of(stored[r["key"]])) for r in results if r["key"] in stored]
    pairs = [(r, v) for r, v in kept if v is not None]
    if not pairs:
        return []
    chosen = maximal_marginal_relevance(
        np.asarray(embedding, dtype=np.float32),
        [v for _, v in pairs],
        lambda_mult=lambda_mult,
        k=min(k, len(pairs)),
    )
    return [codec.decode(pairs[i][0]) for i in chosen]


_CJK_RUN = re.compile(limits.CJK_RUN_PATTERN)


def untokenised_notice(
    index: S3VectorsIndex,
    page_content_key: str,
    query: str,
    results: Sequence[Mapping[str, Any]],
    *,
    hybrid: bool,
) -> str | None:
    """Why a text query matched nothing, when its language is the reason; else ``None``.

    A query in Chinese, Japanese or Korean script that no document matched, on an index
    whose page content is analysed in another language (or by the standard analyser),
    which does not split such text into words. For a hybrid search, "matched nothing"
    means no result has a BM25 score: the search ran on vectors alone.
    """
    if not _CJK_RUN.search(query):
        return None
    language = (index.text_search_config(page_content_key) or {}).get("language")
    if language in limits.CJK_TEXT_SEARCH_LANGUAGES:
        return None
    if any(_bm25(result, page_content_key) > 0 for result in results):
        return None
    analyser = f"language {language!r}" if language else "the standard analyser"
    what = "hybrid search ran on vectors alone" if hybrid else "full-text search matched nothing"
    return (
        f"{what}: {index.resource} analyses {page_content_key!r} with {analyser}, which does "
        "not split Chinese, Japanese or Korean text into words. For such documents, create a "
        "new index with text_search_language 'zh', 'ja' or 'ko' (TEXT_SEARCH_LANGUAGE, or "
        "s3vectors-rag --text-search-language) and ingest them into it"
    )


def _bm25(result: Mapping[str, Any], page_content_key: str) -> float:
    scores = result.get("scores") or {}
    return sum(
        float(s.get("score", 0.0))
        for s in scores.get("bm25Scores") or []
        if s.get("metadataKey") == page_content_key
    )


def text_search_ready(index: S3VectorsIndex, page_content_key: str) -> bool:
    """Whether ``index`` exists; raises when it has no text search on the page content.

    Raises:
        TextSearchNotEnabledError: The index has no text search on ``page_content_key``.
    """
    info = index.description
    if info is None or index.text_search_config(page_content_key) is None:
        info = index.info()  # the configuration may have changed elsewhere
    if info is None:
        return False
    if index.text_search_config(page_content_key) is None:
        msg = (
            f"{index.resource} has no full-text search on {page_content_key!r}. Enable it "
            "in place with store.enable_text_search(language='en') (the service backfills "
            "existing vectors), or create the index with text_search_language set"
        )
        raise TextSearchNotEnabledError(msg)
    return True
