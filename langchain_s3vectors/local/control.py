"""Control plane of the embedded S3 Vectors client: buckets, indexes, policies, tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.local import fulltext_storage, storage
from langchain_s3vectors.local.fulltext import add_field

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from langchain_s3vectors.local.context import Context


class ControlPlane:
    """Vector buckets, indexes, bucket policies and tags.

    Args:
        ctx: The store, the request checks, the responses and the index caches.
    """

    def __init__(self, ctx: Context) -> None:
        """Manage the resources of the store of ``ctx``."""
        self._ctx = ctx

    # -- buckets -----------------------------------------------------------------------

    def create_vector_bucket(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """CreateVectorBucket: create a vector bucket (ConflictException if it exists)."""
        op = "CreateVectorBucket"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        name = kwargs["vectorBucketName"]
        ctx.checks.name(op, "vector bucket", name)
        ctx.checks.new_tags(op, kwargs.get("tags"))
        encryption = ctx.checks.encryption(op, kwargs.get("encryptionConfiguration"))
        with ctx.storage.transaction() as conn:
            if storage.get_bucket(conn, name) is not None:
                raise ctx.protocol.conflict(op, f"A vector bucket named {name} already exists")
            storage.insert_bucket(
                conn, name, encryption, limits.DEFAULT_INDEX_MODE, kwargs.get("tags") or {}
            )
        return ctx.protocol.ok({"vectorBucketArn": ctx.protocol.bucket_arn(name)})

    def get_vector_bucket(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """GetVectorBucket."""
        op = "GetVectorBucket"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        name = ctx.checks.bucket(op, kwargs)
        with ctx.storage.read() as conn:
            row = ctx.require_bucket(conn, op, name)
        bucket = {
            "vectorBucketName": name,
            "vectorBucketArn": ctx.protocol.bucket_arn(name),
            "creationTime": ctx.protocol.timestamp(row["created"]),
            "encryptionConfiguration": row["encryption"],
            "defaultIndexMode": row["default_index_mode"],
        }
        return ctx.protocol.ok({"vectorBucket": bucket})

    def list_vector_buckets(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """ListVectorBuckets, with ``prefix``, ``maxResults`` and ``nextToken``."""
        op = "ListVectorBuckets"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        limit = ctx.checks.page_size(op, kwargs, limits.MAX_LIST_RESOURCES_RESULTS)
        prefix = kwargs.get("prefix", "")
        scope = f"buckets:{prefix}"
        after = ""
        if kwargs.get("nextToken"):
            after = ctx.checks.token(op, kwargs["nextToken"], scope)["after"]
        with ctx.storage.read() as conn:
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

    def delete_vector_bucket(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """DeleteVectorBucket (ConflictException while it still has indexes)."""
        op = "DeleteVectorBucket"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        name = ctx.checks.bucket(op, kwargs)
        with ctx.storage.transaction() as conn:
            ctx.require_bucket(conn, op, name)
            count = storage.count_indexes(conn, name)
            if count:
                msg = f"The vector bucket {name} is not empty: delete its {count} index(es) first"
                raise ctx.protocol.conflict(op, msg)
            storage.delete_bucket(conn, name)
        return ctx.protocol.ok({})

    def put_vector_bucket_policy(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """PutVectorBucketPolicy: store the policy document (must be JSON)."""
        op = "PutVectorBucketPolicy"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        name = ctx.checks.bucket(op, kwargs)
        ctx.checks.policy(op, kwargs["policy"])
        with ctx.storage.transaction() as conn:
            ctx.require_bucket(conn, op, name)
            storage.set_bucket_policy(conn, name, kwargs["policy"])
        return ctx.protocol.ok({})

    def get_vector_bucket_policy(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """GetVectorBucketPolicy."""
        op = "GetVectorBucketPolicy"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        name = ctx.checks.bucket(op, kwargs)
        with ctx.storage.read() as conn:
            row = ctx.require_bucket(conn, op, name)
        if row["policy"] is None:
            raise ctx.protocol.not_found(op, f"The vector bucket {name} has no bucket policy")
        return ctx.protocol.ok({"policy": row["policy"]})

    def delete_vector_bucket_policy(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """DeleteVectorBucketPolicy."""
        op = "DeleteVectorBucketPolicy"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        name = ctx.checks.bucket(op, kwargs)
        with ctx.storage.transaction() as conn:
            ctx.require_bucket(conn, op, name)
            storage.set_bucket_policy(conn, name, None)
        return ctx.protocol.ok({})

    def put_vector_bucket_default_index_mode(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """PutVectorBucketDefaultIndexMode."""
        op = "PutVectorBucketDefaultIndexMode"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        name = ctx.checks.bucket(op, kwargs)
        mode = kwargs["defaultIndexMode"]
        with ctx.storage.transaction() as conn:
            row = ctx.require_bucket(conn, op, name)
            ctx.checks.index_mode(op, mode, row["created"])
            storage.set_bucket_default_mode(conn, name, mode)
        return ctx.protocol.ok({})

    # -- indexes -----------------------------------------------------------------------

    def create_index(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """CreateIndex (ConflictException if it exists; the existing one stays intact)."""
        op = "CreateIndex"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket = ctx.checks.bucket(op, kwargs)
        name = kwargs["indexName"]
        ctx.checks.name(op, "index", name)
        ctx.checks.new_tags(op, kwargs.get("tags"))
        ctx.checks.dimension(op, kwargs["dimension"])
        config = ctx.checks.metadata_configuration(op, kwargs.get("metadataConfiguration") or {})
        encryption = ctx.checks.encryption(op, kwargs.get("encryptionConfiguration"))
        with ctx.storage.transaction() as conn:
            brow = ctx.require_bucket(conn, op, bucket)
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

    def get_index(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """GetIndex."""
        op = "GetIndex"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        with ctx.storage.read() as conn:
            row = ctx.require_index(conn, op, bucket, name)
        return ctx.protocol.ok({"index": self._index_body(row)})

    def list_indexes(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """ListIndexes, with ``prefix``, ``maxResults`` and ``nextToken``."""
        op = "ListIndexes"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket = ctx.checks.bucket(op, kwargs)
        limit = ctx.checks.page_size(op, kwargs, limits.MAX_LIST_RESOURCES_RESULTS)
        prefix = kwargs.get("prefix", "")
        scope = f"indexes:{bucket}:{prefix}"
        after = ""
        if kwargs.get("nextToken"):
            after = ctx.checks.token(op, kwargs["nextToken"], scope)["after"]
        with ctx.storage.read() as conn:
            ctx.require_bucket(conn, op, bucket)
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

    def delete_index(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """DeleteIndex: the index and every vector in it."""
        op = "DeleteIndex"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        with ctx.storage.transaction() as conn:
            row = ctx.require_index(conn, op, bucket, name)
            storage.delete_index(conn, row["id"])
        ctx.caches.drop(row["id"])
        return ctx.protocol.ok({})

    def update_index_mode(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """UpdateIndexMode (CLASSIC only for buckets created before 2026-09-30)."""
        op = "UpdateIndexMode"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        mode = kwargs["indexMode"]
        with ctx.storage.transaction() as conn:
            row = ctx.require_index(conn, op, bucket, name)
            brow = ctx.require_bucket(conn, op, bucket)
            ctx.checks.index_mode(op, mode, brow["created"])
            ctx.checks.mode_change(op, mode, row)
            storage.set_index_mode(conn, row["id"], mode)
        return ctx.protocol.ok({})

    def update_metadata_configuration(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """UpdateMetadataConfiguration: add or delete full-text searchable keys."""
        op = "UpdateMetadataConfiguration"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        bucket, name = ctx.checks.index(op, kwargs)
        add, delete = ctx.checks.text_search_update(op, kwargs)
        with ctx.storage.transaction() as conn:
            row = ctx.require_index(conn, op, bucket, name)
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
        return ctx.protocol.ok({"indexArn": ctx.protocol.index_arn(bucket, name)})

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

    def tag_resource(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """TagResource: add or replace tags on a bucket or index."""
        op = "TagResource"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        ctx.checks.tag_keys(op, list(kwargs["tags"]))
        with ctx.storage.transaction() as conn:
            tags, save = self._tags(conn, op, kwargs["resourceArn"])
            tags.update(kwargs["tags"])
            ctx.checks.tag_count(op, tags)
            save(tags)
        return ctx.protocol.ok({})

    def untag_resource(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """UntagResource: remove tags by key (missing keys are ignored)."""
        op = "UntagResource"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        with ctx.storage.transaction() as conn:
            tags, save = self._tags(conn, op, kwargs["resourceArn"])
            ctx.checks.tag_keys(op, list(kwargs["tagKeys"]))
            for key in kwargs["tagKeys"]:
                tags.pop(key, None)
            save(tags)
        return ctx.protocol.ok({})

    def list_tags_for_resource(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """ListTagsForResource."""
        op = "ListTagsForResource"
        ctx = self._ctx
        ctx.checks.params(op, kwargs)
        with ctx.storage.read() as conn:
            tags, _ = self._tags(conn, op, kwargs["resourceArn"])
        return ctx.protocol.ok({"tags": tags})
