"""Documents <-> S3 Vectors records, with every limit checked before any call.

A LangChain :class:`~langchain_core.documents.Document` becomes one vector record::

    {"key": doc_id,
     "data": {"float32": [...]},
     "metadata": {**doc.metadata, "_page_content": doc.page_content}}

The page content lives under a reserved metadata key (``_page_content`` unless the
store says otherwise) which the index declares non-filterable, so a long chunk never
eats into the 2 KB filterable-metadata budget. :class:`RecordCodec` checks the key,
the vector and the metadata against :mod:`langchain_s3vectors.limits` and raises
:class:`~langchain_s3vectors.errors.InvalidInputError` naming the document and the
fix (with the checks of :mod:`langchain_s3vectors.checks`); the store runs these
checks for a whole write before sending anything, so a bad document means nothing is
written.

Metadata round-trips through JSON: strings, ints, floats, booleans and lists of
those come back with the same types.

Example:
    >>> from langchain_s3vectors.records import RecordCodec
    >>> codec = RecordCodec(dimension=2)
    >>> record = codec.encode("doc-1", "hello", {"year": 2024}, [0.6, 0.8])
    >>> record["metadata"]
    {'year': 2024, '_page_content': 'hello'}
    >>> codec.decode(record)
    Document(id='doc-1', metadata={'year': 2024}, page_content='hello')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document

from langchain_s3vectors.checks import validate_key, validate_metadata, validate_vector
from langchain_s3vectors.errors import InvalidInputError

__all__ = ["DEFAULT_PAGE_CONTENT_KEY", "RecordCodec"]

#: Metadata key that holds a document's page content.
DEFAULT_PAGE_CONTENT_KEY = "_page_content"


@dataclass
class RecordCodec:
    """Turns documents into S3 Vectors records and back, checking limits.

    Attributes:
        dimension: The index dimension, or ``None`` while unknown.
        distance_metric: ``"cosine"`` or ``"euclidean"``.
        page_content_key: Reserved metadata key holding the page content.
        non_filterable_keys: Other non-filterable metadata keys of the index.

    Example:
        >>> codec = RecordCodec(dimension=3, page_content_key="text")
        >>> codec.encode("a", "hi", {}, [1, 0, 0])["metadata"]
        {'text': 'hi'}
    """

    dimension: int | None = None
    distance_metric: str = "cosine"
    page_content_key: str = DEFAULT_PAGE_CONTENT_KEY
    non_filterable_keys: frozenset[str] = field(default_factory=frozenset)

    def check_user_metadata(self, metadata: Mapping[str, Any], *, where: str = "") -> None:
        """Reject user metadata that uses the reserved page content key.

        Raises:
            InvalidInputError: The metadata is not a mapping or uses the reserved key.
        """
        prefix = f"{where}: " if where else ""
        if type(metadata) is not dict and not isinstance(metadata, Mapping):
            msg = f"{prefix}metadata must be a dict, got {type(metadata).__name__}"
            raise InvalidInputError(msg)
        if self.page_content_key in metadata:
            msg = (
                f"{prefix}metadata uses the reserved key {self.page_content_key!r}, which holds "
                "the page content. Rename that metadata key, or create the store with another "
                "page_content_key"
            )
            raise InvalidInputError(msg)

    def build_metadata(
        self, text: str, metadata: Mapping[str, Any] | None, *, where: str = ""
    ) -> dict[str, Any]:
        """Return the metadata to store (a new dict), checked against the limits.

        Raises:
            InvalidInputError: The metadata breaks a rule; nothing should be written.
        """
        user = {} if metadata is None else metadata
        self.check_user_metadata(user, where=where)
        if not isinstance(text, str):
            prefix = f"{where}: " if where else ""
            msg = f"{prefix}page content must be a string, got {type(text).__name__}"
            raise InvalidInputError(msg)
        stored = {**user, self.page_content_key: text}
        validate_metadata(
            stored,
            page_content_key=self.page_content_key,
            non_filterable_keys=self.non_filterable_keys,
            where=where,
        )
        return stored

    def encode(
        self,
        key: str,
        text: str,
        metadata: Mapping[str, Any] | None,
        vector: Sequence[float],
        *,
        where: str = "",
        metadata_checked: bool = False,
    ) -> dict[str, Any]:
        """Build one PutVectors record.

        Args:
            key: The document id.
            text: The page content.
            metadata: The user metadata (not modified).
            vector: The embedding.
            where: Which document this is, for error messages.
            metadata_checked: The key and metadata already passed :func:`validate_key`
                and :meth:`build_metadata` with this codec's keys; only the vector is
                checked.

        Returns:
            ``{"key", "data": {"float32": [...]}, "metadata"}``.

        Raises:
            InvalidInputError: The document breaks a service limit.
        """
        label = where or f"document {key!r}"
        if metadata_checked:
            stored = {**(metadata or {}), self.page_content_key: text}
        else:
            validate_key(key, where=label)
            stored = self.build_metadata(text, metadata, where=label)
        values = validate_vector(
            vector, dimension=self.dimension, distance_metric=self.distance_metric, where=label
        )
        return {"key": key, "data": {"float32": values}, "metadata": stored}

    def decode(self, record: Mapping[str, Any]) -> Document:
        """Turn a record returned by the service into a Document (``id`` set).

        Example:
            >>> RecordCodec().decode({"key": "k", "metadata": {"_page_content": "x"}})
            Document(id='k', metadata={}, page_content='x')
        """
        metadata = dict(record.get("metadata") or {})
        text = metadata.pop(self.page_content_key, "")
        if not isinstance(text, str):
            text = str(text)
        return Document(id=str(record["key"]), page_content=text, metadata=metadata)

    def vector_of(self, record: Mapping[str, Any]) -> list[float] | None:
        """Return a record's vector when the response carried it.

        Example:
            >>> RecordCodec().vector_of({"key": "k", "data": {"float32": [1.0]}})
            [1.0]
        """
        data = record.get("data") or {}
        values = data.get("float32")
        return None if values is None else [float(v) for v in values]
