"""Serve an embedded S3 Vectors store over HTTP, speaking the real S3 Vectors protocol.

The app answers the Amazon S3 Vectors REST-JSON protocol exactly as botocore speaks
it, so ``boto3.client("s3vectors", endpoint_url=...)``, the AWS CLI
(``aws s3vectors --endpoint-url ...``) and any other S3 Vectors SDK can talk to a
:class:`~langchain_s3vectors.local.LocalS3VectorsClient` (or any other boto3-shaped
``s3vectors`` client) as if it were the service. Routes, status codes and error codes
come from botocore's ``s3vectors`` service model:

* ``POST /<OperationName>`` with a JSON body for most operations;
* ``GET`` / ``POST`` / ``DELETE`` ``/tags/{resourceArn}`` for the tag operations
  (``tagKeys`` in the query string for ``DELETE``).

Errors carry the status code of the model's error shape, an ``x-amzn-ErrorType``
header and a ``{"message": ...}`` body, so botocore raises ``ClientError`` with
``response["Error"]["Code"]`` equal to the service error code.

There is **no authentication**: any credentials and any signature are accepted. Bind it
to loopback (the default); :func:`run` logs a loud warning otherwise.

Two switches simulate the real service for load tests: ``latency_ms`` adds a
non-blocking delay to every request, and ``enforce_write_caps`` applies the per-index
write limits (PutVectors + DeleteVectors: 1,000 requests/s and 2,500 vectors/s, as a
token bucket holding one second of capacity, or a strict one-second sliding window),
answering ``TooManyRequestsException`` (429) beyond them so botocore's retry handler is
exercised.

Requires the ``server`` extra: ``pip install "langchain-s3vectors[server]"``.

Example:
    >>> from langchain_s3vectors.server import create_app
    >>> app = create_app(None)  # an in-memory store
    >>> sorted(route.path for route in app.routes)[:2]
    ['/CreateIndex', '/CreateVectorBucket']

    From a shell, serve a store directory and point the AWS CLI at it::

        python -m langchain_s3vectors.server --path ./vectors --port 8000
        aws s3vectors list-vector-buckets --endpoint-url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import json
import logging
import math
import re
import socket
import threading
import time
import uuid
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

from langchain_s3vectors import limits
from langchain_s3vectors.local.validation import payload_too_large_message

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Sequence

    from starlette.requests import Request

try:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response
    from starlette.routing import Route
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    msg = (
        "The S3 Vectors HTTP server needs the 'server' extra: "
        'pip install "langchain-s3vectors[server]"'
    )
    raise ImportError(msg) from exc

__all__ = ["WRITE_CAPS_MODES", "WriteCaps", "create_app", "main", "run", "serve_in_thread"]

logger = logging.getLogger(__name__)

SERVICE_NAME = "s3vectors"
_WRITE_OPERATIONS = {"PutVectors": "vectors", "DeleteVectors": "keys"}
_JSON_HEADERS = {"content-type": "application/json"}

try:  # orjson is optional; it makes large GetVectors/ListVectors answers cheaper.
    import orjson

    def _loads(data: bytes) -> Any:
        return orjson.loads(data)

    def _dumps(value: Any) -> bytes:
        return orjson.dumps(
            value,
            default=_json_default,
            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_SERIALIZE_NUMPY,
        )

except ImportError:  # pragma: no cover - exercised only where orjson is missing

    def _loads(data: bytes) -> Any:
        return json.loads(data)

    def _dumps(value: Any) -> bytes:
        return json.dumps(value, default=_json_default).encode("utf-8")


def _json_default(value: Any) -> Any:
    """Encode what JSON lacks: timestamps as epoch seconds, numpy values as lists."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).timestamp()
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    msg = f"Cannot encode {type(value).__name__} as JSON; return JSON-compatible values."
    raise TypeError(msg)


#: How :class:`WriteCaps` counts: a token bucket holding one second of capacity (bursts
#: up to the cap, then the cap's rate), or a strict one-second sliding window.
WRITE_CAPS_MODES = ("token-bucket", "sliding-window")


@dataclass
class WriteCaps:
    """Per-index write limits: requests and vectors per second.

    ``mode="token-bucket"`` (the default) holds one second of capacity per index and
    refills it at the cap's rate, so a burst up to the cap passes and the long-run rate
    cannot exceed it. ``mode="sliding-window"`` is stricter: no one-second window may
    hold more than the cap.

    Args:
        requests_per_second: PutVectors + DeleteVectors requests admitted per index.
        vectors_per_second: Vectors written + deleted per index.
        mode: ``"token-bucket"`` or ``"sliding-window"``.
        clock: Monotonic clock in seconds (a parameter so tests can drive it).

    Example:
        >>> caps = WriteCaps(requests_per_second=2, vectors_per_second=10)
        >>> caps.admit("bucket/index", 6), caps.admit("bucket/index", 6)
        (True, False)
    """

    requests_per_second: int = limits.MAX_WRITE_REQUESTS_PER_SECOND
    vectors_per_second: int = limits.MAX_WRITE_VECTORS_PER_SECOND
    mode: str = "token-bucket"
    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, deque[tuple[float, int]]] = field(default_factory=dict, repr=False)
    _buckets: dict[str, list[float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Check the settings."""
        if self.mode not in WRITE_CAPS_MODES:
            msg = f"mode={self.mode!r} is not one of {', '.join(WRITE_CAPS_MODES)}"
            raise ValueError(msg)
        if self.requests_per_second <= 0 or self.vectors_per_second <= 0:
            msg = "write caps must be positive numbers of requests and vectors per second"
            raise ValueError(msg)

    def admit(self, index: str, vectors: int) -> bool:
        """Admit a write of ``vectors`` vectors to ``index``, or refuse it.

        A refused write uses no capacity. A single write larger than the vector cap is
        admitted when the index has its full capacity, so it cannot be refused forever.

        Args:
            index: Any string naming the index (bucket and index name, or ARN).
            vectors: Vectors the request writes or deletes.

        Returns:
            ``True`` when the write fits.
        """
        if self.mode == "token-bucket":
            return self._admit_bucket(index, vectors)
        return self._admit_window(index, vectors)

    def _admit_bucket(self, index: str, vectors: int) -> bool:
        now = self.clock()
        requests_cap, vectors_cap = float(self.requests_per_second), float(self.vectors_per_second)
        state = self._buckets.setdefault(index, [requests_cap, vectors_cap, now])
        elapsed = max(0.0, now - state[2])
        state[0] = min(requests_cap, state[0] + elapsed * requests_cap)
        state[1] = min(vectors_cap, state[1] + elapsed * vectors_cap)
        state[2] = now
        fits = state[0] >= 1.0 and (state[1] >= vectors or state[1] >= vectors_cap)
        if fits:
            state[0] -= 1.0
            state[1] -= vectors
        return fits

    def _admit_window(self, index: str, vectors: int) -> bool:
        now = self.clock()
        window = self._windows.setdefault(index, deque())
        while window and window[0][0] <= now - 1.0:
            window.popleft()
        total = sum(count for _, count in window)
        fits = len(window) < self.requests_per_second and (
            total + vectors <= self.vectors_per_second or not window
        )
        if fits:
            window.append((now, vectors))
        return fits


class _ServiceError(Exception):
    """An error answer: status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _error_response(
    status: int, code: str, message: str, extra: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {"message": message}
    if extra:
        body.update(extra)
    headers = {
        **_JSON_HEADERS,
        "x-amzn-ErrorType": code,
        "x-amzn-requestid": str(uuid.uuid4()),
    }
    return Response(_dumps(body), status_code=status, headers=headers)


#: The region of a SigV4 ``Authorization`` header's credential scope.
_CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z]{2}(?:-[a-z]+)+-\d{1,2})/")
#: How many regions one server keeps a store for (each is one SQLite database).
MAX_REGIONS = 32


class _Regions:
    """One store per region, as on AWS, where vector buckets are regional.

    The region comes from the request's SigV4 credential scope, so ARNs carry the
    caller's region and a bucket made in one region is not seen from another (S3 User
    Guide, "Vector buckets"). The served store answers for its own region
    (``region_name``, ``us-east-1`` by default) and for unsigned requests; another
    region gets a store of its own: in memory beside an in-memory store, or under
    ``<path>/regions/<region>`` beside a store directory. A client object that is not a
    :class:`LocalS3VectorsClient` answers for every region.
    """

    def __init__(self, client: Any, factory: Callable[[str], Any] | None) -> None:
        self.default = client
        self.home = getattr(client, "region_name", None)
        self._factory = factory
        self._stores: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client_for(self, request: Request) -> Any:
        match = _CREDENTIAL_REGION.search(request.headers.get("authorization", ""))
        region = match.group(1) if match else None
        if region is None or self._factory is None or region == self.home:
            return self.default
        with self._lock:
            store = self._stores.get(region)
            if store is None:
                if len(self._stores) >= MAX_REGIONS:
                    msg = f"This server keeps stores for at most {MAX_REGIONS} regions."
                    raise _ServiceError(400, "ValidationException", msg)
                store = self._stores[region] = self._factory(region)
        return store


class _Dispatcher:
    """Turns HTTP requests into client calls and client answers into HTTP responses."""

    def __init__(
        self,
        client: Any,
        model: ServiceModel,
        *,
        latency_ms: float,
        caps: WriteCaps | None,
        regions: _Regions | None = None,
    ) -> None:
        self.client = client
        self.regions = regions or _Regions(client, None)
        self.model = model
        self.latency = max(0.0, latency_ms) / 1000.0
        self.caps = caps
        self.error_status = {
            shape.name: int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
            for shape in model.error_shapes
        }

    def endpoint(self, operations: dict[str, OperationModel]) -> Callable[..., Awaitable[Response]]:
        """Build the Starlette endpoint serving ``operations`` keyed by HTTP method."""

        async def handle(request: Request) -> Response:
            operation = operations.get(request.method)
            if operation is None:  # pragma: no cover - Starlette checks methods first
                return _error_response(405, "MethodNotAllowedException", "Method not allowed.")
            return await self.call(operation, request)

        return handle

    async def call(self, operation: OperationModel, request: Request) -> Response:
        """Serve one request for ``operation``."""
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            params = await self._parse_request(operation, request)
            self._check_write_caps(operation.name, params)
            method = self._client_method(operation.name, self.regions.client_for(request))
            result = await run_in_threadpool(method, **params)
        except _ServiceError as exc:
            return _error_response(exc.status, exc.code, exc.message)
        except ParamValidationError as exc:
            return _param_error_response(exc)
        except ClientError as exc:
            return self._client_error_response(exc)
        except Exception:
            logger.exception("%s failed inside the store", operation.name)
            return _error_response(
                500, "InternalServerException", f"{operation.name} failed inside the store."
            )
        return self._render_output(operation, result)

    @staticmethod
    def _client_method(operation: str, client: Any) -> Callable[..., Any]:
        method: Callable[..., Any] | None = getattr(client, xform_name(operation), None)
        if method is None:
            raise _ServiceError(
                501,
                "NotImplementedException",
                f"{operation} is not implemented by {type(client).__name__}.",
            )
        return method

    async def _parse_request(self, operation: OperationModel, request: Request) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:  # pragma: no cover - every s3vectors operation has an input
            return {}
        params: dict[str, Any] = {}
        body_members: dict[str, str] = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if location == "uri":
                if wire_name in request.path_params:
                    params[name] = request.path_params[wire_name]
            elif location == "querystring":
                self._read_query(request, name, wire_name, member, params)
            elif location == "header":
                if wire_name in request.headers:
                    params[name] = request.headers[wire_name]
            else:
                body_members[wire_name] = name
        raw = await _read_body(request)
        body = _parse_body(raw)
        if _NON_FINITE_MARKERS.search(raw):
            # botocore writes NaN and infinities of float members as JSON strings.
            body = _decode_non_finite(body, shape)
        for key, value in body.items():
            # An unknown member is passed on as is: the client's validator rejects it.
            params[body_members.get(key, key)] = value
        return params

    @staticmethod
    def _read_query(
        request: Request, name: str, wire_name: str, member: Shape, params: dict[str, Any]
    ) -> None:
        if wire_name not in request.query_params:
            return
        if member.type_name == "list":
            params[name] = request.query_params.getlist(wire_name)
        elif member.type_name in ("integer", "long"):
            try:
                params[name] = int(request.query_params[wire_name])
            except ValueError as exc:
                msg = f"Query parameter {wire_name} must be an integer."
                raise _ServiceError(400, "ValidationException", msg) from exc
        else:
            params[name] = request.query_params[wire_name]

    def _check_write_caps(self, operation: str, params: dict[str, Any]) -> None:
        if self.caps is None or operation not in _WRITE_OPERATIONS:
            return
        items = params.get(_WRITE_OPERATIONS[operation])
        count = len(items) if isinstance(items, list) else 0
        index = params.get("indexArn") or (
            f"{params.get('vectorBucketName')}/{params.get('indexName')}"
        )
        if not self.caps.admit(str(index), count):
            raise _ServiceError(
                429,
                "TooManyRequestsException",
                "Write rate exceeded for this index: at most "
                f"{self.caps.requests_per_second} requests and "
                f"{self.caps.vectors_per_second} vectors per second. Retry with backoff.",
            )

    def _client_error_response(self, exc: ClientError) -> Response:
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "InternalServerException")
        message = str(error.get("Message") or exc)
        status = self.error_status.get(code)
        if status is None:
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        extra = {}
        shape = self.model.shape_for_error_code(code)
        if isinstance(shape, StructureShape):
            extra = {
                name: exc.response[name]
                for name in shape.members
                if name != "message" and name in exc.response
            }
        return _error_response(status, code, message, extra)

    @staticmethod
    def _render_output(operation: OperationModel, result: Any) -> Response:
        shape = operation.output_shape
        status = int(operation.http.get("responseCode", 200))
        headers = {**_JSON_HEADERS, "x-amzn-requestid": str(uuid.uuid4())}
        body: dict[str, Any] = {}
        if isinstance(result, dict):
            members = shape.members if isinstance(shape, StructureShape) else {}
            for name, value in result.items():
                if name == "ResponseMetadata" or value is None:
                    continue
                member = members.get(name)
                location = member.serialization.get("location") if member else None
                if member is not None and location == "header":
                    headers[member.serialization.get("name", name)] = str(value)
                elif member is not None and location == "statusCode":
                    status = int(value)
                elif member is not None:
                    body[member.serialization.get("name", name)] = value
        return Response(_dumps(body), status_code=status, headers=headers)


def _param_error_response(exc: ParamValidationError) -> Response:
    """A ValidationException as the service words it, with the model's ``fieldList``.

    The embedded client raises botocore's client-side ``ParamValidationError`` (what
    boto3 raises before sending); on the wire the service answers ``1 validation error
    detected: Value ... at 'topK' failed to satisfy constraint: ...`` instead.
    """
    fields = getattr(exc, "field_list", None)
    if not fields:
        return _error_response(400, "ValidationException", str(exc))
    count = len(fields)
    message = f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(
        f["message"] for f in fields[:5]
    )
    field_list = [{"path": f["path"], "message": f["message"]} for f in fields]
    return _error_response(400, "ValidationException", message, {"fieldList": field_list})


async def _read_body(request: Request) -> bytes:
    """Read the request body, refusing one over the 20 MiB payload limit.

    Limitations page: "Request payload size: Up to 20 MiB". A declared
    ``Content-Length`` over the limit is refused at once; a body that grows past it is
    read to the end (so the client sees the answer, not a reset) and discarded.
    """
    limit = limits.MAX_REQUEST_PAYLOAD_BYTES
    declared = request.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit and not (declared.isdigit() and int(declared) > limit):
            chunks.append(chunk)
    if size > limit or (declared.isdigit() and int(declared) > limit):
        chunks.clear()
        message = payload_too_large_message(max(size, int(declared) if declared.isdigit() else 0))
        raise _ServiceError(400, "ValidationException", message)
    return b"".join(chunks)


def _parse_body(raw: bytes) -> dict[str, Any]:
    """Parse a JSON request body (empty means no members)."""
    if not raw.strip():
        return {}
    try:
        body = _loads(raw)
    except ValueError as exc:
        msg = f"The request body is not valid JSON: {exc}"
        raise _ServiceError(400, "SerializationException", msg) from exc
    if not isinstance(body, dict):
        msg = "The request body must be a JSON object."
        raise _ServiceError(400, "SerializationException", msg)
    return body


_NON_FINITE_MARKERS = re.compile(rb'"(?:NaN|-?Infinity)"')
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _decode_non_finite(value: Any, shape: Shape) -> Any:
    """Turn botocore's ``"NaN"`` and ``"Infinity"`` strings back into floats.

    Only members the model types as float or double are decoded; documents such as
    metadata and filters are left alone.
    """
    kind = shape.type_name
    if kind in ("float", "double"):
        return _NON_FINITE.get(value, value) if isinstance(value, str) else value
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        if shape.is_document_type:
            return value
        members = shape.members
        return {
            key: _decode_non_finite(item, members[key]) if key in members else item
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        member = shape.member
        return [_decode_non_finite(item, member) for item in value]
    if kind == "map" and isinstance(value, dict):
        value_shape = shape.value
        return {key: _decode_non_finite(item, value_shape) for key, item in value.items()}
    return value


def _route_path(uri: str) -> str:
    """Turn a model ``requestUri`` into a Starlette path (labels may hold slashes)."""
    path = uri.split("?", 1)[0]
    for label in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        name = label.rstrip("+")
        path = path.replace("{" + label + "}", "{" + name + ":path}")
    return path


def _make_client(path_or_client: Any, region_name: str = "us-east-1") -> Any:
    if path_or_client is None or isinstance(path_or_client, (str, Path)):
        from langchain_s3vectors.local import LocalS3VectorsClient  # noqa: PLC0415

        return LocalS3VectorsClient(path_or_client, region_name=region_name)
    return path_or_client


def _regional_factory(client: Any) -> Callable[[str], Any] | None:
    """How to open another region's store beside the served one (see :class:`_Regions`)."""
    from langchain_s3vectors.local import LocalS3VectorsClient  # noqa: PLC0415

    if not isinstance(client, LocalS3VectorsClient):
        return None
    root = client.path.parent if client.path is not None else None

    def open_region(region: str) -> Any:
        where = None if root is None else root / "regions" / region
        return LocalS3VectorsClient(where, region_name=region)

    return open_region


def create_app(
    path_or_client: str | Path | Any | None,
    *,
    latency_ms: float = 0.0,
    enforce_write_caps: bool = False,
    write_requests_per_second: int = limits.MAX_WRITE_REQUESTS_PER_SECOND,
    write_vectors_per_second: int = limits.MAX_WRITE_VECTORS_PER_SECOND,
    write_caps_mode: str = "token-bucket",
    region_name: str = "us-east-1",
) -> Starlette:
    """Build the ASGI app serving a store over the S3 Vectors protocol.

    Args:
        path_or_client: A store directory (``str`` or ``Path``), ``None`` for an
            in-memory store, or any boto3-shaped ``s3vectors`` client to serve.
        latency_ms: Delay added to every request, without blocking other requests.
        enforce_write_caps: Answer ``TooManyRequestsException`` (429) when an index
            gets more writes than the caps below, as the service does.
        write_requests_per_second: PutVectors + DeleteVectors requests per index.
        write_vectors_per_second: Vectors written + deleted per index.
        write_caps_mode: ``"token-bucket"`` (bursts up to one second of capacity) or
            ``"sliding-window"`` (no one-second window over the caps); see
            :class:`WriteCaps`.
        region_name: The region of a store opened from a path (or ``None``); requests
            signed for other regions get stores of their own (see :class:`_Regions`).

    Returns:
        A Starlette app; serve it with uvicorn or any ASGI server. ``app.state.client``
        is the client behind it.

    Example:
        >>> app = create_app(None, latency_ms=50, enforce_write_caps=True)
        >>> any(route.path == "/PutVectors" for route in app.routes)
        True
    """
    client = _make_client(path_or_client, region_name)
    model = botocore.session.get_session().get_service_model(SERVICE_NAME)
    caps = (
        WriteCaps(
            requests_per_second=write_requests_per_second,
            vectors_per_second=write_vectors_per_second,
            mode=write_caps_mode,
        )
        if enforce_write_caps
        else None
    )
    regions = _Regions(client, _regional_factory(client))
    dispatcher = _Dispatcher(client, model, latency_ms=latency_ms, caps=caps, regions=regions)
    by_path: dict[str, dict[str, OperationModel]] = {}
    for name in model.operation_names:
        operation = model.operation_model(name)
        path = _route_path(operation.http["requestUri"])
        by_path.setdefault(path, {})[operation.http.get("method", "POST")] = operation
    routes = [
        Route(path, dispatcher.endpoint(operations), methods=list(operations))
        for path, operations in sorted(by_path.items())
    ]

    async def unknown(request: Request) -> Response:
        return _error_response(
            404,
            "UnknownOperationException",
            f"No S3 Vectors operation at {request.method} {request.url.path}.",
        )

    app = Starlette(routes=routes)
    app.add_route("/{rest:path}", unknown, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    app.state.client = client
    return app


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` only accepts connections from this machine.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0")
        (True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_exposed(host: str) -> None:
    """Log a loud warning when the unauthenticated server listens beyond loopback."""
    if not is_loopback(host):
        logger.warning(
            "!!! The S3 Vectors server on %s is UNAUTHENTICATED: anyone who can reach "
            "this address can read, overwrite and delete every vector. Bind to 127.0.0.1 "
            "unless the network is private. !!!",
            host,
        )


def run(
    path: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    latency_ms: float = 0.0,
    enforce_write_caps: bool = False,
    write_caps_mode: str = "token-bucket",
    fd: int | None = None,
    log_level: str = "warning",
    region_name: str = "us-east-1",
    access_log: bool = False,
) -> None:
    """Serve the store at ``path`` with uvicorn until interrupted.

    Args:
        path: Store directory, or ``None`` for an in-memory store.
        host: Interface to bind; anything but loopback logs a loud warning, since
            there is no authentication.
        port: TCP port.
        latency_ms: Delay added to every request.
        enforce_write_caps: Enforce the per-index write caps (429 beyond them).
        write_caps_mode: ``"token-bucket"`` or ``"sliding-window"``.
        fd: An already bound, listening socket's file descriptor to serve on instead
            of binding ``host``/``port`` (lets a parent process pick the port).
        log_level: uvicorn's log level (``"info"`` also logs where it listens).
        region_name: The region of the store at ``path``.
        access_log: Log one line per request (needs ``log_level="info"``).

    Example:
        >>> run("./vectors", port=8000)  # doctest: +SKIP
    """
    import uvicorn  # noqa: PLC0415

    warn_if_exposed(host)
    app = create_app(
        path,
        latency_ms=latency_ms,
        enforce_write_caps=enforce_write_caps,
        write_caps_mode=write_caps_mode,
        region_name=region_name,
    )
    if fd is not None:
        sock = socket.socket(fileno=fd)
        config = uvicorn.Config(app, log_level=log_level, access_log=access_log)
        uvicorn.Server(config).run(sockets=[sock])
        return
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)


@contextmanager
def serve_in_thread(
    path_or_client: str | Path | Any | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_ms: float = 0.0,
    enforce_write_caps: bool = False,
    write_requests_per_second: int = limits.MAX_WRITE_REQUESTS_PER_SECOND,
    write_vectors_per_second: int = limits.MAX_WRITE_VECTORS_PER_SECOND,
    write_caps_mode: str = "token-bucket",
) -> Iterator[str]:
    """Serve a store from a background thread for the duration of a ``with`` block.

    The listening socket is bound before the block starts, so requests made at once
    wait in the socket's backlog instead of failing: no readiness polling is needed.

    Args:
        path_or_client: As in :func:`create_app`.
        host: Interface to bind (loopback by default).
        port: TCP port; ``0`` picks a free one.
        latency_ms: Delay added to every request.
        enforce_write_caps: Enforce the per-index write caps (429 beyond them).
        write_requests_per_second: Write requests per index and second.
        write_vectors_per_second: Vectors written or deleted per index and second.
        write_caps_mode: ``"token-bucket"`` or ``"sliding-window"``.

    Yields:
        The endpoint URL, e.g. ``"http://127.0.0.1:54321"``.

    Example:
        >>> import boto3
        >>> with serve_in_thread(None) as url:
        ...     client = boto3.client(
        ...         "s3vectors",
        ...         endpoint_url=url,
        ...         region_name="us-east-1",
        ...         aws_access_key_id="test",
        ...         aws_secret_access_key="test",
        ...     )
        ...     client.list_vector_buckets()["vectorBuckets"]
        []
    """
    import uvicorn  # noqa: PLC0415

    warn_if_exposed(host)
    app = create_app(
        path_or_client,
        latency_ms=latency_ms,
        enforce_write_caps=enforce_write_caps,
        write_requests_per_second=write_requests_per_second,
        write_vectors_per_second=write_vectors_per_second,
        write_caps_mode=write_caps_mode,
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="s3vectors-server", daemon=True
    )
    thread.start()
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    try:
        yield f"http://{url_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: ``python -m langchain_s3vectors.server``.

    Example:
        >>> main(["--path", "./vectors", "--port", "8000"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(
        prog="python -m langchain_s3vectors.server",
        description="Serve a local S3 Vectors store over the S3 Vectors HTTP protocol "
        "(no authentication: keep it on loopback).",
    )
    parser.add_argument("--path", default=None, help="store directory (default: in memory)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fd", type=int, default=None, help="serve on this listening socket")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--enforce-write-caps", action="store_true")
    parser.add_argument("--write-caps-mode", choices=WRITE_CAPS_MODES, default="token-bucket")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--region", default="us-east-1", help="region of the store at --path (default: us-east-1)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    run(
        args.path,
        args.host,
        args.port,
        latency_ms=args.latency_ms,
        enforce_write_caps=args.enforce_write_caps,
        write_caps_mode=args.write_caps_mode,
        fd=args.fd,
        log_level=args.log_level,
        region_name=args.region,
    )


if __name__ == "__main__":
    main()
