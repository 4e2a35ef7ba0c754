"""Structured queries (LangChain's self-query retriever) -> S3 Vectors filters.

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

from __future__ import annotations

from typing import Any

from langchain_core.structured_query import (
    Comparator,
    Comparison,
    Operation,
    Operator,
    StructuredQuery,
    Visitor,
)
from typing_extensions import override

from langchain_s3vectors.errors import InvalidFilterError
from langchain_s3vectors.filters import FilterError, validate_filter

__all__ = ["S3VectorsTranslator"]

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
