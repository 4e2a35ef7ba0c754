"""Query request checks of the embedded S3 Vectors client.

What a QueryVectors request must hold: ``topK``, the query mode, the filter, the query
texts and the query vector, checked against the index by
:class:`~langchain_s3vectors.local.search.SearchPlane` before it ranks anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_s3vectors import limits
from langchain_s3vectors.filters import (
    ENHANCED_ONLY_OPERATORS,
    FilterError,
    filter_operators,
    validate_filter,
)
from langchain_s3vectors.local.validation import RequestChecker

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["QueryChecker"]


class QueryChecker(RequestChecker):
    """The checks of QueryVectors, over the shared core of :class:`RequestChecker`."""

    def query(self, op: str, kwargs: Mapping[str, Any]) -> None:
        """What a QueryVectors request must hold, whatever the index."""
        self.at_most(op, "topK", kwargs["topK"], limits.MAX_TOP_K)
        if kwargs.get("queryVector") is None and not kwargs.get("queryTexts"):
            raise self._invalid(op, "Specify queryVector, queryTexts, or both")

    def query_mode(self, op: str, index: Mapping[str, Any], requested: str | None) -> str:
        """The mode a query runs in: the requested one, else the index's."""
        mode = requested or index["index_mode"]
        if mode == "CLASSIC" and index["index_mode"] != "CLASSIC":
            raise self._invalid(op, "queryMode CLASSIC is not available for this index")
        return str(mode)

    def query_filter(self, op: str, index: Mapping[str, Any], mode: str, flt: Any) -> None:
        """A query's filter, against the filter language and the index."""
        if flt is None:
            return
        non_filterable = index["metadata_config"].get("nonFilterableMetadataKeys", [])
        try:
            validate_filter(flt, non_filterable=non_filterable)
        except FilterError as exc:
            raise self._invalid(op, f"Invalid filter: {exc}") from exc
        enhanced_only = filter_operators(flt) & ENHANCED_ONLY_OPERATORS
        if enhanced_only and mode != "ENHANCED":
            names = ", ".join(sorted(enhanced_only))
            msg = (
                f"Invalid filter: {names} requires an ENHANCED index; switch it with "
                "UpdateIndexMode"
            )
            raise self._invalid(op, msg)

    def query_texts(
        self,
        op: str,
        index: Mapping[str, Any],
        texts: list[dict[str, Any]],
        fields: Mapping[str, Any],
    ) -> None:
        """A query's ``queryTexts``, against the index's full-text searchable keys."""
        if index["index_mode"] != "ENHANCED":
            raise self._invalid(op, "queryTexts requires an ENHANCED index")
        if len(texts) > limits.MAX_QUERY_TEXTS:
            raise self._invalid(op, f"At most {limits.MAX_QUERY_TEXTS} queryTexts are allowed")
        text_keys = [t["metadataKey"] for t in texts]
        if len(set(text_keys)) != len(text_keys):
            raise self._invalid(op, "Each queryTexts entry must use a different metadataKey")
        for t in texts:
            if len(t["text"]) > limits.QUERY_TEXT_MAX_LENGTH:
                raise self._invalid(
                    op, f"queryTexts text is longer than {limits.QUERY_TEXT_MAX_LENGTH} characters"
                )
            if t["metadataKey"] not in fields:
                msg = (
                    f"Metadata key {t['metadataKey']!r} is not full-text searchable in this "
                    "index; add it with UpdateMetadataConfiguration(add="
                    "{'textSearchConfigurations': [...]})"
                )
                raise self._invalid(op, msg)

    def query_vector(self, op: str, index: Mapping[str, Any], query_vector: Any) -> Any:
        """A query's vector as float32 (``None`` without one), against the index."""
        if query_vector is None:
            return None
        values = query_vector.get("float32") or []
        if len(values) != index["dimension"]:
            msg = (
                f"Invalid query vector: dimension {len(values)} does not match the index "
                f"dimension {index['dimension']}"
            )
            raise self._invalid(op, msg)
        with np.errstate(over="ignore"):
            query = np.asarray(values, dtype=np.float64).astype(np.float32)
        if not np.isfinite(query).all():
            raise self._invalid(op, "Invalid query vector: values must be finite float32 numbers")
        if index["metric"] == "cosine" and not query.any():
            raise self._invalid(
                op, "Invalid query vector: a zero vector cannot be used with a cosine index"
            )
        return query
