"""``S3VectorsStore``: a LangChain vector store on Amazon S3 Vectors.

The store is embeddings + records + relevance, MMR and hybrid search over an
:class:`~langchain_s3vectors.index.S3VectorsIndex` (``store.index``), which speaks the
S3 Vectors protocol to *an S3 Vectors client*: ``boto3.client("s3vectors")`` against
AWS (or any compatible endpoint), or the embedded
:class:`~langchain_s3vectors.local.LocalS3VectorsClient` for laptops, notebooks and CI.
Both speak the same API, so one code path serves both.

The logic is written once, synchronously (boto3 blocks; batches fan out on threads).
Each ``a*`` method awaits only what is natively async, the embedding model's
``aembed_documents`` / ``aembed_query``, and runs the rest in a worker thread.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, cast

from langchain_core.vectorstores import VectorStore
from typing_extensions import override

from langchain_s3vectors import limits
from langchain_s3vectors.client import create_client
from langchain_s3vectors.errors import (
    ConfigurationError,
    InvalidInputError,
)
from langchain_s3vectors.execution import BatchRunner, RateLimiter, RetryPolicy
from langchain_s3vectors.filters import matches
from langchain_s3vectors.index import S3VectorsIndex
from langchain_s3vectors.records import (
    DEFAULT_PAGE_CONTENT_KEY,
    RecordCodec,
    check_k,
    check_query_text,
    text_list,
)
from langchain_s3vectors.search import (
    RELEVANCE,
    checked_filter,
    cosine_relevance_score,
    euclidean_relevance_score,
    mmr_select,
    query_request,
    scored,
    text_search_ready,
    with_distance,
)
from langchain_s3vectors.writes import EMBED_CHUNK, Writer, embedded_chunks

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

    import numpy.typing as npt
    from botocore.config import Config
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.client import S3VectorsClient
    from langchain_s3vectors.retrievers import S3VectorsRetriever

__all__ = ["S3VectorsStore", "cosine_relevance_score", "euclidean_relevance_score"]

#: Text embedded once to learn the embedding dimension when creating an index.
_DIMENSION_PROBE = "dimension probe"
P = ParamSpec("P")
R = TypeVar("R")


def _in_thread(method: Callable[..., R]) -> Callable[..., Coroutine[Any, Any, R]]:
    """The async twin of a store method: the same method, run in a worker thread.

    The twin looks the method up on the instance, so a subclass's override runs.
    """
    name = method.__name__

    async def run(self: S3VectorsStore, /, *args: Any, **kwargs: Any) -> R:
        result: R = await self.index.runner.in_executor(
            partial(getattr(self, name), *args, **kwargs)
        )
        return result

    run.__name__ = run.__qualname__ = f"a{name}"
    run.__doc__ = f"Async :meth:`{name}`, run in a worker thread (the event loop never blocks)."
    return run


class S3VectorsStore(VectorStore):
    """LangChain vector store on Amazon S3 Vectors (or the embedded local S3 Vectors).

    Each document is one vector: its id is the vector key, its embedding the vector,
    its metadata the vector's metadata, and its page content a reserved non-filterable
    (and, by default, full-text searchable) metadata key. The bucket and index are
    created on the first write when missing.

    Setup:
        .. code-block:: bash

            pip install langchain-s3vectors

    Instantiate:
        .. code-block:: python

            from langchain_core.embeddings import DeterministicFakeEmbedding
            from langchain_s3vectors import S3VectorsStore

            emb = DeterministicFakeEmbedding(size=8)
            # Against AWS:
            store = S3VectorsStore.from_aws("my-bucket", "docs", emb, region_name="us-east-1")
            # Embedded, no AWS at all (path=None keeps it in memory):
            store = S3VectorsStore.local(None, emb)

    Add:
        .. code-block:: python

            from langchain_core.documents import Document

            store.add_documents(
                [Document("S3 Vectors stores vectors", metadata={"year": 2025})], ids=["d1"]
            )

    Delete:
        .. code-block:: python

            store.delete(["d1"])
            store.delete(filter={"year": {"$lt": 2020}})
            store.clear()  # every vector; the index stays

    Search:
        .. code-block:: python

            store.similarity_search("vectors", k=2)
            store.similarity_search_with_relevance_scores("vectors", k=2)
            store.hybrid_search("vectors in S3", k=2)

    Search with filter:
        .. code-block:: python

            store.similarity_search("vectors", k=2, filter={"year": {"$gte": 2024}})

    Use as retriever:
        .. code-block:: python

            retriever = store.as_retriever(search_type="mmr", search_kwargs={"k": 3})
            retriever.invoke("vectors")

    Args:
        vector_bucket_name: The vector bucket.
        index_name: The vector index.
        embedding: Embeddings for documents (and queries, unless ``query_embedding``).
        client: A boto3-shaped ``s3vectors`` client (see
            :class:`~langchain_s3vectors.client.S3VectorsClient`); ``None`` builds one
            with :func:`~langchain_s3vectors.client.create_client` from the environment.
        region_name: Deprecated: use :meth:`from_aws` or ``client=create_client(...)``.
        endpoint_url: Deprecated, as ``region_name``.
        profile_name: Deprecated, as ``region_name``.
        session: Deprecated, as ``region_name``.
        client_config: Deprecated, as ``region_name`` (``config=`` of ``create_client``).
        distance_metric: ``"cosine"`` or ``"euclidean"`` for a new index; ``None`` means
            cosine for a new index and whatever an existing index uses.
        query_embedding: Separate embeddings for queries.
        page_content_key: Reserved metadata key holding the page content.
        non_filterable_metadata_keys: Other keys to declare non-filterable (for large
            values) when the index is created.
        text_search_language: Language of the full-text analyser on the page content
            key, or ``None`` for no full-text search.
        create_if_missing: Create the bucket and index on the first write.
        max_concurrency: Batches in flight at once.
        max_retries: Retries of throttled or failed calls.
        retry_policy: Full control of retries and backoff (overrides ``max_retries``).
        rate_limiter: Shared write rate limiter. By default writes to AWS (or any
            other endpoint) are paced at the service's per-index write caps, and writes
            to the embedded :class:`~langchain_s3vectors.local.LocalS3VectorsClient`,
            which has no such cap, run as fast as it takes them.
        relevance_score_fn: Distance -> relevance in [0, 1], replacing the default for
            the index's metric.
        dimension: Embedding dimension, when known (saves one embedding call when
            creating the index).
    """

    def __init__(
        self,
        vector_bucket_name: str,
        index_name: str,
        embedding: Embeddings | None = None,
        *,
        client: S3VectorsClient | None = None,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        profile_name: str | None = None,
        session: Any = None,
        client_config: Config | None = None,
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
        legacy = {
            "region_name": region_name,
            "endpoint_url": endpoint_url,
            "profile_name": profile_name,
            "session": session,
            "config": client_config,
        }
        self.index = S3VectorsIndex(
            _client(client, legacy, max_concurrency),
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

    @classmethod
    def from_env(
        cls,
        *,
        embedding: Embeddings | None = None,
        env_file: str | Path | None = ".env",
        **overrides: Any,
    ) -> Self:
        """Deprecated: use ``langchain_s3vectors.app.settings.store_from_env``.

        A store configured from the environment and a ``.env`` file (``S3VECTORS_BACKEND``,
        ``AWS_REGION``, ``S3_VECTOR_BUCKET_NAME``, ... as listed in ``env.example``).

        Args:
            embedding: Embeddings to use instead of ``EMBEDDING_MODEL``.
            env_file: The dotenv file to read (``None`` for none).
            **overrides: Settings by name (e.g. ``S3VECTORS_BACKEND="local"``) or other
                :class:`S3VectorsStore` arguments.
        """
        warnings.warn(
            "S3VectorsStore.from_env() is deprecated; use "
            "langchain_s3vectors.app.settings.store_from_env(S3VectorsStore, ...) instead",
            DeprecationWarning,
            stacklevel=2,
        )
        from langchain_s3vectors.settings import store_from_env  # noqa: PLC0415

        store = store_from_env(cls, embedding=embedding, _env_file=env_file, **overrides)
        return cast("Self", store)

    @classmethod
    @override
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """Create a store (``vector_bucket_name``/``index_name`` in kwargs) and add texts."""
        store = cls._from_kwargs(embedding, kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    @override
    async def afrom_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """Async :meth:`from_texts` (the embedding model is awaited)."""
        store = cls._from_kwargs(embedding, kwargs)
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    def _from_kwargs(cls, embedding: Embeddings, kwargs: dict[str, Any]) -> Self:
        try:
            bucket = kwargs.pop("vector_bucket_name")
            index = kwargs.pop("index_name")
        except KeyError as exc:
            msg = (
                f"{cls.__name__}.from_texts needs vector_bucket_name= and index_name= "
                "(or use S3VectorsStore.local(...) and add_texts)"
            )
            raise InvalidInputError(msg) from exc
        return cls(bucket, index, embedding, **kwargs)

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
    @override
    def embeddings(self) -> Embeddings | None:
        return self._embedding

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

    async def _run(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the blocking ``fn`` in a worker thread."""
        return await self.index.runner.in_executor(partial(fn, *args, **kwargs))

    # -- index lifecycle ---------------------------------------------------------------

    def index_info(self) -> dict[str, Any] | None:
        """GetIndex's ``index`` description, or ``None`` when the index does not exist.

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> S3VectorsStore.local(None, DeterministicFakeEmbedding(size=4)).index_info()
        """
        return self.index.info()

    def ensure_index(self) -> None:
        """Create the bucket and index when missing; check dimension and metric.

        Raises:
            DimensionMismatchError: The index and the embedding disagree on dimension.
            InvalidInputError: The index uses another distance metric than requested.
            ResourceNotFoundError: Missing and ``create_if_missing`` is false.
        """
        self._ensure_index(None)

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

    aindex_info = _in_thread(index_info)
    aensure_index = _in_thread(ensure_index)
    aenable_text_search = _in_thread(enable_text_search)

    # -- writes ------------------------------------------------------------------------

    @property
    def _writer(self) -> Writer:
        return Writer(self.index, self._codec, self._probe)

    @override
    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed and upsert texts; returns their ids (generated when not given).

        Every text is checked against the service limits before anything is embedded
        or sent, so invalid input raises
        :class:`~langchain_s3vectors.errors.InvalidInputError` with nothing written.
        More than :data:`EMBED_CHUNK` texts are embedded a chunk at a time while the
        chunks before are being sent, so embedding and writing overlap and memory holds
        a few chunks rather than every vector; should the model return a bad vector
        for a later chunk, the :class:`~langchain_s3vectors.errors.PartialWriteError`
        names the ids already stored.
        """
        texts = text_list(texts)
        writer = self._writer
        keys, metas = writer.prepare(texts, metadatas, ids)
        if not texts:
            return []
        embedding = self._doc_embedding()
        if len(texts) <= EMBED_CHUNK:
            writer.write(keys, texts, metas, embedding.embed_documents(texts))
        else:
            writer.send_stream(embedded_chunks(keys, texts, metas, embedding, self._codec()))
        return keys

    @override
    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Async :meth:`add_texts`: the embedding model is awaited, the writes run in threads."""
        texts = text_list(texts)
        writer = self._writer
        keys, metas = await self._run(writer.prepare, texts, metadatas, ids)
        if texts:
            vectors = await self._doc_embedding().aembed_documents(texts)
            await self._run(writer.write, keys, texts, metas, vectors)
        return keys

    def add_embeddings(
        self,
        texts: Sequence[str],
        embeddings: Sequence[Sequence[float]] | npt.NDArray[Any],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Upsert documents with precomputed embeddings; returns their ids.

        ``embeddings`` may be a list of lists or a 2-D numpy array (taken without a copy
        when it is float32). Every embedding is checked before anything is sent; the
        records are then built and sent batch by batch, so memory holds one float32
        copy of the vectors and the requests in flight.

        Example:
            >>> store = S3VectorsStore.local(None, None)
            >>> store.add_embeddings(["a"], [[1.0, 0.0]], ids=["x"])
            ['x']
        """
        writer = self._writer
        keys, metas = writer.prepare(texts, metadatas, ids)
        if texts:
            writer.write(keys, list(texts), metas, embeddings)
        return keys

    aadd_embeddings = _in_thread(add_embeddings)

    def add_embedding_batches(
        self,
        batches: Iterable[
            tuple[
                Sequence[str],
                Sequence[Sequence[float]] | npt.NDArray[Any],
                Sequence[Mapping[str, Any] | None] | None,
                Sequence[str | None] | None,
            ]
        ],
    ) -> list[str]:
        """Upsert ``(texts, embeddings, metadatas, ids)`` batches as they are produced.

        The next batch is pulled from ``batches`` (for example a generator that embeds
        it) while earlier ones are being sent, with at most ``max_concurrency`` requests
        in flight, so producing and sending overlap and a long ingest takes about the
        longer of the two rather than their sum. Each batch is checked before any of
        its records is sent; ids should be unique across batches.

        Returns:
            The ids written, in order.

        Raises:
            PartialWriteError: A batch was invalid or failed after earlier ones were
                stored; the error names the stored ids and carries the cause.

        Example:
            >>> store = S3VectorsStore.local(None, None)
            >>> store.add_embedding_batches([(["a"], [[1.0, 0.0]], None, ["x"]),
            ...                              (["b"], [[0.0, 1.0]], None, ["y"])])
            ['x', 'y']
        """
        writer = self._writer
        return writer.send_stream(writer.prepared(batches))

    # -- get and delete ----------------------------------------------------------------

    @override
    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents for ``ids``, in the order given; missing ids are skipped."""
        records = self.index.get(ids)
        codec = self._codec()
        return [codec.decode(records[i]) for i in ids if i in records]

    aget_by_ids = _in_thread(get_by_ids)

    @override
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

    adelete = _in_thread(delete)

    def clear(self) -> None:
        """Delete every vector in the index; the index itself is kept."""
        keys = [r["key"] for r in self.iter_records(return_metadata=False)]
        if keys:
            self.index.delete(keys)

    aclear = _in_thread(clear)

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

    # -- queries -----------------------------------------------------------------------

    def _filter(self, flt: Mapping[str, Any] | None) -> dict[str, Any] | None:
        return checked_filter(flt, self._non_filterable())

    def _query_request(
        self,
        k: int,
        flt: Mapping[str, Any] | None,
        *,
        vector: Sequence[float] | None = None,
        text: str | None = None,
    ) -> dict[str, Any]:
        return query_request(k, flt, self._codec(), self.index.resource, vector=vector, text=text)

    def _query(
        self, k: int, flt: Mapping[str, Any] | None, **what: Any
    ) -> tuple[list[dict[str, Any]], str | None]:
        return self.index.query(self._query_request(k, flt, **what), k)

    def _checked_query(self, query: str, k: int, flt: Mapping[str, Any] | None) -> str:
        """Reject bad arguments before embedding; return the query."""
        self._query_request(k, flt)
        check_query_text(query)
        return query

    def _embed_query(self, query: str, k: int, flt: Mapping[str, Any] | None) -> list[float]:
        return self._query_emb().embed_query(self._checked_query(query, k, flt))

    async def _aembed_query(self, query: str, k: int, flt: Mapping[str, Any] | None) -> list[float]:
        return await self._query_emb().aembed_query(self._checked_query(query, k, flt))

    def _with_distance(self, results: list[dict[str, Any]]) -> list[tuple[Document, float]]:
        return with_distance(results, self._codec())

    def similarity_search_with_score_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """Nearest documents to a vector, with their distances (lower is closer)."""
        results, _ = self._query(k, filter, vector=embedding)
        return self._with_distance(results)

    asimilarity_search_with_score_by_vector = _in_thread(similarity_search_with_score_by_vector)

    @override
    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Nearest documents to a query, with distances (cosine: 0..2, euclidean: L2)."""
        vector = self._embed_query(query, k, filter)
        return self.similarity_search_with_score_by_vector(vector, k, filter)

    @override
    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        vector = await self._aembed_query(query, k, filter)
        return await self.asimilarity_search_with_score_by_vector(vector, k, filter)

    @override
    def similarity_search(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, filter)]

    @override
    async def asimilarity_search(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Document]:
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, filter)]

    @override
    def similarity_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        return [d for d, _ in self.similarity_search_with_score_by_vector(embedding, k, filter)]

    asimilarity_search_by_vector = _in_thread(similarity_search_by_vector)

    @override
    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return self._relevance_fn(None)

    def _relevance_fn(self, metric: str | None) -> Callable[[float], float]:
        if self._relevance_score_fn is not None:
            return self._relevance_score_fn
        return RELEVANCE.get(metric or self.distance_metric, cosine_relevance_score)

    def _relevance_by_vector(
        self, vector: list[float], k: int, flt: Mapping[str, Any] | None
    ) -> list[tuple[Document, float]]:
        results, metric = self._query(k, flt, vector=vector)
        fn = self._relevance_fn(metric)
        return [(doc, fn(d)) for doc, d in self._with_distance(results)]

    @override
    def _similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        flt = kwargs.get("filter")
        return self._relevance_by_vector(self._embed_query(query, k, flt), k, flt)

    @override
    async def _asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        flt = kwargs.get("filter")
        vector = await self._aembed_query(query, k, flt)
        return await self._run(self._relevance_by_vector, vector, k, flt)

    # -- maximal marginal relevance ----------------------------------------------------

    @override
    def max_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """Diverse results: ``fetch_k`` candidates, vectors from GetVectors, then MMR."""
        check_k(k)
        fetch_k = max(fetch_k, k)
        results, _ = self._query(fetch_k, filter, vector=embedding)
        if not results:
            return []
        stored = self.index.get([r["key"] for r in results], data=True)
        return mmr_select(embedding, results, stored, self._codec(), k=k, lambda_mult=lambda_mult)

    amax_marginal_relevance_search_by_vector = _in_thread(max_marginal_relevance_search_by_vector)

    @override
    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        check_k(k)
        vector = self._embed_query(query, max(k, fetch_k), filter)
        return self.max_marginal_relevance_search_by_vector(vector, k, fetch_k, lambda_mult, filter)

    @override
    async def amax_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        check_k(k)
        vector = await self._aembed_query(query, max(k, fetch_k), filter)
        return await self.amax_marginal_relevance_search_by_vector(
            vector, k, fetch_k, lambda_mult, filter
        )

    # -- full-text and hybrid ----------------------------------------------------------

    def _text_search_ready(self, query: str, k: int, flt: Mapping[str, Any] | None) -> bool:
        """Whether the index exists; raises when it has no text search on page content."""
        self._query_request(k, flt, text=query)
        return text_search_ready(self.index, self.page_content_key)

    def _scored(
        self, results: list[dict[str, Any]], *, hybrid: bool
    ) -> list[tuple[Document, float]]:
        return scored(results, self._codec(), hybrid=hybrid)

    def fulltext_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """BM25 full-text search on the page content; (document, BM25 score) pairs.

        Raises:
            TextSearchNotEnabledError: The index has no text search on the page content.
        """
        if not self._text_search_ready(query, k, filter):
            return []
        results, _ = self._query(k, filter, text=query)
        return self._scored(results, hybrid=False)

    afulltext_search = _in_thread(fulltext_search)

    def hybrid_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """Vector + BM25 search fused by Reciprocal Rank Fusion; (document, fused score).

        Raises:
            TextSearchNotEnabledError: The index has no text search on the page content.
        """
        if not self._text_search_ready(query, k, filter):
            return []
        vector = self._query_emb().embed_query(query)
        return self._hybrid_by_vector(query, vector, k, filter)

    async def ahybrid_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """Async :meth:`hybrid_search`: the query embedding is awaited, the rest in threads."""
        if not await self._run(self._text_search_ready, query, k, filter):
            return []
        vector = await self._query_emb().aembed_query(query)
        return await self._run(self._hybrid_by_vector, query, vector, k, filter)

    def _hybrid_by_vector(
        self, query: str, vector: list[float], k: int, flt: Mapping[str, Any] | None
    ) -> list[tuple[Document, float]]:
        results, _ = self._query(k, flt, vector=vector, text=query)
        return self._scored(results, hybrid=True)

    # -- retriever -------------------------------------------------------------------------

    @override
    def as_retriever(self, **kwargs: Any) -> S3VectorsRetriever:
        """A retriever; ``search_type`` may also be ``"hybrid"`` or ``"fulltext"``."""
        from langchain_s3vectors.retrievers import S3VectorsRetriever  # noqa: PLC0415

        tags = kwargs.pop("tags", None) or [*self._get_retriever_tags()]
        return S3VectorsRetriever(vectorstore=self, tags=tags, **kwargs)


def _client(client: Any, legacy: dict[str, Any], max_concurrency: int) -> Any:
    """``client``, or one built by ``create_client`` (from deprecated keywords, if any)."""
    given = {name: value for name, value in legacy.items() if value is not None}
    if given:
        names = ", ".join(f"{name}=" for name in given).replace("config=", "client_config=")
        warnings.warn(
            f"S3VectorsStore({names}...) is deprecated; use S3VectorsStore.from_aws(...) or "
            "S3VectorsStore(..., client=langchain_s3vectors.client.create_client(...))",
            DeprecationWarning,
            stacklevel=3,
        )
    if client is not None:
        return client
    return create_client(max_concurrency=max_concurrency, **given)
