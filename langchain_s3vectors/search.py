"""The store's read side: QueryVectors requests, relevance scores, MMR, hybrid fusion.

* :func:`query_request` builds a checked QueryVectors request (vector, text or both);
  :func:`with_query_vector` adds the query vector to one built before embedding.
* :func:`cosine_relevance_score` and :func:`euclidean_relevance_score` turn distances
  into relevance in [0, 1].
* :func:`with_distance`, :func:`scored` and :func:`mmr_select` turn results into
  LangChain documents with their distance, BM25 or fused score, or a diverse subset.
* :func:`text_search_ready` says whether full-text search can run on an index, and
  :func:`untokenised_notice` why a text query in an unsplit script matched nothing.
* :class:`HybridSearchConfig` says how hybrid search fuses the vector and the BM25
  ranking, and :func:`fuse_results` does it.

Hybrid search fuses by relative score by default: the service's ``fetch_k`` best hybrid
candidates (one QueryVectors call with ``returnScores``), each method's scores min-max
scaled to [0, 1] and weighted, so how far ahead a result is counts, not only its rank
(a confident BM25 match on an exact term is not pulled down by near-tied vector
similarities, nor the other way round); ``"rrf"`` is the service's own Reciprocal Rank
Fusion (``1 / (60 + rank)`` summed over the two rankings).

Example:
    >>> config = HybridSearchConfig(vector_weight=0.5)
    >>> config.fusion, config.vector_weight
    ('relative_score', 0.5)
    >>> relative_score_fusion([("a", -0.1), ("b", -0.3)], [("b", 7.0), ("c", 2.0)], 0.5)
    [('a', 0.5), ('b', 0.5), ('c', 0.0)]
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

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
    "DEFAULT_FETCH_K",
    "DEFAULT_VECTOR_WEIGHT",
    "RELEVANCE",
    "Fusion",
    "HybridPlan",
    "HybridSearchConfig",
    "above_threshold",
    "bm25_score",
    "checked_filter",
    "cosine_relevance_score",
    "euclidean_relevance_score",
    "fuse_results",
    "hybrid_config",
    "mmr_select",
    "query_request",
    "relative_score_fusion",
    "scored",
    "text_search_ready",
    "untokenised_notice",
    "with_distance",
    "with_query_vector",
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
        with_query_vector(request, vector, codec.dimension, resource)
    if text is not None:
        request["queryTexts"] = _query_texts(text, codec.page_content_key)
        request["returnScores"] = True
    normalized = checked_filter(flt, codec.non_filterable_keys)
    if normalized is not None:
        request["filter"] = normalized
    return request


def with_query_vector(
    request: dict[str, Any], vector: Sequence[float], dimension: int | None, resource: str
) -> dict[str, Any]:
    """``request`` (from :func:`query_request`) with the checked query vector; returns it.

    A text query is checked before it is embedded, and its vector added after.

    Raises:
        InvalidInputError: A non-finite value.
        DimensionMismatchError: The vector does not have ``dimension`` values.

    Example:
        >>> with_query_vector({"returnMetadata": True}, [1, 0], 2, "index 'docs'")
        {'returnMetadata': True, 'queryVector': {'float32': [1.0, 0.0]}, 'returnDistance': True}
    """
    request["queryVector"] = _query_vector(vector, dimension, resource)
    request["returnDistance"] = True
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
    key = codec.page_content_key
    return [(codec.decode(r), _fused(r) if hybrid else bm25_score(r, key)) for r in results]


def _fused(result: Mapping[str, Any]) -> float:
    return float((result.get("scores") or {}).get("fused", 0.0))


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
    if any(bm25_score(result, page_content_key) > 0 for result in results):
        return None
    analyser = f"language {language!r}" if language else "the standard analyser"
    what = "hybrid search ran on vectors alone" if hybrid else "full-text search matched nothing"
    return (
        f"{what}: {index.resource} analyses {page_content_key!r} with {analyser}, which does "
        "not split Chinese, Japanese or Korean text into words. For such documents, create a "
        "new index with text_search_language 'zh', 'ja' or 'ko' (TEXT_SEARCH_LANGUAGE, or "
        "s3vectors-rag --text-search-language) and ingest them into it"
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


#: The fusions :class:`HybridSearchConfig` accepts.
Fusion = Literal["relative_score", "rrf"]

#: The vector's share of a relative-score fusion, chosen with :data:`DEFAULT_FETCH_K`
#: on the package's retrieval benchmark (``benchmarks/retrieval_quality.py --sweep``,
#: weights 0..1 by 0.05, fetch_k 10/20/50/100): the setting whose worst MRR@10 gap to
#: the better of vector and full-text search, over every corpus and query kind, is
#: smallest; among those, the smallest fetch_k within 0.005 of the best mean MRR@10.
DEFAULT_VECTOR_WEIGHT = 0.45

#: Candidates a relative-score fusion re-ranks by default.
DEFAULT_FETCH_K = 20


@dataclass(frozen=True)
class HybridSearchConfig:
    """How hybrid search fuses the vector and the full-text (BM25) ranking.

    Pass it to ``hybrid_search`` / ``ahybrid_search`` as ``config=``, or to a retriever
    as ``search_kwargs={"config": ...}`` (a dict with the same fields works too).

    Attributes:
        fusion: ``"relative_score"`` (default): min-max scaled vector similarities and
            BM25 scores, weighted and summed, over the service's ``fetch_k`` best
            hybrid candidates (one QueryVectors call with ``returnScores``); the score
            returned is that sum, in [0, 1].
            ``"rrf"``: the service's Reciprocal Rank Fusion (one QueryVectors call;
            ``fetch_k`` does not apply); the score returned is the service's fused
            score.
        vector_weight: The vector's share of a relative-score fusion, in [0, 1]; the
            BM25 score gets the rest. 1 ranks by vector alone, 0 by BM25 alone (each
            over the union of both candidate lists). Ignored by ``"rrf"``.

    Example:
        >>> HybridSearchConfig(fusion="rrf")
        HybridSearchConfig(fusion='rrf', vector_weight=0.45)
        >>> HybridSearchConfig(vector_weight=2)
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: HybridSearchConfig.vector_weight=2 ...
    """

    fusion: Fusion = "relative_score"
    vector_weight: float = DEFAULT_VECTOR_WEIGHT

    def __post_init__(self) -> None:
        """Reject an unknown fusion or a weight outside [0, 1]."""
        if self.fusion not in get_args(Fusion):
            choices = " or ".join(repr(f) for f in get_args(Fusion))
            msg = f"HybridSearchConfig.fusion={self.fusion!r} is unknown; use {choices}"
            raise InvalidInputError(msg)
        weight = self.vector_weight
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not math.isfinite(weight)
            or not 0.0 <= weight <= 1.0
        ):
            msg = (
                f"HybridSearchConfig.vector_weight={weight!r} is not a number in [0, 1]; "
                "pass a weight such as 0.5"
            )
            raise InvalidInputError(msg)


def hybrid_config(value: HybridSearchConfig | Mapping[str, Any] | None) -> HybridSearchConfig:
    """``value`` as a :class:`HybridSearchConfig` (``None``: the default).

    Example:
        >>> hybrid_config({"fusion": "rrf"}).fusion
        'rrf'
        >>> hybrid_config(None) == HybridSearchConfig()
        True

    Raises:
        InvalidInputError: ``value`` is neither a config nor a dict of its fields.
    """
    if value is None:
        return HybridSearchConfig()
    if isinstance(value, HybridSearchConfig):
        return value
    fields = ("fusion", "vector_weight")
    if not isinstance(value, dict) or not set(value) <= set(fields):
        msg = (
            f"config={value!r} is not a hybrid search config; pass "
            "HybridSearchConfig(fusion=..., vector_weight=...) or a dict with those keys"
        )
        raise InvalidInputError(msg)
    return HybridSearchConfig(**value)


def _scaled(ranking: Sequence[tuple[str, float]]) -> dict[str, float]:
    """Min-max scaled scores (higher is better) of one ranking: best 1, worst 0.

    When every candidate scores the same (one candidate, say), all of them score 1:
    nothing this method saw ranks above them.
    """
    if not ranking:
        return {}
    scores = [s for _, s in ranking]
    low, high = min(scores), max(scores)
    span = high - low
    return {key: (s - low) / span if span > 0 else 1.0 for key, s in ranking}


def relative_score_fusion(
    vector: Sequence[tuple[str, float]],
    text: Sequence[tuple[str, float]],
    vector_weight: float,
) -> list[tuple[str, float]]:
    """Fuse a vector and a BM25 ranking by their min-max scaled scores.

    Args:
        vector: (key, similarity) pairs, best first; any scale where higher is
            closer (the negated distance, say).
        text: (key, BM25 score) pairs, best first.
        vector_weight: The vector's share in [0, 1]; BM25 gets the rest.

    Returns:
        (key, fused score in [0, 1]) for every key of either ranking, best first.
        Ties go to the better vector rank, then the better BM25 rank, then the key,
        so the order never depends on anything but the two rankings. With no BM25
        match the order is the vector ranking; with no vector candidate it is the
        BM25 ranking.

    Example:
        >>> relative_score_fusion([("a", -0.2), ("b", -0.4)], [], 0.7)
        [('a', 0.7), ('b', 0.0)]
    """
    vec, txt = _scaled(vector), _scaled(text)
    unranked = len(vector) + len(text)
    vec_rank = {key: i for i, (key, _) in enumerate(vector)}
    txt_rank = {key: i for i, (key, _) in enumerate(text)}
    fused = {
        key: vector_weight * vec.get(key, 0.0) + (1.0 - vector_weight) * txt.get(key, 0.0)
        for key in (*vec_rank, *txt_rank)
    }
    order = sorted(
        fused,
        key=lambda key: (
            -fused[key],
            vec_rank.get(key, unranked),
            txt_rank.get(key, unranked),
            key,
        ),
    )
    return [(key, fused[key]) for key in order]


@dataclass(frozen=True)
class HybridPlan:
    """The checked arguments of one hybrid search.

    Attributes:
        query: The query text.
        k: Documents wanted.
        flt: The metadata filter, as given.
        depth: Candidates a relative-score fusion re-ranks (``max(fetch_k, k)``).
        config: The fusion.
    """

    query: str
    k: int
    flt: Mapping[str, Any] | None
    depth: int
    config: HybridSearchConfig

    @classmethod
    def checked(
        cls,
        query: str,
        k: int,
        flt: Mapping[str, Any] | None,
        fetch_k: object,
        config: HybridSearchConfig | Mapping[str, Any] | None,
    ) -> HybridPlan:
        """A plan, or :class:`InvalidInputError` for a bad ``fetch_k`` or ``config``.

        Example:
            >>> HybridPlan.checked("q", 10, None, 5, None).depth
            10
        """
        if not isinstance(fetch_k, int) or isinstance(fetch_k, bool) or fetch_k < 1:
            msg = f"fetch_k must be a positive integer, got {fetch_k!r}"
            raise InvalidInputError(msg)
        if fetch_k > limits.MAX_TOP_K:
            msg = f"fetch_k={fetch_k} is more than a query returns; use <= {limits.MAX_TOP_K}"
            raise InvalidInputError(msg)
        return cls(query, k, flt, max(fetch_k, k), hybrid_config(config))


def fuse_results(
    results: Sequence[Mapping[str, Any]],
    codec: RecordCodec,
    vector_weight: float,
    k: int,
) -> list[tuple[Document, float]]:
    """The ``k`` best (document, fused score) of a hybrid QueryVectors answer, re-ranked.

    Args:
        results: The results of one QueryVectors call with both ``queryVector`` and
            ``queryTexts`` and ``returnScores``: the service's RRF candidates, each
            with the ``vectorDistance`` and ``bm25Scores`` the service found for it.
            A result without a vector distance (or without a BM25 score on the page
            content) is not a candidate of that method.
        codec: Decodes records and names the page content key.
        vector_weight: The vector's share (see :func:`relative_score_fusion`).
        k: Documents wanted.
    """
    by_key = {r["key"]: r for r in results}
    vector: list[tuple[str, float]] = []
    text: list[tuple[str, float]] = []
    for r in results:
        scores = r.get("scores") or {}
        distance = scores.get("vectorDistance", r.get("distance"))
        if distance is not None:
            vector.append((r["key"], -float(distance)))
        if any(
            s.get("metadataKey") == codec.page_content_key for s in scores.get("bm25Scores") or []
        ):
            text.append((r["key"], bm25_score(r, codec.page_content_key)))
    vector.sort(key=lambda pair: -pair[1])  # stable: the service's order breaks ties
    text.sort(key=lambda pair: -pair[1])
    ranked = relative_score_fusion(vector, text, vector_weight)
    return [(codec.decode(by_key[key]), score) for key, score in ranked[:k]]
