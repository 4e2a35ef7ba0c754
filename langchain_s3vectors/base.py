"""``S3VectorsStoreBase``: a store bound to one S3 Vectors index.

This is the part of :class:`~langchain_s3vectors.vectorstores.S3VectorsStore` that
neither searches nor changes a record: how a store is built (a client passed in,
or the embedded or AWS factories), its configuration (bucket, index, the layout of a
new index in :class:`IndexConfig`, how requests run in :class:`BatchingConfig`), the
index lifecycle (create, describe, enable full-text search), and the record-level
reads (get, list). Everything goes through an
:class:`~langchain_s3vectors.index.S3VectorsIndex` (``store.index``).
:class:`~langchain_s3vectors.searcher.S3VectorsSearcher` adds search on top, and
:class:`~langchain_s3vectors.vectorstores.S3VectorsStore` adds writes, deletes and
LangChain's ``VectorStore`` interface. Nothing here imports LangChain beyond its
``Document`` and ``Embeddings`` types.

Each ``a*`` method runs its sync twin in a worker thread
(:func:`~langchain_s3vectors.execution.in_thread`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar

from langchain_s3vectors import limits
from langchain_s3vectors.client import create_client
from langchain_s3vectors.errors import ConfigurationError, InvalidInputError
from langchain_s3vectors.execution import BatchRunner, RateLimiter, RetryPolicy, in_thread
from langchain_s3vectors.identity import EmbeddingIdentity, IdentityGuard, store_identity
from langchain_s3vectors.index import S3VectorsIndex
from langchain_s3vectors.records import DEFAULT_PAGE_CONTENT_KEY, RecordCodec

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
    from pathlib import Path

    from botocore.config import Config
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.client import S3VectorsClient

__all__ = ["BatchingConfig", "IndexConfig", "S3VectorsStoreBase"]

#: Text embedded once to learn the embedding dimension when creating an index.
_DIMENSION_PROBE = "dimension probe"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class IndexConfig:
    """The layout of a new index, and where a document's page content goes.

    Pass it to a store as ``index_config=``. An existing index keeps its own layout:
    its metric and non-filterable keys are read from it.

    Attributes:
        distance_metric: ``"cosine"`` or ``"euclidean"`` for a new index; ``None`` means
            cosine for a new index and whatever an existing index uses.
        page_content_key: Reserved metadata key holding the page content.
        non_filterable_metadata_keys: Other keys to declare non-filterable (for large
            values) when the index is created.
        text_search_language: Language of the full-text analyser on the page content
            key, or ``None`` for no full-text search.

    Example:
        >>> IndexConfig(distance_metric="euclidean", non_filterable_metadata_keys=["raw"])
        IndexConfig(distance_metric='euclidean', page_content_key='_page_content', \
non_filterable_metadata_keys=('raw',), text_search_language='en')
        >>> IndexConfig(text_search_language="xx")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: text_search_language='xx' is not ...
    """

    distance_metric: str | None = None
    page_content_key: str = DEFAULT_PAGE_CONTENT_KEY
    non_filterable_metadata_keys: Sequence[str] = ()
    text_search_language: str | None = "en"

    def __post_init__(self) -> None:
        """Reject an unknown metric or language, or too many non-filterable keys."""
        metric = self.distance_metric
        if metric is not None and metric not in limits.DISTANCE_METRICS:
            msg = (
                f"distance_metric={metric!r} is not supported; S3 Vectors offers "
                f"{', '.join(limits.DISTANCE_METRICS)}"
            )
            raise InvalidInputError(msg)
        language = self.text_search_language
        if language is not None and language not in limits.TEXT_SEARCH_LANGUAGES:
            msg = (
                f"text_search_language={language!r} is not supported; use one of "
                f"{', '.join(limits.TEXT_SEARCH_LANGUAGES)} or None"
            )
            raise InvalidInputError(msg)
        if isinstance(self.non_filterable_metadata_keys, str):
            msg = "non_filterable_metadata_keys must be a list of keys, not one string: [key]"
            raise InvalidInputError(msg)
        keys = dict.fromkeys(self.non_filterable_metadata_keys)
        extra = tuple(k for k in keys if k != self.page_content_key)
        if len(extra) + 1 > limits.MAX_NON_FILTERABLE_KEYS:
            msg = (
                f"{len(extra) + 1} non-filterable keys (with {self.page_content_key!r}); an "
                f"index allows {limits.MAX_NON_FILTERABLE_KEYS}. Drop some "
                "non_filterable_metadata_keys"
            )
            raise InvalidInputError(msg)
        object.__setattr__(self, "non_filterable_metadata_keys", extra)

    def codec(
        self, description: Mapping[str, Any] | None, dimension: int | None = None
    ) -> RecordCodec:
        """The record codec of an index of this layout, as GetIndex ``description`` shows it.

        What the index says (dimension, metric, more non-filterable keys) wins; without
        a description, ``dimension`` and this layout's metric (default cosine) apply.

        Example:
            >>> IndexConfig().codec({"dimension": 4, "distanceMetric": "euclidean"}).dimension
            4
        """
        info = description or {}
        config = info.get("metadataConfiguration") or {}
        keys = {self.page_content_key, *self.non_filterable_metadata_keys}
        keys.update(config.get("nonFilterableMetadataKeys") or [])
        return RecordCodec(
            dimension=int(info["dimension"]) if "dimension" in info else dimension,
            distance_metric=str(info.get("distanceMetric", "cosine"))
            if description is not None
            else self.distance_metric or "cosine",
            page_content_key=self.page_content_key,
            non_filterable_keys=frozenset(keys),
        )

    def bind(
        self,
        client: S3VectorsClient,
        vector_bucket_name: str,
        index_name: str,
        *,
        create_if_missing: bool = True,
        runner: BatchRunner | None = None,
    ) -> S3VectorsIndex:
        """The :class:`~langchain_s3vectors.index.S3VectorsIndex` of this layout on ``client``."""
        key, language = self.page_content_key, self.text_search_language
        return S3VectorsIndex(
            client,
            vector_bucket_name,
            index_name,
            distance_metric=self.distance_metric,
            non_filterable_metadata_keys=[key, *self.non_filterable_metadata_keys],
            text_search={} if language is None else {key: language},
            create_if_missing=create_if_missing,
            runner=runner,
        )


@dataclass(frozen=True)
class BatchingConfig:
    """How a store's requests run: batches in flight, retries and write pacing.

    Pass it to a store as ``batching=``.

    Attributes:
        max_concurrency: Batches in flight at once (and the connection pool of a
            client the store builds).
        max_retries: Retries of throttled or failed calls.
        retry_policy: Full control of retries and backoff (overrides ``max_retries``).
        rate_limiter: Shared write rate limiter. ``None``: writes to AWS (or any
            other endpoint) are paced at the service's per-index write caps, and
            writes to the embedded
            :class:`~langchain_s3vectors.local.LocalS3VectorsClient`, which has no
            such cap, run as fast as it takes them.

    Example:
        >>> BatchingConfig(max_concurrency=4, max_retries=2).max_concurrency
        4
        >>> BatchingConfig(max_concurrency=0)
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: max_concurrency must be at least 1, got 0
    """

    max_concurrency: int = 8
    max_retries: int = 8
    retry_policy: RetryPolicy | None = None
    rate_limiter: RateLimiter | None = None

    def __post_init__(self) -> None:
        """Reject a concurrency below 1 or a negative number of retries."""
        for name, low in (("max_concurrency", 1), ("max_retries", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                msg = f"{name} must be at least {low}, got {value!r}"
                raise InvalidInputError(msg)

    def runner(self) -> BatchRunner:
        """A :class:`~langchain_s3vectors.execution.BatchRunner` with these settings."""
        return BatchRunner(
            max_concurrency=self.max_concurrency,
            retry=self.retry_policy or RetryPolicy(max_retries=self.max_retries),
            rate_limiter=self.rate_limiter,
        )


class S3VectorsStoreBase:
    """A store bound to one S3 Vectors index: construction, configuration, get and list.

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
        query_embedding: Embeddings | None = None,
        dimension: int | None = None,
        create_if_missing: bool = True,
        index_config: IndexConfig | None = None,
        batching: BatchingConfig | None = None,
        relevance_score_fn: Callable[[float], float] | None = None,
        embedding_identity: EmbeddingIdentity | None = None,
        allow_embedding_change: bool = False,
    ) -> None:
        """Create the store; no request is sent until the first operation."""
        layout = index_config or IndexConfig()
        batching = batching or BatchingConfig()
        if client is None:
            client = create_client(max_concurrency=batching.max_concurrency)
        self.index = layout.bind(
            client,
            vector_bucket_name,
            index_name,
            create_if_missing=create_if_missing,
            runner=batching.runner(),
        )
        if batching.rate_limiter is None and self.index.paced:
            self.rate_limiter = RateLimiter()
        self._layout = layout
        self._embedding = embedding
        self._query_embedding = query_embedding
        self.page_content_key = layout.page_content_key
        self.non_filterable_metadata_keys = tuple(layout.non_filterable_metadata_keys)
        self.text_search_language = layout.text_search_language
        self._relevance_score_fn = relevance_score_fn
        self._dimension = dimension
        self.identity_guard = IdentityGuard(
            self.index,
            partial(store_identity, embedding_identity, embedding, dimension),
            allow_change=allow_embedding_change,
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
            max_concurrency=(kwargs.get("batching") or BatchingConfig()).max_concurrency,
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

        Replace it to share one limiter between stores, or to take a share of the cap.
        """
        return self.index.runner.rate_limiter

    @rate_limiter.setter
    def rate_limiter(self, limiter: RateLimiter | None) -> None:
        self.index.runner.rate_limiter = limiter

    @property
    def runner(self) -> BatchRunner:
        """Runs this store's requests: retries, rate limit, concurrency, worker threads."""
        return self.index.runner

    @property
    def embeddings(self) -> Embeddings | None:
        """The document embeddings (``None`` for a store fed precomputed vectors)."""
        return self._embedding

    @property
    def embedding_identity(self) -> EmbeddingIdentity | None:
        """What builds this store's vectors: model, dimension, normalisation (if known).

        ``embedding_identity=`` when given, else what
        :func:`~langchain_s3vectors.identity.identity_of` tells from the embeddings.
        """
        return self.identity_guard.current()

    def recorded_embedding_identity(self) -> EmbeddingIdentity | None:
        """The identity the index records (read once per store, then cached).

        ``None`` when the index does not exist, records none, or its tags cannot be
        read (see :mod:`langchain_s3vectors.identity`). Example: see
        :meth:`check_embedding_identity`.
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
            >>> store("model-b").recorded_embedding_identity().describe()
            'model-a (4 dimensions)'
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
        return self._codec().distance_metric

    def _codec(self, dimension: int | None = None) -> RecordCodec:
        return self._layout.codec(self.index.description, self._dimension or dimension)

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

    async def _run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
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
        info = self.index.ensure(None, probe=self._probe)
        self.identity_guard.before_write(int(info["dimension"]))

    def _probe(self) -> int:
        if self._dimension is not None:
            return self._dimension
        return len(self._doc_embedding().embed_query(_DIMENSION_PROBE))

    def enable_text_search(self, language: str | None = "en") -> None:
        """Make the page content full-text searchable on an existing index, in place.

        Nothing to do when it already is. Uses UpdateMetadataConfiguration; the service
        then backfills existing vectors (``BUILDING`` until ``ACTIVE``).

        Args:
            language: Analyser language (``None``: the standard analyser).
        """
        self.index.ensure(None, probe=self._probe)
        if self.index.text_search_config(self.page_content_key) is None:
            self.index.enable_text_search(self.page_content_key, language)
            self.text_search_language = language

    aindex_info = in_thread(index_info)
    aensure_index = in_thread(ensure_index)
    aenable_text_search = in_thread(enable_text_search)

    # -- get and list ------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents for ``ids``, in the order given; missing ids are skipped."""
        records = self.index.get(ids)
        codec = self._codec()
        return [codec.decode(records[i]) for i in ids if i in records]

    aget_by_ids = in_thread(get_by_ids)

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
