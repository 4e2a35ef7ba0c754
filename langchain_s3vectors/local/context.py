"""What the parts of the embedded S3 Vectors client share, composed in one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.local import storage
from langchain_s3vectors.local.control_checks import ControlChecker
from langchain_s3vectors.local.data_checks import DataChecker
from langchain_s3vectors.local.query_checks import QueryChecker

if TYPE_CHECKING:
    import sqlite3

    from langchain_s3vectors.local.cache import IndexCaches
    from langchain_s3vectors.local.protocol import Protocol
    from langchain_s3vectors.local.storage import Storage


class Checks(ControlChecker, DataChecker, QueryChecker):
    """Every request check of the embedded client, in one object the planes share.

    The shared core (service model, names, ARNs, pages, tokens) is
    :class:`~langchain_s3vectors.local.validation.RequestChecker`; each plane's own
    checks are in the module beside it.

    Args:
        model: The ``s3vectors`` service model.
        protocol: Builds the errors (and knows the store's region and account).
    """


@dataclass
class Context:
    """The store, its request checks, its boto3-shaped answers and its search state.

    The control plane, the data plane and the search each hold the one
    :class:`Context` of their :class:`~langchain_s3vectors.local.LocalS3VectorsClient`.
    """

    storage: Storage
    protocol: Protocol
    checks: Checks
    caches: IndexCaches

    def require_bucket(
        self, conn: sqlite3.Connection, operation: str, bucket: str
    ) -> dict[str, Any]:
        """A bucket's row, or the ``NotFoundException`` of a missing bucket."""
        row = storage.get_bucket(conn, bucket)
        if row is None:
            msg = f"The specified vector bucket could not be found: {bucket}"
            raise self.protocol.not_found(operation, msg)
        return row

    def require_index(
        self, conn: sqlite3.Connection, operation: str, bucket: str, index: str
    ) -> dict[str, Any]:
        """An index's row, or the ``NotFoundException`` of a missing bucket or index."""
        self.require_bucket(conn, operation, bucket)
        row = storage.get_index(conn, bucket, index)
        if row is None:
            msg = f"The specified index could not be found: {index} (vector bucket {bucket})"
            raise self.protocol.not_found(operation, msg)
        return row
