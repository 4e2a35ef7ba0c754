"""Structured queries -> S3 Vectors filters."""

from __future__ import annotations

import pytest
from langchain_core.structured_query import (
    Comparator,
    Comparison,
    Operation,
    Operator,
    StructuredQuery,
)

from langchain_s3vectors.errors import InvalidFilterError
from langchain_s3vectors.filters import matches, validate_filter
from langchain_s3vectors.retrievers import S3VectorsTranslator


@pytest.mark.parametrize(
    ("comparator", "value", "expected"),
    [
        (Comparator.EQ, "drama", {"genre": {"$eq": "drama"}}),
        (Comparator.NE, "drama", {"genre": {"$ne": "drama"}}),
        (Comparator.GT, 1, {"genre": {"$gt": 1}}),
        (Comparator.GTE, 1.5, {"genre": {"$gte": 1.5}}),
        (Comparator.LT, 2, {"genre": {"$lt": 2}}),
        (Comparator.LTE, 2, {"genre": {"$lte": 2}}),
        (Comparator.IN, ["a", "b"], {"genre": {"$in": ["a", "b"]}}),
        (Comparator.NIN, "a", {"genre": {"$nin": ["a"]}}),
    ],
)
def test_comparators(comparator, value, expected):
    got = S3VectorsTranslator().visit_comparison(
        Comparison(comparator=comparator, attribute="genre", value=value)
    )
    assert got == expected
    validate_filter(got)


def test_operations_and_structured_query():
    t = S3VectorsTranslator()
    op = Operation(
        operator=Operator.OR,
        arguments=[
            Comparison(comparator=Comparator.EQ, attribute="genre", value="drama"),
            Operation(
                operator=Operator.AND,
                arguments=[
                    Comparison(comparator=Comparator.GTE, attribute="year", value=2020),
                    Comparison(comparator=Comparator.LT, attribute="year", value=2023),
                ],
            ),
        ],
    )
    query, kwargs = t.visit_structured_query(StructuredQuery(query="films", filter=op, limit=None))
    assert query == "films"
    flt = kwargs["filter"]
    assert flt == {
        "$or": [
            {"genre": {"$eq": "drama"}},
            {"$and": [{"year": {"$gte": 2020}}, {"year": {"$lt": 2023}}]},
        ]
    }
    assert matches(flt, {"genre": "comedy", "year": 2021})
    assert not matches(flt, {"genre": "comedy", "year": 2024})
    assert t.visit_structured_query(StructuredQuery(query="q", filter=None, limit=None)) == (
        "q",
        {},
    )


def test_not_and_like_are_refused_with_advice():
    t = S3VectorsTranslator()
    with pytest.raises(InvalidFilterError, match=r"\$ne"):
        t.visit_operation(
            Operation(
                operator=Operator.NOT,
                arguments=[Comparison(comparator=Comparator.EQ, attribute="a", value=1)],
            )
        )
    with pytest.raises(InvalidFilterError, match="like"):
        t.visit_comparison(Comparison(comparator=Comparator.LIKE, attribute="a", value="x"))
    with pytest.raises(InvalidFilterError, match="year"):
        t.visit_comparison(Comparison(comparator=Comparator.GT, attribute="year", value="2020"))
