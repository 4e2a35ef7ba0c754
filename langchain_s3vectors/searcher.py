"""``S3VectorsSearcher``: search over one S3 Vectors index, without LangChain's base class.

The search half of :class:`~langchain_s3vectors.vectorstores.S3VectorsStore`:
similarity search (by text or vector, with distances or relevance scores), maximal
marginal relevance, and the service's full-text (BM25) and hybrid search, on top of
:class:`~langchain_s3vectors.base.S3VectorsStoreBase` (construction, configuration,
index lifecycle, get and list). It only reads: writes, deletes and ``clear`` are
:class:`~langchain_s3vectors.vectorstores.S3VectorsStore`'s.

Neither class derives from LangChain's ``VectorStore``, whose module imports
LangChain's runnables, callbacks and tracers (with ``langsmith``): about 0.4 s of a
cold start. :class:`~langchain_s3vectors.vectorstores.S3VectorsStore` adds writes and
deletes and the ``VectorStore`` interface (``as_retriever``, ``add_documents``,
``from_texts``, ...) on top of this class. A short-lived process that only searches, such as
``s3vectors-rag query``, builds an ``S3VectorsSearcher`` instead and starts faster;
the methods and results are the same.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_s3vectors import S3VectorsSearcher, S3VectorsStore
    >>> emb = DeterministicFakeEmbedding(size=8)
    >>> store = S3VectorsStore.local(None, emb)
    >>> store.add_texts(["S3 Vectors", "LangChain"], ids=["a", "b"])
    ['a', 'b']
    >>> searcher = S3VectorsSearcher(store.vector_bucket_name, store.index_name, emb,
    ...                              client=store.client)
    >>> [doc.id for doc in searcher.similarity_search("S3 Vectors", k=1)]
    ['a']
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.base import S3VectorsStoreBase
from langchain_s3vectors.checks import check_k, check_query_text
from langchain_s3vectors.execution import in_thread
from langchain_s3vectors.search import (
    DEFAULT_FETCH_K,
    RELEVANCE,
    HybridPlan,
    HybridSearchConfig,
    above_threshold,
    checked_filter,
    cosine_relevance_score,
    fuse_results,
    mmr_select,
    query_request,
    scored,
    text_search_ready,
    untokenised_notice,
    with_distance,
    with_query_vector,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from langchain_core.documents import Document

__all__ = ["S3VectorsSearcher"]

logger = logging.getLogger(__name__)


class S3VectorsSearcher(S3VectorsStoreBase):
    """Similarity, MMR, full-text and hybrid search over one S3 Vectors index.

    Takes the arguments of :class:`~langchain_s3vectors.vectorstores.S3VectorsStore`
    (and its ``local`` and ``from_aws`` factories) and searches the same way. It
    also gets and lists records (from the base class), but changes nothing: no add,
    delete or clear, and it is not a LangChain ``VectorStore`` (no ``as_retriever``);
    see the module documentation for when to use it.
    """

    # -- queries: a request is built and checked once, then sent -----------------------

    def _query_request(
        self,
        k: int,
        flt: Mapping[str, Any] | None,
        *,
        vector: Sequence[float] | None = None,
        text: str | None = None,
    ) -> dict[str, Any]:
        return query_request(k, flt, self._codec(), self.index.resource, vector=vector, text=text)

    def _send(
        self, request: dict[str, Any], k: int, vector: Sequence[float] | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Send ``request`` for ``k`` results, with ``vector`` (checked) added when given.

        The filter is checked again against the index's non-filterable keys: the index
        may have been seen (and declare more) since the request was built.
        """
        codec = self._codec()
        if vector is not None:
            with_query_vector(request, vector, codec.dimension, self.index.resource)
        if "filter" in request:
            checked_filter(request["filter"], codec.non_filterable_keys)
        if "queryVector" in request:
            self.identity_guard.before_search()  # once per store
        return self.index.query(request, k)

    def _checked_query(self, query: str, k: int, flt: Mapping[str, Any] | None) -> dict[str, Any]:
        """The request of a text query, checked before it is embedded (no vector yet)."""
        request = self._query_request(k, flt)
        check_query_text(query)
        return request

    async def _abefore_search(self) -> None:
        if not self.identity_guard.searched:
            await self._run(self.identity_guard.before_search)

    def _embed_query(
        self, query: str, k: int, flt: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], list[float]]:
        request = self._checked_query(query, k, flt)
        self.identity_guard.before_search()  # an index of another model: refused unembedded
        return request, self._query_emb().embed_query(query)

    async def _aembed_query(
        self, query: str, k: int, flt: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], list[float]]:
        request = self._checked_query(query, k, flt)
        await self._abefore_search()
        return request, await self._query_emb().aembed_query(query)

    def _nearest(
        self, request: dict[str, Any], k: int, vector: Sequence[float] | None = None
    ) -> list[tuple[Document, float]]:
        results, _ = self._send(request, k, vector)
        return with_distance(results, self._codec())

    def similarity_search_with_score_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """Nearest documents to a vector, with their distances (lower is closer)."""
        return self._nearest(self._query_request(k, filter, vector=embedding), k)

    asimilarity_search_with_score_by_vector = in_thread(similarity_search_with_score_by_vector)

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Nearest documents to a query, with distances (cosine: 0..2, euclidean: L2)."""
        request, vector = self._embed_query(query, k, filter)
        return self._nearest(request, k, vector)

    async def asimilarity_search_with_score(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Async :meth:`similarity_search_with_score` (the query embedding is awaited)."""
        request, vector = await self._aembed_query(query, k, filter)
        return await self._run(self._nearest, request, k, vector)

    def similarity_search(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Document]:
        """The ``k`` documents nearest to ``query`` (optionally filtered by metadata)."""
        return [doc for doc, _ in self.similarity_search_with_score(query, k, filter)]

    async def asimilarity_search(
        self, query: str, k: int = 4, filter: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> list[Document]:
        """Async :meth:`similarity_search` (the query embedding is awaited)."""
        return [doc for doc, _ in await self.asimilarity_search_with_score(query, k, filter)]

    def similarity_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """The ``k`` documents nearest to a vector (optionally filtered by metadata)."""
        return [d for d, _ in self.similarity_search_with_score_by_vector(embedding, k, filter)]

    asimilarity_search_by_vector = in_thread(similarity_search_by_vector)

    def _relevance_fn(self, metric: str | None) -> Callable[[float], float]:
        if self._relevance_score_fn is not None:
            return self._relevance_score_fn
        return RELEVANCE.get(metric or self.distance_metric, cosine_relevance_score)

    def _relevance(
        self, request: dict[str, Any], vector: list[float], k: int
    ) -> list[tuple[Document, float]]:
        results, metric = self._send(request, k, vector)
        fn = self._relevance_fn(metric)
        return [(doc, fn(d)) for doc, d in with_distance(results, self._codec())]

    def similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Nearest documents to a query, with relevance in [0, 1] (higher is closer).

        Args:
            query: The query text.
            k: How many documents.
            **kwargs: ``filter`` (a metadata filter) and ``score_threshold`` (drop
                documents less relevant than this).

        Returns:
            (document, relevance) pairs, best first.
        """
        threshold = kwargs.pop("score_threshold", None)
        hits = self._similarity_search_with_relevance_scores(query, k, **kwargs)
        return above_threshold(hits, threshold)

    async def asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        """Async :meth:`similarity_search_with_relevance_scores` (embedding awaited)."""
        threshold = kwargs.pop("score_threshold", None)
        hits = await self._asimilarity_search_with_relevance_scores(query, k, **kwargs)
        return above_threshold(hits, threshold)

    def _similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        request, vector = self._embed_query(query, k, kwargs.get("filter"))
        return self._relevance(request, vector, k)

    async def _asimilarity_search_with_relevance_scores(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[Document, float]]:
        request, vector = await self._aembed_query(query, k, kwargs.get("filter"))
        return await self._run(self._relevance, request, vector, k)

    # -- maximal marginal relevance ----------------------------------------------------

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
        request = self._query_request(fetch_k, filter, vector=embedding)
        return self._mmr(request, embedding, fetch_k, k, lambda_mult)

    amax_marginal_relevance_search_by_vector = in_thread(max_marginal_relevance_search_by_vector)

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """Diverse results for a query: ``fetch_k`` nearest candidates, then ``k`` by MMR.

        ``lambda_mult`` trades relevance (1) against diversity (0).
        """
        check_k(k)
        fetch_k = max(fetch_k, k)
        request, vector = self._embed_query(query, fetch_k, filter)
        return self._mmr(request, vector, fetch_k, k, lambda_mult)

    async def amax_marginal_relevance_search(
        self, query: str, k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5, **kwargs: Any
    ) -> list[Document]:
        """Async :meth:`max_marginal_relevance_search`: the query embedding is awaited."""
        check_k(k)
        fetch_k = max(fetch_k, k)
        request, vector = await self._aembed_query(query, fetch_k, kwargs.get("filter"))
        return await self._run(self._mmr, request, vector, fetch_k, k, lambda_mult)

    def _mmr(
        self,
        request: dict[str, Any],
        vector: list[float],
        fetch_k: int,
        k: int,
        lambda_mult: float,
    ) -> list[Document]:
        """``k`` of the ``fetch_k`` nearest, by MMR over their vectors (from GetVectors)."""
        results, _ = self._send(request, fetch_k, vector)
        if not results:
            return []
        stored = self.index.get([r["key"] for r in results], data=True)
        return mmr_select(vector, results, stored, self._codec(), k=k, lambda_mult=lambda_mult)

    # -- full-text and hybrid ----------------------------------------------------------

    def _text_request(
        self, query: str, k: int, flt: Mapping[str, Any] | None
    ) -> dict[str, Any] | None:
        """The request of a text query; ``None`` when the index is missing.

        Raises:
            TextSearchNotEnabledError: The index has no text search on the page content.
        """
        request = self._query_request(k, flt, text=query)
        return request if text_search_ready(self.index, self.page_content_key) else None

    def fulltext_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """BM25 full-text search on the page content; (document, BM25 score) pairs.

        Raises:
            TextSearchNotEnabledError: The index has no text search on the page content.
        """
        request = self._text_request(query, k, filter)
        if request is None:
            return []
        results, _ = self._send(request, k)
        _say_if_untokenised(self, query, results, hybrid=False)
        return scored(results, self._codec(), hybrid=False)

    afulltext_search = in_thread(fulltext_search)

    def hybrid_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        *,
        fetch_k: int = DEFAULT_FETCH_K,
        config: HybridSearchConfig | Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """Vector + BM25 search, fused; (document, fused score) pairs, best first.

        One QueryVectors call. By default its ``fetch_k`` candidates are re-ranked by
        the weighted sum of their min-max scaled vector and BM25 scores (the score, in
        [0, 1]); ``fusion="rrf"`` keeps the service's Reciprocal Rank Fusion and score.

        Args:
            query: The query text (embedded for the vector half).
            k: How many documents.
            filter: A metadata filter, applied to both methods.
            fetch_k: Candidates a relative-score fusion re-ranks (at least ``k``).
            config: The fusion: a :class:`~langchain_s3vectors.search.HybridSearchConfig`
                or a dict of its fields; ``None`` for the default.
            **kwargs: Ignored (LangChain passes search arguments through).

        Raises:
            TextSearchNotEnabledError: The index has no text search on the page content.

        Example:
            >>> from langchain_core.embeddings import DeterministicFakeEmbedding
            >>> from langchain_s3vectors import HybridSearchConfig, S3VectorsSearcher
            >>> searcher = S3VectorsSearcher.local(None, DeterministicFakeEmbedding(size=8))
            >>> searcher.hybrid_search("anything", config=HybridSearchConfig(fusion="rrf"))
            []
        """
        planned = self._hybrid_plan(query, k, filter, fetch_k, config)
        if planned is None:
            return []
        self.identity_guard.before_search()
        return self._hybrid_by_vector(*planned, self._query_emb().embed_query(query))

    async def ahybrid_search(
        self,
        query: str,
        k: int = 4,
        filter: Mapping[str, Any] | None = None,
        *,
        fetch_k: int = DEFAULT_FETCH_K,
        config: HybridSearchConfig | Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[tuple[Document, float]]:
        """Async :meth:`hybrid_search`: the query embedding is awaited, the rest in threads."""
        planned = await self._run(self._hybrid_plan, query, k, filter, fetch_k, config)
        if planned is None:
            return []
        await self._abefore_search()
        vector = await self._query_emb().aembed_query(query)
        return await self._run(self._hybrid_by_vector, *planned, vector)

    def _hybrid_plan(
        self,
        query: str,
        k: int,
        flt: Mapping[str, Any] | None,
        fetch_k: int,
        config: HybridSearchConfig | Mapping[str, Any] | None,
    ) -> tuple[HybridPlan, dict[str, Any]] | None:
        """The checked arguments and request of a hybrid search; ``None``: no index."""
        check_k(k)
        plan = HybridPlan.checked(query, k, flt, fetch_k, config)
        request = self._text_request(query, plan.depth, flt)
        return None if request is None else (plan, request)

    def _hybrid_by_vector(
        self, plan: HybridPlan, request: dict[str, Any], vector: list[float]
    ) -> list[tuple[Document, float]]:
        depth = plan.k if plan.config.fusion == "rrf" else plan.depth
        results, _ = self._send(request, depth, vector)
        _say_if_untokenised(self, plan.query, results, hybrid=True)
        if plan.config.fusion == "rrf":
            return scored(results, self._codec(), hybrid=True)
        return fuse_results(results, self._codec(), plan.config.vector_weight, plan.k)


def _say_if_untokenised(
    searcher: S3VectorsSearcher, query: str, results: list[dict[str, Any]], *, hybrid: bool
) -> None:
    """Warn when the index's language cannot have matched the query's script."""
    index, key = searcher.index, searcher.page_content_key
    notice = untokenised_notice(index, key, query, results, hybrid=hybrid)
    if notice is not None:
        logger.warning("%s", notice)
