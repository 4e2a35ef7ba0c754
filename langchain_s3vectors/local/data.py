"""Data plane of the embedded S3 Vectors client: put, get, delete and list vectors.

Every write is one SQLite transaction that also keeps the index's full-text tables and
checkpoint change log in step, bumps the index's data version, and then updates this
process's in-memory search state (:class:`~langchain_s3vectors.local.cache.IndexCaches`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_s3vectors import limits
from langchain_s3vectors.local import checkpoint_storage, fulltext_storage, storage
from langchain_s3vectors.local.context import Plane, Request, operation
from langchain_s3vectors.local.fulltext import index_texts, unindex_texts
from langchain_s3vectors.local.protocol import resume_key

if TYPE_CHECKING:
    from collections.abc import Sequence


def _within_page_bytes(rows: list[tuple[Any, ...]]) -> int:
    """How many of ``rows`` fit in one ListVectors page of about 1 MB (at least one)."""
    total = 0
    for i, (key, data, metadata) in enumerate(rows):
        total += len(key.encode()) + len(data) + (len(metadata.encode()) if metadata else 0)
        if total > limits.LIST_VECTORS_PAGE_BYTES and i > 0:
            return i
    return len(rows)


def _records(rows: Sequence[tuple[Any, ...]], kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """The vectors of stored ``(key, data, metadata)`` rows, as a request asks for them."""
    want_data = bool(kwargs.get("returnData"))
    want_meta = bool(kwargs.get("returnMetadata"))
    out: list[dict[str, Any]] = []
    for key, data, metadata in rows:
        item: dict[str, Any] = {"key": key}
        if want_data:
            item["data"] = {"float32": np.frombuffer(data, dtype="<f4").tolist()}
        if want_meta:
            item["metadata"] = json.loads(metadata) if metadata else {}
        out.append(item)
    return out


class DataPlane(Plane):
    """PutVectors, GetVectors, DeleteVectors and ListVectors.

    Args:
        ctx: The store, the request checks, the responses and the index caches.
    """

    @operation("PutVectors", "index")
    def put_vectors(self, req: Request) -> dict[str, Any]:
        """PutVectors: upsert up to 500 vectors, all or nothing."""
        ctx, op, kwargs = self._ctx, req.op, req.kwargs
        ctx.checks.put_request(op, kwargs)
        with req.write() as (conn, row):
            keys, matrix, metadata_json = ctx.checks.vectors(
                op, row, kwargs["vectors"], req.checked
            )
            index_id = row["id"]
            blobs = matrix.astype("<f4", copy=False)
            storage.upsert_vectors(
                conn,
                index_id,
                [
                    (key, storage.segment_hash(key), blobs[i].tobytes(), metadata_json[i])
                    for i, key in enumerate(keys)
                ],
            )
            fields = fulltext_storage.text_fields(conn, index_id)
            if fields:
                index_texts(conn, index_id, keys, metadata_json, fields)
            checkpoint_storage.log_changes(conn, index_id, keys)
            after = storage.bump_version(conn, index_id)
        ctx.caches.after_write(
            index_id, row["version"], after, lambda c: c.apply_put(keys, matrix), added=len(keys)
        )
        return ctx.protocol.ok({})

    @operation("GetVectors", "index")
    def get_vectors(self, req: Request) -> dict[str, Any]:
        """GetVectors: up to 100 keys; missing keys are ignored; order not promised."""
        ctx, kwargs = self._ctx, req.kwargs
        unique = ctx.checks.keys(req.op, kwargs["keys"], limits.MAX_GET_VECTORS)
        with req.read() as (conn, row):
            rows = ctx.caches.with_data(conn, row, storage.vectors_by_key(conn, row["id"], unique))
        return ctx.protocol.ok({"vectors": _records(rows, kwargs)})

    @operation("DeleteVectors", "index")
    def delete_vectors(self, req: Request) -> dict[str, Any]:
        """DeleteVectors: up to 500 keys; missing keys are ignored."""
        ctx = self._ctx
        unique = ctx.checks.keys(req.op, req.kwargs["keys"], limits.MAX_DELETE_VECTORS)
        with req.write() as (conn, row):
            index_id = row["id"]
            fields = fulltext_storage.text_fields(conn, index_id)
            if fields:
                unindex_texts(conn, index_id, unique, fields)
            storage.delete_vectors(conn, index_id, unique)
            checkpoint_storage.log_changes(conn, index_id, unique)
            after = storage.bump_version(conn, index_id)
        ctx.caches.after_write(index_id, row["version"], after, lambda c: c.apply_delete(unique))
        return ctx.protocol.ok({})

    @operation("ListVectors", "index")
    def list_vectors(self, req: Request) -> dict[str, Any]:
        """ListVectors: pages of up to ``maxResults`` keys (default 500, at most 1,000).

        As the model documents, a page also stops once about 1 MB has been processed
        (here: the stored size of the vectors on the page, key, ``4 * dimension`` bytes
        of data and metadata JSON, counted whether or not they are returned), with a
        ``nextToken``. Optionally one of up to 16 segments.
        """
        ctx, op, kwargs = self._ctx, req.op, req.kwargs
        limit = ctx.checks.page_size(
            op, kwargs, limits.MAX_LIST_VECTORS_RESULTS, limits.DEFAULT_LIST_VECTORS_RESULTS
        )
        segment = ctx.checks.segment(op, kwargs)
        count, index = segment if segment is not None else (None, None)
        scope = f"vectors:{req.bucket}/{req.index}:{count}:{index}"
        with req.read() as (conn, row):
            after = ""
            if kwargs.get("nextToken"):
                payload = ctx.checks.token(op, kwargs["nextToken"], scope)
                after = resume_key(
                    payload, lambda start: storage.keys_from(conn, row["id"], segment, start)
                )
            rows = storage.list_page(conn, row["id"], segment, after, limit + 1)
            rows = ctx.caches.with_data(conn, row, rows)
        taken = _within_page_bytes(rows[:limit])
        body: dict[str, Any] = {"vectors": _records(rows[:taken], kwargs)}
        if len(rows) > taken:
            body["nextToken"] = ctx.protocol.after_token(scope, rows[taken - 1][0])
        return ctx.protocol.ok(body)
