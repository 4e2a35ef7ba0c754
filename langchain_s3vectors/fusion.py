"""How hybrid search fuses the vector and the BM25 ranking: :class:`HybridSearchConfig`.

Two fusions are on offer:

* ``"relative_score"`` (the default): the store asks S3 Vectors for the ``fetch_k``
  best hybrid candidates with their scores (one QueryVectors call with the query
  vector, the query text and ``returnScores``: the service's RRF top ``fetch_k``,
  each with its vector distance and BM25 score), scales each method's scores to
  [0, 1] over the candidates it scored (min-max: the best scores 1, the worst 0),
  and re-ranks them by ``vector_weight * vector + (1 - vector_weight) * bm25``; a
  candidate a method did not score gets 0 from it. Unlike rank fusion, how far ahead
  a result is counts: a confident BM25 match on an exact term is not pulled down by
  a list of near-tied vector similarities, nor the other way round.
* ``"rrf"``: the service's own Reciprocal Rank Fusion, one QueryVectors call with
  both the query vector and the query text (``1 / (60 + rank)`` summed over the two
  rankings, equal weights).

Example:
    >>> config = HybridSearchConfig(vector_weight=0.5)
    >>> config.fusion, config.vector_weight
    ('relative_score', 0.5)
    >>> relative_score_fusion([("a", -0.1), ("b", -0.3)], [("b", 7.0), ("c", 2.0)], 0.5)
    [('a', 0.5), ('b', 0.5), ('c', 0.0)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from langchain_s3vectors import limits
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.search import bm25_score

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from langchain_core.documents import Document

    from langchain_s3vectors.records import RecordCodec

__all__ = [
    "DEFAULT_FETCH_K",
    "DEFAULT_VECTOR_WEIGHT",
    "Fusion",
    "HybridPlan",
    "HybridSearchConfig",
    "fuse_results",
    "hybrid_config",
    "relative_score_fusion",
]

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
