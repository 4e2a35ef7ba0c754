"""The served protocol without a socket: one HTTP request in, one HTTP response out.

:class:`InProcessService` answers an S3 Vectors HTTP request handed to it as method,
URL, headers and body, in the calling thread, exactly as the app of
:func:`~langchain_s3vectors.server.create_app` answers it over a socket: the same
routes (from botocore's service model), the same request parsing and validation of the
:class:`~langchain_s3vectors.server.protocol.WireCodec`, the same store per region (from
the SigV4 credential scope) and the same error answers (:func:`answer_error`). It is the
transport of :func:`langchain_s3vectors.testing.mock_s3vectors`.

No event loop is involved: the codec's request reader is a coroutine only because
Starlette's body stream is one, and fed from memory it never suspends, so it is run to
completion with a single ``send``.

Example:
    >>> service = InProcessService(None)
    >>> status, headers, body = service.handle(
    ...     "POST", "https://s3vectors.us-east-1.api.aws/ListVectorBuckets", {}, b"{}"
    ... )
    >>> status, body
    (200, b'{"vectorBuckets":[]}')
    >>> service.handle("GET", "http://localhost/nowhere", {}, b"")[0]
    404
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit

import botocore.session
from starlette.requests import Request
from starlette.routing import compile_path

from langchain_s3vectors.server.app import (
    _Dispatcher,
    _make_client,
    _regional_factory,
    _Regions,
    _unknown,
    answer_error,
)
from langchain_s3vectors.server.protocol import SERVICE_NAME, WireCodec, route_path

if TYPE_CHECKING:
    import re
    from collections.abc import Coroutine, Mapping
    from pathlib import Path

    from botocore.model import OperationModel
    from starlette.convertors import Convertor
    from starlette.responses import Response

__all__ = ["InProcessService"]

_T = TypeVar("_T")
#: How many (method, path) pairs a service remembers the route of (tag paths vary).
_ROUTE_CACHE_SIZE = 256


def run_unsuspended(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine that never waits on anything, in the calling thread.

    Raises:
        RuntimeError: The coroutine did suspend (it awaited real I/O).
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: _T = done.value
        return result
    coroutine.close()
    msg = "An in-process request handler waited on I/O; it must run from memory."
    raise RuntimeError(msg)


class _Route:
    """One model path and the operations served there, by HTTP method."""

    def __init__(self, path: str, operations: dict[str, OperationModel]) -> None:
        self.regex: re.Pattern[str]
        self.regex, _, self.convertors = compile_path(path)
        self.operations = operations

    def match(self, path: str) -> dict[str, Any] | None:
        found = self.regex.match(path)
        if found is None:
            return None
        convertors: dict[str, Convertor[Any]] = self.convertors
        return {name: convertors[name].convert(value) for name, value in found.groupdict().items()}


class InProcessService:
    """Answers S3 Vectors HTTP requests in process, as the served app does.

    Args:
        path_or_client: A store directory, ``None`` for an in-memory store, or any
            boto3-shaped ``s3vectors`` client (as in ``create_app``).
        region_name: The region of a store opened from a path or ``None``; requests
            signed for another region get a store of their own, as from ``serve``.
    """

    def __init__(
        self, path_or_client: str | Path | Any | None, *, region_name: str = "us-east-1"
    ) -> None:
        """Open the store and index the routes of the service model."""
        self.client = _make_client(path_or_client, region_name)
        self._owns_client = self.client is not path_or_client
        model = botocore.session.get_session().get_service_model(SERVICE_NAME)
        self.codec = WireCodec(model)
        self.regions = _Regions(self.client, _regional_factory(self.client))
        by_path: dict[str, dict[str, OperationModel]] = {}
        for name in model.operation_names:
            operation = model.operation_model(name)
            path = route_path(operation.http["requestUri"])
            by_path.setdefault(path, {})[operation.http.get("method", "POST")] = operation
        self._routes = [_Route(path, ops) for path, ops in sorted(by_path.items())]
        self._route_cache: dict[tuple[str, str], tuple[OperationModel | None, dict[str, Any]]] = {}

    def handle(
        self, method: str, url: str, headers: Mapping[str, str | bytes], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request.

        Args:
            method: The HTTP method.
            url: The full request URL (only its path and query string are read).
            headers: The request headers.
            body: The request body.

        Returns:
            The status code, the response headers and the response body.
        """
        parts = urlsplit(url)
        path = unquote(parts.path) or "/"
        operation, path_params = self._route(method, path)
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "raw_path": parts.path.encode("latin-1"),
            "root_path": "",
            "query_string": parts.query.encode("latin-1"),
            "headers": [
                (name.lower().encode("latin-1"), _header_bytes(value))
                for name, value in headers.items()
            ],
            "path_params": path_params,
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        request = Request(scope, receive)
        if operation is None:
            response = run_unsuspended(_unknown(request))
        else:
            response = self._call(operation, request)
        return response.status_code, dict(response.headers.items()), bytes(response.body)

    def _call(self, operation: OperationModel, request: Request) -> Response:
        try:
            params = run_unsuspended(self.codec.parse_request(operation, request))
            client = self.regions.client_for(request)
            method = _Dispatcher._client_method(operation.name, client)  # noqa: SLF001
            result = method(**params)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an error answer
            return answer_error(self.codec, operation, exc)
        return self.codec.render_output(operation, result)

    def _route(self, method: str, path: str) -> tuple[OperationModel | None, dict[str, Any]]:
        found = self._route_cache.get((method, path))
        if found is None:
            found = None, {}
            for route in self._routes:
                params = route.match(path)
                if params is not None:
                    # A path served for other methods only is unknown, as from the app.
                    found = route.operations.get(method), params
                    break
            if len(self._route_cache) >= _ROUTE_CACHE_SIZE:
                self._route_cache.clear()
            self._route_cache[method, path] = found
        return found

    def close(self) -> None:
        """Close the store this service opened (not a client it was handed)."""
        close = getattr(self.client, "close", None)
        if self._owns_client and callable(close):
            close()


def _header_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("latin-1")
