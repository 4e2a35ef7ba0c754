"""Shared plumbing of the embedded S3 Vectors client: storage, errors, names, ARNs."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Self

import botocore.session
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError
from botocore.model import ServiceModel

from langchain_s3vectors import limits
from langchain_s3vectors.local.storage import Storage
from langchain_s3vectors.local.validation import RequestChecker, field_problem
from langchain_s3vectors.local.vectorfile import drop_checkpoints, write_checkpoint

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    from langchain_s3vectors.local.search import (
        IndexCache,
    )


logger = logging.getLogger(__name__)

#: :meth:`ClientBase.close` checkpoints indexes of at least this many vectors (smaller
#: ones are read from SQLite in milliseconds).
CHECKPOINT_MIN_VECTORS = 20_000

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"
#: Indexes in buckets created on or after this date cannot use CLASSIC mode.
CLASSIC_CUTOFF = datetime(2026, 9, 30, tzinfo=UTC).timestamp()

NAME_RE = re.compile(limits.NAME_PATTERN)
BUCKET_NAME_RE = re.compile(limits.BUCKET_NAME_PATTERN)
#: How much of a long key a ListVectors token carries (characters); see ``_after_token``.
TOKEN_KEY_PREFIX = 200
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
    def region_name(self) -> str:
        """The region this store is in (vector buckets are regional; ARNs carry it)."""
        return self._region

    @property
    def path(self) -> Path | None:
        """The database file, or ``None`` for an in-memory store."""
        return self._storage.db_path

    def __repr__(self) -> str:
        """Show where the store lives."""
        where = "memory" if self.path is None else str(self.path.parent)
        return f"LocalS3VectorsClient({where!r})"

    def checkpoint(self, *, min_vectors: int = 0) -> int:
        """Write the memory-mapped vector files of every index changed since its last ones.

        A later process then opens these indexes without reading their vectors out of
        SQLite (see :mod:`langchain_s3vectors.local.vectorfile`). :meth:`close` calls
        this for indexes of at least :data:`CHECKPOINT_MIN_VECTORS` vectors. Safe to
        run while other processes read and write the store; a checkpoint overtaken by
        a concurrent write is dropped and written again next time.

        Args:
            min_vectors: Skip indexes with fewer vectors.

        Returns:
            How many indexes got a new checkpoint (always 0 in memory).
        """
        directory = self._storage.vector_dir
        if directory is None or getattr(self._storage, "read_only", False):
            return 0
        with self._storage.read() as conn:
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM indexes ORDER BY id")]
        written = sum(
            write_checkpoint(self._storage, directory, index_id, min_vectors=min_vectors)
            for index_id in ids
        )
        if directory.exists():
            drop_checkpoints(self._storage, directory)
        return written

    def close(self) -> None:
        """Checkpoint changed indexes (see :meth:`checkpoint`), then close the database.

        Only a client that wrote something checkpoints; a reader, or a store that cannot
        be written (read-only files), is closed as it is.
        """
        try:
            if self._storage.wrote:
                self.checkpoint(min_vectors=CHECKPOINT_MIN_VECTORS)
        except (sqlite3.Error, OSError) as exc:
            logger.debug("vector checkpoint skipped: %s", exc)
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

    def _invalid_field(self, operation: str, path: str, constraint: str, value: Any) -> ClientError:
        """A ValidationException worded as the service words it, with ``fieldList``."""
        return self._checker.invalid_fields(
            operation, [field_problem(path, constraint, value=value)]
        )

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
        if kind == "vector bucket":
            # S3 User Guide, "Vector bucket naming rules": no dots in bucket names.
            lo, hi = limits.BUCKET_NAME_MIN_LENGTH, limits.BUCKET_NAME_MAX_LENGTH
            pattern, allowed = BUCKET_NAME_RE, "lowercase letters, digits and hyphens (-)"
        else:
            lo, hi = limits.INDEX_NAME_MIN_LENGTH, limits.INDEX_NAME_MAX_LENGTH
            pattern, allowed = NAME_RE, "lowercase letters, digits, hyphens (-) and dots (.)"
        if not lo <= len(name) <= hi or not pattern.match(name):
            msg = (
                f"Invalid {kind} name {name!r}: use {lo} to {hi} {allowed}, "
                "starting and ending with a letter or digit"
            )
            raise self._validation(operation, msg)

    def _parse_arn(self, operation: str, arn: str, *, want_index: bool) -> tuple[str, str | None]:
        match = ARN_RE.match(arn)
        if match is None or (want_index and match.group("index") is None):
            kind = "index" if want_index else "vector bucket"
            raise self._validation(operation, f"Invalid {kind} ARN: {arn!r}")
        self._check_arn_home(operation, match)
        return match.group("bucket"), match.group("index")

    def _check_arn_home(self, operation: str, match: re.Match[str]) -> None:
        """Buckets are regional and belong to an account: another region's ARN is not here."""
        region, account = match.group("region"), match.group("account")
        if region != self._region or account != self._account:
            kind = "index" if match.group("index") else "vector bucket"
            msg = (
                f"The {kind} ARN names region {region} and account {account}, but this "
                f"endpoint serves region {self._region} and account {self._account}"
            )
            raise self._not_found(operation, msg)

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
        """An opaque token: the payload as compact UTF-8 JSON, URL-safe base64.

        The scope is hashed, so a token's length does not grow with names; callers keep
        every other field short (see :meth:`_after_token`).
        """
        payload = {**payload, "scope": _scope_hash(str(payload["scope"]))}
        raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode()

    def _decode_token(self, operation: str, token: str, scope: str) -> dict[str, Any]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        except (ValueError, TypeError) as exc:
            raise self._validation(operation, "The provided nextToken is not valid") from exc
        if not isinstance(payload, dict) or payload.get("scope") != _scope_hash(scope):
            msg = "The provided nextToken is not valid for this request"
            raise self._validation(operation, msg)
        return payload

    @staticmethod
    def _after_token(scope: str, key: str) -> str:
        """A token resuming after ``key``, within the model's 2,048 characters.

        A key of up to ``TOKEN_KEY_PREFIX`` characters travels whole. A longer one (keys
        run to 1,024 characters of any UTF-8, so up to 4 KiB) travels as its first
        ``TOKEN_KEY_PREFIX`` characters and a hash of the whole; :meth:`_resume_key`
        finds it again among the keys sharing that prefix.
        """
        if len(key) <= TOKEN_KEY_PREFIX:
            return ClientBase._encode_token({"scope": scope, "after": key})
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return ClientBase._encode_token(
            {"scope": scope, "prefix": key[:TOKEN_KEY_PREFIX], "hash": digest}
        )

    @staticmethod
    def _resume_key(
        conn: sqlite3.Connection, sql: str, args: tuple[Any, ...], payload: dict[str, Any]
    ) -> str:
        """The key to list after, from a token of :meth:`_after_token`.

        ``sql`` selects the candidate keys ``>= ?`` in key order. When the long key has
        been deleted since, listing resumes at its prefix: keys may repeat, none is skipped.
        """
        if "after" in payload:
            return str(payload["after"])
        prefix, digest = str(payload.get("prefix", "")), str(payload.get("hash", ""))
        for (candidate,) in conn.execute(sql, (*args, prefix)):
            if not candidate.startswith(prefix):
                break
            if hashlib.sha256(candidate.encode()).hexdigest()[:24] == digest:
                return str(candidate)
        return prefix

    def _page_size(
        self, op: str, kwargs: Mapping[str, Any], maximum: int, default: int | None = None
    ) -> int:
        size = kwargs.get("maxResults", maximum if default is None else default)
        if size > maximum:
            raise self._invalid_field(
                op, "maxResults", f"Member must have value less than or equal to {maximum}", size
            )
        return int(size)


def _scope_hash(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:16]
