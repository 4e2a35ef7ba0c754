"""Shared plumbing of the embedded S3 Vectors client: storage, errors, names, ARNs."""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

import botocore.session
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError
from botocore.model import ServiceModel

from langchain_s3vectors import limits
from langchain_s3vectors.local.storage import Storage
from langchain_s3vectors.local.validation import RequestChecker

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from langchain_s3vectors.local.search import (
        IndexCache,
    )


DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
#: Indexes in buckets created on or after this date cannot use CLASSIC mode.
CLASSIC_CUTOFF = datetime(2026, 9, 30, tzinfo=UTC).timestamp()

NAME_RE = re.compile(limits.NAME_PATTERN)
ARN_RE = re.compile(
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


class Paginator:
    """A minimal boto3-style paginator over a ``nextToken`` operation."""

    def __init__(self, method: Callable[..., dict[str, Any]]) -> None:
        """Wrap a list method that takes ``maxResults`` and ``nextToken``."""
        self._method = method

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Yield every page (``PaginationConfig``: ``PageSize``, ``StartingToken``)."""
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


class ClientBase:
    """Storage, request checking, error building and name resolution."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        region_name: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        read_only: bool = False,
    ) -> None:
        """Open or create the store (``read_only``: open an existing one for reading)."""
        if not re.fullmatch(r"[0-9]{12}", account_id):
            msg = f"account_id must be twelve digits, got {account_id!r}"
            raise ValueError(msg)
        if not re.fullmatch(r"[a-z0-9-]+", region_name):
            msg = f"region_name must look like 'us-east-1', got {region_name!r}"
            raise ValueError(msg)
        self._storage = Storage(path, read_only=read_only)
        self._region = region_name
        self._account = account_id
        self._model = _service_model()
        self.exceptions = ClientExceptionsFactory().create_client_exceptions(self._model)
        self._checker = RequestChecker(self._model, self._error)
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
        if not lo <= len(name) <= hi or not NAME_RE.match(name):
            msg = (
                f"Invalid {kind} name {name!r}: use {lo} to {hi} lowercase letters, digits, "
                "hyphens (-) and dots (.), starting and ending with a letter or digit"
            )
            raise self._validation(operation, msg)

    def _parse_arn(self, operation: str, arn: str, *, want_index: bool) -> tuple[str, str | None]:
        match = ARN_RE.match(arn)
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
        return datetime.fromtimestamp(value, tz=UTC)

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

    def _page_size(self, op: str, kwargs: Mapping[str, Any], maximum: int) -> int:
        size = kwargs.get("maxResults", maximum)
        if size > maximum:
            raise self._validation(op, f"maxResults must be at most {maximum}, got {size}")
        return int(size)
