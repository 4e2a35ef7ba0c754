"""Control plane of the embedded S3 Vectors client: buckets, indexes, policies, tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.local import fulltext_storage, storage
from langchain_s3vectors.local.context import Plane, Request, operation
from langchain_s3vectors.local.fulltext import add_field

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable


class ControlPlane(Plane):
    """Vector buckets, indexes, bucket policies and tags.

    Args:
        ctx: The store, the request checks, the responses and the index caches.
    """

    # -- buckets -----------------------------------------------------------------------

    @operation("CreateVectorBucket", "bucket", exists=False)
    def create_vector_bucket(self, req: Request) -> dict[str, Any]:
        """CreateVectorBucket: create a vector bucket (ConflictException if it exists)."""
        ctx, op, kwargs, name = self._ctx, req.op, req.kwargs, req.bucket
        ctx.checks.new_tags(op, kwargs.get("tags"))
        encryption = ctx.checks.encryption(op, kwargs.get("encryptionConfiguration"))
        with req.write() as (conn, _):
            if storage.get_bucket(conn, name) is not None:
                raise ctx.protocol.conflict(op, f"A vector bucket named {name} already exists")
            storage.insert_bucket(
                conn, name, encryption, limits.DEFAULT_INDEX_MODE, kwargs.get("tags") or {}
            )
        return ctx.protocol.ok({"vectorBucketArn": ctx.protocol.bucket_arn(name)})

    @operation("GetVectorBucket", "bucket")
    def get_vector_bucket(self, req: Request) -> dict[str, Any]:
        """GetVectorBucket."""
        ctx, name = self._ctx, req.bucket
        row = req.lookup()
        bucket = {
            "vectorBucketName": name,
            "vectorBucketArn": ctx.protocol.bucket_arn(name),
            "creationTime": ctx.protocol.timestamp(row["created"]),
            "encryptionConfiguration": row["encryption"],
            "defaultIndexMode": row["default_index_mode"],
        }
        return ctx.protocol.ok({"vectorBucket": bucket})

    @operation("ListVectorBuckets")
    def list_vector_buckets(self, req: Request) -> dict[str, Any]:
        """ListVectorBuckets, with ``prefix``, ``maxResults`` and ``nextToken``."""
        ctx = self._ctx
        prefix = req.kwargs.get("prefix", "")
        scope = f"buckets:{prefix}"
        limit, after = self._page_start(req, scope)
        with req.read() as (conn, _):
            rows = storage.list_buckets(conn, after, prefix, limit + 1)
        buckets = [
            {
                "vectorBucketName": name,
                "vectorBucketArn": ctx.protocol.bucket_arn(name),
                "creationTime": ctx.protocol.timestamp(created),
            }
            for name, created in rows[:limit]
        ]
        return ctx.protocol.ok(self._page("vectorBuckets", buckets, rows, limit, scope))

    def _page_start(self, req: Request, scope: str) -> tuple[int, str]:
        """A list request's page size, and the name its ``nextToken`` resumes after."""
        checks, op, kwargs = self._ctx.checks, req.op, req.kwargs
        limit = checks.page_size(op, kwargs, limits.MAX_LIST_RESOURCES_RESULTS)
        if not kwargs.get("nextToken"):
            return limit, ""
        return limit, checks.token(op, kwargs["nextToken"], scope)["after"]

    def _page(
        self,
        field: str,
        items: list[dict[str, Any]],
        rows: list[tuple[str, float]],
        limit: int,
        scope: str,
    ) -> dict[str, Any]:
        """A list response body, with a ``nextToken`` when more rows follow."""
        body: dict[str, Any] = {field: items}
        if len(rows) > limit:
            body["nextToken"] = self._ctx.protocol.encode_token(
                {"scope": scope, "after": rows[limit - 1][0]}
            )
        return body

    @operation("DeleteVectorBucket", "bucket")
    def delete_vector_bucket(self, req: Request) -> dict[str, Any]:
        """DeleteVectorBucket (ConflictException while it still has indexes)."""
        ctx, name = self._ctx, req.bucket
        with req.write() as (conn, _):
            count = storage.count_indexes(conn, name)
            if count:
                msg = f"The vector bucket {name} is not empty: delete its {count} index(es) first"
                raise ctx.protocol.conflict(req.op, msg)
            storage.delete_bucket(conn, name)
        return ctx.protocol.ok({})

    @operation("PutVectorBucketPolicy", "bucket")
    def put_vector_bucket_policy(self, req: Request) -> dict[str, Any]:
        """PutVectorBucketPolicy: store the policy document (must be JSON)."""
        policy = req.kwargs["policy"]
        self._ctx.checks.policy(req.op, policy)
        with req.write() as (conn, _):
            storage.set_bucket_policy(conn, req.bucket, policy)
        return self._ctx.protocol.ok({})

    @operation("GetVectorBucketPolicy", "bucket")
    def get_vector_bucket_policy(self, req: Request) -> dict[str, Any]:
        """GetVectorBucketPolicy."""
        protocol = self._ctx.protocol
        row = req.lookup()
        if row["policy"] is None:
            msg = f"The vector bucket {req.bucket} has no bucket policy"
            raise protocol.not_found(req.op, msg)
        return protocol.ok({"policy": row["policy"]})

    @operation("DeleteVectorBucketPolicy", "bucket")
    def delete_vector_bucket_policy(self, req: Request) -> dict[str, Any]:
        """DeleteVectorBucketPolicy."""
        with req.write() as (conn, _):
            storage.set_bucket_policy(conn, req.bucket, None)
        return self._ctx.protocol.ok({})

    @operation("PutVectorBucketDefaultIndexMode", "bucket")
    def put_vector_bucket_default_index_mode(self, req: Request) -> dict[str, Any]:
        """PutVectorBucketDefaultIndexMode."""
        mode = req.kwargs["defaultIndexMode"]
        with req.write() as (conn, row):
            self._ctx.checks.index_mode(req.op, mode, row["created"])
            storage.set_bucket_default_mode(conn, req.bucket, mode)
        return self._ctx.protocol.ok({})

    # -- indexes -----------------------------------------------------------------------

    @operation("CreateIndex", "bucket")
    def create_index(self, req: Request) -> dict[str, Any]:
        """CreateIndex (ConflictException if it exists; the existing one stays intact)."""
        ctx, op, kwargs, bucket = self._ctx, req.op, req.kwargs, req.bucket
        name = kwargs["indexName"]
        ctx.checks.name(op, "index", name)
        ctx.checks.new_tags(op, kwargs.get("tags"))
        ctx.checks.dimension(op, kwargs["dimension"])
        config = ctx.checks.metadata_configuration(op, kwargs.get("metadataConfiguration") or {})
        encryption = ctx.checks.encryption(op, kwargs.get("encryptionConfiguration"))
        with req.write() as (conn, brow):
            if storage.get_index(conn, bucket, name) is not None:
                msg = f"An index named {name} already exists in vector bucket {bucket}"
                raise ctx.protocol.conflict(op, msg)
            mode = brow["default_index_mode"]
            ctx.checks.new_index_mode(op, mode, config)
            index_id = storage.insert_index(
                conn,
                bucket,
                name,
                dimension=kwargs["dimension"],
                metric=kwargs["distanceMetric"],
                data_type=kwargs["dataType"],
                metadata_config=config,
                encryption=encryption,
                index_mode=mode,
                tags=kwargs.get("tags") or {},
            )
            for item in config.get("textSearchConfigurations", []):
                add_field(conn, index_id, item["metadataKey"], item.get("language"))
        return ctx.protocol.ok({"indexArn": ctx.protocol.index_arn(bucket, name)})

    def _index_body(self, row: dict[str, Any]) -> dict[str, Any]:
        config = dict(row["metadata_config"])
        if "textSearchConfigurations" in config:
            config["textSearchConfigurations"] = [
                {**item, "status": "ACTIVE"} for item in config["textSearchConfigurations"]
            ]
        protocol = self._ctx.protocol
        return {
            "vectorBucketName": row["bucket"],
            "indexName": row["name"],
            "indexArn": protocol.index_arn(row["bucket"], row["name"]),
            "creationTime": protocol.timestamp(row["created"]),
            "dataType": row["data_type"],
            "dimension": row["dimension"],
            "distanceMetric": row["metric"],
            "metadataConfiguration": config,
            "encryptionConfiguration": row["encryption"],
            "indexMode": row["index_mode"],
        }

    @operation("GetIndex", "index")
    def get_index(self, req: Request) -> dict[str, Any]:
        """GetIndex."""
        row = req.lookup()
        return self._ctx.protocol.ok({"index": self._index_body(row)})

    @operation("ListIndexes", "bucket")
    def list_indexes(self, req: Request) -> dict[str, Any]:
        """ListIndexes, with ``prefix``, ``maxResults`` and ``nextToken``."""
        ctx, bucket = self._ctx, req.bucket
        prefix = req.kwargs.get("prefix", "")
        scope = f"indexes:{bucket}:{prefix}"
        limit, after = self._page_start(req, scope)
        with req.read() as (conn, _):
            rows = storage.list_indexes(conn, bucket, after, prefix, limit + 1)
        indexes = [
            {
                "vectorBucketName": bucket,
                "indexName": name,
                "indexArn": ctx.protocol.index_arn(bucket, name),
                "creationTime": ctx.protocol.timestamp(created),
            }
            for name, created in rows[:limit]
        ]
        return ctx.protocol.ok(self._page("indexes", indexes, rows, limit, scope))

    @operation("DeleteIndex", "index")
    def delete_index(self, req: Request) -> dict[str, Any]:
        """DeleteIndex: the index and every vector in it."""
        with req.write() as (conn, row):
            storage.delete_index(conn, row["id"])
        self._ctx.caches.drop(row["id"])
        return self._ctx.protocol.ok({})

    @operation("UpdateIndexMode", "index")
    def update_index_mode(self, req: Request) -> dict[str, Any]:
        """UpdateIndexMode (CLASSIC only for buckets created before 2026-09-30)."""
        ctx, op = self._ctx, req.op
        mode = req.kwargs["indexMode"]
        with req.write() as (conn, row):
            brow = ctx.require_bucket(conn, op, req.bucket)
            ctx.checks.index_mode(op, mode, brow["created"])
            ctx.checks.mode_change(op, mode, row)
            storage.set_index_mode(conn, row["id"], mode)
        return ctx.protocol.ok({})

    @operation("UpdateMetadataConfiguration", "index")
    def update_metadata_configuration(self, req: Request) -> dict[str, Any]:
        """UpdateMetadataConfiguration: add or delete full-text searchable keys."""
        ctx, op = self._ctx, req.op
        add, delete = ctx.checks.text_search_update(op, req.kwargs)
        with req.write() as (conn, row):
            current = ctx.checks.text_search_keys(op, row, add, delete)
            fields = fulltext_storage.text_fields(conn, row["id"])
            for key in delete:
                fulltext_storage.drop_text_field(conn, row["id"], key, fields[key][1])
            for item in add:
                add_field(conn, row["id"], item["metadataKey"], item.get("language"))
            config = dict(row["metadata_config"])
            if current:
                config["textSearchConfigurations"] = list(current.values())
            else:
                config.pop("textSearchConfigurations", None)
            storage.set_metadata_config(conn, row["id"], config)
        return ctx.protocol.ok({"indexArn": ctx.protocol.index_arn(req.bucket, req.index)})

    # -- tags --------------------------------------------------------------------------

    def _tags(
        self, conn: sqlite3.Connection, op: str, arn: str
    ) -> tuple[dict[str, str], Callable[[dict[str, str]], None]]:
        """The tags of the resource an ARN names, and how to replace them."""
        ctx = self._ctx
        bucket, index = ctx.checks.resource_arn(op, arn)
        if index is None:
            ctx.require_bucket(conn, op, bucket)
            return storage.bucket_tags(conn, bucket), lambda tags: storage.set_bucket_tags(
                conn, bucket, tags
            )
        index_id = ctx.require_index(conn, op, bucket, index)["id"]
        return storage.index_tags(conn, index_id), lambda tags: storage.set_index_tags(
            conn, index_id, tags
        )

    @operation("TagResource")
    def tag_resource(self, req: Request) -> dict[str, Any]:
        """TagResource: add or replace tags on a bucket or index."""
        ctx, op, kwargs = self._ctx, req.op, req.kwargs
        ctx.checks.tag_keys(op, list(kwargs["tags"]))
        with req.write() as (conn, _):
            tags, save = self._tags(conn, op, kwargs["resourceArn"])
            tags.update(kwargs["tags"])
            ctx.checks.tag_count(op, tags)
            save(tags)
        return ctx.protocol.ok({})

    @operation("UntagResource")
    def untag_resource(self, req: Request) -> dict[str, Any]:
        """UntagResource: remove tags by key (missing keys are ignored)."""
        ctx, op, kwargs = self._ctx, req.op, req.kwargs
        with req.write() as (conn, _):
            tags, save = self._tags(conn, op, kwargs["resourceArn"])
            ctx.checks.tag_keys(op, list(kwargs["tagKeys"]))
            for key in kwargs["tagKeys"]:
                tags.pop(key, None)
            save(tags)
        return ctx.protocol.ok({})

    @operation("ListTagsForResource")
    def list_tags_for_resource(self, req: Request) -> dict[str, Any]:
        """ListTagsForResource."""
        with req.read() as (conn, _):
            tags, _ = self._tags(conn, req.op, req.kwargs["resourceArn"])
        return self._ctx.protocol.ok({"tags": tags})
