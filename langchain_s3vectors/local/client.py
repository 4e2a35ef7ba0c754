"""``LocalS3VectorsClient``: an embedded, persistent Amazon S3 Vectors.

It has the method names, keyword parameters, response dicts and errors of
``boto3.client("s3vectors")``, so code written against one runs on the other:

* parameters are checked by botocore's own validator against the installed service
  model, and rejected with :class:`botocore.exceptions.ParamValidationError` exactly
  as boto3 would, before anything is read or written;
* service rules (limits, names, dimensions, filters, ...) raise
  :class:`botocore.exceptions.ClientError` subclasses (``client.exceptions.X``) with the
  service's error code and HTTP status: ``ValidationException`` (400),
  ``NotFoundException`` (404), ``ConflictException`` (409);
* a rejected request writes nothing; every request is one SQLite transaction.

The client is a facade over composed parts: :mod:`.control` (buckets, indexes,
policies, tags), :mod:`.data` (put, get, delete, list), :mod:`.search` (query, filters,
full text), :mod:`.context` (what they share, and the opening every operation has in
common: the checks in their order, then the transaction), :mod:`.storage` (every SQL
statement), :mod:`.validation` (the request checks every plane shares; each plane's
own are in :mod:`.control_checks`, :mod:`.data_checks` and :mod:`.query_checks`) and
:mod:`.protocol` (errors, responses, ARNs, tokens).

Example:
    >>> from langchain_s3vectors import LocalS3VectorsClient
    >>> client = LocalS3VectorsClient()  # in memory; pass a directory to persist
    >>> _ = client.create_vector_bucket(vectorBucketName="kbase")
    >>> _ = client.create_index(vectorBucketName="kbase", indexName="docs", dataType="float32",
    ...                         dimension=2, distanceMetric="cosine")
    >>> client.put_vectors(vectorBucketName="kbase", indexName="docs", vectors=[
    ...     {"key": "a", "data": {"float32": [1.0, 0.0]}, "metadata": {"genre": "drama"}},
    ...     {"key": "b", "data": {"float32": [0.0, 1.0]}, "metadata": {"genre": "comedy"}},
    ... ])["ResponseMetadata"]["HTTPStatusCode"]
    200
    >>> res = client.query_vectors(vectorBucketName="kbase", indexName="docs", topK=1,
    ...                            queryVector={"float32": [0.9, 0.1]},
    ...                            filter={"genre": "drama"}, returnDistance=True)
    >>> [(v["key"], round(v["distance"], 3)) for v in res["vectors"]]
    [('a', 0.006)]
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Self

from botocore.exceptions import OperationNotPageableError

from langchain_s3vectors.local import ann, fulltext, vectorfile
from langchain_s3vectors.local.cache import IndexCaches
from langchain_s3vectors.local.context import Checks, Context
from langchain_s3vectors.local.control import ControlPlane
from langchain_s3vectors.local.data import DataPlane
from langchain_s3vectors.local.fulltext import upgrade_tables
from langchain_s3vectors.local.protocol import (
    DEFAULT_ACCOUNT,
    DEFAULT_REGION,
    Protocol,
    paginated_operations,
    paginator,
    service_model,
)
from langchain_s3vectors.local.search import SearchPlane
from langchain_s3vectors.local.storage import Storage
from langchain_s3vectors.local.validation import check_home

if TYPE_CHECKING:
    from pathlib import Path

    from botocore.paginate import Paginator

__all__ = ["LocalS3VectorsClient"]


class LocalS3VectorsClient:
    """An embedded S3 Vectors with the API of ``boto3.client("s3vectors")``.

    Args:
        path: Directory holding the store (created if missing); ``None`` keeps
            everything in memory.
        region_name: Region used in ARNs.
        account_id: Twelve-digit account id used in ARNs.
        read_only: Open the existing store at ``path`` for reading only: nothing is
            created, a store on a read-only mount can be read, and writes fail.
        exact_search: Search every index exactly. By default an index of at least
            ``ann.ANN_MIN_VECTORS`` vectors is searched through an approximate graph
            when the ``ann`` extra is installed (see :mod:`langchain_s3vectors.local.ann`);
            smaller ones are always searched exactly.

    Setup:
        .. code-block:: bash

            pip install langchain-s3vectors

    Instantiate:
        .. code-block:: python

            from langchain_s3vectors import LocalS3VectorsClient

            client = LocalS3VectorsClient("./.s3vectors")   # persistent
            client = LocalS3VectorsClient()                 # in memory

    Each call is handed on, as boto3 would make it, to one of three parts sharing one
    :class:`~langchain_s3vectors.local.context.Context`: the control plane (buckets,
    indexes, policies, tags), the data plane (put, get, delete, list) and the search
    (query).

    Use exactly like boto3:
        .. code-block:: python

            client.create_vector_bucket(vectorBucketName="kbase")
            client.create_index(vectorBucketName="kbase", indexName="docs",
                                dataType="float32", dimension=384,
                                distanceMetric="cosine")
            try:
                client.get_index(vectorBucketName="kbase", indexName="nope")
            except client.exceptions.NotFoundException as exc:
                print(exc.response["Error"]["Code"])  # NotFoundException
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        region_name: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT,
        read_only: bool = False,
        exact_search: bool = False,
    ) -> None:
        """Open or create the store (``read_only``: open an existing one for reading)."""
        check_home(region_name, account_id)
        self._storage = Storage(path, read_only=read_only)
        if not read_only:
            upgrade_tables(self._storage)  # full-text tables of an older version
        model = service_model()
        protocol = Protocol(model, region_name, account_id)
        self.exceptions = protocol.exceptions
        self._caches = IndexCaches(self._storage, approximate=not exact_search and ann.available())
        ctx = Context(
            storage=self._storage,
            protocol=protocol,
            checks=Checks(model, protocol),
            caches=self._caches,
        )
        self._control = ControlPlane(ctx)
        self._data = DataPlane(ctx)
        self._search = SearchPlane(ctx)
        self._region = region_name

    @property
    def region_name(self) -> str:
        """The region this store is in (vector buckets are regional; ARNs carry it)."""
        return self._region

    @property
    def path(self) -> Path | None:
        """The database file, or ``None`` for an in-memory store."""
        return self._storage.db_path

    def __repr__(self) -> str:
        """Show where the store lives."""
        where = "memory" if self.path is None else str(self.path.parent)
        return f"LocalS3VectorsClient({where!r})"

    def checkpoint(self, *, min_vectors: int = 0) -> int:
        """Write the memory-mapped vector files of every index changed since its last ones.

        A later process then opens these indexes without reading their vectors out of
        SQLite (see :mod:`langchain_s3vectors.local.vectorfile`). :meth:`close` calls
        this for indexes of at least ``vectorfile.CHECKPOINT_MIN_VECTORS`` vectors. Safe
        to run while other processes read and write the store; a checkpoint overtaken
        by a concurrent write is dropped and written again next time.

        Args:
            min_vectors: Skip indexes with fewer vectors.

        Returns:
            How many indexes got a new checkpoint (always 0 in memory).
        """
        return vectorfile.checkpoint_all(
            self._storage, min_vectors=min_vectors, caches=self._caches
        )

    def check_integrity(self) -> list[str]:
        """Check the store for damage: SQLite's ``quick_check`` and every full-text table.

        Not an S3 Vectors operation: the embedded store's own health check.

        Returns:
            One line per problem, each saying what is damaged; empty when sound.

        Example:
            >>> LocalS3VectorsClient().check_integrity()
            []
        """
        try:
            with self._storage.read() as conn:
                return fulltext.integrity_problems(conn) + vectorfile.integrity_problems(
                    conn, self._storage.vector_dir
                )
        except sqlite3.DatabaseError as exc:
            return [f"the database cannot be read ({exc})"]

    def close(self) -> None:
        """Checkpoint changed indexes (see :meth:`checkpoint`), then close the database.

        Only a client that wrote something checkpoints; a reader, or a store that cannot
        be written (read-only files), is closed as it is.
        """
        vectorfile.checkpoint_on_close(self._storage, self._caches)
        self._storage.close()

    def __enter__(self) -> Self:
        """Use the client as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on exit."""
        self.close()

    # -- control plane -----------------------------------------------------------------

    def create_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """CreateVectorBucket: create a vector bucket (ConflictException if it exists)."""
        return self._control.create_vector_bucket(kwargs)

    def get_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucket."""
        return self._control.get_vector_bucket(kwargs)

    def list_vector_buckets(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectorBuckets, with ``prefix``, ``maxResults`` and ``nextToken``."""
        return self._control.list_vector_buckets(kwargs)

    def delete_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucket (ConflictException while it still has indexes)."""
        return self._control.delete_vector_bucket(kwargs)

    def put_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketPolicy: store the policy document (must be JSON)."""
        return self._control.put_vector_bucket_policy(kwargs)

    def get_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectorBucketPolicy."""
        return self._control.get_vector_bucket_policy(kwargs)

    def delete_vector_bucket_policy(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectorBucketPolicy."""
        return self._control.delete_vector_bucket_policy(kwargs)

    def put_vector_bucket_default_index_mode(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectorBucketDefaultIndexMode."""
        return self._control.put_vector_bucket_default_index_mode(kwargs)

    def create_index(self, **kwargs: Any) -> dict[str, Any]:
        """CreateIndex (ConflictException if it exists; the existing one stays intact)."""
        return self._control.create_index(kwargs)

    def get_index(self, **kwargs: Any) -> dict[str, Any]:
        """GetIndex."""
        return self._control.get_index(kwargs)

    def list_indexes(self, **kwargs: Any) -> dict[str, Any]:
        """ListIndexes, with ``prefix``, ``maxResults`` and ``nextToken``."""
        return self._control.list_indexes(kwargs)

    def delete_index(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteIndex: the index and every vector in it."""
        return self._control.delete_index(kwargs)

    def update_index_mode(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateIndexMode (CLASSIC only for buckets created before 2026-09-30)."""
        return self._control.update_index_mode(kwargs)

    def update_metadata_configuration(self, **kwargs: Any) -> dict[str, Any]:
        """UpdateMetadataConfiguration: add or delete full-text searchable keys."""
        return self._control.update_metadata_configuration(kwargs)

    def tag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """TagResource: add or replace tags on a bucket or index."""
        return self._control.tag_resource(kwargs)

    def untag_resource(self, **kwargs: Any) -> dict[str, Any]:
        """UntagResource: remove tags by key (missing keys are ignored)."""
        return self._control.untag_resource(kwargs)

    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        """ListTagsForResource."""
        return self._control.list_tags_for_resource(kwargs)

    # -- data plane --------------------------------------------------------------------

    def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """PutVectors: upsert up to 500 vectors, all or nothing."""
        return self._data.put_vectors(kwargs)

    def get_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """GetVectors: up to 100 keys; missing keys are ignored; order not promised."""
        return self._data.get_vectors(kwargs)

    def delete_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteVectors: up to 500 keys; missing keys are ignored."""
        return self._data.delete_vectors(kwargs)

    def list_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """ListVectors: pages of up to ``maxResults`` keys (default 500, at most 1,000)."""
        return self._data.list_vectors(kwargs)

    # -- search ------------------------------------------------------------------------

    def query_vectors(self, **kwargs: Any) -> dict[str, Any]:
        """QueryVectors: exact k-NN, full-text (BM25) or hybrid (RRF) search."""
        return self._search.query_vectors(kwargs)

    # -- boto3 extras ------------------------------------------------------------------

    def get_paginator(self, operation_name: str) -> Paginator:
        """Botocore's paginator for an operation the model paginates, as boto3 returns it.

        ``PaginationConfig`` (``MaxItems``, ``PageSize``, ``StartingToken``),
        ``build_full_result()`` and ``search()`` work as on a boto3 client.

        Raises:
            OperationNotPageableError: The operation is not paginated (as boto3).
        """
        operation = paginated_operations().get(operation_name)
        if operation is None:
            raise OperationNotPageableError(operation_name=operation_name)
        return paginator(getattr(self, operation_name), operation)

    def can_paginate(self, operation_name: str) -> bool:
        """Whether :meth:`get_paginator` supports an operation (as boto3's ``can_paginate``)."""
        return operation_name in paginated_operations()
