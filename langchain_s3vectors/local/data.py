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
from langchain_s3vectors.local.fulltext import index_texts, unindex_texts
from langchain_s3vectors.local.protocol import resume_key

if TYPE_CHECKING:
    from langchain_s3vectors.local.context import Context


def _within_page_bytes(rows: list[tuple[Any, ...]]) -> int:
    """How many of ``rows`` fit in one ListVectors page of about 1 MB (at least one)."""
    total = 0
    for i, (key, data, metadata) in enumerate(rows):
        total += len(key.encode()) + len(data) + (len(metadata.encode()) if metadata else 0)
        if total > limits.LIST_VECTORS_PAGE_BYTES and i > 0:
            return i
    return len(rows)


def _record(row: tuple[Any, ...], *, want_data: bool, want_meta: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"key": row[0]}
    if want_data:
        out["data"] = {"float32": np.frombuffer(row[1], dtype="<f4").tolist()}
    if want_meta:
        out["metadata"] = json.loads(row[2]) if row[2] else {}
    return out


class DataPlane:
    """PutVectors, GetVectors, DeleteVectors and ListVectors.

    Args:
        ctx: The store, the request checks, the responses and the index caches.
    """

    def __init__(self, ctx: Context) -> None:
        """Serve the vectors of the store of ``ctx``."""
        self._ctx = ctx

    def put_vectors(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """PutVectors: upsert up to 500 vectors, all or nothing."""
        op = "PutVectors"
        ctx = self._ctx
        batch = ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        ctx.checks.put_request(op, kwargs)
        with ctx.storage.transaction() as conn:
            row = ctx.require_index(conn, op, bucket, name)
            keys, matrix, metadata_json = ctx.checks.vectors(op, row, kwargs["vectors"], batch)
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

    def get_vectors(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """GetVectors: up to 100 keys; missing keys are ignored; order not promised."""
        op = "GetVectors"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        unique = ctx.checks.keys(op, kwargs["keys"], limits.MAX_GET_VECTORS)
        want_data = bool(kwargs.get("returnData"))
        want_meta = bool(kwargs.get("returnMetadata"))
        with ctx.storage.read() as conn:
            row = ctx.require_index(conn, op, bucket, name)
            rows = ctx.caches.with_data(conn, row, storage.vectors_by_key(conn, row["id"], unique))
        vectors = [_record(r, want_data=want_data, want_meta=want_meta) for r in rows]
        return ctx.protocol.ok({"vectors": vectors})

    def delete_vectors(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """DeleteVectors: up to 500 keys; missing keys are ignored."""
        op = "DeleteVectors"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        unique = ctx.checks.keys(op, kwargs["keys"], limits.MAX_DELETE_VECTORS)
        with ctx.storage.transaction() as conn:
            row = ctx.require_index(conn, op, bucket, name)
            index_id = row["id"]
            fields = fulltext_storage.text_fields(conn, index_id)
            if fields:
                unindex_texts(conn, index_id, unique, fields)
            storage.delete_vectors(conn, index_id, unique)
            checkpoint_storage.log_changes(conn, index_id, unique)
            after = storage.bump_version(conn, index_id)
        ctx.caches.after_write(index_id, row["version"], after, lambda c: c.apply_delete(unique))
        return ctx.protocol.ok({})

    def list_vectors(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """ListVectors: pages of up to ``maxResults`` keys (default 500, at most 1,000).

        As the model documents, a page also stops once about 1 MB has been processed
        (here: the stored size of the vectors on the page, key, ``4 * dimension`` bytes
        of data and metadata JSON, counted whether or not they are returned), with a
        ``nextToken``. Optionally one of up to 16 segments.
        """
        op = "ListVectors"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        limit = ctx.checks.page_size(
            op, kwargs, limits.MAX_LIST_VECTORS_RESULTS, limits.DEFAULT_LIST_VECTORS_RESULTS
        )
        segment = ctx.checks.segment(op, kwargs)
        count, index = segment if segment is not None else (None, None)
        scope = f"vectors:{bucket}/{name}:{count}:{index}"
        with ctx.storage.read() as conn:
            row = ctx.require_index(conn, op, bucket, name)
            after = ""
            if kwargs.get("nextToken"):
                payload = ctx.checks.token(op, kwargs["nextToken"], scope)
                after = resume_key(
                    payload, lambda start: storage.keys_from(conn, row["id"], segment, start)
                )
            rows = storage.list_page(conn, row["id"], segment, after, limit + 1)
            rows = ctx.caches.with_data(conn, row, rows)
        taken = _within_page_bytes(rows[:limit])
        want_data = bool(kwargs.get("returnData"))
        want_meta = bool(kwargs.get("returnMetadata"))
        body: dict[str, Any] = {
            "vectors": [_record(r, want_data=want_data, want_meta=want_meta) for r in rows[:taken]]
        }
        if len(rows) > taken:
            body["nextToken"] = ctx.protocol.after_token(scope, rows[taken - 1][0])
        return ctx.protocol.ok(body)
