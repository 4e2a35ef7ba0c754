"""Request validation for the embedded S3 Vectors client.

Two layers, in the order the real service applies them:

1. What boto3 checks on the client side, with botocore's own ``ParamValidator``
   against the installed service model (raises ``ParamValidationError``).
2. What the service checks: the model's ``max`` and ``enum`` constraints that botocore
   leaves to the server, and the documented limits on names, keys, dimensions,
   values and metadata (raises ``ValidationException``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator

from langchain_s3vectors import limits
from langchain_s3vectors.records import json_size

if TYPE_CHECKING:
    from botocore.model import ServiceModel, Shape

ErrorFactory = Callable[[str, str, str], ClientError]


class RequestChecker:
    """Validate requests before anything is read or written.

    Args:
        model: The ``s3vectors`` service model.
        make_error: Builds the service error for ``(operation, code, message)``.
    """

    def __init__(self, model: ServiceModel, make_error: ErrorFactory) -> None:
        """Create the checker."""
        self._model = model
        self._make_error = make_error
        self._validator = ParamValidator()

    def _invalid(self, operation: str, message: str) -> ClientError:
        return self._make_error(operation, "ValidationException", message)

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
            error = ParamValidationError(report=report.generate_report())
            # The service's own wording of the same problems, for the HTTP server.
            error.field_list = service_fields(report)
            raise error
        problems: list[dict[str, str]] = []
        if light is not params:
            # Fast-checked vectors: only the list length is left to check here (keys
            # longer than the model allows are reported by the service-side checks).
            count = len(params["vectors"])
            if count > limits.MAX_PUT_VECTORS:
                problems.append(
                    field_problem(
                        "vectors",
                        f"Member must have length less than or equal to {limits.MAX_PUT_VECTORS}",
                        value=[],
                    )
                )
            params = {k: v for k, v in params.items() if k != "vectors"}
        _model_constraints(shape, params, "", problems)
        if problems:
            raise self.invalid_fields(operation, problems)
        return batch

    def invalid_fields(self, operation: str, problems: list[dict[str, str]]) -> ClientError:
        """A ValidationException in the service's form, with its ``fieldList``."""
        error = self._invalid(operation, validation_message(problems))
        error.response["fieldList"] = [
            {"path": p["path"], "message": p["message"]} for p in problems
        ]
        return error

    def vectors(
        self, op: str, index: dict[str, Any], vectors: list[dict[str, Any]], batch: Any = None
    ) -> tuple[list[str], np.ndarray[Any, np.dtype[np.float32]], list[str | None]]:
        """Check PutVectors' vectors against the index and the service limits.

        Returns:
            The keys, the values as a float32 matrix, and each vector's metadata as
            compact JSON (``None`` when it has none).
        """
        dimension = index["dimension"]
        keys = [v["key"] for v in vectors]
        seen: set[str] = set()
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                msg = f"Vector key is too long ({len(key)} characters; max {limits.KEY_MAX_LENGTH}): {key[:64]!r}..."
                raise self._invalid(op, msg)
            if key in seen:
                raise self._invalid(op, f"Duplicate vector key in one request: {key!r}")
            seen.add(key)
        data = [v["data"]["float32"] for v in vectors]
        for key, values in zip(keys, data, strict=True):
            if len(values) != dimension:
                msg = f"Invalid vector for key {key!r}: dimension {len(values)} does not match the index dimension {dimension}"
                raise self._invalid(op, msg)
        if batch is None:
            batch = np.array(data, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            matrix = batch.astype(np.float32).reshape(len(keys), dimension)
        finite = np.isfinite(matrix).all(axis=1)
        if not finite.all():
            key = keys[int(np.flatnonzero(~finite)[0])]
            msg = f"Invalid vector for key {key!r}: values must be finite float32 numbers (no NaN, Infinity, or values beyond float32 range)"
            raise self._invalid(op, msg)
        if index["metric"] == "cosine":
            zero = ~matrix.any(axis=1)
            if zero.any():
                key = keys[int(np.flatnonzero(zero)[0])]
                msg = f"Invalid vector for key {key!r}: a zero vector has no direction and cannot be stored in a cosine index"
                raise self._invalid(op, msg)
        non_filterable = set(index["metadata_config"].get("nonFilterableMetadataKeys", []))
        metadata_json = [
            self.metadata(op, v["key"], v.get("metadata"), non_filterable) for v in vectors
        ]
        return keys, matrix, metadata_json

    def metadata(self, op: str, key: str, metadata: Any, non_filterable: set[str]) -> str | None:
        """Check one vector's metadata; return it as compact JSON (``None`` if absent)."""
        if metadata is None:
            return None
        if not isinstance(metadata, dict):
            raise self._invalid(
                op, f"Invalid metadata for key {key!r}: metadata must be a JSON object"
            )
        if len(metadata) > limits.MAX_METADATA_KEYS:
            msg = f"Invalid metadata for key {key!r}: {len(metadata)} keys (max {limits.MAX_METADATA_KEYS})"
            raise self._invalid(op, msg)
        filterable = {}
        for mkey, value in metadata.items():
            if not mkey or len(mkey) > limits.METADATA_KEY_MAX_LENGTH:
                msg = f"Invalid metadata for key {key!r}: metadata key {mkey[:80]!r} must be 1 to {limits.METADATA_KEY_MAX_LENGTH} characters"
                raise self._invalid(op, msg)
            problem = _metadata_value_problem(value)
            if problem:
                raise self._invalid(op, f"Invalid metadata for key {key!r}: {mkey!r} {problem}")
            if mkey not in non_filterable:
                filterable[mkey] = value
        encoded = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
        total = len(encoded.encode("utf-8"))
        if total > limits.MAX_METADATA_BYTES:
            msg = f"Invalid metadata for key {key!r}: {total} bytes exceeds the {limits.MAX_METADATA_BYTES}-byte limit per vector"
            raise self._invalid(op, msg)
        if filterable:
            size = total if len(filterable) == len(metadata) else json_size(filterable)
            if size > limits.MAX_FILTERABLE_METADATA_BYTES:
                msg = (
                    f"Invalid metadata for key {key!r}: filterable metadata is {size} bytes, over the "
                    f"{limits.MAX_FILTERABLE_METADATA_BYTES}-byte limit; declare large keys in "
                    "nonFilterableMetadataKeys when creating the index"
                )
                raise self._invalid(op, msg)
        return encoded


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


def service_fields(report: Any) -> list[dict[str, str]]:
    """Re-word botocore's client-side validation errors as the service words them."""
    out: list[dict[str, str]] = []
    for reason, name, extra in getattr(report, "_errors", []):
        path = (name or "").lstrip(".") or "input"
        value = extra.get("param")
        if reason == "missing required field":
            path = f"{path}.{extra['required_name']}" if path != "input" else extra["required_name"]
            out.append(field_problem(path, "Member must not be null", value=None))
        elif reason == "unknown field":
            unknown = extra["unknown_param"]
            path = unknown if path == "input" else f"{path}.{unknown}"
            out.append(field_problem(path, "Member is not a known field", value=""))
        elif reason == "invalid range":
            limit = extra["min_allowed"]
            text = f"Member must have value greater than or equal to {limit}"
            out.append(field_problem(path, text, value=value))
        elif reason == "invalid length":
            limit = extra["min_allowed"]
            text = f"Member must have length greater than or equal to {limit}"
            out.append(field_problem(path, text, value=value))
        elif reason in ("more than one input", "empty input"):
            members = ", ".join(extra.get("members", []))
            text = f"Member must have exactly one of these members set: {members}"
            out.append(field_problem(path, text, value=""))
        else:
            kinds = extra.get("valid_types") or []
            names = ", ".join(getattr(k, "__name__", str(k)) for k in kinds)
            text = f"Member must be of type {names}" if names else "Member has an invalid type"
            out.append(field_problem(path, text, value=""))
    return out


def _model_constraints(shape: Shape, value: Any, path: str, problems: list[dict[str, str]]) -> None:
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
            text = f"Member must have length less than or equal to {meta['max']}"
            problems.append(field_problem(where, text, value=[]))
        member = shape.member
        if member.type_name in ("float", "double", "integer", "long", "boolean"):
            return
        for i, item in enumerate(value):
            _model_constraints(member, item, f"{where}[{i}]", problems)
    elif shape.type_name == "string" and isinstance(value, str):
        enum = shape.enum
        if enum and value not in enum:
            text = f"Member must satisfy enum value set: [{', '.join(enum)}]"
            problems.append(field_problem(where, text, value=value))
        if "max" in meta and len(value) > meta["max"]:
            text = f"Member must have length less than or equal to {meta['max']}"
            problems.append(field_problem(where, text, value=value))
    elif shape.type_name in ("integer", "long") and isinstance(value, int):
        if "max" in meta and value > meta["max"]:
            text = f"Member must have value less than or equal to {meta['max']}"
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
