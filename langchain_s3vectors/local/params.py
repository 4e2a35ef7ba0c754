"""Parameter checks of the embedded S3 Vectors client, against the service model.

What the SDK and the service check from the installed ``s3vectors`` service model,
before the service rules of :mod:`~langchain_s3vectors.local.validation`:

1. what boto3 checks on the client side, with botocore's own ``ParamValidator``
   (raises ``ParamValidationError``, carrying the service's wording of the same
   problems in ``field_list`` for the HTTP server);
2. the model's ``max`` and ``enum`` constraints, which botocore leaves to the server
   (raises ``ValidationException`` with the service's ``fieldList``).

PutVectors requests carry up to 500 vectors of up to 4,096 floats; walking every float
in Python would dominate the call, so plainly valid vectors take a fast path (see
:meth:`ModelChecker.params`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator

from langchain_s3vectors import limits

if TYPE_CHECKING:
    from botocore.model import ServiceModel, Shape

ErrorFactory = Callable[[str, str, str], ClientError]


class ModelChecker:
    """Check request parameters against the service model.

    Args:
        model: The ``s3vectors`` service model.
        make_error: Builds the service error for ``(operation, code, message)``.
    """

    def __init__(self, model: ServiceModel, make_error: ErrorFactory) -> None:
        """Create the checker."""
        self._model = model
        self._make_error = make_error
        self._validator = ParamValidator()

    def params(self, operation: str, params: dict[str, Any]) -> Any:
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
        light, batch = _light_request(operation, params)
        report = self._validator.validate(light, shape)
        if report.has_errors() and light is not params:
            report = self._validator.validate(params, shape)
        if report.has_errors():
            error = ParamValidationError(report=report.generate_report())
            # The service's own wording of the same problems, for the HTTP server.
            error.field_list = service_fields(report)
            raise error
        problems: list[dict[str, str]] = []
        if light is not params and operation == "PutVectors":
            # Fast-checked vectors: only the list length is left to check here (keys
            # longer than the model allows are reported by the service-side checks).
            if len(params["vectors"]) > limits.MAX_PUT_VECTORS:
                text = f"Member must have length less than or equal to {limits.MAX_PUT_VECTORS}"
                problems.append(field_problem("vectors", text, value=[]))
            params = {k: v for k, v in params.items() if k != "vectors"}
        _model_constraints(shape, params, "", problems)
        if problems:
            raise self.invalid_fields(operation, problems)
        return batch

    def invalid_fields(self, operation: str, problems: list[dict[str, str]]) -> ClientError:
        """A ValidationException in the service's form, with its ``fieldList``."""
        error = self._make_error(operation, "ValidationException", validation_message(problems))
        error.response["fieldList"] = [
            {"path": p["path"], "message": p["message"]} for p in problems
        ]
        return error


def _light_request(operation: str, params: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The request botocore's validator needs to see, and the vectors as one array.

    For a PutVectors whose vectors all pass the fast check, the request with a single
    vector whose values are stripped (its structure is all botocore has left to
    check), and the values as a float64 array when the rows have equal lengths (else
    ``None``). For anything else, the request itself and ``None``.
    """
    if operation == "QueryVectors":
        return _light_query(params), None
    vectors = params.get("vectors")
    if operation != "PutVectors" or not isinstance(vectors, list) or not vectors:
        return params, None
    if not all(_fast_vector_ok(v) for v in vectors):
        return params, None
    batch = _numeric_batch([v["data"]["float32"] for v in vectors])
    if batch is False:
        return params, None
    if batch is None and not all(_floats_ok(v) for v in vectors):
        return params, None
    light = dict(params)
    light["vectors"] = [_strip_data(vectors[0])]
    return light, batch


def _light_query(params: dict[str, Any]) -> dict[str, Any]:
    """A QueryVectors request with a plainly valid query vector's values stripped.

    botocore's validator would otherwise walk each of up to 4,096 floats in Python; a
    ``{"float32": [numbers]}`` vector has nothing else for it to find. Any other query
    vector is left for botocore to judge.
    """
    vector = params.get("queryVector")
    if type(vector) is not dict or vector.keys() != {"float32"}:
        return params
    values = vector["float32"]
    # Exactly the types botocore takes for a float (bool is an int); anything else, a
    # numpy scalar or a Decimal, is judged by botocore itself.
    if type(values) is not list or not all(type(v) in _PLAIN_NUMBERS for v in values):
        return params
    return {**params, "queryVector": {"float32": []}}


def field_problem(path: str, constraint: str, *, value: Any) -> dict[str, str]:
    """One validation failure, worded as the service words it.

    The service answers ``1 validation error detected: Value '0' at 'topK' failed to
    satisfy constraint: Member must have value greater than or equal to 1`` (the
    Smithy/Coral form AWS JSON services share); the value is left out for lists,
    structures and long strings.
    """
    if isinstance(value, bool):
        shown = f"'{str(value).lower()}' "
    elif isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= 64):  # noqa: PLR2004
        shown = f"'{value}' "
    elif value is None:
        shown = "null "
    else:
        shown = ""
    message = f"Value {shown}at '{path}' failed to satisfy constraint: {constraint}"
    return {"path": path, "message": message, "constraint": constraint}


def validation_message(problems: list[dict[str, str]]) -> str:
    """The service's message for a list of :func:`field_problem` entries."""
    count = len(problems)
    head = f"{count} validation error{'s' if count > 1 else ''} detected: "
    return head + "; ".join(p["message"] for p in problems[:5])


def _one_member(path: str, extra: dict[str, Any]) -> dict[str, str]:
    members = ", ".join(extra.get("members", []))
    text = f"Member must have exactly one of these members set: {members}"
    return field_problem(path, text, value="")


def _wrong_type(path: str, extra: dict[str, Any]) -> dict[str, str]:
    kinds = extra.get("valid_types") or []
    names = ", ".join(getattr(k, "__name__", str(k)) for k in kinds)
    text = f"Member must be of type {names}" if names else "Member has an invalid type"
    return field_problem(path, text, value="")


#: The service's wording of each botocore validation failure, by botocore's reason.
_REASONS: dict[str, Callable[[str, dict[str, Any]], dict[str, str]]] = {
    "missing required field": lambda path, extra: field_problem(
        f"{path}.{extra['required_name']}" if path != "input" else extra["required_name"],
        "Member must not be null",
        value=None,
    ),
    "unknown field": lambda path, extra: field_problem(
        extra["unknown_param"] if path == "input" else f"{path}.{extra['unknown_param']}",
        "Member is not a known field",
        value="",
    ),
    "invalid range": lambda path, extra: field_problem(
        path,
        f"Member must have value greater than or equal to {extra['min_allowed']}",
        value=extra.get("param"),
    ),
    "invalid length": lambda path, extra: field_problem(
        path,
        f"Member must have length greater than or equal to {extra['min_allowed']}",
        value=extra.get("param"),
    ),
    "more than one input": _one_member,
    "empty input": _one_member,
}


def service_fields(report: Any) -> list[dict[str, str]]:
    """Re-word botocore's client-side validation errors as the service words them."""
    out: list[dict[str, str]] = []
    for reason, name, extra in getattr(report, "_errors", []):
        path = (name or "").lstrip(".") or "input"
        out.append(_REASONS.get(reason, _wrong_type)(path, extra))
    return out


def _model_constraints(shape: Shape, value: Any, path: str, problems: list[dict[str, str]]) -> None:
    """Check what the service enforces from the model but botocore does not: max and enum."""
    if value is None:
        return
    if shape.type_name == "structure" and isinstance(value, dict):
        _structure_constraints(shape, value, path, problems)
    elif shape.type_name == "list" and isinstance(value, list):
        _list_constraints(shape, value, path or "input", problems)
    elif shape.type_name == "string" and isinstance(value, str):
        _string_constraints(shape, value, path or "input", problems)
    elif shape.type_name in ("integer", "long") and isinstance(value, int):
        maximum = shape.metadata.get("max")
        if maximum is not None and value > maximum:
            text = f"Member must have value less than or equal to {maximum}"
            problems.append(field_problem(path or "input", text, value=value))


def _structure_constraints(
    shape: Shape, value: dict[str, Any], path: str, problems: list[dict[str, str]]
) -> None:
    if shape.metadata.get("document"):
        return
    for name, member in shape.members.items():
        if name in value:
            _model_constraints(member, value[name], f"{path}.{name}" if path else name, problems)


def _list_constraints(
    shape: Shape, value: list[Any], where: str, problems: list[dict[str, str]]
) -> None:
    meta = shape.metadata
    if "max" in meta and len(value) > meta["max"]:
        text = f"Member must have length less than or equal to {meta['max']}"
        problems.append(field_problem(where, text, value=[]))
    member = shape.member
    if member.type_name in ("float", "double", "integer", "long", "boolean"):
        return
    for i, item in enumerate(value):
        _model_constraints(member, item, f"{where}[{i}]", problems)


def _string_constraints(
    shape: Shape, value: str, where: str, problems: list[dict[str, str]]
) -> None:
    meta = shape.metadata
    enum = shape.enum
    if enum and value not in enum:
        text = f"Member must satisfy enum value set: [{', '.join(enum)}]"
        problems.append(field_problem(where, text, value=value))
    if "max" in meta and len(value) > meta["max"]:
        text = f"Member must have length less than or equal to {meta['max']}"
        problems.append(field_problem(where, text, value=value))


#: Below this many float values a PutVectors request cannot reach the payload limit
#: (no float32 value's JSON text is longer than 25 characters), so it is not measured.
_MEASURE_PAYLOAD_FROM = limits.MAX_REQUEST_PAYLOAD_BYTES // 25


def payload_too_large_message(size: int) -> str:
    """The error message for a request body over the 20 MiB payload limit.

    The model has no error shape for it; the embedded service answers
    ``ValidationException`` (400), which every SDK maps to a modelled, non-retryable
    error (a choice: the documentation names the limit, not the error).
    """
    mib = size / (1024 * 1024)
    limit = limits.MAX_REQUEST_PAYLOAD_BYTES // (1024 * 1024)
    return (
        f"The request payload is {mib:.1f} MiB, over the {limit} MiB limit of S3 Vectors; "
        "send fewer vectors per request"
    )


def request_payload_bytes(params: dict[str, Any]) -> int:
    """The size of a request's JSON body as an SDK would send it (UTF-8 bytes).

    Only a PutVectors request with many values is measured (see
    ``_MEASURE_PAYLOAD_FROM``); anything else returns 0.
    """
    vectors = params.get("vectors")
    if not isinstance(vectors, list):
        return 0
    values = sum(len(v.get("data", {}).get("float32") or ()) for v in vectors)
    if values < _MEASURE_PAYLOAD_FROM:
        return 0
    body = {k: v for k, v in params.items() if k != "ResponseMetadata"}
    try:
        import orjson  # noqa: PLC0415 - optional, much faster on float lists

        return len(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY))
    except (ImportError, TypeError):
        return len(json.dumps(body, separators=(",", ":"), default=str).encode())


_SCALARS = (str, int, float, bool)
#: The types botocore's validator takes for a float member, exactly (bool is an int).
_PLAIN_NUMBERS = frozenset({float, int, bool})
_VECTOR_FIELDS = frozenset({"key", "data", "metadata"})


def _fast_vector_ok(vector: Any) -> bool:
    """Strict subset of what botocore accepts for a ``PutInputVector``."""
    if type(vector) is not dict or not vector.keys() <= _VECTOR_FIELDS:
        return False
    key = vector.get("key")
    data = vector.get("data")
    if type(key) is not str or not key or type(data) is not dict or len(data) != 1:
        return False
    if type(data.get("float32")) is not list:
        return False
    return "metadata" not in vector or _fast_metadata_ok(vector["metadata"])


def _fast_metadata_ok(metadata: Any) -> bool:
    """Metadata of JSON scalars and lists of them, in plain dicts and lists."""
    if type(metadata) is not dict:
        return False
    return all(
        type(value) in _SCALARS
        or (type(value) is list and all(type(item) in _SCALARS for item in value))
        for value in metadata.values()
    )


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
