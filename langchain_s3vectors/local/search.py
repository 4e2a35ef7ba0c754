"""Search of the embedded S3 Vectors client: QueryVectors.

* **Vectors**: exact k-nearest neighbours over each index's in-memory matrix
  (:mod:`~langchain_s3vectors.local.cache`).
* **Filters**: evaluated over columnar views of the metadata *before* ranking
  (ENHANCED mode semantics; :mod:`~langchain_s3vectors.local.columns`). In CLASSIC
  mode the nearest vectors are found first and filtered afterwards.
* **Full text**: BM25 over one FTS5 table per text-searchable metadata key
  (:mod:`~langchain_s3vectors.local.fulltext`).
* **Hybrid**: Reciprocal Rank Fusion, ``fused = sum(1 / (RRF_K + rank))`` over the
  vector ranking and each text ranking (ranks from 1, ``RRF_K = 60``), each ranking
  cut to its best ``FUSION_DEPTH`` candidates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.limits import RRF_K
from langchain_s3vectors.local import fulltext_storage, storage
from langchain_s3vectors.local.context import Request, operation
from langchain_s3vectors.local.fulltext import bm25_ranking

if TYPE_CHECKING:
    import sqlite3

    from langchain_s3vectors.local.cache import IndexCache
    from langchain_s3vectors.local.context import Context

__all__ = ["FUSION_DEPTH", "SearchPlane", "rrf"]

#: How many candidates each ranking contributes to a hybrid fusion.
FUSION_DEPTH = 100


def rrf(rankings: list[list[str]], depth: int = FUSION_DEPTH) -> dict[str, float]:
    """Reciprocal Rank Fusion of several rankings (lists of keys, best first)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking[:depth], start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return fused


@dataclass
class _Ranking:
    """One query's ranking: keys best first, with distances and text scores."""

    order: list[str] = field(default_factory=list)
    distances: dict[str, float] = field(default_factory=dict)
    fused: dict[str, float] = field(default_factory=dict)
    bm25: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class _Query:
    """A checked QueryVectors request, against one index."""

    index: dict[str, Any]
    mode: str
    vector: Any
    texts: list[dict[str, Any]]
    fields: dict[str, tuple[str | None, str]]
    flt: Any


class SearchPlane:
    """QueryVectors: exact k-NN, full-text (BM25) or hybrid (RRF) search.

    Args:
        ctx: The store, the request checks, the responses and the index caches.
    """

    def __init__(self, ctx: Context) -> None:
        """Search the store of ``ctx``."""
        self._ctx = ctx

    @operation("QueryVectors", "index")
    def query_vectors(self, req: Request) -> dict[str, Any]:
        """QueryVectors.

        ``topK`` is the number of results in total (at most ``limits.MAX_TOP_K``); they
        come in pages of ``limits.QUERY_PAGE_SIZE`` linked by ``nextToken``, the last
        page carrying none (S3 User Guide, "Querying vectors").
        """
        ctx, op, kwargs, bucket, name = self._ctx, req.op, req.kwargs, req.bucket, req.index
        ctx.checks.query(op, kwargs)
        top_k = kwargs["topK"]
        with req.read() as (conn, index):
            query = self._checked(conn, op, index, kwargs)
            offset = 0
            if kwargs.get("nextToken"):
                scope = _token_scope(bucket, name, top_k, query)
                offset = int(ctx.checks.token(op, kwargs["nextToken"], scope)["offset"])
            stop = min(top_k, offset + limits.QUERY_PAGE_SIZE)
            ranked = self._rank(conn, query, stop, top_k)
            page = ranked.order[offset:stop]
            metadata: dict[str, Any] = {}
            if kwargs.get("returnMetadata") and page:
                metadata = {
                    key: json.loads(md) if md else {}
                    for key, md in storage.metadata_by_key(conn, query.index["id"], page)
                }
        results = [_query_item(key, kwargs, ranked, metadata, query.texts) for key in page]
        body: dict[str, Any] = {"vectors": results, "distanceMetric": query.index["metric"]}
        if stop < top_k and len(ranked.order) > stop:
            scope = _token_scope(bucket, name, top_k, query)
            body["nextToken"] = ctx.protocol.encode_token({"scope": scope, "offset": stop})
        return ctx.protocol.ok(body)

    def _checked(
        self, conn: sqlite3.Connection, op: str, index: dict[str, Any], kwargs: dict[str, Any]
    ) -> _Query:
        """The request checked against the index it names."""
        ctx = self._ctx
        mode = ctx.checks.query_mode(op, index, kwargs.get("queryMode"))
        flt = kwargs.get("filter")
        ctx.checks.query_filter(op, index, mode, flt)
        fields = fulltext_storage.text_fields(conn, index["id"])
        texts = kwargs.get("queryTexts") or []
        if texts:
            ctx.checks.query_texts(op, index, texts, fields)
        vector = ctx.checks.query_vector(op, index, kwargs.get("queryVector"))
        return _Query(index, mode, vector, texts, fields, flt)

    def _rank(self, conn: sqlite3.Connection, query: _Query, want: int, top_k: int) -> _Ranking:
        """Rank the index for a query, at least ``want`` deep (all of it for text).

        ``top_k``: the whole request's depth, so every page is cut from one ranking.
        """
        cache = self._ctx.caches.get(conn, query.index)
        mask = cache.filter_mask(conn, query.flt) if query.flt is not None else None
        ranking = _Ranking()
        vector_ranking: list[str] = []
        if query.vector is not None:
            vector_ranking = _vector_ranking(cache, query, (want, top_k), mask, ranking)
        text_rankings = [_text_ranking(conn, cache, query, t, mask, ranking) for t in query.texts]
        if query.texts and query.vector is None and len(query.texts) == 1:
            ranking.order = text_rankings[0]
            ranking.fused = rrf(text_rankings, depth=len(ranking.order))
        elif query.texts:
            rankings = ([vector_ranking] if query.vector is not None else []) + text_rankings
            ranking.fused = rrf(rankings)
            ranking.order = sorted(ranking.fused, key=lambda k: (-ranking.fused[k], k))
        else:
            ranking.order = vector_ranking
        return ranking


def _vector_ranking(
    cache: IndexCache, query: _Query, want: tuple[int, int], mask: Any, ranking: _Ranking
) -> list[str]:
    """The nearest keys, best first; their distances go into ``ranking``.

    ``want``: how deep this page goes and how deep the whole request goes.
    """
    floor = FUSION_DEPTH if query.texts else 0
    depth, total = max(want[0] + 1, floor), max(want[1] + 1, floor)
    if query.mode == "CLASSIC" and mask is not None:
        # CLASSIC: nearest first, filtered afterwards.
        pos, dist = cache.nearest(
            query.vector, max(4 * depth, 100), None, depth=max(4 * total, 100)
        )
        keep = mask[pos]
        pos, dist = pos[keep][:depth], dist[keep][:depth]
    else:
        pos, dist = cache.nearest(query.vector, depth, mask, depth=total)
    keys = [cache.keys[p] for p in pos]
    ranking.distances = dict(zip(keys, dist.tolist(), strict=True))
    return keys


def _text_ranking(
    conn: sqlite3.Connection,
    cache: IndexCache,
    query: _Query,
    text: dict[str, Any],
    mask: Any,
    ranking: _Ranking,
) -> list[str]:
    """The keys matching one query text, best first; their scores go into ``ranking``."""
    language, table = query.fields[text["metadataKey"]]
    ranked = bm25_ranking(conn, table, text["text"], language)
    if mask is not None:
        ranked = [r for r in ranked if (p := cache.positions.get(r[0])) is not None and mask[p]]
    for key, score in ranked:
        ranking.bm25.setdefault(key, {})[text["metadataKey"]] = score
    return [r[0] for r in ranked]


def _query_item(
    key: str,
    kwargs: dict[str, Any],
    ranking: _Ranking,
    metadata: dict[str, Any],
    texts: list[dict[str, Any]],
) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key}
    distances = ranking.distances
    if kwargs.get("returnDistance") and key in distances:
        item["distance"] = distances[key]
    if kwargs.get("returnMetadata"):
        item["metadata"] = metadata.get(key, {})
    # The model: returnScores "doesn't add scores to vector-only requests".
    if kwargs.get("returnScores") and texts:
        scores: dict[str, Any] = {
            "fused": ranking.fused.get(key, 0.0),
            "bm25Scores": [
                {"metadataKey": mk, "score": s} for mk, s in ranking.bm25.get(key, {}).items()
            ],
        }
        if key in distances:
            scores["vectorDistance"] = distances[key]
        item["scores"] = scores
    return item


def _token_scope(bucket: str, name: str, top_k: int, query: _Query) -> str:
    """What a QueryVectors ``nextToken`` is bound to: the index and the whole search.

    A token resumes only the query it was issued for (same index, ``topK``, vector,
    texts, filter and mode). Computed only when a token is read or issued; the query
    vector enters as its checked float32 bytes, not as JSON text, so a query of a few
    thousand floats costs a hash, not an encoding.
    """
    request = [bucket, name, top_k, query.vector is not None, query.texts, query.flt, query.mode]
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode())
    if query.vector is not None:
        digest.update(query.vector.tobytes())
    return digest.hexdigest()[:24]
