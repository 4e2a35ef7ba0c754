"""Control plane of the embedded S3 Vectors client: buckets, indexes, policies, tags."""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.local.base import ARN_RE, CLASSIC_CUTOFF, ClientBase
from langchain_s3vectors.local.search import (
    searchable_text,
    tokenizer_for,
)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping


class ResourcesMixin(ClientBase):
    """Vector buckets, indexes, bucket policies and tags."""

    # ------------------------------------------------------------------ buckets

    def create_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """CreateVectorBucket: create a vector bucket (ConflictException if it exists)."""
        op = "CreateVectorBucket"
        self._checker.params(op, kwargs)
        name = kwargs["vectorBucketName"]
        self._check_name(op, "vector bucket", name)
        self._check_new_tags(op, kwargs.get("tags"))
        encryption = self._encryption(op, kwargs.get("encryptionConfiguration"))
        with self._storage.transaction() as conn:
            if self._storage.get_bucket(conn, name) is not None:
                raise self._error(
                    op, "ConflictException", f"A vector bucket named {name} already exists"
                )
            conn.execute(
                "INSERT INTO buckets (name, created, encryption, default_index_mode, tags) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    name,
                    time.time(),
                    json.dumps(encryption),
                    limits.DEFAULT_INDEX_MODE,
                    json.dumps(kwargs.get("tags") or {}),
                ),
            )
        return self._ok({"vectorBucketArn": self._bucket_arn(name)})

    def _encryption(self, op: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
        if not config:
            return {"sseType": "AES256"}
        sse = config.get("sseType", "AES256")
        if sse == "aws:kms" and not config.get("kmsKeyArn"):
            raise self._validation(op, "kmsKeyArn is required when sseType is aws:kms")
        if sse == "AES256" and config.get("kmsKeyArn"):
            raise self._validation(op, "kmsKeyArn can only be used with sseType aws:kms")
        return dict(config)

    def get_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucket."""
        op = "GetVectorBucket"
        self._checker.params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        with self._storage.read() as conn:
            row = self._require_bucket(conn, op, name)
        return self._ok(
            {
                "vectorBucket": {
                    "vectorBucketName": name,
                    "vectorBucketArn": self._bucket_arn(name),
                    "creationTime": self._timestamp(row["created"]),
                    "encryptionConfiguration": row["encryption"],
                    "defaultIndexMode": row["default_index_mode"],
                }
            }
        )

    def list_vector_buckets(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectorBuckets, with ``prefix``, ``maxResults`` and ``nextToken``."""
        op = "ListVectorBuckets"
        self._checker.params(op, kwargs)
        limit = self._page_size(op, kwargs, limits.MAX_LIST_RESOURCES_RESULTS)
        prefix = kwargs.get("prefix", "")
        after = ""
        if kwargs.get("nextToken"):
            after = self._decode_token(op, kwargs["nextToken"], f"buckets:{prefix}")["after"]
        with self._storage.read() as conn:
            rows = conn.execute(
                "SELECT name, created FROM buckets WHERE name > ? AND substr(name, 1, ?) = ? "
                "ORDER BY name LIMIT ?",
                (after, len(prefix), prefix, limit + 1),
            ).fetchall()
        body: dict[str, Any] = {
            "vectorBuckets": [
                {
                    "vectorBucketName": r[0],
                    "vectorBucketArn": self._bucket_arn(r[0]),
                    "creationTime": self._timestamp(r[1]),
                }
                for r in rows[:limit]
            ]
        }
        if len(rows) > limit:
            body["nextToken"] = self._encode_token(
                {"scope": f"buckets:{prefix}", "after": rows[limit - 1][0]}
            )
        return self._ok(body)

    def delete_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucket (ConflictException while it still has indexes)."""
        op = "DeleteVectorBucket"
        self._checker.params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        with self._storage.transaction() as conn:
            self._require_bucket(conn, op, name)
            count = conn.execute(
                "SELECT count(*) FROM indexes WHERE bucket = ?", (name,)
            ).fetchone()[0]
            if count:
                msg = f"The vector bucket {name} is not empty: delete its {count} index(es) first"
                raise self._error(op, "ConflictException", msg)
            conn.execute("DELETE FROM buckets WHERE name = ?", (name,))
        return self._ok({})

    def put_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketPolicy: store the policy document (must be JSON)."""
        op = "PutVectorBucketPolicy"
        self._checker.params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        self._check_policy(op, kwargs["policy"])
        with self._storage.transaction() as conn:
            self._require_bucket(conn, op, name)
            conn.execute("UPDATE buckets SET policy = ? WHERE name = ?", (kwargs["policy"], name))
        return self._ok({})

    def _check_policy(self, op: str, policy: str) -> None:
        """A bucket policy is an IAM policy document: a JSON object with ``Statement``.

        The model calls it "the JSON that defines the policy" (User Guide, "Managing
        vector bucket policies"); the embedded store checks its shape, not its grammar.
        """
        try:
            document = json.loads(policy)
        except ValueError as exc:
            raise self._validation(op, "The bucket policy is not valid JSON") from exc
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not isinstance(statements, (list, dict)):
            msg = (
                "The bucket policy is not a policy document: it must be a JSON object with a "
                '"Statement" list, e.g. {"Version": "2012-10-17", "Statement": [...]}'
            )
            raise self._error(op, "ValidationException", msg)

    def get_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucketPolicy."""
        op = "GetVectorBucketPolicy"
        self._checker.params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        with self._storage.read() as conn:
            row = self._require_bucket(conn, op, name)
        if row["policy"] is None:
            raise self._not_found(op, f"The vector bucket {name} has no bucket policy")
        return self._ok({"policy": row["policy"]})

    def delete_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucketPolicy."""
        op = "DeleteVectorBucketPolicy"
        self._checker.params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        with self._storage.transaction() as conn:
            self._require_bucket(conn, op, name)
            conn.execute("UPDATE buckets SET policy = NULL WHERE name = ?", (name,))
        return self._ok({})

    def put_vector_bucket_default_index_mode(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketDefaultIndexMode."""
        op = "PutVectorBucketDefaultIndexMode"
        self._checker.params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        mode = kwargs["defaultIndexMode"]
        with self._storage.transaction() as conn:
            row = self._require_bucket(conn, op, name)
            self._check_mode(op, mode, row["created"])
            conn.execute("UPDATE buckets SET default_index_mode = ? WHERE name = ?", (mode, name))
        return self._ok({})

    def _check_mode(self, op: str, mode: str, bucket_created: float) -> None:
        if mode == "CLASSIC" and bucket_created >= CLASSIC_CUTOFF:
            msg = (
                "CLASSIC index mode is only available to indexes in vector buckets created "
                "before 2026-09-30; use ENHANCED"
            )
            raise self._validation(op, msg)

    # ------------------------------------------------------------------ indexes

    def create_index(self, **kwargs: Any) -> dict[str, Any]:
        """CreateIndex (ConflictException if it exists; the existing one stays intact)."""
        op = "CreateIndex"
        self._checker.params(op, kwargs)
        bucket = self._resolve_bucket(op, kwargs)
        name = kwargs["indexName"]
        self._check_name(op, "index", name)
        self._check_new_tags(op, kwargs.get("tags"))
        dimension = kwargs["dimension"]
        if not limits.MIN_DIMENSION <= dimension <= limits.MAX_DIMENSION:
            msg = f"Invalid dimension {dimension}: must be between {limits.MIN_DIMENSION} and {limits.MAX_DIMENSION}"
            raise self._validation(op, msg)
        config = self._metadata_configuration(op, kwargs.get("metadataConfiguration") or {})
        encryption = self._encryption(op, kwargs.get("encryptionConfiguration"))
        with self._storage.transaction() as conn:
            brow = self._require_bucket(conn, op, bucket)
            if self._storage.get_index(conn, bucket, name) is not None:
                msg = f"An index named {name} already exists in vector bucket {bucket}"
                raise self._error(op, "ConflictException", msg)
            mode = brow["default_index_mode"]
            if config.get("textSearchConfigurations") and mode != "ENHANCED":
                raise self._validation(op, "Full-text search requires an ENHANCED index")
            cur = conn.execute(
                "INSERT INTO indexes (bucket, name, created, dimension, metric, data_type, "
                "metadata_config, encryption, index_mode, tags) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    bucket,
                    name,
                    time.time(),
                    dimension,
                    kwargs["distanceMetric"],
                    kwargs["dataType"],
                    json.dumps(config),
                    json.dumps(encryption),
                    mode,
                    json.dumps(kwargs.get("tags") or {}),
                ),
            )
            index_id = int(cur.lastrowid or 0)
            for item in config.get("textSearchConfigurations", []):
                self._add_text_field(conn, index_id, item["metadataKey"], item.get("language"))
        return self._ok({"indexArn": self._index_arn(bucket, name)})

    def _metadata_configuration(self, op: str, config: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        nfk = list(config.get("nonFilterableMetadataKeys") or [])
        if len(nfk) > limits.MAX_NON_FILTERABLE_KEYS:
            msg = f"nonFilterableMetadataKeys has {len(nfk)} keys; at most {limits.MAX_NON_FILTERABLE_KEYS} are allowed"
            raise self._validation(op, msg)
        if len(set(nfk)) != len(nfk):
            raise self._validation(op, "nonFilterableMetadataKeys contains duplicate keys")
        for key in nfk:
            if len(key) > limits.METADATA_KEY_MAX_LENGTH:
                raise self._validation(
                    op, f"Metadata key too long (max {limits.METADATA_KEY_MAX_LENGTH}): {key!r}"
                )
        if nfk:
            result["nonFilterableMetadataKeys"] = nfk
        text = config.get("textSearchConfigurations")
        if text is not None:
            result["textSearchConfigurations"] = self._text_configs(op, text)
        return result

    def _text_configs(self, op: str, items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        if len(items) > limits.MAX_TEXT_SEARCH_KEYS:
            msg = f"At most {limits.MAX_TEXT_SEARCH_KEYS} textSearchConfigurations are allowed, got {len(items)}"
            raise self._validation(op, msg)
        keys = [i["metadataKey"] for i in items]
        if len(set(keys)) != len(keys):
            raise self._validation(op, "textSearchConfigurations contains duplicate metadata keys")
        out = []
        for item in items:
            if len(item["metadataKey"]) > limits.METADATA_KEY_MAX_LENGTH:
                raise self._validation(op, f"Metadata key too long: {item['metadataKey']!r}")
            entry = {"metadataKey": item["metadataKey"]}
            if item.get("language"):
                entry["language"] = item["language"]
            out.append(entry)
        return out

    def _add_text_field(
        self, conn: sqlite3.Connection, index_id: int, key: str, language: str | None
    ) -> None:
        table = f"fts_{index_id}_{hashlib.sha256(key.encode()).hexdigest()[:16]}"
        conn.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5(body, tokenize = '{tokenizer_for(language)}')"
        )
        conn.execute(
            "INSERT INTO text_fields (index_id, metadata_key, language, fts_table) VALUES (?,?,?,?)",
            (index_id, key, language, table),
        )
        # Backfill from the vectors already stored.
        path = "$." + json.dumps(key)
        rows = conn.execute(
            "SELECT rowid, metadata FROM vectors WHERE index_id = ? AND json_type(metadata, ?) IS NOT NULL",
            (index_id, path),
        ).fetchall()
        conn.executemany(
            f"INSERT INTO {table} (rowid, body) VALUES (?, ?)",
            [(r[0], text) for r in rows if (text := searchable_text(json.loads(r[1]).get(key)))],
        )

    def _index_body(self, row: dict[str, Any]) -> dict[str, Any]:
        config = dict(row["metadata_config"])
        if "textSearchConfigurations" in config:
            config["textSearchConfigurations"] = [
                {**item, "status": "ACTIVE"} for item in config["textSearchConfigurations"]
            ]
        return {
            "vectorBucketName": row["bucket"],
            "indexName": row["name"],
            "indexArn": self._index_arn(row["bucket"], row["name"]),
            "creationTime": self._timestamp(row["created"]),
            "dataType": row["data_type"],
            "dimension": row["dimension"],
            "distanceMetric": row["metric"],
            "metadataConfiguration": config,
            "encryptionConfiguration": row["encryption"],
            "indexMode": row["index_mode"],
        }

    def get_index(self, **kwargs: Any) -> dict[str, Any]:
        """GetIndex."""
        op = "GetIndex"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        with self._storage.read() as conn:
            row = self._require_index(conn, op, bucket, name)
            body = self._index_body(row)
        return self._ok({"index": body})

    def list_indexes(self, **kwargs: Any) -> dict[str, Any]:
        """ListIndexes, with ``prefix``, ``maxResults`` and ``nextToken``."""
        op = "ListIndexes"
        self._checker.params(op, kwargs)
        bucket = self._resolve_bucket(op, kwargs)
        limit = self._page_size(op, kwargs, limits.MAX_LIST_RESOURCES_RESULTS)
        prefix = kwargs.get("prefix", "")
        scope = f"indexes:{bucket}:{prefix}"
        after = ""
        if kwargs.get("nextToken"):
            after = self._decode_token(op, kwargs["nextToken"], scope)["after"]
        with self._storage.read() as conn:
            self._require_bucket(conn, op, bucket)
            rows = conn.execute(
                "SELECT name, created FROM indexes WHERE bucket = ? AND name > ? "
                "AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
                (bucket, after, len(prefix), prefix, limit + 1),
            ).fetchall()
        body: dict[str, Any] = {
            "indexes": [
                {
                    "vectorBucketName": bucket,
                    "indexName": r[0],
                    "indexArn": self._index_arn(bucket, r[0]),
                    "creationTime": self._timestamp(r[1]),
                }
                for r in rows[:limit]
            ]
        }
        if len(rows) > limit:
            body["nextToken"] = self._encode_token({"scope": scope, "after": rows[limit - 1][0]})
        return self._ok(body)

    def delete_index(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteIndex: the index and every vector in it."""
        op = "DeleteIndex"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        with self._storage.transaction() as conn:
            row = self._require_index(conn, op, bucket, name)
            for _, table in self._storage.text_fields(conn, row["id"]).values():
                conn.execute(f"DROP TABLE {table}")
            conn.execute("DELETE FROM text_fields WHERE index_id = ?", (row["id"],))
            conn.execute("DELETE FROM vectors WHERE index_id = ?", (row["id"],))
            conn.execute("DELETE FROM indexes WHERE id = ?", (row["id"],))
        self._caches.pop(row["id"], None)
        return self._ok({})

    def update_index_mode(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateIndexMode (CLASSIC only for buckets created before 2026-09-30)."""
        op = "UpdateIndexMode"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        mode = kwargs["indexMode"]
        with self._storage.transaction() as conn:
            row = self._require_index(conn, op, bucket, name)
            brow = self._require_bucket(conn, op, bucket)
            self._check_mode(op, mode, brow["created"])
            if mode == "CLASSIC" and row["metadata_config"].get("textSearchConfigurations"):
                raise self._validation(op, "An index with full-text search must stay ENHANCED")
            conn.execute("UPDATE indexes SET index_mode = ? WHERE id = ?", (mode, row["id"]))
        return self._ok({})

    def update_metadata_configuration(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateMetadataConfiguration: add or delete full-text searchable keys."""
        op = "UpdateMetadataConfiguration"
        self._checker.params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        add = (kwargs.get("add") or {}).get("textSearchConfigurations") or []
        delete = [
            d["metadataKey"]
            for d in (kwargs.get("delete") or {}).get("textSearchConfigurations") or []
        ]
        if not add and not delete:
            raise self._validation(op, "Specify add or delete textSearchConfigurations")
        if "add" in kwargs and "delete" in kwargs:
            # The model: "Specify either add or delete, but not both."
            msg = "Specify either add or delete, not both: send two UpdateMetadataConfiguration requests"
            raise self._validation(op, msg)
        add_items = self._text_configs(op, add)
        with self._storage.transaction() as conn:
            row = self._require_index(conn, op, bucket, name)
            if row["index_mode"] != "ENHANCED":
                raise self._validation(
                    op, "Full-text search requires an ENHANCED index; call UpdateIndexMode first"
                )
            config = row["metadata_config"]
            current = {i["metadataKey"]: i for i in config.get("textSearchConfigurations", [])}
            fields = self._storage.text_fields(conn, row["id"])
            for key in delete:
                if key not in current:
                    raise self._validation(
                        op, f"Metadata key {key!r} is not full-text searchable in this index"
                    )
                del current[key]
                conn.execute(f"DROP TABLE {fields[key][1]}")
                conn.execute(
                    "DELETE FROM text_fields WHERE index_id = ? AND metadata_key = ?",
                    (row["id"], key),
                )
            for item in add_items:
                if item["metadataKey"] in current:
                    msg = f"Metadata key {item['metadataKey']!r} is already full-text searchable"
                    raise self._error(op, "ConflictException", msg)
                current[item["metadataKey"]] = item
            if len(current) > limits.MAX_TEXT_SEARCH_KEYS:
                raise self._validation(
                    op, f"At most {limits.MAX_TEXT_SEARCH_KEYS} full-text searchable keys per index"
                )
            for item in add_items:
                self._add_text_field(conn, row["id"], item["metadataKey"], item.get("language"))
            config = dict(config)
            if current:
                config["textSearchConfigurations"] = list(current.values())
            else:
                config.pop("textSearchConfigurations", None)
            conn.execute(
                "UPDATE indexes SET metadata_config = ? WHERE id = ?",
                (json.dumps(config), row["id"]),
            )
        return self._ok({"indexArn": self._index_arn(bucket, name)})

    # ------------------------------------------------------------------ tags

    def _tag_target(self, conn: sqlite3.Connection, op: str, arn: str) -> tuple[str, Any]:
        match = ARN_RE.match(arn)
        if match is None:
            raise self._validation(op, f"Invalid resource ARN: {arn!r}")
        self._check_arn_home(op, match)
        bucket, index = match.group("bucket"), match.group("index")
        if index is None:
            self._require_bucket(conn, op, bucket)
            return "buckets", bucket
        row = self._require_index(conn, op, bucket, index)
        return "indexes", row["id"]

    def _tags(self, conn: sqlite3.Connection, op: str, arn: str) -> tuple[str, Any, dict[str, str]]:
        table, ident = self._tag_target(conn, op, arn)
        column = "name" if table == "buckets" else "id"
        row = conn.execute(f"SELECT tags FROM {table} WHERE {column} = ?", (ident,)).fetchone()
        return f"UPDATE {table} SET tags = ? WHERE {column} = ?", ident, json.loads(row[0])

    def tag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """TagResource: add or replace tags on a bucket or index."""
        op = "TagResource"
        self._checker.params(op, kwargs)
        self._check_tag_keys(op, list(kwargs["tags"]))
        with self._storage.transaction() as conn:
            update, ident, tags = self._tags(conn, op, kwargs["resourceArn"])
            tags.update(kwargs["tags"])
            self._check_tag_count(op, tags)
            conn.execute(update, (json.dumps(tags), ident))
        return self._ok({})

    def _check_new_tags(self, op: str, tags: Mapping[str, Any] | None) -> None:
        if tags:
            self._check_tag_keys(op, list(tags))
            self._check_tag_count(op, tags)

    def _check_tag_keys(self, op: str, keys: list[str]) -> None:
        """Tag keys starting with ``aws:`` are reserved for AWS (S3 User Guide, "Tagging")."""
        for key in keys:
            if key.lower().startswith("aws:"):
                msg = f"Tag key {key!r} is reserved: keys starting with 'aws:' belong to AWS"
                raise self._validation(op, msg)

    def _check_tag_count(self, op: str, tags: Mapping[str, Any]) -> None:
        """At most 50 tags per resource (model documentation of TagResource)."""
        if len(tags) > limits.MAX_TAGS:
            msg = (
                f"A resource can have at most {limits.MAX_TAGS} tags; this request would leave "
                f"{len(tags)}: remove some with UntagResource first"
            )
            raise self._validation(op, msg)

    def untag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """UntagResource: remove tags by key (missing keys are ignored)."""
        op = "UntagResource"
        self._checker.params(op, kwargs)
        with self._storage.transaction() as conn:
            update, ident, tags = self._tags(conn, op, kwargs["resourceArn"])
            self._check_tag_keys(op, list(kwargs["tagKeys"]))
            for key in kwargs["tagKeys"]:
                tags.pop(key, None)
            conn.execute(update, (json.dumps(tags), ident))
        return self._ok({})

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        """ListTagsForResource."""
        op = "ListTagsForResource"
        self._checker.params(op, kwargs)
        with self._storage.read() as conn:
            _, _, tags = self._tags(conn, op, kwargs["resourceArn"])
        return self._ok({"tags": tags})
