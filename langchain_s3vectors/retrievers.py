"""Retrieval over the store: the retriever, and the self-query filter translator.

* :class:`S3VectorsRetriever`: a vector store retriever with full-text and hybrid search.
* :class:`S3VectorsTranslator`: LangChain's structured queries (the self-query
  retriever's) translated into S3 Vectors filters.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_s3vectors.vectorstores import S3VectorsStore
    >>> store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=8))
    >>> _ = store.add_texts(["S3 Vectors", "LangChain"], ids=["a", "b"])
    >>> retriever = store.as_retriever(search_type="fulltext", search_kwargs={"k": 1})
    >>> [doc.id for doc in retriever.invoke("langchain")]
    ['b']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from langchain_core.structured_query import (
    Comparator,
    Comparison,
    Operation,
    Operator,
    StructuredQuery,
    Visitor,
)
from langchain_core.vectorstores import VectorStoreRetriever
from typing_extensions import override

from langchain_s3vectors.errors import InvalidFilterError, InvalidInputError
from langchain_s3vectors.filters import FilterError, validate_filter

if TYPE_CHECKING:
    from collections.abc import Collection

    from langchain_core.callbacks import (
        AsyncCallbackManagerForRetrieverRun,
        CallbackManagerForRetrieverRun,
    )
    from langchain_core.documents import Document

__all__ = ["S3VectorsRetriever", "S3VectorsTranslator"]

#: search_kwargs that full-text and hybrid search understand.
_TEXT_KWARGS = {"fulltext": ("k", "filter"), "hybrid": ("k", "filter", "fetch_k", "config")}


class S3VectorsRetriever(VectorStoreRetriever):
    """Retriever over an :class:`~langchain_s3vectors.vectorstores.S3VectorsStore`.

    Search types: ``"similarity"`` (default), ``"similarity_score_threshold"``,
    ``"mmr"``, ``"hybrid"`` (vector + BM25, fused) and ``"fulltext"`` (BM25 only).
    ``search_kwargs`` may hold ``k``, ``filter``, ``fetch_k`` (candidates per method
    for MMR and hybrid), ``lambda_mult`` (MMR), ``config`` (hybrid: a
    :class:`~langchain_s3vectors.search.HybridSearchConfig`) and ``score_threshold``
    (``similarity_score_threshold``; for ``hybrid`` and ``fulltext`` it drops results
    scoring below it, on their own scale: the fused score, or BM25).

    Example:
        .. code-block:: python

            from langchain_s3vectors import HybridSearchConfig

            retriever = store.as_retriever(
                search_type="hybrid",
                search_kwargs={
                    "k": 5,
                    "filter": {"lang": "en"},
                    "config": HybridSearchConfig(vector_weight=0.6),
                },
            )
            docs = retriever.invoke("how are vectors stored?")
    """

    allowed_search_types: ClassVar[Collection[str]] = (
        "similarity",
        "similarity_score_threshold",
        "mmr",
        "hybrid",
        "fulltext",
    )

    def _text_kwargs(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        merged = self.search_kwargs | kwargs
        threshold = merged.get("score_threshold")
        if threshold is not None and not isinstance(threshold, (int, float)):
            msg = f"score_threshold must be a number, got {threshold!r}"
            raise InvalidInputError(msg)
        wanted = _TEXT_KWARGS[self.search_type]
        return {k: v for k, v in merged.items() if k in wanted}, threshold

    @staticmethod
    def _keep(pairs: list[tuple[Document, float]], threshold: float | None) -> list[Document]:
        return [doc for doc, score in pairs if threshold is None or score >= threshold]

    @override
    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        if self.search_type in ("hybrid", "fulltext"):
            search_kwargs, threshold = self._text_kwargs(kwargs)
            store: Any = self.vectorstore
            method = store.hybrid_search if self.search_type == "hybrid" else store.fulltext_search
            return self._keep(method(query, **search_kwargs), threshold)
        return super()._get_relevant_documents(query, run_manager=run_manager, **kwargs)

    @override
    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        if self.search_type in ("hybrid", "fulltext"):
            search_kwargs, threshold = self._text_kwargs(kwargs)
            store: Any = self.vectorstore
            method = (
                store.ahybrid_search if self.search_type == "hybrid" else store.afulltext_search
            )
            return self._keep(await method(query, **search_kwargs), threshold)
        return await super()._aget_relevant_documents(query, run_manager=run_manager, **kwargs)


_COMPARATORS: dict[Comparator, str] = {
    Comparator.EQ: "$eq",
    Comparator.NE: "$ne",
    Comparator.GT: "$gt",
    Comparator.GTE: "$gte",
    Comparator.LT: "$lt",
    Comparator.LTE: "$lte",
    Comparator.IN: "$in",
    Comparator.NIN: "$nin",
}
_OPERATORS: dict[Operator, str] = {Operator.AND: "$and", Operator.OR: "$or"}


class S3VectorsTranslator(Visitor):
    """Translate LangChain structured queries into the S3 Vectors filter language.

    Comparators ``eq ne gt gte lt lte in nin`` and operators ``and or`` are supported.
    S3 Vectors has no ``$not`` (nor ``like``/``contain``): those raise
    :class:`~langchain_s3vectors.errors.InvalidFilterError` with a suggestion.
    ENHANCED indexes' ``$startsWith`` has no LangChain comparator (``like`` is a pattern
    match, not a prefix), so translated queries never use it; pass it in ``filter=``.

    Example:
        >>> from langchain_core.structured_query import Comparator, Comparison, Operation, Operator
        >>> translator = S3VectorsTranslator()
        >>> translator.visit_operation(
        ...     Operation(
        ...         operator=Operator.AND,
        ...         arguments=[
        ...             Comparison(comparator=Comparator.EQ, attribute="genre", value="drama"),
        ...             Comparison(comparator=Comparator.GTE, attribute="year", value=2020),
        ...         ],
        ...     )
        ... )
        {'$and': [{'genre': {'$eq': 'drama'}}, {'year': {'$gte': 2020}}]}
    """

    allowed_comparators = tuple(_COMPARATORS)
    allowed_operators = tuple(_OPERATORS)

    @override
    def visit_operation(self, operation: Operation) -> dict[str, Any]:
        if operation.operator not in _OPERATORS:
            msg = (
                f"the S3 Vectors filter language has no {operation.operator.value!r} operator; "
                "rewrite the condition with $ne / $nin (e.g. not(eq) -> ne), or combine "
                "conditions with and/or"
            )
            raise InvalidFilterError(msg)
        args = [arg.accept(self) for arg in operation.arguments]
        if len(args) == 1:
            return args[0]  # type: ignore[no-any-return]
        return {_OPERATORS[operation.operator]: args}

    @override
    def visit_comparison(self, comparison: Comparison) -> dict[str, Any]:
        if comparison.comparator not in _COMPARATORS:
            msg = (
                f"the S3 Vectors filter language has no {comparison.comparator.value!r} "
                f"comparator (on {comparison.attribute!r}); supported: "
                f"{', '.join(c.value for c in _COMPARATORS)}"
            )
            raise InvalidFilterError(msg)
        value = comparison.value
        if comparison.comparator in (Comparator.IN, Comparator.NIN) and not isinstance(value, list):
            value = [value]
        result = {comparison.attribute: {_COMPARATORS[comparison.comparator]: value}}
        try:
            validate_filter(result)
        except FilterError as exc:
            raise InvalidFilterError(str(exc)) from exc
        return result

    @override
    def visit_structured_query(
        self, structured_query: StructuredQuery
    ) -> tuple[str, dict[str, Any]]:
        if structured_query.filter is None:
            return structured_query.query, {}
        return structured_query.query, {"filter": structured_query.filter.accept(self)}
