"""``S3VectorsStore``: a LangChain vector store on Amazon S3 Vectors.

The store talks to *an S3 Vectors client*: ``boto3.client("s3vectors")`` against AWS (or
any compatible endpoint), or the embedded
:class:`~langchain_s3vectors.local.LocalS3VectorsClient` for laptops, notebooks and CI.
Both speak the same API, so one code path serves both.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, Self, cast

import numpy as np
from botocore.exceptions import ParamValidationError
from langchain_core.vectorstores import VectorStore
from langchain_core.vectorstores.utils import maximal_marginal_relevance
from typing_extensions import override

from langchain_s3vectors import limits
from langchain_s3vectors.batching import BatchRunner, RateLimiter, RetryPolicy, chunked
from langchain_s3vectors.batching import iter_put_batches as _iter_put_batches
from langchain_s3vectors.errors import (
    ConfigurationError,
    DimensionMismatchError,
    InvalidFilterError,
    InvalidInputError,
    PartialWriteError,
    ResourceConflictError,
    ResourceNotFoundError,
    TextSearchNotEnabledError,
    translate_client_error,
)
from langchain_s3vectors.fastpath import maybe_enable_fast_put_vectors
from langchain_s3vectors.filters import FilterError, matches, normalize_filter, validate_filter
from langchain_s3vectors.records import (
    DEFAULT_PAGE_CONTENT_KEY,
    RecordCodec,
    check_unicode,
    checked_rows,
    validate_key,
    validate_vector,
    validate_vectors,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

    import numpy.typing as npt
    from botocore.config import Config
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.retrievers import S3VectorsRetriever

__all__ = ["S3VectorsStore", "cosine_relevance_score", "euclidean_relevance_score"]

logger = logging.getLogger(__name__)

#: Text embedded once to learn the embedding dimension when creating an index.
_DIMENSION_PROBE = "dimension probe"
#: Texts embedded per call when ``add_texts`` pipelines embedding with writing.
EMBED_CHUNK = 1000
#: botocore retry attempts of the default client (the store retries on top).
_BOTOCORE_MAX_ATTEMPTS = 3


def cosine_relevance_score(distance: float) -> float:
    """Relevance in [0, 1] from a cosine distance (``1 - cos``, in [0, 2]).

    ``1 - distance / 2`` equals ``(1 + cos) / 2``: 1 for the same direction, 0.5 for
    orthogonal vectors, 0 for opposite ones.

    Example:
        >>> cosine_relevance_score(0.0), cosine_relevance_score(1.0), cosine_relevance_score(2.0)
        (1.0, 0.5, 0.0)
    """
    return min(1.0, max(0.0, 1.0 - distance / 2.0))


def euclidean_relevance_score(distance: float) -> float:
    """Relevance in [0, 1] from a Euclidean (L2) distance.

    For unit vectors ``distance**2 == 2 - 2 cos``, so ``1 - distance**2 / 4`` equals
    ``(1 + cos) / 2``: the same score the cosine metric gives, 1 for identical vectors
    and 0 for opposite ones (distance 2). The popular ``1 - distance / sqrt(2)`` goes
    negative past orthogonal vectors; this does not. Vectors that are not normalised
    can lie further apart than 2 and then score 0 (clipped); pass
    ``relevance_score_fn=`` to the store for another scale.

    Example:
        >>> euclidean_relevance_score(0.0), round(euclidean_relevance_score(2**0.5), 6)
        (1.0, 0.5)
    """
    return min(1.0, max(0.0, 1.0 - (distance * distance) / 4.0))


_RELEVANCE = {"cosine": cosine_relevance_score, "euclidean": euclidean_relevance_score}


class _QueryPager:
    """Builds the QueryVectors requests for ``k`` results.

    ``topK`` is the number of results in total (at most ``limits.MAX_TOP_K``); the
    service returns them in pages linked by ``nextToken`` when ``topK`` exceeds its
    page size, and every page is asked for with the same ``topK`` (S3 User Guide,
    "Querying vectors"). The pager follows ``nextToken`` until it is absent or ``k``
    results have arrived.
    """

    def __init__(self, request: dict[str, Any], k: int) -> None:
        self.k = k
        self.request = {**request, "topK": k}
        self.results: list[dict[str, Any]] = []
        self.metric: str | None = None
        self.done = False

    def feed(self, response: Mapping[str, Any]) -> None:
        page = list(response.get("vectors") or [])
        self.results.extend(page)
        self.metric = response.get("distanceMetric") or self.metric
        token = response.get("nextToken")
        if len(self.results) >= self.k or not page or not token:
            self.done = True
        else:
            self.request["nextToken"] = token


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
            store = S3VectorsStore("my-bucket", "docs", emb, region_name="us-east-1")
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
        client: A boto3-shaped ``s3vectors`` client; ``None`` builds a boto3 client from
            ``session`` / ``profile_name`` / ``region_name`` / ``endpoint_url`` /
            ``client_config``.
        region_name: AWS region of the default client.
        endpoint_url: Endpoint of the default client.
        profile_name: AWS profile of the default client.
        session: A ``boto3.Session`` for the default client.
        client_config: A ``botocore.config.Config`` merged into the default one.
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
        client: Any = None,
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
        self.vector_bucket_name = vector_bucket_name
        self.index_name = index_name
        self._check_names()
        if distance_metric is not None and distance_metric not in limits.DISTANCE_METRICS:
            msg = (
                f"distance_metric={distance_metric!r} is not supported; S3 Vectors offers "
                f"{', '.join(limits.DISTANCE_METRICS)}"
            )
            raise InvalidInputError(msg)
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
        self._embedding = embedding
        self._query_embedding = query_embedding
        self._requested_metric = distance_metric
        self.page_content_key = page_content_key
        self.non_filterable_metadata_keys = tuple(extra)
        self.text_search_language = text_search_language
        self.create_if_missing = create_if_missing
        self._relevance_score_fn = relevance_score_fn
        self._dimension = dimension
        self._index: dict[str, Any] | None = None
        self._index_lock = threading.Lock()
        if client is None:
            client = _default_client(
                region_name=region_name,
                endpoint_url=endpoint_url,
                profile_name=profile_name,
                session=session,
                client_config=client_config,
                max_concurrency=max_concurrency,
            )
        self.client = client
        self._paced = _paced_by_default(client)
        if rate_limiter is None and self._paced:
            rate_limiter = RateLimiter()
        # The embedded client takes one write at a time: one request queued behind the
        # one being written keeps it busy; more would only hold more records in memory.
        self._write_slots = max_concurrency if self._paced else min(max_concurrency, 2)
        self._runner = BatchRunner(
            max_concurrency=max_concurrency,
            retry=retry_policy or RetryPolicy(max_retries=max_retries),
            rate_limiter=rate_limiter,
        )
        # Serialize PutVectors bodies fast on real boto3 clients (no-op for others).
        maybe_enable_fast_put_vectors(client)

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
    def from_env(
        cls,
        *,
        embedding: Embeddings | None = None,
        env_file: str | Path | None = ".env",
        **overrides: Any,
    ) -> Self:
        """A store configured from the environment and a ``.env`` file.

        Reads ``S3VECTORS_BACKEND`` (``aws`` or ``local``), ``AWS_REGION``,
        ``S3_VECTOR_BUCKET_NAME``, ``S3_VECTOR_INDEX_NAME``, ``VECTOR_DIMENSION``,
        ``EMBEDDING_MODEL`` and the others listed in ``env.example``. It never falls
        back from AWS to the local backend: missing AWS settings are an error.

        Args:
            embedding: Embeddings to use instead of ``EMBEDDING_MODEL``.
            env_file: The dotenv file to read (``None`` for none).
            **overrides: Settings by name (e.g. ``S3VECTORS_BACKEND="local"``) or other
                :class:`S3VectorsStore` arguments.

        Example:
            >>> store = S3VectorsStore.from_env(S3VECTORS_BACKEND="local")  # doctest: +SKIP
        """
        from langchain_s3vectors.app.settings import store_from_env  # noqa: PLC0415

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
        """Async twin of :meth:`from_texts`."""
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

    def _check_names(self) -> None:
        import re  # noqa: PLC0415

        for kind, name, low, high, pattern, allowed in (
            (
                "vector_bucket_name",
                self.vector_bucket_name,
                limits.BUCKET_NAME_MIN_LENGTH,
                limits.BUCKET_NAME_MAX_LENGTH,
                limits.BUCKET_NAME_PATTERN,
                "lowercase letters, digits and hyphens (no dots)",
            ),
            (
                "index_name",
                self.index_name,
                limits.INDEX_NAME_MIN_LENGTH,
                limits.INDEX_NAME_MAX_LENGTH,
                limits.NAME_PATTERN,
                "lowercase letters, digits, hyphens and dots",
            ),
        ):
            if not isinstance(name, str) or not (
                low <= len(name) <= high and re.match(pattern, name)
            ):
                msg = (
                    f"{kind}={name!r} is not a valid S3 Vectors name: use {low}..{high} "
                    f"{allowed}, starting and ending with a letter or digit"
                )
                raise InvalidInputError(msg)

    def __repr__(self) -> str:
        """Show bucket and index only (never the client or its credentials)."""
        return (
            f"{type(self).__name__}(vector_bucket_name={self.vector_bucket_name!r}, "
            f"index_name={self.index_name!r})"
        )

    # -- properties --------------------------------------------------------------------

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The limiter pacing this store's writes (``None``: as fast as the client takes them).

        Replace it to share one limiter between stores writing to the same index, or to
        take a share of the index's write cap (what sharded ingest does).
        """
        return self._runner.rate_limiter

    @rate_limiter.setter
    def rate_limiter(self, limiter: RateLimiter | None) -> None:
        self._runner.rate_limiter = limiter

    @property
    @override
    def embeddings(self) -> Embeddings | None:
        return self._embedding

    @property
    def dimension(self) -> int | None:
        """The index dimension, once known (from the index or the first vectors)."""
        if self._index is not None:
            return int(self._index["dimension"])
        return self._dimension

    @property
    def distance_metric(self) -> str:
        """The index's distance metric (the requested one until the index is seen)."""
        if self._index is not None:
            return str(self._index.get("distanceMetric", "cosine"))
        return self._requested_metric or "cosine"

    @property
    def _resource(self) -> str:
        return f"index {self.index_name!r} in vector bucket {self.vector_bucket_name!r}"

    @property
    def _ids(self) -> dict[str, Any]:
        return {"vectorBucketName": self.vector_bucket_name, "indexName": self.index_name}

    def _non_filterable(self) -> frozenset[str]:
        keys = {self.page_content_key, *self.non_filterable_metadata_keys}
        if self._index is not None:
            config = self._index.get("metadataConfiguration") or {}
            keys.update(config.get("nonFilterableMetadataKeys") or [])
        return frozenset(keys)

    def _codec(self, dimension: int | None = None) -> RecordCodec:
        return RecordCodec(
            dimension=self.dimension or dimension,
            distance_metric=self.distance_metric,
            page_content_key=self.page_content_key,
            non_filterable_keys=self._non_filterable(),
        )

    def _error(self, exc: BaseException, operation: str) -> Exception:
        return translate_client_error(exc, operation=operation, resource=self._resource)

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

    # -- index lifecycle ---------------------------------------------------------------

    def index_info(self) -> dict[str, Any] | None:
        """GetIndex's ``index`` description, or ``None`` when the index does not exist.

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> S3VectorsStore.local(None, DeterministicFakeEmbedding(size=4)).index_info()
        """
        try:
            response = self._runner.call(self.client.get_index, **self._ids)
        except Exception as exc:
            error = self._error(exc, "get_index")
            if isinstance(error, ResourceNotFoundError):
                self._index = None
                return None
            raise error from exc
        info: dict[str, Any] = dict(response["index"])
        self._index = info
        return info

    async def aindex_info(self) -> dict[str, Any] | None:
        """Async twin of :meth:`index_info`."""
        info: dict[str, Any] | None = await self._in_thread(self.index_info)
        return info

    def ensure_index(self) -> None:
        """Create the bucket and index when missing; check dimension and metric.

        Raises:
            DimensionMismatchError: The index and the embedding disagree on dimension.
            InvalidInputError: The index uses another distance metric than requested.
            ResourceNotFoundError: Missing and ``create_if_missing`` is false.
        """
        self._ensure_index(None)

    async def aensure_index(self) -> None:
        """Async twin of :meth:`ensure_index`."""
        await self._in_thread(self._ensure_index, None)

    def _ensure_index(self, dimension: int | None) -> dict[str, Any]:
        with self._index_lock:
            if self._index is None:
                info = self.index_info()
                if info is None:
                    if not self.create_if_missing:
                        msg = (
                            f"{self._resource} does not exist and create_if_missing=False; "
                            "create it first (S3VectorsStore(..., create_if_missing=True) or "
                            "the AWS console/CLI)"
                        )
                        raise ResourceNotFoundError(msg, operation="get_index")
                    info = self._create_index(dimension or self._dimension or self._probe())
                self._index = info
            info = self._index
        self._check_compatible(info, dimension)
        return info

    def _probe(self) -> int:
        return len(self._doc_embedding().embed_query(_DIMENSION_PROBE))

    def _check_compatible(self, info: Mapping[str, Any], dimension: int | None) -> None:
        have = int(info["dimension"])
        if dimension is not None and dimension != have:
            msg = (
                f"{self._resource} has dimension {have} but the embeddings have {dimension}; "
                "use the embedding model the index was built with, or a new index_name"
            )
            raise DimensionMismatchError(msg)
        metric = info.get("distanceMetric")
        if self._requested_metric is not None and metric and metric != self._requested_metric:
            msg = (
                f"{self._resource} uses distance_metric={metric!r}, not "
                f"{self._requested_metric!r}; pass distance_metric={metric!r} (or None) or use a "
                "new index_name"
            )
            raise InvalidInputError(msg)

    def _create_index(self, dimension: int) -> dict[str, Any]:
        try:
            self._runner.call(
                self.client.create_vector_bucket, vectorBucketName=self.vector_bucket_name
            )
        except Exception as exc:
            error = self._error(exc, "create_vector_bucket")
            if not isinstance(error, ResourceConflictError):
                raise error from exc
        config: dict[str, Any] = {
            "nonFilterableMetadataKeys": [self.page_content_key, *self.non_filterable_metadata_keys]
        }
        if self.text_search_language is not None:
            config["textSearchConfigurations"] = [
                {"metadataKey": self.page_content_key, "language": self.text_search_language}
            ]
        request: dict[str, Any] = {
            **self._ids,
            "dataType": "float32",
            "dimension": dimension,
            "distanceMetric": self._requested_metric or "cosine",
            "metadataConfiguration": config,
        }
        try:
            try:
                self._runner.call(self.client.create_index, **request)
            except ParamValidationError as exc:
                if "textSearchConfigurations" not in str(exc):
                    raise
                logger.warning(
                    "This s3vectors client does not know textSearchConfigurations (upgrade "
                    "boto3); creating %s without full-text search",
                    self._resource,
                )
                config.pop("textSearchConfigurations")
                self._runner.call(self.client.create_index, **request)
        except Exception as exc:
            error = self._error(exc, "create_index")
            if not isinstance(error, ResourceConflictError):
                raise error from exc
        info = self.index_info()
        if info is None:  # pragma: no cover - deleted between create and get
            msg = f"{self._resource} vanished right after it was created; try again"
            raise ResourceNotFoundError(msg, operation="get_index")
        return info

    def enable_text_search(self, language: str | None = "en") -> None:
        """Make the page content full-text searchable on an existing index, in place.

        Uses UpdateMetadataConfiguration; the service then backfills existing vectors
        (the configuration is ``BUILDING`` until ``ACTIVE``). Does nothing when the
        page content key is already searchable.

        Args:
            language: Analyser language (``None``: the standard analyser).
        """
        info = self._ensure_index(None)
        if self._text_config(info) is not None:
            return
        entry: dict[str, Any] = {"metadataKey": self.page_content_key}
        if language is not None:
            entry["language"] = language
        try:
            self._runner.call(
                self.client.update_metadata_configuration,
                **self._ids,
                add={"textSearchConfigurations": [entry]},
            )
        except Exception as exc:
            raise self._error(exc, "update_metadata_configuration") from exc
        self.text_search_language = language
        self.index_info()

    async def aenable_text_search(self, language: str | None = "en") -> None:
        """Async twin of :meth:`enable_text_search`."""
        await self._in_thread(self.enable_text_search, language)

    def _text_config(self, info: Mapping[str, Any]) -> Mapping[str, Any] | None:
        config = info.get("metadataConfiguration") or {}
        for entry in config.get("textSearchConfigurations") or []:
            if entry.get("metadataKey") == self.page_content_key:
                return dict(entry)
        return None

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._runner.executor, partial(fn, *args))

    # -- writes ------------------------------------------------------------------------

    def _prepare(
        self,
        texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any] | None] | None,
        ids: Sequence[str | None] | None,
    ) -> tuple[list[str], list[Mapping[str, Any] | None]]:
        if isinstance(texts, str):
            msg = "texts must be a list of strings, not one string; wrap it: [text]"
            raise InvalidInputError(msg)
        if metadatas is not None and len(metadatas) != len(texts):
            msg = f"got {len(texts)} texts but {len(metadatas)} metadatas; pass one per text"
            raise InvalidInputError(msg)
        if ids is not None and len(ids) != len(texts):
            msg = f"got {len(texts)} texts but {len(ids)} ids; pass one id per text"
            raise InvalidInputError(msg)
        keys = [
            str(uuid.uuid4()) if ids is None or ids[i] is None else ids[i]
            for i in range(len(texts))
        ]
        metas: list[Mapping[str, Any] | None] = (
            list(metadatas) if metadatas is not None else [None] * len(texts)
        )
        codec = self._codec()
        for i, (key, text, meta) in enumerate(zip(keys, texts, metas, strict=True)):
            where = f"document {i} (id {key!r})"
            validate_key(key, where=where)
            codec.build_metadata(text, meta, where=where)
        _check_unique(keys)
        return keys, metas  # type: ignore[return-value]

    def _checked_vectors(
        self, keys: Sequence[str], vectors: Sequence[Sequence[float]] | npt.NDArray[Any]
    ) -> Sequence[list[float]] | npt.NDArray[np.float32]:
        """Every embedding checked: the caller's lists of floats, or one float32 matrix."""
        if len(vectors) != len(keys):
            msg = f"got {len(vectors)} embeddings for {len(keys)} texts; pass one per text"
            raise InvalidInputError(msg)
        try:
            dimension = len(vectors[0])
        except TypeError:
            validate_vector(vectors[0], dimension=None, where=f"document 0 (id {keys[0]!r})")
            raise  # pragma: no cover - validate_vector raised
        if self.dimension is not None and dimension != self.dimension:
            self._check_compatible({"dimension": self.dimension}, dimension)
        check = validate_vectors if self._paced else checked_rows
        return check(
            vectors,
            dimension=dimension,
            distance_metric=self.distance_metric,
            where=lambda i: f"document {i} (id {keys[i]!r})",
        )

    @staticmethod
    def _records(
        keys: Sequence[str],
        texts: Sequence[str],
        metas: Sequence[Mapping[str, Any] | None],
        matrix: Sequence[list[float]] | npt.NDArray[np.float32],
        codec: RecordCodec,
        *,
        metadata_checked: bool,
    ) -> Iterator[dict[str, Any]]:
        """PutVectors records, built one at a time as the sender asks for them."""
        # The same id twice in one call: the last one wins, as two upserts would.
        last = {key: i for i, key in enumerate(keys)}
        step = limits.MAX_PUT_VECTORS
        for start in range(0, len(keys), step):
            block = matrix[start : start + step]
            # Checked lists of floats go as they are; a matrix becomes lists per block.
            rows = block.tolist() if isinstance(block, np.ndarray) else block
            for offset, values in enumerate(rows):
                i = start + offset
                key = keys[i]
                if last[key] != i:
                    continue
                if metadata_checked:
                    stored = {**(metas[i] or {}), codec.page_content_key: texts[i]}
                else:
                    stored = codec.build_metadata(
                        texts[i], metas[i], where=f"document {i} (id {key!r})"
                    )
                yield {"key": key, "data": {"float32": values}, "metadata": stored}

    def _put_fn(self) -> Callable[[list[Mapping[str, Any]]], object]:
        def put(batch: list[Mapping[str, Any]]) -> object:
            return self.client.put_vectors(**self._ids, vectors=batch)

        return put

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
        texts = _text_list(texts)
        self._learn_index()
        keys, metas = self._prepare(texts, metadatas, ids)
        if not texts:
            return []
        embedding = self._doc_embedding()
        if len(texts) <= EMBED_CHUNK:
            self._write(keys, texts, metas, embedding.embed_documents(texts))
            return keys
        prepared_with = self._codec()
        # The same id twice: the last one wins, as two upserts would (embedded once).
        last = {key: i for i, key in enumerate(keys)}
        order = [i for i, key in enumerate(keys) if last[key] == i]

        def batches() -> Iterator[_Prepared]:
            for start in range(0, len(order), EMBED_CHUNK):
                chunk = order[start : start + EMBED_CHUNK]
                chunk_texts = [texts[i] for i in chunk]
                vectors = embedding.embed_documents(chunk_texts)
                chunk_keys = [keys[i] for i in chunk]
                yield chunk_keys, chunk_texts, [metas[i] for i in chunk], vectors, prepared_with

        self._send_stream(batches())
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
        texts = _text_list(texts)
        await self._in_thread(self._learn_index)
        keys, metas = self._prepare(texts, metadatas, ids)
        if not texts:
            return []
        vectors = await self._doc_embedding().aembed_documents(texts)
        await self._awrite(keys, texts, metas, vectors)
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
        self._learn_index()
        keys, metas = self._prepare(texts, metadatas, ids)
        if texts:
            self._write(keys, list(texts), metas, embeddings)
        return keys

    async def aadd_embeddings(
        self,
        texts: Sequence[str],
        embeddings: Sequence[Sequence[float]] | npt.NDArray[Any],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Async twin of :meth:`add_embeddings`."""
        await self._in_thread(self._learn_index)
        keys, metas = self._prepare(texts, metadatas, ids)
        if texts:
            await self._awrite(keys, list(texts), metas, embeddings)
        return keys

    def _learn_index(self) -> None:
        """Read the index description once, so pre-write checks know its keys.

        GetIndex is a read: nothing is created when the index is missing.
        """
        if self._index is None:
            self.index_info()

    def _write(
        self,
        keys: Sequence[str],
        texts: Sequence[str],
        metas: Sequence[Mapping[str, Any] | None],
        vectors: Sequence[Sequence[float]] | npt.NDArray[Any],
    ) -> None:
        """Check every vector, then stream the records batch by batch to the client.

        Keys and metadata were checked by :meth:`_prepare`; the vectors are checked here
        before the first request, so bad input still writes nothing. Records are built
        only as batches are sent, so memory holds one float32 copy of the vectors plus
        the batches in flight, never every record as Python floats.
        """
        matrix = self._checked_vectors(keys, vectors)
        dimension = len(matrix[0])
        checked_with = self._codec(dimension)
        self._ensure_index(dimension)
        # The existing index may declare other non-filterable keys: check again if so.
        codec = self._codec(dimension)
        if codec != checked_with:
            for i, (text, meta) in enumerate(zip(texts, metas, strict=True)):
                codec.build_metadata(text, meta, where=f"document {i} (id {keys[i]!r})")
        records = self._records(keys, texts, metas, matrix, codec, metadata_checked=True)
        self._runner.write_stream(
            "put_vectors",
            self._put_fn(),
            _iter_put_batches(records),
            key_of=_key_of,
            resource=self._resource,
            keys=keys,
            max_in_flight=self._write_slots,
        )

    async def _awrite(
        self,
        keys: Sequence[str],
        texts: Sequence[str],
        metas: Sequence[Mapping[str, Any] | None],
        vectors: Sequence[Sequence[float]] | npt.NDArray[Any],
    ) -> None:
        await self._in_thread(self._write, keys, texts, metas, vectors)

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
        self._learn_index()

        def prepared() -> Iterator[_Prepared]:
            for texts, vectors, metadatas, ids in batches:
                keys, metas = self._prepare(texts, metadatas, ids)
                if keys:
                    yield keys, texts, metas, vectors, self._codec()

        return self._send_stream(prepared())

    def _send_stream(self, batches: Iterable[_Prepared]) -> list[str]:
        """Check each prepared batch's vectors as it comes, then stream its records."""
        written: list[str] = []

        def records() -> Iterator[dict[str, Any]]:
            for keys, texts, metas, vectors, prepared_with in batches:
                matrix = self._checked_vectors(keys, vectors)
                self._ensure_index(len(matrix[0]))
                codec = self._codec(len(matrix[0]))
                written.extend(keys)
                yield from self._records(
                    keys, texts, metas, matrix, codec, metadata_checked=codec == prepared_with
                )

        self._runner.write_stream(
            "put_vectors",
            self._put_fn(),
            _iter_put_batches(records()),
            key_of=_key_of,
            resource=self._resource,
            keys=written,  # read on failure: every id produced by then
            max_in_flight=self._write_slots,
        )
        return written

    # -- get and delete ----------------------------------------------------------------

    def _get_request(self, keys: list[str], *, data: bool = False) -> dict[str, Any]:
        return {**self._ids, "keys": keys, "returnMetadata": True, "returnData": data}

    def _get_records(self, ids: Sequence[str], *, data: bool = False) -> dict[str, dict[str, Any]]:
        def fetch(batch: list[str]) -> list[dict[str, Any]]:
            response = self._runner.call(
                self.client.get_vectors, **self._get_request(batch, data=data)
            )
            return list(response.get("vectors") or [])

        try:
            pages = self._runner.map(fetch, list(chunked(_unique(ids), limits.MAX_GET_VECTORS)))
        except Exception as exc:
            error = self._error(exc, "get_vectors")
            if isinstance(error, ResourceNotFoundError):
                return {}
            raise error from exc
        return {r["key"]: r for page in pages for r in page}

    async def _aget_records(
        self, ids: Sequence[str], *, data: bool = False
    ) -> dict[str, dict[str, Any]]:
        async def fetch(batch: list[str]) -> list[dict[str, Any]]:
            response = await self._runner.acall(
                self.client.get_vectors, **self._get_request(batch, data=data)
            )
            return list(response.get("vectors") or [])

        try:
            pages = await self._runner.amap(
                fetch, list(chunked(_unique(ids), limits.MAX_GET_VECTORS))
            )
        except Exception as exc:
            error = self._error(exc, "get_vectors")
            if isinstance(error, ResourceNotFoundError):
                return {}
            raise error from exc
        return {r["key"]: r for page in pages for r in page}

    @override
    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        """Documents for ``ids``, in the order given; missing ids are skipped."""
        records = self._get_records(ids)
        codec = self._codec()
        return [codec.decode(records[i]) for i in ids if i in records]

    @override
    async def aget_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        records = await self._aget_records(ids)
        codec = self._codec()
        return [codec.decode(records[i]) for i in ids if i in records]

    def _delete_fn(self) -> Callable[[list[str]], object]:
        def delete(batch: list[str]) -> object:
            return self.client.delete_vectors(**self._ids, keys=batch)

        return delete

    def _check_delete_args(self, ids: list[str] | None, flt: Mapping[str, Any] | None) -> None:
        if ids is None and flt is None:
            msg = (
                "delete() needs ids or filter=; it never deletes everything by default. "
                "Call clear() to delete every vector (the index is kept)"
            )
            raise InvalidInputError(msg)
        if isinstance(ids, str):
            msg = "ids must be a list of ids, not one string; wrap it: [id]"
            raise InvalidInputError(msg)

    def _delete_keys(self, keys: Sequence[str]) -> None:
        try:
            self._runner.write(
                "delete_vectors",
                self._delete_fn(),
                list(chunked(_unique(keys), limits.MAX_DELETE_VECTORS)),
                key_of=str,
                resource=self._resource,
            )
        except PartialWriteError as exc:
            if not (isinstance(exc.__cause__, ResourceNotFoundError) and not exc.stored_ids):
                raise

    async def _adelete_keys(self, keys: Sequence[str]) -> None:
        try:
            await self._runner.awrite(
                "delete_vectors",
                self._delete_fn(),
                list(chunked(_unique(keys), limits.MAX_DELETE_VECTORS)),
                key_of=str,
                resource=self._resource,
            )
        except PartialWriteError as exc:
            if not (isinstance(exc.__cause__, ResourceNotFoundError) and not exc.stored_ids):
                raise

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
        self._check_delete_args(ids, filter)
        if filter is not None:
            flt = self._filter(filter)
            assert flt is not None  # noqa: S101 - a non-empty filter normalises to a dict
            if ids is not None:
                records = self._get_records(ids).values()
            else:
                records = self.iter_records(return_metadata=True)  # type: ignore[assignment]
            ids = [r["key"] for r in records if matches(flt, r.get("metadata") or {})]
        if ids:
            self._delete_keys(ids)
        return True

    @override
    async def adelete(
        self,
        ids: list[str] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> bool | None:
        self._check_delete_args(ids, filter)
        if filter is not None:
            flt = self._filter(filter)
            assert flt is not None  # noqa: S101
            if ids is not None:
                candidates = list((await self._aget_records(ids)).values())
            else:
                candidates = [r async for r in self.aiter_records(return_metadata=True)]
            ids = [r["key"] for r in candidates if matches(flt, r.get("metadata") or {})]
        if ids:
            await self._adelete_keys(ids)
        return True

    def clear(self) -> None:
        """Delete every vector in the index; the index itself is kept."""
        keys = [r["key"] for r in self.iter_records(return_metadata=False)]
        if keys:
            self._delete_keys(keys)

    async def aclear(self) -> None:
        """Async twin of :meth:`clear`."""
        keys = [r["key"] async for r in self.aiter_records(return_metadata=False)]
        if keys:
            await self._adelete_keys(keys)

    def _list_requests(
        self, segment_count: int, *, data: bool, metadata: bool
    ) -> list[dict[str, Any]]:
        if not 1 <= segment_count <= limits.MAX_LIST_SEGMENTS:
            msg = f"segment_count must be 1..{limits.MAX_LIST_SEGMENTS}, got {segment_count}"
            raise InvalidInputError(msg)
        base = {
            **self._ids,
            "maxResults": limits.MAX_LIST_VECTORS_RESULTS,
            "returnData": data,
            "returnMetadata": metadata,
        }
        if segment_count == 1:
            return [base]
        return [
            {**base, "segmentCount": segment_count, "segmentIndex": i} for i in range(segment_count)
        ]

    def _pages(self, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The records of one ListVectors request, following ``nextToken``."""
        request = dict(request)
        while True:
            try:
                response = self._runner.call(self.client.list_vectors, **request)
            except Exception as exc:
                error = self._error(exc, "list_vectors")
                if isinstance(error, ResourceNotFoundError):
                    return
                raise error from exc
            yield from response.get("vectors") or []
            token = response.get("nextToken")
            if not token:
                return
            request["nextToken"] = token

    def iter_records(
        self,
        *,
        return_data: bool = False,
        return_metadata: bool = True,
        segment_count: int = 1,
        parallel: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every record of the index, page by page (ListVectors), as the service returns them.

        A missing index yields nothing.

        Args:
            return_data: Include ``data`` (the vectors).
            return_metadata: Include ``metadata``.
            segment_count: Split the listing into this many segments.
            parallel: Read the segments at the same time (one thread each) instead of
                in turn; records still come segment by segment.
        """
        requests = self._list_requests(segment_count, data=return_data, metadata=return_metadata)
        if not parallel or len(requests) == 1:
            for request in requests:
                yield from self._pages(request)
            return
        with ThreadPoolExecutor(
            max_workers=len(requests), thread_name_prefix="s3vectors-list"
        ) as pool:
            futures = [pool.submit(lambda r: list(self._pages(r)), r) for r in requests]
            for future in futures:
                yield from future.result()

    async def aiter_records(
        self, *, return_data: bool = False, return_metadata: bool = True, segment_count: int = 1
    ) -> AsyncIterator[dict[str, Any]]:
        """Async twin of :meth:`iter_records`."""
        for request in self._list_requests(
            segment_count, data=return_data, metadata=return_metadata
        ):
            while True:
                try:
                    response = await self._runner.acall(self.client.list_vectors, **request)
                except Exception as exc:
                    error = self._error(exc, "list_vectors")
                    if isinstance(error, ResourceNotFoundError):
                        return
                    raise error from exc
                for record in response.get("vectors") or []:
                    yield record
                token = response.get("nextToken")
                if not token:
                    break
                request["nextToken"] = token

    # -- queries -----------------------------------------------------------------------

    def _filter(self, flt: Mapping[str, Any] | None) -> dict[str, Any] | None:
        if flt is None:
            return None
        try:
            validate_filter(flt, non_filterable=self._non_filterable())
            return normalize_filter(flt)
        except FilterError as exc:
            raise InvalidFilterError(str(exc)) from exc

    def _query_request(
        self,
        k: int,
        flt: Mapping[str, Any] | None,
        *,
        vector: Sequence[float] | None = None,
        text: str | None = None,
    ) -> dict[str, Any]:
        _check_k(k)
        request: dict[str, Any] = {**self._ids, "returnMetadata": True}
        if vector is not None:
            values = [float(v) for v in vector]
            if not all(math.isfinite(v) for v in values):
                msg = "the query embedding has a non-finite value; check the embedding model"
                raise InvalidInputError(msg)
            if self.dimension is not None and len(values) != self.dimension:
                msg = (
                    f"the query embedding has {len(values)} dimensions but {self._resource} has "
                    f"{self.dimension}; use the embedding model the index was built with"
                )
                raise DimensionMismatchError(msg)
            request["queryVector"] = {"float32": values}
            request["returnDistance"] = True
        if text is not None:
            if not text.strip():
                msg = "full-text query must contain some text"
                raise InvalidInputError(msg)
            check_unicode(text, "the query")
            request["queryTexts"] = [
                {"text": text[: limits.QUERY_TEXT_MAX_LENGTH], "metadataKey": self.page_content_key}
            ]
            request["returnScores"] = True
        normalized = self._filter(flt)
        if normalized is not None:
            request["filter"] = normalized
        return request

    def _run_query(
        self, request: dict[str, Any], k: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        pager = _QueryPager(request, k)
        while not pager.done:
            try:
                response = self._runner.call(self.client.query_vectors, **pager.request)
            except Exception as exc:
                error = self._error(exc, "query_vectors")
                if isinstance(error, ResourceNotFoundError):
                    return [], None
                raise error from exc
            pager.feed(response)
        return pager.results[:k], pager.metric

    async def _arun_query(
        self, request: dict[str, Any], k: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        pager = _QueryPager(request, k)
        while not pager.done:
            try:
                response = await self._runner.acall(self.client.query_vectors, **pager.request)
            except Exception as exc:
                error = self._error(exc, "query_vectors")
                if isinstance(error, ResourceNotFoundError):
                    return [], None
                raise error from exc
            pager.feed(response)
        return pager.results[:k], pager.metric

    def _with_distance(self, results: list[dict[str, Any]]) -> list[tuple[Document, float]]:
        codec = self._codec()
        return [(codec.decode(r), float(r.get("distance", 0.0))) for r in results]

    def similarity_search_with_score_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """Nearest documents to a vector, with their distances (lower is closer)."""
        results, _ = self._run_query(self._query_request(k, filter, vector=embedding), k)
        return self._with_distance(results)

    async def asimilarity_search_with_score_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """Async twin of :meth:`similarity_search_with_score_by_vector`."""
        results, _ = await self._arun_query(self._query_request(k, filter, vector=embedding), k)
        return self._with_distance(results)

    @override
    def similarity_search_with_score(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """Nearest documents to a query, with distances (cosine: 0..2, euclidean: L2)."""
        self._query_request(k, filter)  # reject bad arguments before embedding
        _check_query_text(query)
        vector = self._query_emb().embed_query(query)
        return self.similarity_search_with_score_by_vector(vector, k, filter)

    @override
    async def asimilarity_search_with_score(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        self._query_request(k, filter)
        _check_query_text(query)
        vector = await self._query_emb().aembed_query(query)
        return await self.asimilarity_search_with_score_by_vector(vector, k, filter)

    @override
    def similarity_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, filter)]

    @override
    async def asimilarity_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
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

    @override
    async def asimilarity_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        pairs = await self.asimilarity_search_with_score_by_vector(embedding, k, filter)
        return [doc for doc, _ in pairs]

    @override
    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return self._relevance_fn(None)

    def _relevance_fn(self, metric: str | None) -> Callable[[float], float]:
        if self._relevance_score_fn is not None:
            return self._relevance_score_fn
        return _RELEVANCE.get(metric or self.distance_metric, cosine_relevance_score)

    @override
    def _similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        flt = kwargs.get("filter")
        self._query_request(k, flt)
        _check_query_text(query)
        vector = self._query_emb().embed_query(query)
        results, metric = self._run_query(self._query_request(k, flt, vector=vector), k)
        fn = self._relevance_fn(metric)
        return [(doc, fn(d)) for doc, d in self._with_distance(results)]

    @override
    async def _asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        flt = kwargs.get("filter")
        self._query_request(k, flt)
        _check_query_text(query)
        vector = await self._query_emb().aembed_query(query)
        results, metric = await self._arun_query(self._query_request(k, flt, vector=vector), k)
        fn = self._relevance_fn(metric)
        return [(doc, fn(d)) for doc, d in self._with_distance(results)]

    # -- maximal marginal relevance ----------------------------------------------------

    def _mmr_select(
        self,
        embedding: Sequence[float],
        results: list[dict[str, Any]],
        vectors: Mapping[str, Mapping[str, Any]],
        k: int,
        lambda_mult: float,
    ) -> list[Document]:
        codec = self._codec()
        kept = [(r, codec.vector_of(vectors[r["key"]])) for r in results if r["key"] in vectors]
        pairs = [(r, v) for r, v in kept if v is not None]
        if not pairs:
            return []
        chosen = maximal_marginal_relevance(
            np.asarray(embedding, dtype=np.float32),
            [v for _, v in pairs],
            lambda_mult=lambda_mult,
            k=min(k, len(pairs)),
        )
        return [codec.decode(pairs[i][0]) for i in chosen]

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
        _check_k(k)
        fetch_k = max(fetch_k, k)
        results, _ = self._run_query(
            self._query_request(fetch_k, filter, vector=embedding), fetch_k
        )
        if not results:
            return []
        vectors = self._get_records([r["key"] for r in results], data=True)
        return self._mmr_select(embedding, results, vectors, k, lambda_mult)

    @override
    async def amax_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        _check_k(k)
        fetch_k = max(fetch_k, k)
        request = self._query_request(fetch_k, filter, vector=embedding)
        results, _ = await self._arun_query(request, fetch_k)
        if not results:
            return []
        vectors = await self._aget_records([r["key"] for r in results], data=True)
        return self._mmr_select(embedding, results, vectors, k, lambda_mult)

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
        _check_k(k)
        self._query_request(max(k, fetch_k), filter)
        _check_query_text(query)
        vector = self._query_emb().embed_query(query)
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
        _check_k(k)
        self._query_request(max(k, fetch_k), filter)
        _check_query_text(query)
        vector = await self._query_emb().aembed_query(query)
        return await self.amax_marginal_relevance_search_by_vector(
            vector, k, fetch_k, lambda_mult, filter
        )

    # -- full-text and hybrid ----------------------------------------------------------

    def _text_search_ready(self, info: Mapping[str, Any] | None) -> bool:
        """Whether the index exists; raises when it has no text search on page content."""
        if info is None:
            return False
        if self._text_config(info) is None:
            msg = (
                f"{self._resource} has no full-text search on {self.page_content_key!r}. "
                "Enable it in place with store.enable_text_search(language='en') (the service "
                "backfills existing vectors), or create the index with text_search_language set"
            )
            raise TextSearchNotEnabledError(msg)
        return True

    def _text_info(self) -> dict[str, Any] | None:
        info = self._index
        if info is None or self._text_config(info) is None:
            info = self.index_info()  # the configuration may have changed elsewhere
        return info

    def _scored(
        self, results: list[dict[str, Any]], *, hybrid: bool
    ) -> list[tuple[Document, float]]:
        codec = self._codec()
        out = []
        for r in results:
            scores = r.get("scores") or {}
            if hybrid:
                score = float(scores.get("fused", 0.0))
            else:
                bm25 = [
                    float(s.get("score", 0.0))
                    for s in scores.get("bm25Scores") or []
                    if s.get("metadataKey") == self.page_content_key
                ]
                score = sum(bm25)
            out.append((codec.decode(r), score))
        return out

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
        request = self._query_request(k, filter, text=query)
        if not self._text_search_ready(self._text_info()):
            return []
        results, _ = self._run_query(request, k)
        return self._scored(results, hybrid=False)

    async def afulltext_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """Async twin of :meth:`fulltext_search`."""
        request = self._query_request(k, filter, text=query)
        if not self._text_search_ready(await self._in_thread(self._text_info)):
            return []
        results, _ = await self._arun_query(request, k)
        return self._scored(results, hybrid=False)

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
        self._query_request(k, filter, text=query)
        if not self._text_search_ready(self._text_info()):
            return []
        vector = self._query_emb().embed_query(query)
        results, _ = self._run_query(self._query_request(k, filter, vector=vector, text=query), k)
        return self._scored(results, hybrid=True)

    async def ahybrid_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the name LangChain uses
        **kwargs: Any,  # noqa: ARG002 - accepted for LangChain compatibility
    ) -> list[tuple[Document, float]]:
        """Async twin of :meth:`hybrid_search`."""
        self._query_request(k, filter, text=query)
        if not self._text_search_ready(await self._in_thread(self._text_info)):
            return []
        vector = await self._query_emb().aembed_query(query)
        request = self._query_request(k, filter, vector=vector, text=query)
        results, _ = await self._arun_query(request, k)
        return self._scored(results, hybrid=True)

    # -- retriever -------------------------------------------------------------------------

    @override
    def as_retriever(self, **kwargs: Any) -> S3VectorsRetriever:
        """A retriever; ``search_type`` may also be ``"hybrid"`` or ``"fulltext"``."""
        from langchain_s3vectors.retrievers import S3VectorsRetriever  # noqa: PLC0415

        tags = kwargs.pop("tags", None) or [*self._get_retriever_tags()]
        return S3VectorsRetriever(vectorstore=self, tags=tags, **kwargs)


#: One checked batch on its way to the writer: keys, texts, metadatas, vectors and the
#: codec its keys and metadata were checked with.
_Prepared = tuple[
    list[str],
    "Sequence[str]",
    "Sequence[Mapping[str, Any] | None]",
    "Sequence[Sequence[float]] | npt.NDArray[Any]",
    RecordCodec,
]


def _text_list(texts: Iterable[str]) -> list[str]:
    if isinstance(texts, str):
        msg = "texts must be a list of strings, not one string; wrap it: [text]"
        raise InvalidInputError(msg)
    return list(texts)


def _check_k(k: object) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        msg = f"k must be a positive integer, got {k!r}"
        raise InvalidInputError(msg)
    if k > limits.MAX_TOP_K:
        msg = (
            f"k={k} is more than one S3 Vectors query returns (topK <= {limits.MAX_TOP_K}); "
            f"use k <= {limits.MAX_TOP_K}, or read every record with iter_records()"
        )
        raise InvalidInputError(msg)


def _check_query_text(query: object) -> None:
    """Refuse an empty, blank or unencodable query the same way in every search mode."""
    if not isinstance(query, str) or not query.strip():
        msg = f"the query must contain some text, got {query!r}"
        raise InvalidInputError(msg)
    check_unicode(query, "the query")


def _check_unique(keys: Sequence[str | None]) -> None:
    """Refuse one call that gives the same id twice (the last would silently win)."""
    if len(set(keys)) == len(keys):
        return
    seen: dict[str | None, int] = {}
    for position, key in enumerate(keys):
        if key in seen:
            msg = (
                f"ids must be unique within one call: {key!r} is given for documents "
                f"{seen[key]} and {position}, and the second would silently replace the "
                "first; drop or rename the duplicate"
            )
            raise InvalidInputError(msg)
        seen[key] = position


def _key_of(record: Mapping[str, Any]) -> str:
    return str(record["key"])


def _unique(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _paced_by_default(client: object) -> bool:
    """Whether writes to ``client`` are paced at the service's write caps by default.

    Everything but the embedded client is: AWS and compatible endpoints enforce the
    caps (with 429s). The embedded client has no cap, so its writes are not slowed.
    """
    local = sys.modules.get("langchain_s3vectors.local.client")
    return local is None or not isinstance(client, local.LocalS3VectorsClient)


def _default_client(
    *,
    region_name: str | None,
    endpoint_url: str | None,
    profile_name: str | None,
    session: Any,
    client_config: Config | None,
    max_concurrency: int,
) -> Any:
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        retries={"mode": "standard", "max_attempts": _BOTOCORE_MAX_ATTEMPTS},
        max_pool_connections=max(10, 2 * max_concurrency),
    )
    if client_config is not None:
        config = config.merge(client_config)
    try:
        sess = session or boto3.Session(profile_name=profile_name, region_name=region_name)
        return sess.client(
            "s3vectors", region_name=region_name, endpoint_url=endpoint_url, config=config
        )
    except Exception as exc:
        raise translate_client_error(exc, operation="create_client") from exc
