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

import base64
import hashlib
import json
import math
import re
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import botocore.session
import numpy as np
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import ServiceModel, Shape
from botocore.validate import ParamValidator
from typing_extensions import Self

from langchain_s3vectors import limits
from langchain_s3vectors.filters import FilterError, validate_filter
from langchain_s3vectors.local.search import (
    FUSION_DEPTH,
    IndexCache,
    bm25_ranking,
    rrf,
    tokenizer_for,
)
from langchain_s3vectors.local.storage import Storage, segment_hash

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

__all__ = ["LocalS3VectorsClient"]

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
#: Indexes in buckets created on or after this date cannot use CLASSIC mode.
CLASSIC_CUTOFF = datetime(2026, 9, 30, tzinfo=timezone.utc).timestamp()

_NAME_RE = re.compile(limits.NAME_PATTERN)
_ARN_RE = re.compile(
    r"^arn:aws[-a-z0-9]*:s3vectors:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"bucket/(?P<bucket>[^/]+)(?:/index/(?P<index>[^/]+))?$"
)

_service_model_cache: dict[str, ServiceModel] = {}


def _service_model() -> ServiceModel:
    model = _service_model_cache.get("s3vectors")
    if model is None:
        session = botocore.session.get_session()
        model = ServiceModel(session.get_service_data("s3vectors"), service_name="s3vectors")
        _service_model_cache["s3vectors"] = model
    return model


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


class _Paginator:
    """A minimal boto3-style paginator over a ``nextToken`` operation."""

    def __init__(self, method: Callable[..., dict[str, Any]]) -> None:
        self._method = method

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        config = kwargs.pop("PaginationConfig", {}) or {}
        if "PageSize" in config:
            kwargs["maxResults"] = config["PageSize"]
        if "StartingToken" in config:
            kwargs["nextToken"] = config["StartingToken"]
        while True:
            page = self._method(**kwargs)
            yield page
            token = page.get("nextToken")
            if not token:
                return
            kwargs["nextToken"] = token


class LocalS3VectorsClient:
    """An embedded S3 Vectors with the API of ``boto3.client("s3vectors")``.

    Args:
        path: Directory holding the store (created if missing); ``None`` keeps
            everything in memory.
        region_name: Region used in ARNs.
        account_id: Twelve-digit account id used in ARNs.

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

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        region_name: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
    ) -> None:
        """Open or create the store."""
        if not re.fullmatch(r"[0-9]{12}", account_id):
            msg = f"account_id must be twelve digits, got {account_id!r}"
            raise ValueError(msg)
        if not re.fullmatch(r"[a-z0-9-]+", region_name):
            msg = f"region_name must look like 'us-east-1', got {region_name!r}"
            raise ValueError(msg)
        self._storage = Storage(path)
        self._region = region_name
        self._account = account_id
        self._model = _service_model()
        self._validator = ParamValidator()
        self.exceptions = ClientExceptionsFactory().create_client_exceptions(self._model)
        self._caches: dict[int, IndexCache] = {}

    @property
    def path(self) -> Path | None:
        """The database file, or ``None`` for an in-memory store."""
        return self._storage.db_path

    def __repr__(self) -> str:
        """Show where the store lives."""
        where = "memory" if self.path is None else str(self.path.parent)
        return f"LocalS3VectorsClient({where!r})"

    def close(self) -> None:
        """Close the database connection."""
        self._storage.close()

    def __enter__(self) -> Self:
        """Use the client as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on exit."""
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _error(self, operation: str, code: str, message: str) -> ClientError:
        shape = self._model.shape_for(code)
        status = int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
        request_id = uuid.uuid4().hex
        response = {
            "Error": {"Code": code, "Message": message},
            "message": message,
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": status,
                "HTTPHeaders": {"x-amzn-errortype": code, "x-amzn-requestid": request_id},
                "RetryAttempts": 0,
            },
        }
        cls = getattr(self.exceptions, code, ClientError)
        error: ClientError = cls(response, operation)
        return error

    def _validation(self, operation: str, message: str) -> ClientError:
        return self._error(operation, "ValidationException", message)

    def _not_found(self, operation: str, message: str) -> ClientError:
        return self._error(operation, "NotFoundException", message)

    def _validate_params(self, operation: str, params: dict[str, Any]) -> Any:
        """Validate parameters exactly as boto3 does, before anything else happens.

        botocore's ``ParamValidator`` runs against the installed service model. For
        PutVectors, walking every float of up to 500 vectors in Python would dominate
        the call, so the request is checked in two steps: a strict fast check that
        accepts only plainly valid vectors (plain dicts, string keys, one ``float32``
        list of numbers, metadata of JSON scalars and lists), and botocore's validator
        on the rest of the request. Anything the fast check does not accept goes
        through botocore's validator in full, so the errors are botocore's own.

        Returns:
            For PutVectors, the vectors' values as a float64 array when every vector
            has the same length (else ``None``); otherwise ``None``.
        """
        shape = self._model.operation_model(operation).input_shape
        if shape is None:
            return None
        light = params
        batch = None
        vectors = params.get("vectors")
        if operation == "PutVectors" and isinstance(vectors, list) and vectors:
            fast = all(_fast_vector_ok(v) for v in vectors)
            if fast:
                converted = _numeric_batch([v["data"]["float32"] for v in vectors])
                if converted is False:
                    fast = False
                elif converted is None:
                    fast = all(_floats_ok(v) for v in vectors)
                else:
                    batch = converted
            if fast:
                light = dict(params)
                light["vectors"] = [_strip_data(vectors[0])]
        report = self._validator.validate(light, shape)
        if report.has_errors() and light is not params:
            report = self._validator.validate(params, shape)
        if report.has_errors():
            raise ParamValidationError(report=report.generate_report())
        problems: list[str] = []
        if light is not params:
            # Fast-checked vectors: only the list length is left to check here (keys
            # longer than the model allows are reported by the service-side checks).
            count = len(params["vectors"])
            if count > limits.MAX_PUT_VECTORS:
                problems.append(
                    "Value at 'vectors' failed to satisfy constraint: Member must have length "
                    f"less than or equal to {limits.MAX_PUT_VECTORS} (got {count})"
                )
            params = {k: v for k, v in params.items() if k != "vectors"}
        _model_constraints(shape, params, "", problems)
        if problems:
            count = len(problems)
            msg = f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(
                problems[:5]
            )
            raise self._validation(operation, msg)
        return batch

    @staticmethod
    def _ok(body: dict[str, Any]) -> dict[str, Any]:
        request_id = uuid.uuid4().hex
        body["ResponseMetadata"] = {
            "RequestId": request_id,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": request_id, "content-type": "application/json"},
            "RetryAttempts": 0,
        }
        return body

    def _bucket_arn(self, name: str) -> str:
        return f"arn:aws:s3vectors:{self._region}:{self._account}:bucket/{name}"

    def _index_arn(self, bucket: str, name: str) -> str:
        return f"{self._bucket_arn(bucket)}/index/{name}"

    def _check_name(self, operation: str, kind: str, name: str) -> None:
        lo, hi = (
            (limits.BUCKET_NAME_MIN_LENGTH, limits.BUCKET_NAME_MAX_LENGTH)
            if kind == "vector bucket"
            else (limits.INDEX_NAME_MIN_LENGTH, limits.INDEX_NAME_MAX_LENGTH)
        )
        if not lo <= len(name) <= hi or not _NAME_RE.match(name):
            msg = (
                f"Invalid {kind} name {name!r}: use {lo} to {hi} lowercase letters, digits, "
                "hyphens (-) and dots (.), starting and ending with a letter or digit"
            )
            raise self._validation(operation, msg)

    def _parse_arn(self, operation: str, arn: str, *, want_index: bool) -> tuple[str, str | None]:
        match = _ARN_RE.match(arn)
        if match is None or (want_index and match.group("index") is None):
            kind = "index" if want_index else "vector bucket"
            raise self._validation(operation, f"Invalid {kind} ARN: {arn!r}")
        return match.group("bucket"), match.group("index")

    def _resolve_bucket(self, operation: str, params: Mapping[str, Any]) -> str:
        name = params.get("vectorBucketName")
        arn = params.get("vectorBucketArn")
        if (name is None) == (arn is None):
            msg = "Specify exactly one of vectorBucketName and vectorBucketArn"
            raise self._validation(operation, msg)
        if arn is not None:
            name, _ = self._parse_arn(operation, arn, want_index=False)
        assert name is not None  # noqa: S101 - narrowed above
        self._check_name(operation, "vector bucket", name)
        return str(name)

    def _resolve_index(self, operation: str, params: Mapping[str, Any]) -> tuple[str, str]:
        arn = params.get("indexArn")
        if arn is not None:
            if params.get("vectorBucketName") is not None or params.get("indexName") is not None:
                msg = "Specify either indexArn, or vectorBucketName and indexName, not both"
                raise self._validation(operation, msg)
            bucket, index = self._parse_arn(operation, arn, want_index=True)
            assert index is not None  # noqa: S101 - checked by _parse_arn
        else:
            bucket = str(params.get("vectorBucketName") or "")
            index = str(params.get("indexName") or "")
            if not bucket or not index:
                msg = "Specify indexArn, or both vectorBucketName and indexName"
                raise self._validation(operation, msg)
        self._check_name(operation, "vector bucket", bucket)
        self._check_name(operation, "index", index)
        return bucket, index

    def _require_bucket(
        self, conn: sqlite3.Connection, operation: str, bucket: str
    ) -> dict[str, Any]:
        row = self._storage.get_bucket(conn, bucket)
        if row is None:
            raise self._not_found(
                operation, f"The specified vector bucket could not be found: {bucket}"
            )
        return row

    def _require_index(
        self, conn: sqlite3.Connection, operation: str, bucket: str, index: str
    ) -> dict[str, Any]:
        self._require_bucket(conn, operation, bucket)
        row = self._storage.get_index(conn, bucket, index)
        if row is None:
            msg = f"The specified index could not be found: {index} (vector bucket {bucket})"
            raise self._not_found(operation, msg)
        return row

    @staticmethod
    def _timestamp(value: float) -> datetime:
        return datetime.fromtimestamp(value, tz=timezone.utc)

    @staticmethod
    def _encode_token(payload: dict[str, Any]) -> str:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _decode_token(self, operation: str, token: str, scope: str) -> dict[str, Any]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        except (ValueError, TypeError) as exc:
            raise self._validation(operation, "The provided nextToken is not valid") from exc
        if not isinstance(payload, dict) or payload.get("scope") != scope:
            msg = "The provided nextToken is not valid for this request"
            raise self._validation(operation, msg)
        return payload

    # ------------------------------------------------------------------ buckets

    def create_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """CreateVectorBucket: create a vector bucket (ConflictException if it exists)."""
        op = "CreateVectorBucket"
        self._validate_params(op, kwargs)
        name = kwargs["vectorBucketName"]
        self._check_name(op, "vector bucket", name)
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
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        try:
            json.loads(kwargs["policy"])
        except ValueError as exc:
            raise self._validation(op, "The bucket policy is not valid JSON") from exc
        with self._storage.transaction() as conn:
            self._require_bucket(conn, op, name)
            conn.execute("UPDATE buckets SET policy = ? WHERE name = ?", (kwargs["policy"], name))
        return self._ok({})

    def get_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucketPolicy."""
        op = "GetVectorBucketPolicy"
        self._validate_params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        with self._storage.read() as conn:
            row = self._require_bucket(conn, op, name)
        if row["policy"] is None:
            raise self._not_found(op, f"The vector bucket {name} has no bucket policy")
        return self._ok({"policy": row["policy"]})

    def delete_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucketPolicy."""
        op = "DeleteVectorBucketPolicy"
        self._validate_params(op, kwargs)
        name = self._resolve_bucket(op, kwargs)
        with self._storage.transaction() as conn:
            self._require_bucket(conn, op, name)
            conn.execute("UPDATE buckets SET policy = NULL WHERE name = ?", (name,))
        return self._ok({})

    def put_vector_bucket_default_index_mode(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketDefaultIndexMode."""
        op = "PutVectorBucketDefaultIndexMode"
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
        bucket = self._resolve_bucket(op, kwargs)
        name = kwargs["indexName"]
        self._check_name(op, "index", name)
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
            [(r[0], text) for r in rows if (text := _searchable_text(json.loads(r[1]).get(key)))],
        )

    def _index_body(self, row: dict[str, Any], conn: sqlite3.Connection) -> dict[str, Any]:
        config = dict(row["metadata_config"])
        if "textSearchConfigurations" in config:
            config["textSearchConfigurations"] = [
                {**item, "status": "ACTIVE"} for item in config["textSearchConfigurations"]
            ]
        del conn
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
        self._validate_params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        with self._storage.read() as conn:
            row = self._require_index(conn, op, bucket, name)
            body = self._index_body(row, conn)
        return self._ok({"index": body})

    def list_indexes(self, **kwargs: Any) -> dict[str, Any]:
        """ListIndexes, with ``prefix``, ``maxResults`` and ``nextToken``."""
        op = "ListIndexes"
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        add = (kwargs.get("add") or {}).get("textSearchConfigurations") or []
        delete = [
            d["metadataKey"]
            for d in (kwargs.get("delete") or {}).get("textSearchConfigurations") or []
        ]
        if not add and not delete:
            raise self._validation(op, "Specify add or delete textSearchConfigurations")
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
        match = _ARN_RE.match(arn)
        if match is None:
            raise self._validation(op, f"Invalid resource ARN: {arn!r}")
        bucket, index = match.group("bucket"), match.group("index")
        if index is None:
            self._require_bucket(conn, op, bucket)
            return "buckets", bucket
        row = self._require_index(conn, op, bucket, index)
        return "indexes", row["id"]

    def tag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """TagResource."""
        op = "TagResource"
        self._validate_params(op, kwargs)
        with self._storage.transaction() as conn:
            table, ident = self._tag_target(conn, op, kwargs["resourceArn"])
            column = "name" if table == "buckets" else "id"
            current = json.loads(
                conn.execute(f"SELECT tags FROM {table} WHERE {column} = ?", (ident,)).fetchone()[0]
            )
            current.update(kwargs["tags"])
            conn.execute(
                f"UPDATE {table} SET tags = ? WHERE {column} = ?", (json.dumps(current), ident)
            )
        return self._ok({})

    def untag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """UntagResource."""
        op = "UntagResource"
        self._validate_params(op, kwargs)
        with self._storage.transaction() as conn:
            table, ident = self._tag_target(conn, op, kwargs["resourceArn"])
            column = "name" if table == "buckets" else "id"
            current = json.loads(
                conn.execute(f"SELECT tags FROM {table} WHERE {column} = ?", (ident,)).fetchone()[0]
            )
            for key in kwargs["tagKeys"]:
                current.pop(key, None)
            conn.execute(
                f"UPDATE {table} SET tags = ? WHERE {column} = ?", (json.dumps(current), ident)
            )
        return self._ok({})

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        """ListTagsForResource."""
        op = "ListTagsForResource"
        self._validate_params(op, kwargs)
        with self._storage.read() as conn:
            table, ident = self._tag_target(conn, op, kwargs["resourceArn"])
            column = "name" if table == "buckets" else "id"
            tags = json.loads(
                conn.execute(f"SELECT tags FROM {table} WHERE {column} = ?", (ident,)).fetchone()[0]
            )
        return self._ok({"tags": tags})

    # ------------------------------------------------------------------ vectors

    def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectors: upsert up to 500 vectors, all or nothing."""
        op = "PutVectors"
        batch = self._validate_params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        vectors = kwargs["vectors"]
        if len(vectors) > limits.MAX_PUT_VECTORS:
            msg = f"Too many vectors in one PutVectors request: {len(vectors)} (max {limits.MAX_PUT_VECTORS})"
            raise self._validation(op, msg)
        with self._storage.transaction() as conn:
            row = self._require_index(conn, op, bucket, name)
            keys, matrix, metadata_json = self._check_vectors(op, row, vectors, batch)
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
                    if (text := _searchable_text(md.get(key_name)))
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

    def _check_vectors(
        self, op: str, index: dict[str, Any], vectors: list[dict[str, Any]], batch: Any = None
    ) -> tuple[list[str], np.ndarray[Any, np.dtype[np.float32]], list[str | None]]:
        dimension = index["dimension"]
        keys = [v["key"] for v in vectors]
        seen: set[str] = set()
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                msg = f"Vector key is too long ({len(key)} characters; max {limits.KEY_MAX_LENGTH}): {key[:64]!r}..."
                raise self._validation(op, msg)
            if key in seen:
                raise self._validation(op, f"Duplicate vector key in one request: {key!r}")
            seen.add(key)
        data = [v["data"]["float32"] for v in vectors]
        for key, values in zip(keys, data, strict=True):
            if len(values) != dimension:
                msg = f"Invalid vector for key {key!r}: dimension {len(values)} does not match the index dimension {dimension}"
                raise self._validation(op, msg)
        if batch is None:
            batch = np.array(data, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            matrix = batch.astype(np.float32).reshape(len(keys), dimension)
        finite = np.isfinite(matrix).all(axis=1)
        if not finite.all():
            key = keys[int(np.flatnonzero(~finite)[0])]
            msg = f"Invalid vector for key {key!r}: values must be finite float32 numbers (no NaN, Infinity, or values beyond float32 range)"
            raise self._validation(op, msg)
        if index["metric"] == "cosine":
            zero = ~matrix.any(axis=1)
            if zero.any():
                key = keys[int(np.flatnonzero(zero)[0])]
                msg = f"Invalid vector for key {key!r}: a zero vector has no direction and cannot be stored in a cosine index"
                raise self._validation(op, msg)
        non_filterable = set(index["metadata_config"].get("nonFilterableMetadataKeys", []))
        metadata_json = [
            self._check_metadata(op, v["key"], v.get("metadata"), non_filterable) for v in vectors
        ]
        return keys, matrix, metadata_json

    def _check_metadata(
        self, op: str, key: str, metadata: Any, non_filterable: set[str]
    ) -> str | None:
        if metadata is None:
            return None
        if not isinstance(metadata, dict):
            raise self._validation(
                op, f"Invalid metadata for key {key!r}: metadata must be a JSON object"
            )
        if len(metadata) > limits.MAX_METADATA_KEYS:
            msg = f"Invalid metadata for key {key!r}: {len(metadata)} keys (max {limits.MAX_METADATA_KEYS})"
            raise self._validation(op, msg)
        filterable = {}
        for mkey, value in metadata.items():
            if not mkey or len(mkey) > limits.METADATA_KEY_MAX_LENGTH:
                msg = f"Invalid metadata for key {key!r}: metadata key {mkey[:80]!r} must be 1 to {limits.METADATA_KEY_MAX_LENGTH} characters"
                raise self._validation(op, msg)
            problem = _metadata_value_problem(value)
            if problem:
                raise self._validation(op, f"Invalid metadata for key {key!r}: {mkey!r} {problem}")
            if mkey not in non_filterable:
                filterable[mkey] = value
        encoded = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
        total = len(encoded.encode("utf-8"))
        if total > limits.MAX_METADATA_BYTES:
            msg = f"Invalid metadata for key {key!r}: {total} bytes exceeds the {limits.MAX_METADATA_BYTES}-byte limit per vector"
            raise self._validation(op, msg)
        if filterable:
            size = total if len(filterable) == len(metadata) else _json_size(filterable)
            if size > limits.MAX_FILTERABLE_METADATA_BYTES:
                msg = (
                    f"Invalid metadata for key {key!r}: filterable metadata is {size} bytes, over the "
                    f"{limits.MAX_FILTERABLE_METADATA_BYTES}-byte limit; declare large keys in "
                    "nonFilterableMetadataKeys when creating the index"
                )
                raise self._validation(op, msg)
        return encoded

    def get_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectors: up to 100 keys; missing keys are ignored; order not promised."""
        op = "GetVectors"
        self._validate_params(op, kwargs)
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
        self._validate_params(op, kwargs)
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
            after = self._storage.bump_version(conn, index_id)
        self._after_write(index_id, row["version"], after, lambda c: c.apply_delete(unique))
        return self._ok({})

    def list_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectors: pages of up to 1,000 keys, optionally one of up to 16 segments."""
        op = "ListVectors"
        self._validate_params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        limit = self._page_size(op, kwargs, limits.MAX_LIST_VECTORS_RESULTS)
        count = kwargs.get("segmentCount")
        index = kwargs.get("segmentIndex")
        if (count is None) != (index is None):
            raise self._validation(op, "segmentCount and segmentIndex must be given together")
        if count is not None and index is not None and index >= count:
            msg = f"segmentIndex {index} must be less than segmentCount {count}"
            raise self._validation(op, msg)
        scope = f"vectors:{bucket}/{name}:{count}:{index}"
        after = ""
        if kwargs.get("nextToken"):
            after = self._decode_token(op, kwargs["nextToken"], scope)["after"]
        want_data = bool(kwargs.get("returnData"))
        want_meta = bool(kwargs.get("returnMetadata"))
        sql = "SELECT key, data, metadata FROM vectors WHERE index_id = ? AND key > ?"
        with self._storage.read() as conn:
            row = self._require_index(conn, op, bucket, name)
            args: list[Any] = [row["id"], after]
            if count is not None:
                sql += " AND seg % ? = ?"
                args += [count, index]
            rows = conn.execute(sql + " ORDER BY key LIMIT ?", (*args, limit + 1)).fetchall()
        body: dict[str, Any] = {
            "vectors": [self._record(r, want_data, want_meta) for r in rows[:limit]]
        }
        if len(rows) > limit:
            body["nextToken"] = self._encode_token({"scope": scope, "after": rows[limit - 1][0]})
        return self._ok(body)

    def _page_size(self, op: str, kwargs: Mapping[str, Any], maximum: int) -> int:
        size = kwargs.get("maxResults", maximum)
        if size > maximum:
            raise self._validation(op, f"maxResults must be at most {maximum}, got {size}")
        return int(size)

    # ------------------------------------------------------------------ query

    def _cache(self, conn: sqlite3.Connection, row: dict[str, Any]) -> IndexCache:
        cache = self._caches.get(row["id"])
        if cache is None or cache.version != row["version"]:
            cache = IndexCache.load(
                conn, row["id"], row["version"], row["metric"], row["dimension"]
            )
            self._caches[row["id"]] = cache
        return cache

    def query_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """QueryVectors: exact k-NN, full-text (BM25) or hybrid (RRF) search."""
        op = "QueryVectors"
        self._validate_params(op, kwargs)
        bucket, name = self._resolve_index(op, kwargs)
        top_k = kwargs["topK"]
        if top_k > limits.MAX_TOP_K:
            raise self._validation(
                op, f"topK must be between 1 and {limits.MAX_TOP_K}, got {top_k}"
            )
        query_vector = kwargs.get("queryVector")
        texts = kwargs.get("queryTexts") or []
        if query_vector is None and not texts:
            raise self._validation(op, "Specify queryVector, queryTexts, or both")
        flt = kwargs.get("filter")
        with self._storage.read() as conn:
            row = self._require_index(conn, op, bucket, name)
            config = row["metadata_config"]
            non_filterable = config.get("nonFilterableMetadataKeys", [])
            if flt is not None:
                try:
                    validate_filter(flt, non_filterable=non_filterable)
                except FilterError as exc:
                    raise self._validation(op, f"Invalid filter: {exc}") from exc
            mode = kwargs.get("queryMode") or row["index_mode"]
            if mode == "CLASSIC" and row["index_mode"] != "CLASSIC":
                raise self._validation(op, "queryMode CLASSIC is not available for this index")
            fields = self._storage.text_fields(conn, row["id"])
            if texts:
                if row["index_mode"] != "ENHANCED":
                    raise self._validation(op, "queryTexts requires an ENHANCED index")
                if len(texts) > limits.MAX_QUERY_TEXTS:
                    raise self._validation(
                        op, f"At most {limits.MAX_QUERY_TEXTS} queryTexts are allowed"
                    )
                text_keys = [t["metadataKey"] for t in texts]
                if len(set(text_keys)) != len(text_keys):
                    raise self._validation(
                        op, "Each queryTexts entry must use a different metadataKey"
                    )
                for t in texts:
                    if len(t["text"]) > limits.QUERY_TEXT_MAX_LENGTH:
                        raise self._validation(
                            op,
                            f"queryTexts text is longer than {limits.QUERY_TEXT_MAX_LENGTH} characters",
                        )
                    if t["metadataKey"] not in fields:
                        msg = (
                            f"Metadata key {t['metadataKey']!r} is not full-text searchable in this index; "
                            "add it with UpdateMetadataConfiguration(add={'textSearchConfigurations': [...]})"
                        )
                        raise self._validation(op, msg)
            query = None
            if query_vector is not None:
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
            cache = self._cache(conn, row)
            mask = cache.filter_mask(conn, flt) if flt is not None else None
            want = offset + top_k
            distances: dict[str, float] = {}
            if query is not None:
                depth = want + 1 if not texts else max(want + 1, FUSION_DEPTH)
                if mode == "CLASSIC" and mask is not None:
                    pos, dist = cache.nearest(query, max(4 * depth, 100), None)
                    keep = mask[pos]
                    pos, dist = pos[keep][:depth], dist[keep][:depth]
                else:
                    pos, dist = cache.nearest(query, depth, mask)
                vector_ranking = [cache.keys[p] for p in pos]
                distances = dict(zip(vector_ranking, dist.tolist(), strict=True))
            bm25: dict[str, dict[str, float]] = {}
            text_rankings: list[list[str]] = []
            for t in texts:
                language, table = fields[t["metadataKey"]]
                ranked = bm25_ranking(conn, table, t["text"], language)
                if mask is not None:
                    ranked = [
                        r
                        for r in ranked
                        if (p := cache.positions.get(r[0])) is not None and mask[p]
                    ]
                text_rankings.append([r[0] for r in ranked])
                for key, score in ranked:
                    bm25.setdefault(key, {})[t["metadataKey"]] = score
            if texts and query is None and len(texts) == 1:
                order = text_rankings[0]
                fused = rrf(text_rankings, depth=len(order))
            elif texts:
                rankings = ([vector_ranking] if query is not None else []) + text_rankings
                fused = rrf(rankings)
                order = sorted(fused, key=lambda k: (-fused[k], k))
            else:
                order = vector_ranking
                fused = {}
            page = order[offset:want]
            has_more = len(order) > want
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
        results = []
        for key in page:
            item: dict[str, Any] = {"key": key}
            if kwargs.get("returnDistance") and key in distances:
                item["distance"] = distances[key]
            if kwargs.get("returnMetadata"):
                item["metadata"] = metadata.get(key, {})
            if kwargs.get("returnScores"):
                scores: dict[str, Any] = {}
                if texts:
                    scores["fused"] = fused.get(key, 0.0)
                    scores["bm25Scores"] = [
                        {"metadataKey": mk, "score": s} for mk, s in bm25.get(key, {}).items()
                    ]
                if key in distances:
                    scores["vectorDistance"] = distances[key]
                item["scores"] = scores
            results.append(item)
        body: dict[str, Any] = {"vectors": results, "distanceMetric": row["metric"]}
        if has_more:
            body["nextToken"] = self._encode_token({"scope": scope, "offset": want})
        return self._ok(body)

    # ------------------------------------------------------------------ boto3 extras

    def get_paginator(self, operation_name: str) -> _Paginator:
        """Return a paginator for ``list_vectors``, ``list_indexes`` or ``list_vector_buckets``."""
        methods = {
            "list_vectors": self.list_vectors,
            "list_indexes": self.list_indexes,
            "list_vector_buckets": self.list_vector_buckets,
        }
        if operation_name not in methods:
            msg = f"Operation cannot be paginated: {operation_name}"
            raise ValueError(msg)
        return _Paginator(methods[operation_name])

    def can_paginate(self, operation_name: str) -> bool:
        """Whether :meth:`get_paginator` supports an operation."""
        return operation_name in ("list_vectors", "list_indexes", "list_vector_buckets")


def _model_constraints(shape: Shape, value: Any, path: str, problems: list[str]) -> None:
    """Check what the service enforces from the model but botocore does not: max and enum."""
    if value is None:
        return
    meta = shape.metadata
    where = path or "input"
    if shape.type_name == "structure" and isinstance(value, dict):
        if meta.get("document"):
            return
        members = shape.members
        for name, member in members.items():
            if name in value:
                _model_constraints(
                    member, value[name], f"{path}.{name}" if path else name, problems
                )
    elif shape.type_name == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: Member must have length "
                f"less than or equal to {meta['max']} (got {len(value)})"
            )
        member = shape.member
        if member.type_name in ("float", "double", "integer", "long", "boolean"):
            return
        for i, item in enumerate(value):
            _model_constraints(member, item, f"{where}[{i}]", problems)
    elif shape.type_name == "string" and isinstance(value, str):
        enum = shape.enum
        if enum and value not in enum:
            problems.append(
                f"Value {value!r} at '{where}' failed to satisfy constraint: Member must "
                f"satisfy enum value set: [{', '.join(enum)}]"
            )
        if "max" in meta and len(value) > meta["max"]:
            problems.append(
                f"Value at '{where}' failed to satisfy constraint: Member must have length "
                f"less than or equal to {meta['max']} (got {len(value)})"
            )
    elif shape.type_name in ("integer", "long") and isinstance(value, int):
        if "max" in meta and value > meta["max"]:
            problems.append(
                f"Value {value} at '{where}' failed to satisfy constraint: Member must have "
                f"value less than or equal to {meta['max']}"
            )


_SCALARS = (str, int, float, bool)


def _fast_vector_ok(vector: Any) -> bool:
    """Strict subset of what botocore accepts for a ``PutInputVector``."""
    if type(vector) is not dict or not vector.keys() <= {"key", "data", "metadata"}:
        return False
    key = vector.get("key")
    data = vector.get("data")
    if type(key) is not str or not key or type(data) is not dict or len(data) != 1:
        return False
    if type(data.get("float32")) is not list:
        return False
    if "metadata" not in vector:
        return True
    metadata = vector["metadata"]
    if type(metadata) is not dict:
        return False
    for value in metadata.values():
        if type(value) in _SCALARS:
            continue
        if type(value) is list and all(type(item) in _SCALARS for item in value):
            continue
        return False
    return True


def _numeric_batch(rows: list[list[Any]]) -> Any:
    """Convert equal-length numeric rows to one float64 array.

    Returns the array; ``False`` when some value is not a number (so botocore must
    judge); ``None`` when the rows differ in length (checked one by one instead).
    """
    try:
        arr = np.array(rows)
    except (ValueError, TypeError):
        return None
    if arr.ndim != 2 or arr.dtype.kind not in "fiub":  # noqa: PLR2004
        return None if arr.dtype == object else False
    return arr.astype(np.float64, copy=False)


def _strip_data(vector: Any) -> Any:
    if isinstance(vector, dict) and isinstance(vector.get("data"), dict):
        data = vector["data"]
        if isinstance(data.get("float32"), list):
            light = dict(vector)
            light["data"] = {**data, "float32": []}
            return light
    return vector


def _floats_ok(vector: Any) -> bool:
    """Whether a vector's float32 list holds only what botocore accepts (numbers)."""
    values = vector["data"]["float32"]
    if not values:
        return True
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):
        return False
    if arr.ndim == 1 and arr.dtype.kind in "fiub":
        return True
    return all(isinstance(v, (int, float)) or type(v).__name__ == "Decimal" for v in values)


def _metadata_value_problem(value: Any) -> str | None:
    if isinstance(value, bool | str):
        return None
    if isinstance(value, int | float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list | dict) or item is None:
                return "is a list; list elements must be strings, numbers or booleans"
            if isinstance(item, float) and not math.isfinite(item):
                return "is a list with a non-finite number"
        return None
    if value is None:
        return "is null; metadata values must be strings, numbers, booleans or lists of those"
    return f"has unsupported type {type(value).__name__}; metadata values must be strings, numbers, booleans or lists of those"


def _searchable_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        parts = [v for v in value if isinstance(v, str)]
        return " ".join(parts) or None
    return None
