"""Data-plane request checks of the embedded S3 Vectors client.

PutVectors' size, keys, values and metadata, the keys of GetVectors and DeleteVectors,
and ListVectors' segments: the service's rules beyond the service model, checked by
:class:`~langchain_s3vectors.local.data.DataPlane` before anything is written.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_s3vectors import limits
from langchain_s3vectors.local.params import payload_too_large_message, request_payload_bytes
from langchain_s3vectors.local.validation import RequestChecker

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DataChecker"]


class DataChecker(RequestChecker):
    """The checks of the data plane, over the shared core of :class:`RequestChecker`."""

    def put_request(self, op: str, kwargs: dict[str, Any]) -> None:
        """The size of a PutVectors request: its payload and its number of vectors."""
        size = request_payload_bytes(kwargs)
        if size > limits.MAX_REQUEST_PAYLOAD_BYTES:
            raise self._invalid(op, payload_too_large_message(size))
        vectors = kwargs["vectors"]
        if len(vectors) > limits.MAX_PUT_VECTORS:
            msg = (
                f"Too many vectors in one PutVectors request: {len(vectors)} "
                f"(max {limits.MAX_PUT_VECTORS})"
            )
            raise self._invalid(op, msg)

    def keys(self, op: str, keys: list[str], maximum: int) -> list[str]:
        """The keys of a GetVectors or DeleteVectors request, each once, in order."""
        if len(keys) > maximum:
            msg = f"Too many keys in one {op} request: {len(keys)} (max {maximum})"
            raise self._invalid(op, msg)
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                raise self._invalid(op, f"Vector key is too long: {key[:64]!r}...")
        return list(dict.fromkeys(keys))

    def segment(self, op: str, kwargs: Mapping[str, Any]) -> tuple[int, int] | None:
        """``(segmentCount, segmentIndex)`` of a ListVectors request, or ``None``."""
        count = kwargs.get("segmentCount")
        index = kwargs.get("segmentIndex")
        if (count is None) != (index is None):
            raise self._invalid(op, "segmentCount and segmentIndex must be given together")
        if count is None or index is None:
            return None
        if index >= count:
            msg = f"segmentIndex {index} must be less than segmentCount {count}"
            raise self._invalid(op, msg)
        return int(count), int(index)

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
        self._unique_keys(op, keys)
        data = [v["data"]["float32"] for v in vectors]
        for key, values in zip(keys, data, strict=True):
            if len(values) != dimension:
                msg = (
                    f"Invalid vector for key {key!r}: dimension {len(values)} does not match "
                    f"the index dimension {dimension}"
                )
                raise self._invalid(op, msg)
        if batch is None:
            batch = np.array(data, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            matrix = batch.astype(np.float32).reshape(len(keys), dimension)
        self._values(op, keys, matrix, index["metric"])
        non_filterable = set(index["metadata_config"].get("nonFilterableMetadataKeys", []))
        metadata_json = [
            self.metadata(op, v["key"], v.get("metadata"), non_filterable) for v in vectors
        ]
        return keys, matrix, metadata_json

    def _unique_keys(self, op: str, keys: list[str]) -> None:
        seen: set[str] = set()
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                msg = (
                    f"Vector key is too long ({len(key)} characters; max "
                    f"{limits.KEY_MAX_LENGTH}): {key[:64]!r}..."
                )
                raise self._invalid(op, msg)
            if key in seen:
                raise self._invalid(op, f"Duplicate vector key in one request: {key!r}")
            seen.add(key)

    def _values(
        self, op: str, keys: list[str], matrix: np.ndarray[Any, np.dtype[np.float32]], metric: str
    ) -> None:
        finite = np.isfinite(matrix).all(axis=1)
        if not finite.all():
            key = keys[int(np.flatnonzero(~finite)[0])]
            msg = (
                f"Invalid vector for key {key!r}: values must be finite float32 numbers "
                "(no NaN, Infinity, or values beyond float32 range)"
            )
            raise self._invalid(op, msg)
        if metric == "cosine":
            zero = ~matrix.any(axis=1)
            if zero.any():
                key = keys[int(np.flatnonzero(zero)[0])]
                msg = (
                    f"Invalid vector for key {key!r}: a zero vector has no direction and "
                    "cannot be stored in a cosine index"
                )
                raise self._invalid(op, msg)

    def metadata(self, op: str, key: str, metadata: Any, non_filterable: set[str]) -> str | None:
        """Check one vector's metadata; return it as compact JSON (``None`` if absent)."""
        if metadata is None:
            return None
        if not isinstance(metadata, dict):
            raise self._invalid(
                op, f"Invalid metadata for key {key!r}: metadata must be a JSON object"
            )
        if len(metadata) > limits.MAX_METADATA_KEYS:
            msg = (
                f"Invalid metadata for key {key!r}: {len(metadata)} keys "
                f"(max {limits.MAX_METADATA_KEYS})"
            )
            raise self._invalid(op, msg)
        filterable = self._metadata_entries(op, key, metadata, non_filterable)
        encoded = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
        total = len(encoded.encode("utf-8"))
        if total > limits.MAX_METADATA_BYTES:
            msg = (
                f"Invalid metadata for key {key!r}: {total} bytes exceeds the "
                f"{limits.MAX_METADATA_BYTES}-byte limit per vector"
            )
            raise self._invalid(op, msg)
        if filterable:
            size = total if len(filterable) == len(metadata) else limits.json_size(filterable)
            if size > limits.MAX_FILTERABLE_METADATA_BYTES:
                msg = (
                    f"Invalid metadata for key {key!r}: filterable metadata is {size} bytes, "
                    f"over the {limits.MAX_FILTERABLE_METADATA_BYTES}-byte limit; declare "
                    "large keys in nonFilterableMetadataKeys when creating the index"
                )
                raise self._invalid(op, msg)
        return encoded

    def _metadata_entries(
        self, op: str, key: str, metadata: dict[str, Any], non_filterable: set[str]
    ) -> dict[str, Any]:
        """Check each metadata key and value; return the filterable entries."""
        filterable = {}
        for mkey, value in metadata.items():
            if not mkey or len(mkey) > limits.METADATA_KEY_MAX_LENGTH:
                msg = (
                    f"Invalid metadata for key {key!r}: metadata key {mkey[:80]!r} must be "
                    f"1 to {limits.METADATA_KEY_MAX_LENGTH} characters"
                )
                raise self._invalid(op, msg)
            problem = _metadata_value_problem(value)
            if problem:
                raise self._invalid(op, f"Invalid metadata for key {key!r}: {mkey!r} {problem}")
            if mkey not in non_filterable:
                filterable[mkey] = value
        return filterable


def _metadata_value_problem(value: Any) -> str | None:
    if isinstance(value, bool | str):
        return None
    if isinstance(value, int | float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, list):
        return _list_value_problem(value)
    if value is None:
        return "is null; metadata values must be strings, numbers, booleans or lists of those"
    return (
        f"has unsupported type {type(value).__name__}; metadata values must be strings, "
        "numbers, booleans or lists of those"
    )


def _list_value_problem(value: list[Any]) -> str | None:
    for item in value:
        if isinstance(item, list | dict) or item is None:
            return "is a list; list elements must be strings, numbers or booleans"
        if isinstance(item, float) and not math.isfinite(item):
            return "is a list with a non-finite number"
    return None
