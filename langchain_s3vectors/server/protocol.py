"""The S3 Vectors REST-JSON protocol, read and written from botocore's service model.

This is the codec between HTTP and a boto3-shaped client call: it turns a request
into the keyword arguments of the operation (members found in the URI, the query
string, headers or the JSON body), decodes the ``"NaN"`` and ``"Infinity"`` strings
botocore writes for non-finite floats, renders a client's answer as the service's
response, and words errors as the service does (status code of the model's error
shape, an ``x-amzn-ErrorType`` header and a ``{"message": ...}`` body).

Example:
    >>> route_path("/tags/{resourceArn}")
    '/tags/{resourceArn:path}'
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from typing import TYPE_CHECKING, Any

from botocore.model import OperationModel, ServiceModel, Shape, StructureShape
from starlette.responses import Response

from langchain_s3vectors import limits
from langchain_s3vectors.local import payload_too_large_message

if TYPE_CHECKING:
    from botocore.exceptions import ClientError, ParamValidationError
    from starlette.requests import Request

__all__ = [
    "SERVICE_NAME",
    "ServiceError",
    "WireCodec",
    "error_response",
    "param_error_response",
    "route_path",
]

#: The botocore service whose model the server speaks.
SERVICE_NAME = "s3vectors"
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


class ServiceError(Exception):
    """An error answer: status, error code and message.

    Args:
        status: HTTP status code.
        code: The service error code (``x-amzn-ErrorType``).
        message: The human-readable message of the body.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        """Keep the parts of the answer."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    status: int, code: str, message: str, extra: dict[str, Any] | None = None
) -> Response:
    """An error answer as the service sends it.

    Args:
        status: HTTP status code.
        code: The service error code, sent as ``x-amzn-ErrorType``.
        message: The body's ``message``.
        extra: Further members of the error shape to put in the body.

    Returns:
        The JSON response.
    """
    body: dict[str, Any] = {"message": message}
    if extra:
        body.update(extra)
    headers = {
        **_JSON_HEADERS,
        "x-amzn-ErrorType": code,
        "x-amzn-requestid": str(uuid.uuid4()),
    }
    return Response(_dumps(body), status_code=status, headers=headers)


def param_error_response(exc: ParamValidationError) -> Response:
    """A ValidationException as the service words it, with the model's ``fieldList``.

    The embedded client raises botocore's client-side ``ParamValidationError`` (what
    boto3 raises before sending); on the wire the service answers ``1 validation error
    detected: Value ... at 'topK' failed to satisfy constraint: ...`` instead.

    Args:
        exc: The client's validation error.

    Returns:
        The 400 ``ValidationException`` response.
    """
    fields = getattr(exc, "field_list", None)
    if not fields:
        return error_response(400, "ValidationException", str(exc))
    count = len(fields)
    message = f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(
        f["message"] for f in fields[:5]
    )
    field_list = [{"path": f["path"], "message": f["message"]} for f in fields]
    return error_response(400, "ValidationException", message, {"fieldList": field_list})


def route_path(uri: str) -> str:
    """Turn a model ``requestUri`` into a Starlette path (labels may hold slashes).

    Args:
        uri: The operation's ``requestUri``, e.g. ``"/tags/{resourceArn}"``.

    Returns:
        The Starlette route path.
    """
    path = uri.split("?", 1)[0]
    for label in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        name = label.rstrip("+")
        path = path.replace("{" + label + "}", "{" + name + ":path}")
    return path


class WireCodec:
    """Reads requests and writes answers of one service model.

    Args:
        model: botocore's ``s3vectors`` service model.
    """

    def __init__(self, model: ServiceModel) -> None:
        """Index the model's error shapes by code."""
        self.model = model
        self.error_status = {
            shape.name: int(shape.metadata.get("error", {}).get("httpStatusCode", 400))
            for shape in model.error_shapes
        }

    async def parse_request(self, operation: OperationModel, request: Request) -> dict[str, Any]:
        """Read the keyword arguments of ``operation`` from an HTTP request.

        Args:
            operation: The operation the request's route serves.
            request: The HTTP request.

        Returns:
            The parameters, named as the client method takes them.

        Raises:
            ServiceError: The body is too large or not a JSON object, or a query
                parameter has the wrong type.
        """
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
                _read_query(request, name, wire_name, member, params)
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

    def client_error_response(self, exc: ClientError) -> Response:
        """Answer a client's ``ClientError`` with the status and members of its shape.

        Args:
            exc: The error the client raised.

        Returns:
            The error response.
        """
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
        return error_response(status, code, message, extra)

    @staticmethod
    def render_output(operation: OperationModel, result: Any) -> Response:
        """Render a client's answer as the service's response to ``operation``.

        Args:
            operation: The operation that was called.
            result: What the client method returned.

        Returns:
            The response: body members in JSON, header members as headers.
        """
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


def _read_query(
    request: Request, name: str, wire_name: str, member: Shape, params: dict[str, Any]
) -> None:
    """Read one query-string member into ``params``, typed as the model says."""
    if wire_name not in request.query_params:
        return
    if member.type_name == "list":
        params[name] = request.query_params.getlist(wire_name)
    elif member.type_name in ("integer", "long"):
        try:
            params[name] = int(request.query_params[wire_name])
        except ValueError as exc:
            msg = f"Query parameter {wire_name} must be an integer."
            raise ServiceError(400, "ValidationException", msg) from exc
    else:
        params[name] = request.query_params[wire_name]


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
        raise ServiceError(400, "ValidationException", message)
    return b"".join(chunks)


def _parse_body(raw: bytes) -> dict[str, Any]:
    """Parse a JSON request body (empty means no members)."""
    if not raw.strip():
        return {}
    try:
        body = _loads(raw)
    except ValueError as exc:
        msg = f"The request body is not valid JSON: {exc}"
        raise ServiceError(400, "SerializationException", msg) from exc
    if not isinstance(body, dict):
        msg = "The request body must be a JSON object."
        raise ServiceError(400, "SerializationException", msg)
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
