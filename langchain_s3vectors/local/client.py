"""``LocalS3VectorsClient``: an embedded, persistent Amazon S3 Vectors.

It has the method names, keyword parameters, response dicts and errors of
``boto3.client("s3vectors")``, so code written against one runs on the other:

* parameters are checked by botocore's own validator against the installed service
  model, and rejected with :class:`botocore.exceptions.ParamValidationError` exactly
  as boto3 would, before anything is read or written;
* service rules (limits, names, dimensions, filters, ...) raise
  :class:`botocore.exceptions.ClientError` subclasses (``client.exceptions.X``) with the
  service's error code and HTTP status: ``ValidationException`` (400),
  ``NotFoundException`` (404), ``ConflictException`` (409);
* a rejected request writes nothing; every request is one SQLite transaction.

Example:
    >>> from langchain_s3vectors import LocalS3VectorsClient
    >>> client = LocalS3VectorsClient()  # in memory; pass a directory to persist
    >>> _ = client.create_vector_bucket(vectorBucketName="kbase")
    >>> _ = client.create_index(vectorBucketName="kbase", indexName="docs", dataType="float32",
    ...                         dimension=2, distanceMetric="cosine")
    >>> client.put_vectors(vectorBucketName="kbase", indexName="docs", vectors=[
    ...     {"key": "a", "data": {"float32": [1.0, 0.0]}, "metadata": {"genre": "drama"}},
    ...     {"key": "b", "data": {"float32": [0.0, 1.0]}, "metadata": {"genre": "comedy"}},
    ... ])["ResponseMetadata"]["HTTPStatusCode"]
    200
    >>> res = client.query_vectors(vectorBucketName="kbase", indexName="docs", topK=1,
    ...                            queryVector={"float32": [0.9, 0.1]},
    ...                            filter={"genre": "drama"}, returnDistance=True)
    >>> [(v["key"], round(v["distance"], 3)) for v in res["vectors"]]
    [('a', 0.006)]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_s3vectors import limits
from langchain_s3vectors.filters import (
    ENHANCED_ONLY_OPERATORS,
    FilterError,
    filter_operators,
    validate_filter,
)
from langchain_s3vectors.local.base import Paginator
from langchain_s3vectors.local.resources import ResourcesMixin
from langchain_s3vectors.local.search import (
    FUSION_DEPTH,
    IndexCache,
    bm25_ranking,
    rrf,
    searchable_text,
)
from langchain_s3vectors.local.storage import segment_hash
from langchain_s3vectors.local.validation import payload_too_large_message, request_payload_bytes
from langchain_s3vectors.local.vectorfile import log_changes

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

__all__ = ["LocalS3VectorsClient"]


def _within_page_bytes(rows: list[tuple[Any, ...]]) -> int:
    """How many of ``rows`` fit in one ListVectors page of about 1 MB (at least one)."""
    total = 0
    for i, (key, data, metadata) in enumerate(rows):
        total += len(key.encode()) + len(data) + (len(metadata.encode()) if metadata else 0)
        if total > limits.LIST_VECTORS_PAGE_BYTES and i > 0:
            return i
    return len(rows)


@dataclass
class _Ranking:
    """One query's ranking: keys best first, with distances and text scores."""

    order: list[str] = field(default_factory=list)
    distances: dict[str, float] = field(default_factory=dict)
    fused: dict[str, float] = field(default_factory=dict)
    bm25: dict[str, dict[str, float]] = field(default_factory=dict)


class LocalS3VectorsClient(ResourcesMixin):
    """An embedded S3 Vectors with the API of ``boto3.client("s3vectors")``.

    Args:
        path: Directory holding the store (created if missing); ``None`` keeps
            everything in memory.
        region_name: Region used in ARNs.
        account_id: Twelve-digit account id used in ARNs.
        read_only: Open the existing store at ``path`` for reading only: nothing is
            created, a store on a read-only mount can be read, and writes fail.

    Setup:
        .. code-block:: bash

            pip install langchain-s3vectors

    Instantiate:
        .. code-block:: python

            from langchain_s3vectors import LocalS3VectorsClient

            client = LocalS3VectorsClient("./.s3vectors")   # persistent
            client = LocalS3VectorsClient()                 # in memory

    Use exactly like boto3:
        .. code-block:: python

            client.create_vector_bucket(vectorBucketName="kbase")
            client.create_index(vectorBucketName="kbase", indexName="docs",
                                dataType="float32", dimension=384,
                                distanceMetric="cosine")
            try:
                client.get_index(vectorBucketName="kbase", indexName="nope")
            except client.exceptions.NotFoundException as exc:
                print(exc.response["Error"]["Code"])  # NotFoundException
    """

    # ------------------------------------------------------------------ vectors

    def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectors: upsert up to 500 vectors, all or nothing."""
        op = "PutVectors"
        batch = self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        size = request_payload_bytes(kwargs)
        if size > limits.MAX_REQUEST_PAYLOAD_BYTES:
            raise self._validation(op, payload_too_large_message(size))
        vectors = kwargs["vectors"]
        if len(vectors) > limits.MAX_PUT_VECTORS:
            msg = f"Too many vectors in one PutVectors request: {len(vectors)} (max {limits.MAX_PUT_VECTORS})"
            raise self._validation(op, msg)
        with self._storage.transaction() as conn:
            row = self._require_index(conn, op, bucket, name)
            keys, matrix, metadata_json = self._checker.vectors(op, row, vectors, batch)
            index_id = row["id"]
            before = row["version"]
            blobs = matrix.astype("<f4", copy=False)
            conn.executemany(
                "INSERT INTO vectors (index_id, key, seg, data, metadata) VALUES (?,?,?,?,?) "
                "ON CONFLICT (index_id, key) DO UPDATE SET data = excluded.data, "
                "metadata = excluded.metadata",
                [
                    (index_id, key, segment_hash(key), blobs[i].tobytes(), metadata_json[i])
                    for i, key in enumerate(keys)
                ],
            )
            fields = self._storage.text_fields(conn, index_id)
            if fields:
                self._index_text(conn, index_id, keys, metadata_json, fields)
            log_changes(conn, index_id, keys)
            after = self._storage.bump_version(conn, index_id)
        self._after_write(index_id, before, after, lambda c: c.apply_put(keys, matrix))
        return self._ok({})

    def _index_text(
        self,
        conn: sqlite3.Connection,
        index_id: int,
        keys: list[str],
        metadata_json: list[str | None],
        fields: dict[str, tuple[str | None, str]],
    ) -> None:
        rowids: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for rowid, key in conn.execute(
                f"SELECT rowid, key FROM vectors WHERE index_id = ? AND key IN ({marks})",
                (index_id, *chunk),
            ):
                rowids[key] = rowid
        parsed = [json.loads(m) if m else {} for m in metadata_json]
        for key_name, (_, table) in fields.items():
            ids = [(rowids[k],) for k in keys]
            conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", ids)
            conn.executemany(
                f"INSERT INTO {table} (rowid, body) VALUES (?, ?)",
                [
                    (rowids[k], text)
                    for k, md in zip(keys, parsed, strict=True)
                    if (text := searchable_text(md.get(key_name)))
                ],
            )

    def _after_write(
        self, index_id: int, before: int, after: int, update: Callable[[IndexCache], None]
    ) -> None:
        cache = self._caches.get(index_id)
        if cache is None:
            return
        if cache.version == before:
            update(cache)
            cache.version = after
        else:
            del self._caches[index_id]

    def get_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectors: up to 100 keys; missing keys are ignored; order not promised."""
        op = "GetVectors"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        keys = kwargs["keys"]
        if len(keys) > limits.MAX_GET_VECTORS:
            msg = f"Too many keys in one GetVectors request: {len(keys)} (max {limits.MAX_GET_VECTORS})"
            raise self._validation(op, msg)
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                raise self._validation(op, f"Vector key is too long: {key[:64]!r}...")
        want_data = bool(kwargs.get("returnData"))
        want_meta = bool(kwargs.get("returnMetadata"))
        unique = list(dict.fromkeys(keys))
        with self._storage.read() as conn:
            row = self._require_index(conn, op, bucket, name)
            marks = ",".join("?" * len(unique))
            rows = conn.execute(
                f"SELECT key, data, metadata FROM vectors WHERE index_id = ? AND key IN ({marks}) ORDER BY rowid",
                (row["id"], *unique),
            ).fetchall()
        return self._ok({"vectors": [self._record(r, want_data, want_meta) for r in rows]})

    @staticmethod
    def _record(row: tuple[Any, ...], want_data: bool, want_meta: bool) -> dict[str, Any]:  # noqa: FBT001
        out: dict[str, Any] = {"key": row[0]}
        if want_data:
            out["data"] = {"float32": np.frombuffer(row[1], dtype="<f4").tolist()}
        if want_meta:
            out["metadata"] = json.loads(row[2]) if row[2] else {}
        return out

    def delete_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectors: up to 500 keys; missing keys are ignored."""
        op = "DeleteVectors"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        keys = kwargs["keys"]
        if len(keys) > limits.MAX_DELETE_VECTORS:
            msg = f"Too many keys in one DeleteVectors request: {len(keys)} (max {limits.MAX_DELETE_VECTORS})"
            raise self._validation(op, msg)
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                raise self._validation(op, f"Vector key is too long: {key[:64]!r}...")
        unique = list(dict.fromkeys(keys))
        with self._storage.transaction() as conn:
            row = self._require_index(conn, op, bucket, name)
            index_id = row["id"]
            fields = self._storage.text_fields(conn, index_id)
            if fields:
                marks = ",".join("?" * len(unique))
                rowids = [
                    (r[0],)
                    for r in conn.execute(
                        f"SELECT rowid FROM vectors WHERE index_id = ? AND key IN ({marks})",
                        (index_id, *unique),
                    )
                ]
                for _, table in fields.values():
                    conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", rowids)
            conn.executemany(
                "DELETE FROM vectors WHERE index_id = ? AND key = ?",
                [(index_id, k) for k in unique],
            )
            log_changes(conn, index_id, unique)
            after = self._storage.bump_version(conn, index_id)
        self._after_write(index_id, row["version"], after, lambda c: c.apply_delete(unique))
        return self._ok({})

    def list_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectors: pages of up to ``maxResults`` keys (default 500, at most 1,000).

        As the model documents, a page also stops once about 1 MB has been processed
        (here: the stored size of the vectors on the page, key, ``4 * dimension`` bytes
        of data and metadata JSON, counted whether or not they are returned), with a
        ``nextToken``. Optionally one of up to 16 segments.
        """
        op = "ListVectors"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        limit = self._page_size(
            op, kwargs, limits.MAX_LIST_VECTORS_RESULTS, limits.DEFAULT_LIST_VECTORS_RESULTS
        )
        count = kwargs.get("segmentCount")
        index = kwargs.get("segmentIndex")
        if (count is None) != (index is None):
            raise self._validation(op, "segmentCount and segmentIndex must be given together")
        if count is not None and index is not None and index >= count:
            msg = f"segmentIndex {index} must be less than segmentCount {count}"
            raise self._validation(op, msg)
        scope = f"vectors:{bucket}/{name}:{count}:{index}"
        want_data = bool(kwargs.get("returnData"))
        want_meta = bool(kwargs.get("returnMetadata"))
        where = "WHERE index_id = ?"
        with self._storage.read() as conn:
            row = self._require_index(conn, op, bucket, name)
            args: list[Any] = [row["id"]]
            if count is not None:
                where += " AND seg % ? = ?"
                args += [count, index]
            after = ""
            if kwargs.get("nextToken"):
                payload = self._decode_token(op, kwargs["nextToken"], scope)
                after = self._resume_key(
                    conn,
                    f"SELECT key FROM vectors {where} AND key >= ? ORDER BY key",
                    tuple(args),
                    payload,
                )
            rows = conn.execute(
                f"SELECT key, data, metadata FROM vectors {where} AND key > ? ORDER BY key LIMIT ?",
                (*args, after, limit + 1),
            ).fetchall()
        taken = _within_page_bytes(rows[:limit])
        body: dict[str, Any] = {
            "vectors": [self._record(r, want_data, want_meta) for r in rows[:taken]]
        }
        if len(rows) > taken:
            body["nextToken"] = self._after_token(scope, rows[taken - 1][0])
        return self._ok(body)

    # ------------------------------------------------------------------ query

    def _cache(self, conn: sqlite3.Connection, row: dict[str, Any]) -> IndexCache:
        cache = self._caches.get(row["id"])
        if cache is None or cache.version != row["version"]:
            cache = IndexCache.load(
                conn,
                row["id"],
                row["version"],
                row["metric"],
                row["dimension"],
                vector_dir=self._storage.vector_dir,
            )
            self._caches[row["id"]] = cache
        return cache

    def query_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """QueryVectors: exact k-NN, full-text (BM25) or hybrid (RRF) search.

        ``topK`` is the number of results in total (at most ``limits.MAX_TOP_K``); they
        come in pages of ``limits.QUERY_PAGE_SIZE`` linked by ``nextToken``, the last
        page carrying none (S3 User Guide, "Querying vectors").
        """
        op = "QueryVectors"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        top_k = kwargs["topK"]
        if top_k > limits.MAX_TOP_K:
            raise self._invalid_field(
                op,
                "topK",
                f"Member must have value less than or equal to {limits.MAX_TOP_K}",
                top_k,
            )
        query_vector = kwargs.get("queryVector")
        texts = kwargs.get("queryTexts") or []
        if query_vector is None and not texts:
            raise self._validation(op, "Specify queryVector, queryTexts, or both")
        flt = kwargs.get("filter")
        with self._storage.read() as conn:
            row = self._require_index(conn, op, bucket, name)
            mode = kwargs.get("queryMode") or row["index_mode"]
            if mode == "CLASSIC" and row["index_mode"] != "CLASSIC":
                raise self._validation(op, "queryMode CLASSIC is not available for this index")
            self._check_query_filter(op, row, mode, flt)
            fields = self._storage.text_fields(conn, row["id"])
            if texts:
                self._check_query_texts(op, row, texts, fields)
            query = self._query_array(op, row, query_vector)
            scope = hashlib.sha256(
                json.dumps(
                    [bucket, name, top_k, query_vector, texts, flt, mode],
                    sort_keys=True,
                    default=str,
                ).encode()
            ).hexdigest()[:24]
            offset = 0
            if kwargs.get("nextToken"):
                offset = int(self._decode_token(op, kwargs["nextToken"], scope)["offset"])
            stop = min(top_k, offset + limits.QUERY_PAGE_SIZE)
            ranked = self._rank(conn, row, mode, query, texts, fields, flt, stop)
            page = ranked.order[offset:stop]
            has_more = stop < top_k and len(ranked.order) > stop
            metadata: dict[str, Any] = {}
            if kwargs.get("returnMetadata") and page:
                marks = ",".join("?" * len(page))
                metadata = {
                    r[0]: json.loads(r[1]) if r[1] else {}
                    for r in conn.execute(
                        f"SELECT key, metadata FROM vectors WHERE index_id = ? AND key IN ({marks})",
                        (row["id"], *page),
                    )
                }
        results = [self._query_item(key, kwargs, ranked, metadata, texts) for key in page]
        body: dict[str, Any] = {"vectors": results, "distanceMetric": row["metric"]}
        if has_more:
            body["nextToken"] = self._encode_token({"scope": scope, "offset": stop})
        return self._ok(body)

    def _check_query_filter(self, op: str, row: dict[str, Any], mode: str, flt: Any) -> None:
        if flt is None:
            return
        non_filterable = row["metadata_config"].get("nonFilterableMetadataKeys", [])
        try:
            validate_filter(flt, non_filterable=non_filterable)
        except FilterError as exc:
            raise self._validation(op, f"Invalid filter: {exc}") from exc
        enhanced_only = filter_operators(flt) & ENHANCED_ONLY_OPERATORS
        if enhanced_only and mode != "ENHANCED":
            names = ", ".join(sorted(enhanced_only))
            msg = f"Invalid filter: {names} requires an ENHANCED index; switch it with UpdateIndexMode"
            raise self._validation(op, msg)

    def _check_query_texts(
        self, op: str, row: dict[str, Any], texts: list[dict[str, Any]], fields: dict[str, Any]
    ) -> None:
        if row["index_mode"] != "ENHANCED":
            raise self._validation(op, "queryTexts requires an ENHANCED index")
        if len(texts) > limits.MAX_QUERY_TEXTS:
            raise self._validation(op, f"At most {limits.MAX_QUERY_TEXTS} queryTexts are allowed")
        text_keys = [t["metadataKey"] for t in texts]
        if len(set(text_keys)) != len(text_keys):
            raise self._validation(op, "Each queryTexts entry must use a different metadataKey")
        for t in texts:
            if len(t["text"]) > limits.QUERY_TEXT_MAX_LENGTH:
                raise self._validation(
                    op, f"queryTexts text is longer than {limits.QUERY_TEXT_MAX_LENGTH} characters"
                )
            if t["metadataKey"] not in fields:
                msg = (
                    f"Metadata key {t['metadataKey']!r} is not full-text searchable in this index; "
                    "add it with UpdateMetadataConfiguration(add={'textSearchConfigurations': [...]})"
                )
                raise self._validation(op, msg)

    def _query_array(self, op: str, row: dict[str, Any], query_vector: Any) -> Any:
        if query_vector is None:
            return None
        values = query_vector.get("float32") or []
        if len(values) != row["dimension"]:
            msg = f"Invalid query vector: dimension {len(values)} does not match the index dimension {row['dimension']}"
            raise self._validation(op, msg)
        with np.errstate(over="ignore"):
            query = np.asarray(values, dtype=np.float64).astype(np.float32)
        if not np.isfinite(query).all():
            raise self._validation(
                op, "Invalid query vector: values must be finite float32 numbers"
            )
        if row["metric"] == "cosine" and not query.any():
            raise self._validation(
                op, "Invalid query vector: a zero vector cannot be used with a cosine index"
            )
        return query

    def _rank(
        self,
        conn: sqlite3.Connection,
        row: dict[str, Any],
        mode: str,
        query: Any,
        texts: list[dict[str, Any]],
        fields: dict[str, Any],
        flt: Any,
        want: int,
    ) -> _Ranking:
        """Rank the index for a query, at least ``want`` deep (all of it for text)."""
        cache = self._cache(conn, row)
        mask = cache.filter_mask(conn, flt) if flt is not None else None
        ranking = _Ranking()
        vector_ranking: list[str] = []
        if query is not None:
            depth = want + 1 if not texts else max(want + 1, FUSION_DEPTH)
            if mode == "CLASSIC" and mask is not None:
                pos, dist = cache.nearest(query, max(4 * depth, 100), None)
                keep = mask[pos]
                pos, dist = pos[keep][:depth], dist[keep][:depth]
            else:
                pos, dist = cache.nearest(query, depth, mask)
            vector_ranking = [cache.keys[p] for p in pos]
            ranking.distances = dict(zip(vector_ranking, dist.tolist(), strict=True))
        text_rankings: list[list[str]] = []
        for t in texts:
            language, table = fields[t["metadataKey"]]
            ranked = bm25_ranking(conn, table, t["text"], language)
            if mask is not None:
                ranked = [
                    r for r in ranked if (p := cache.positions.get(r[0])) is not None and mask[p]
                ]
            text_rankings.append([r[0] for r in ranked])
            for key, score in ranked:
                ranking.bm25.setdefault(key, {})[t["metadataKey"]] = score
        if texts and query is None and len(texts) == 1:
            ranking.order = text_rankings[0]
            ranking.fused = rrf(text_rankings, depth=len(ranking.order))
        elif texts:
            rankings = ([vector_ranking] if query is not None else []) + text_rankings
            ranking.fused = rrf(rankings)
            ranking.order = sorted(ranking.fused, key=lambda k: (-ranking.fused[k], k))
        else:
            ranking.order = vector_ranking
        return ranking

    @staticmethod
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

    # ------------------------------------------------------------------ boto3 extras

    def get_paginator(self, operation_name: str) -> Paginator:
        """Return a paginator for an operation the model paginates (as boto3 does)."""
        methods = {
            "list_vectors": self.list_vectors,
            "list_indexes": self.list_indexes,
            "list_vector_buckets": self.list_vector_buckets,
            "query_vectors": self.query_vectors,
        }
        if operation_name not in methods:
            msg = f"Operation cannot be paginated: {operation_name}"
            raise ValueError(msg)
        return Paginator(methods[operation_name])

    def can_paginate(self, operation_name: str) -> bool:
        """Whether :meth:`get_paginator` supports an operation."""
        return operation_name in (
            "list_vectors",
            "list_indexes",
            "list_vector_buckets",
            "query_vectors",
        )
