"""``S3VectorsStoreBase``: a store bound to one S3 Vectors index.

This is the part of :class:`~langchain_s3vectors.vectorstores.S3VectorsStore` that
needs no embeddings and no search: how a store is built (a client passed in, or the
embedded or AWS factories), its configuration
(bucket, index, metric, dimension, non-filterable keys, rate limit), the index
lifecycle (create, describe, enable full-text search), and the record-level
operations (get, delete by id or filter, clear, list). Everything goes through an
:class:`~langchain_s3vectors.index.S3VectorsIndex` (``store.index``).
:class:`~langchain_s3vectors.searcher.S3VectorsSearcher` adds search on top, and
:class:`~langchain_s3vectors.vectorstores.S3VectorsStore` adds writes and LangChain's
``VectorStore`` interface. Nothing here imports LangChain beyond its ``Document`` and
``Embeddings`` types.

Each ``a*`` method runs its sync twin in a worker thread (:func:`in_thread`).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar

from langchain_s3vectors import limits
from langchain_s3vectors.client import create_client
from langchain_s3vectors.errors import ConfigurationError, InvalidInputError
from langchain_s3vectors.execution import BatchRunner, RateLimiter, RetryPolicy
from langchain_s3vectors.filters import matches
from langchain_s3vectors.identity import EmbeddingIdentity, IdentityGuard, identity_of
from langchain_s3vectors.index import S3VectorsIndex
from langchain_s3vectors.records import DEFAULT_PAGE_CONTENT_KEY, RecordCodec
from langchain_s3vectors.search import checked_filter

if TYPE_CHECKING:
    from collections.abc import (
        AsyncIterator,
        Callable,
        Coroutine,
        Iterable,
        Iterator,
        Mapping,
        Sequence,
    )
    from pathlib import Path

    from botocore.config import Config
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.client import S3VectorsClient

__all__ = ["S3VectorsStoreBase", "in_thread"]

#: Text embedded once to learn the embedding dimension when creating an index.
_DIMENSION_PROBE = "dimension probe"

P = ParamSpec("P")
R = TypeVar("R")


def in_thread(method: Callable[..., R]) -> Callable[..., Coroutine[Any, Any, R]]:
    """The async twin of a store method: the same method, run in a worker thread.

    The twin looks the method up on the instance, so a subclass's override runs.
    """
    name = method.__name__

    async def run(self: S3VectorsStoreBase, /, *args: Any, **kwargs: Any) -> R:
        result: R = await self.index.runner.in_executor(
            partial(getattr(self, name), *args, **kwargs)
        )
        return result

    run.__name__ = run.__qualname__ = f"a{name}"
    run.__doc__ = f"Async :meth:`{name}`, run in a worker thread (the event loop never blocks)."
    return run


class S3VectorsStoreBase:
    """A store bound to one S3 Vectors index: all but writes and search.

    See :class:`~langchain_s3vectors.vectorstores.S3VectorsStore` (the class to use)
    for the arguments and examples.
    """

    def __init__(
        self,
        vector_bucket_name: str,
        index_name: str,
        embedding: Embeddings | None = None,
        *,
        client: S3VectorsClient | None = None,
        distance_metric: str | None = None,
        query_embedding: Embeddings | None = None,
        page_content_key: str = DEFAULT_PAGE_CONTENT_KEY,
        non_filterable_metadata_keys: Iterable[str] = (),
        text_search_language: str | None = "en",
        create_if_missing: bool = True,
        max_concurrency: int = 8,
        max_retries: int = 8,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        relevance_score_fn: Callable[[float], float] | None = None,
        dimension: int | None = None,
        embedding_identity: EmbeddingIdentity | None = None,
        allow_embedding_change: bool = False,
    ) -> None:
        """Create the store; no request is sent until the first operation."""
        if text_search_language is not None and (
            text_search_language not in limits.TEXT_SEARCH_LANGUAGES
        ):
            msg = (
                f"text_search_language={text_search_language!r} is not supported; use one of "
                f"{', '.join(limits.TEXT_SEARCH_LANGUAGES)} or None"
            )
            raise InvalidInputError(msg)
        extra = [k for k in dict.fromkeys(non_filterable_metadata_keys) if k != page_content_key]
        if len(extra) + 1 > limits.MAX_NON_FILTERABLE_KEYS:
            msg = (
                f"{len(extra) + 1} non-filterable keys (with {page_content_key!r}); an index "
                f"allows {limits.MAX_NON_FILTERABLE_KEYS}. Drop some non_filterable_metadata_keys"
            )
            raise InvalidInputError(msg)
        self.index = S3VectorsIndex(
            create_client(max_concurrency=max_concurrency) if client is None else client,
            vector_bucket_name,
            index_name,
            distance_metric=distance_metric,
            non_filterable_metadata_keys=[page_content_key, *extra],
            text_search={}
            if text_search_language is None
            else {page_content_key: text_search_language},
            create_if_missing=create_if_missing,
            runner=BatchRunner(
                max_concurrency=max_concurrency,
                retry=retry_policy or RetryPolicy(max_retries=max_retries),
            ),
        )
        if rate_limiter is None and self.index.paced:
            rate_limiter = RateLimiter()
        self.index.runner.rate_limiter = rate_limiter
        self._embedding = embedding
        self._query_embedding = query_embedding
        self.page_content_key = page_content_key
        self.non_filterable_metadata_keys = tuple(extra)
        self.text_search_language = text_search_language
        self._relevance_score_fn = relevance_score_fn
        self._dimension = dimension
        self._identity = embedding_identity
        self.identity_guard = IdentityGuard(
            self.index, self._embedding_identity, allow_change=allow_embedding_change
        )

    # -- construction ------------------------------------------------------------------

    @classmethod
    def local(
        cls,
        path: str | Path | None,
        embedding: Embeddings | None,
        *,
        vector_bucket_name: str = "local",
        index_name: str = "documents",
        read_only: bool = False,
        **kwargs: Any,
    ) -> Self:
        """A store on the embedded local S3 Vectors (no AWS needed).

        Args:
            path: Directory to persist to, or ``None`` to keep everything in memory.
            embedding: The embeddings.
            vector_bucket_name: The bucket.
            index_name: The index.
            read_only: Open an existing store at ``path`` for reading only (nothing is
                created; works on a read-only mount); writes fail.
            **kwargs: Other :class:`S3VectorsStore` arguments.

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> from langchain_s3vectors import S3VectorsStore
            >>> store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=4))
            >>> store.add_texts(["hello"], ids=["a"])
            ['a']
        """
        from langchain_s3vectors.local import LocalS3VectorsClient  # noqa: PLC0415

        client = LocalS3VectorsClient(path=None if path is None else str(path), read_only=read_only)
        return cls(vector_bucket_name, index_name, embedding, client=client, **kwargs)

    @classmethod
    def from_aws(
        cls,
        vector_bucket_name: str,
        index_name: str,
        embedding: Embeddings | None = None,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        profile_name: str | None = None,
        session: Any = None,
        client_config: Config | None = None,
        **kwargs: Any,
    ) -> Self:
        """A store on a boto3 client built by :func:`~langchain_s3vectors.client.create_client`.

        Args:
            vector_bucket_name: The bucket.
            index_name: The index.
            embedding: The embeddings.
            region_name: AWS region.
            endpoint_url: Endpoint (an S3-Vectors-compatible service).
            profile_name: AWS profile.
            session: A ``boto3.Session``.
            client_config: A ``botocore.config.Config`` merged into the default one.
            **kwargs: Other :class:`S3VectorsStore` arguments.

        Example:
            >>> from langchain_s3vectors import S3VectorsStore
            >>> store = S3VectorsStore.from_aws("kbase", "docs", None, region_name="us-east-1")
            >>> store.client.meta.region_name
            'us-east-1'
        """
        client = create_client(
            region_name=region_name,
            endpoint_url=endpoint_url,
            profile_name=profile_name,
            session=session,
            config=client_config,
            max_concurrency=kwargs.get("max_concurrency", 8),
        )
        return cls(vector_bucket_name, index_name, embedding, client=client, **kwargs)

    def __repr__(self) -> str:
        """Show bucket and index only (never the client or its credentials)."""
        return repr(self.index).replace(type(self.index).__name__, type(self).__name__, 1)

    # -- properties --------------------------------------------------------------------

    @property
    def vector_bucket_name(self) -> str:
        """The vector bucket."""
        return self.index.vector_bucket_name

    @property
    def index_name(self) -> str:
        """The vector index."""
        return self.index.index_name

    @property
    def client(self) -> Any:
        """The S3 Vectors client (``store.index.client``)."""
        return self.index.client

    @property
    def create_if_missing(self) -> bool:
        """Whether the first write creates a missing bucket and index."""
        return self.index.create_if_missing

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The limiter pacing this store's writes (``None``: as fast as the client takes them).

        Replace it to share one limiter between stores writing to the same index, or to
        take a share of the index's write cap (what sharded ingest does).
        """
        return self.index.runner.rate_limiter

    @rate_limiter.setter
    def rate_limiter(self, limiter: RateLimiter | None) -> None:
        self.index.runner.rate_limiter = limiter

    @property
    def embeddings(self) -> Embeddings | None:
        """The document embeddings (``None`` for a store fed precomputed vectors)."""
        return self._embedding

    def _embedding_identity(self) -> EmbeddingIdentity | None:
        identity = self._identity or identity_of(self._embedding)
        if identity is None:
            return None
        return identity.with_dimension(self._dimension)

    @property
    def embedding_identity(self) -> EmbeddingIdentity | None:
        """What builds this store's vectors: model, dimension, normalisation (if known).

        ``embedding_identity=`` when given, else what
        :func:`~langchain_s3vectors.identity.identity_of` tells from the embeddings.
        """
        return self._embedding_identity()

    def recorded_embedding_identity(self) -> EmbeddingIdentity | None:
        """The identity the index records (read once per store, then cached).

        ``None`` when the index does not exist, records none, or its tags cannot be
        read (see :mod:`langchain_s3vectors.identity`).

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> from langchain_s3vectors import S3VectorsStore
            >>> from langchain_s3vectors.identity import EmbeddingIdentity
            >>> store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=4),
            ...     embedding_identity=EmbeddingIdentity("my-model", normalized=True))
            >>> store.add_texts(["hello"], ids=["a"])
            ['a']
            >>> store.recorded_embedding_identity().describe()
            'my-model (4 dimensions, normalised)'
        """
        return self.identity_guard.recorded()

    def check_embedding_identity(self) -> bool:
        """Check that the index was built with this store's embedding model.

        Returns:
            Whether the index records another model and the store allows the change
            (``allow_embedding_change=True``): what is written should be re-embedded.

        Raises:
            EmbeddingMismatchError: The index records another model.
            DimensionMismatchError: The index has another dimension.

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> from langchain_s3vectors import LocalS3VectorsClient, S3VectorsStore
            >>> from langchain_s3vectors.identity import EmbeddingIdentity
            >>> client, emb = LocalS3VectorsClient(), DeterministicFakeEmbedding(size=4)
            >>> def store(model, **kwargs):
            ...     return S3VectorsStore("kbase", "docs", emb, client=client,
            ...         embedding_identity=EmbeddingIdentity(model), **kwargs)
            >>> store("model-a").add_texts(["hello"], ids=["a"])
            ['a']
            >>> store("model-b").check_embedding_identity()  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            langchain_s3vectors.errors.EmbeddingMismatchError: index 'docs' ... model-a ...
            >>> store("model-b", allow_embedding_change=True).check_embedding_identity()
            True
        """
        return self.identity_guard.check()

    @property
    def dimension(self) -> int | None:
        """The index dimension, once known (from the index or the first vectors)."""
        info = self.index.description
        return self._dimension if info is None else int(info["dimension"])

    @property
    def distance_metric(self) -> str:
        """The index's distance metric (the requested one until the index is seen)."""
        info = self.index.description
        if info is not None:
            return str(info.get("distanceMetric", "cosine"))
        return self.index.requested_metric or "cosine"

    def _non_filterable(self) -> frozenset[str]:
        keys = {self.page_content_key, *self.non_filterable_metadata_keys}
        config = (self.index.description or {}).get("metadataConfiguration") or {}
        keys.update(config.get("nonFilterableMetadataKeys") or [])
        return frozenset(keys)

    def _codec(self, dimension: int | None = None) -> RecordCodec:
        return RecordCodec(
            dimension=self.dimension or dimension,
            distance_metric=self.distance_metric,
            page_content_key=self.page_content_key,
            non_filterable_keys=self._non_filterable(),
        )

    def _doc_embedding(self) -> Embeddings:
        if self._embedding is None:
            msg = (
                "this store has no embedding model; pass embedding= to S3VectorsStore, or "
                "use add_embeddings()/similarity_search_by_vector() with your own vectors"
            )
            raise ConfigurationError(msg)
        return self._embedding

    def _query_emb(self) -> Embeddings:
        return self._query_embedding or self._doc_embedding()

    def _filter(self, flt: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return checked_filter(flt, self._non_filterable())

    async def _run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the blocking ``fn`` in a worker thread."""
        return await self.index.runner.in_executor(partial(fn, *args, **kwargs))

    # -- index lifecycle ---------------------------------------------------------------

    def index_info(self) -> dict[str, Any] | None:
        """GetIndex's ``index`` description, or ``None`` when the index does not exist.

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> from langchain_s3vectors import S3VectorsStore
            >>> S3VectorsStore.local(None, DeterministicFakeEmbedding(size=4)).index_info()
        """
        return self.index.info()

    def ensure_index(self) -> None:
        """Create the bucket and index when missing; check dimension and metric.

        The embedding identity is checked, and recorded when the index has none
        (:mod:`langchain_s3vectors.identity`).

        Raises:
            DimensionMismatchError: The index and the embedding disagree on dimension.
            EmbeddingMismatchError: The index was built with another embedding model.
            InvalidInputError: The index uses another distance metric than requested.
            ResourceNotFoundError: Missing and ``create_if_missing`` is false.
        """
        info = self._ensure_index(None)
        self.identity_guard.before_write(int(info["dimension"]))

    def _ensure_index(self, dimension: int | None) -> dict[str, Any]:
        return self.index.ensure(dimension, probe=self._probe)

    def _probe(self) -> int:
        if self._dimension is not None:
            return self._dimension
        return len(self._doc_embedding().embed_query(_DIMENSION_PROBE))

    def enable_text_search(self, language: str | None = "en") -> None:
        """Make the page content full-text searchable on an existing index, in place.

        Uses UpdateMetadataConfiguration; the service then backfills existing vectors
        (the configuration is ``BUILDING`` until ``ACTIVE``). Does nothing when the
        page content key is already searchable.

        Args:
            language: Analyser language (``None``: the standard analyser).
        """
        self._ensure_index(None)
        if self.index.text_search_config(self.page_content_key) is None:
            self.index.enable_text_search(self.page_content_key, language)
            self.text_search_language = language

    aindex_info = in_thread(index_info)
    aensure_index = in_thread(ensure_index)
    aenable_text_search = in_thread(enable_text_search)

    # -- get and delete ----------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents for ``ids``, in the order given; missing ids are skipped."""
        records = self.index.get(ids)
        codec = self._codec()
        return [codec.decode(records[i]) for i in ids if i in records]

    aget_by_ids = in_thread(get_by_ids)

    def delete(
        self,
        ids: list[str] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> bool | None:
        """Delete vectors by id, by metadata filter, or both (ids that match the filter).

        Missing ids are ignored; the index is never dropped. A filter is evaluated
        client-side over ListVectors pages (QueryVectors needs a query vector).

        Raises:
            InvalidInputError: Neither ids nor filter given (use :meth:`clear`).
        """
        if ids is None and filter is None:
            msg = (
                "delete() needs ids or filter=; it never deletes everything by default. "
                "Call clear() to delete every vector (the index is kept)"
            )
            raise InvalidInputError(msg)
        if isinstance(ids, str):
            msg = "ids must be a list of ids, not one string; wrap it: [id]"
            raise InvalidInputError(msg)
        if filter is not None:
            flt = self._filter(filter)
            assert flt is not None  # noqa: S101 - a non-empty filter normalises to a dict
            records: Iterable[dict[str, Any]] = (
                self.iter_records() if ids is None else self.index.get(ids).values()
            )
            ids = [r["key"] for r in records if matches(flt, r.get("metadata") or {})]
        if ids:
            self.index.delete(ids)
        return True

    adelete = in_thread(delete)

    def clear(self) -> None:
        """Delete every vector in the index; the index itself is kept."""
        keys = [r["key"] for r in self.iter_records(return_metadata=False)]
        if keys:
            self.index.delete(keys)

    aclear = in_thread(clear)

    def iter_records(
        self,
        *,
        return_data: bool = False,
        return_metadata: bool = True,
        segment_count: int = 1,
        parallel: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every record of the index, page by page (ListVectors), as the service returns them.

        A missing index yields nothing. See :meth:`S3VectorsIndex.iter_records
        <langchain_s3vectors.index.S3VectorsIndex.iter_records>` for the arguments.
        """
        return self.index.iter_records(
            return_data=return_data,
            return_metadata=return_metadata,
            segment_count=segment_count,
            parallel=parallel,
        )

    async def aiter_records(self, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        """Async :meth:`iter_records` (same arguments): each page is read in a worker thread."""
        pages = self.index.iter_pages(**kwargs)
        while (page := await self._run(next, pages, None)) is not None:
            for record in page:
                yield record
