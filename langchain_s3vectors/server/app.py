"""The ASGI app: one route per S3 Vectors operation, each handed to a client method.

:func:`create_app` builds the routes from botocore's service model. Each request is
parsed by the :mod:`~langchain_s3vectors.server.protocol` codec, checked against the
write caps of :mod:`~langchain_s3vectors.server.throttle`, and handed to the method of
the same name (``PutVectors`` -> ``put_vectors``) on the store of the request's region,
in a worker thread so the event loop keeps serving.

Example:
    >>> app = create_app(None)  # an in-memory store
    >>> sorted(route.path for route in app.routes)[:2]
    ['/CreateIndex', '/CreateVectorBucket']
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError, ParamValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Route

from langchain_s3vectors import limits
from langchain_s3vectors.server.protocol import (
    SERVICE_NAME,
    ServiceError,
    WireCodec,
    error_response,
    param_error_response,
    route_path,
)
from langchain_s3vectors.server.sigv4 import ServerCredentials, SigV4Verifier
from langchain_s3vectors.server.throttle import WriteCaps, enforce

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from botocore.model import OperationModel, ServiceModel
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["MAX_REGIONS", "answer_error", "create_app"]

logger = logging.getLogger(__name__)

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
        """The store of the request's region, opened on first use.

        Raises:
            ServiceError: A new region past :data:`MAX_REGIONS`.
        """
        match = _CREDENTIAL_REGION.search(request.headers.get("authorization", ""))
        region = match.group(1) if match else None
        if region is None or self._factory is None or region == self.home:
            return self.default
        with self._lock:
            store = self._stores.get(region)
            if store is None:
                if len(self._stores) >= MAX_REGIONS:
                    msg = f"This server keeps stores for at most {MAX_REGIONS} regions."
                    raise ServiceError(400, "ValidationException", msg)
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
        self.codec = WireCodec(model)
        self.latency = max(0.0, latency_ms) / 1000.0
        self.caps = caps

    def endpoint(self, operations: dict[str, OperationModel]) -> Callable[..., Awaitable[Response]]:
        """Build the Starlette endpoint serving ``operations`` keyed by HTTP method."""

        async def handle(request: Request) -> Response:
            operation = operations.get(request.method)
            if operation is None:  # pragma: no cover - Starlette checks methods first
                return error_response(405, "MethodNotAllowedException", "Method not allowed.")
            return await self.call(operation, request)

        return handle

    async def call(self, operation: OperationModel, request: Request) -> Response:
        """Serve one request for ``operation``."""
        if self.latency:
            await asyncio.sleep(self.latency)
        try:
            params = await self.codec.parse_request(operation, request)
            enforce(self.caps, operation.name, params)
            method = self._client_method(operation.name, self.regions.client_for(request))
            result = await run_in_threadpool(method, **params)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error answer
            return answer_error(self.codec, operation, exc)
        return self.codec.render_output(operation, result)

    @staticmethod
    def _client_method(operation: str, client: Any) -> Callable[..., Any]:
        method: Callable[..., Any] | None = getattr(client, xform_name(operation), None)
        if method is None:
            raise ServiceError(
                501,
                "NotImplementedException",
                f"{operation} is not implemented by {type(client).__name__}.",
            )
        return method


def answer_error(codec: WireCodec, operation: OperationModel, exc: Exception) -> Response:
    """The service's answer to a request that failed with ``exc``.

    Args:
        codec: The codec of the service model.
        operation: The operation that was called.
        exc: What parsing the request or calling the client raised.

    Returns:
        The error response: the status and code of a :class:`ServiceError`, a
        ``ValidationException`` for a ``ParamValidationError``, the shape of a
        ``ClientError``, and ``InternalServerException`` (500, logged) for anything else.
    """
    if isinstance(exc, ServiceError):
        return error_response(exc.status, exc.code, exc.message)
    if isinstance(exc, ParamValidationError):
        return param_error_response(exc)
    if isinstance(exc, ClientError):
        return codec.client_error_response(exc)
    logger.error("%s failed inside the store", operation.name, exc_info=exc)
    return error_response(
        500, "InternalServerException", f"{operation.name} failed inside the store."
    )


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


def _routes(model: ServiceModel, dispatcher: _Dispatcher) -> list[Route]:
    """One route per model path, serving every operation at that path by HTTP method."""
    by_path: dict[str, dict[str, OperationModel]] = {}
    for name in model.operation_names:
        operation = model.operation_model(name)
        path = route_path(operation.http["requestUri"])
        by_path.setdefault(path, {})[operation.http.get("method", "POST")] = operation
    return [
        Route(path, dispatcher.endpoint(operations), methods=list(operations))
        for path, operations in sorted(by_path.items())
    ]


async def _unknown(request: Request) -> Response:
    """Answer a path or method no operation serves."""
    return error_response(
        404,
        "UnknownOperationException",
        f"No S3 Vectors operation at {request.method} {request.url.path}.",
    )


def create_app(
    path_or_client: str | Path | Any | None,
    *,
    latency_ms: float = 0.0,
    enforce_write_caps: bool = False,
    write_requests_per_second: int = limits.MAX_WRITE_REQUESTS_PER_SECOND,
    write_vectors_per_second: int = limits.MAX_WRITE_VECTORS_PER_SECOND,
    write_caps_mode: str = "token-bucket",
    region_name: str = "us-east-1",
    credentials: ServerCredentials | None = None,
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
        credentials: Accept only requests signed (AWS Signature Version 4) with this
            key; others get the service's 403 and change nothing (see
            :mod:`~langchain_s3vectors.server.sigv4`). ``None``: accept any request.

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
    middleware = [] if credentials is None else [Middleware(SigV4Verifier, credentials=credentials)]
    app = Starlette(routes=_routes(model, dispatcher), middleware=middleware)
    app.add_route("/{rest:path}", _unknown, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    app.state.client = client
    return app
