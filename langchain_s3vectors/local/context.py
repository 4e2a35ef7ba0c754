"""What the parts of the embedded S3 Vectors client share, and every operation's opening.

:class:`Context` composes the store, the request checks, the responses and the search
state. :func:`operation` is the one opening of every handler of the control plane,
the data plane and the search: it checks the request against the service model and
the bucket or index name it carries, and hands the handler a :class:`Request` whose
:meth:`~Request.read` and :meth:`~Request.write` open the transaction and find the
bucket or index (``NotFoundException`` when missing).

The order of the checks decides which error a request with several faults gets, and
is the same for every operation:

1. the service model (botocore's validator, then the model's ``max`` and ``enum``);
2. the bucket or index name (or ARN) the request carries;
3. the handler's own checks of the request alone (limits, tags, filters, ...);
4. in the transaction: the bucket or index must exist;
5. in the transaction: the checks that compare the request with what is stored.
"""

from __future__ import annotations

import functools
import typing
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from langchain_s3vectors.local import storage
from langchain_s3vectors.local.control_checks import ControlChecker
from langchain_s3vectors.local.data_checks import DataChecker
from langchain_s3vectors.local.query_checks import QueryChecker

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator

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


#: What a request names: a vector bucket, an index (by names or ARN), or neither.
Target = Literal["bucket", "index"] | None

#: The response of an operation, as boto3 returns it.
Response = dict[str, Any]


class Plane:
    """A part of the embedded client whose operations share one :class:`Context`.

    Args:
        ctx: The store, the request checks, the responses and the index caches.
    """

    def __init__(self, ctx: Context) -> None:
        """Serve the store of ``ctx``."""
        self._ctx = ctx


class _HasContext(typing.Protocol):
    _ctx: Context


P = TypeVar("P", bound=_HasContext)


@dataclass
class Request:
    """A request that passed the service model and names a well-formed resource.

    Attributes:
        ctx: The store, the checks, the responses and the search state.
        op: The operation, e.g. ``"GetIndex"`` (errors name it).
        kwargs: The request's parameters, as the caller passed them.
        checked: What the service model check returned (PutVectors: its vectors).
        target: What the request names: ``"bucket"``, ``"index"`` or ``None``.
        exists: Whether that bucket or index must exist (not for a create).
        bucket: The vector bucket it names (``""`` when none).
        index: The index it names (``""`` when none).
    """

    ctx: Context
    op: str
    kwargs: dict[str, Any]
    checked: Any
    target: Target
    exists: bool
    bucket: str = ""
    index: str = ""

    @contextmanager
    def read(self) -> Iterator[tuple[sqlite3.Connection, dict[str, Any]]]:
        """A consistent snapshot, and the row of the bucket or index the request names.

        Yields:
            The connection, and the index's row (an index request), the bucket's row
            (a bucket request) or ``{}`` (a request that names neither, or a create).

        Raises:
            ClientError: ``NotFoundException``: the bucket or index does not exist.
        """
        with self.ctx.storage.read() as conn:
            yield conn, self._found(conn)

    @contextmanager
    def write(self) -> Iterator[tuple[sqlite3.Connection, dict[str, Any]]]:
        """One write transaction, and the row of the resource named (as :meth:`read`)."""
        with self.ctx.storage.transaction() as conn:
            yield conn, self._found(conn)

    def lookup(self) -> dict[str, Any]:
        """The row of the bucket or index the request names, read in a snapshot of its own."""
        with self.read() as (_, row):
            return row

    def _found(self, conn: sqlite3.Connection) -> dict[str, Any]:
        if not self.exists or self.target is None:
            return {}
        if self.target == "bucket":
            return self.ctx.require_bucket(conn, self.op, self.bucket)
        return self.ctx.require_index(conn, self.op, self.bucket, self.index)


def operation(
    name: str, target: Target = None, *, exists: bool = True
) -> Callable[[Callable[[P, Request], Response]], Callable[[P, dict[str, Any]], Response]]:
    """Make a handler of a plane (``self._ctx``) an operation with the shared opening.

    The handler is called with a :class:`Request` once the parameters passed the
    service model and the bucket or index name passed its rules; it runs its own
    checks, then opens :meth:`Request.read` or :meth:`Request.write`, which finds the
    bucket or index.

    Args:
        name: The operation, as the service model names it.
        target: What the request names: ``"bucket"`` (``vectorBucketName`` or
            ``vectorBucketArn``), ``"index"`` (``indexArn``, or both names) or ``None``.
        exists: Whether the bucket or index must exist (``False`` for a create).
    """

    def decorate(
        handler: Callable[[P, Request], Response],
    ) -> Callable[[P, dict[str, Any]], Response]:
        @functools.wraps(handler)
        def run(self: P, kwargs: dict[str, Any]) -> Response:
            ctx = self._ctx
            req = Request(ctx, name, kwargs, ctx.checks.params(name, kwargs), target, exists)
            if target == "bucket":
                req.bucket = ctx.checks.bucket(name, kwargs)
            elif target == "index":
                req.bucket, req.index = ctx.checks.index(name, kwargs)
            return handler(self, req)

        return run

    return decorate
