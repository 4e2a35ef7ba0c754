"""Documents <-> records: exact round trips and every limit checked up front."""

from __future__ import annotations

import math

import pytest

from langchain_s3vectors import checks, limits
from langchain_s3vectors.checks import (
    checked_rows,
    validate_key,
    validate_metadata,
    validate_vector,
)
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.limits import json_size
from langchain_s3vectors.records import RecordCodec


def test_round_trip_keeps_types_and_does_not_mutate():
    codec = RecordCodec(dimension=2)
    meta = {"i": 3, "f": 2.5, "whole_float": 1.0, "b": False, "s": "x", "l": ["a", 1, 2.0, True]}
    before = dict(meta)
    record = codec.encode("k", "text", meta, [0.1, 0.2])
    assert meta == before
    assert record["metadata"]["_page_content"] == "text"
    doc = codec.decode(record)
    assert doc.id == "k"
    assert doc.page_content == "text"
    assert doc.metadata == meta
    assert type(doc.metadata["i"]) is int
    assert type(doc.metadata["whole_float"]) is float


def test_reserved_key_rejected():
    with pytest.raises(InvalidInputError, match="reserved key '_page_content'"):
        RecordCodec().encode("k", "t", {"_page_content": "x"}, [1.0])


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({"a": 1}, "type dict"),
        (None, "type None"),
        (("a",), "type tuple"),
        ([{"a": 1}], "list containing"),
        ([None], "list containing"),
        (float("nan"), "finite numbers"),
        ([float("inf")], "finite numbers"),
        (b"bytes", "type bytes"),
    ],
)
def test_bad_metadata_values_name_the_key(value, needle):
    with pytest.raises(InvalidInputError, match=needle) as info:
        validate_metadata({"bad_key": value}, where="document 0 (id 'x')")
    assert "'bad_key'" in str(info.value)
    assert "document 0 (id 'x')" in str(info.value)


def test_metadata_sizes_are_utf8_json():
    assert json_size({"k": "é"}) == len('{"k":"é"}'.encode())
    # 2 KB of filterable metadata is fine under a non-filterable key, not otherwise.
    big = {"notes": "x" * 3000}
    with pytest.raises(InvalidInputError, match="non_filterable_metadata_keys") as info:
        validate_metadata(big)
    assert "'notes'" in str(info.value)
    validate_metadata(big, non_filterable_keys={"notes"})


def test_filterable_budget_edge():
    # {"a":"xxx"} -> 8 bytes of overhead: fill exactly 2048 bytes.
    overhead = json_size({"a": ""})
    validate_metadata({"a": "x" * (limits.MAX_FILTERABLE_METADATA_BYTES - overhead)})
    with pytest.raises(InvalidInputError):
        validate_metadata({"a": "x" * (limits.MAX_FILTERABLE_METADATA_BYTES - overhead + 1)})
    # Multi-byte characters count by bytes.
    with pytest.raises(InvalidInputError):
        validate_metadata({"a": "é" * 1100})


@pytest.mark.parametrize("number", [1e16, 1e-07, 2.5])
def test_size_limits_exact_for_numbers_at_the_edge(number):
    # The limits count JSON as Python's json module prints it ("1e+16", "1e-07"),
    # which can be longer than a faster encoder's output: the edge must be exact.
    floats = [number] * 200
    base = {"a": floats, "t": ""}
    fill = limits.MAX_METADATA_BYTES - json_size(base)
    exact = {"a": floats, "t": "x" * fill}
    assert json_size(exact) == limits.MAX_METADATA_BYTES
    validate_metadata(exact, page_content_key="t", non_filterable_keys={"a"})
    over = {"a": floats, "t": "x" * (fill + 1)}
    with pytest.raises(InvalidInputError, match="40960"):
        validate_metadata(over, page_content_key="t", non_filterable_keys={"a"})
    small = {"a": [number] * 50}
    fill = limits.MAX_FILTERABLE_METADATA_BYTES - json_size({"a": small["a"], "b": ""})
    validate_metadata({**small, "b": "x" * fill})
    with pytest.raises(InvalidInputError, match="2048"):
        validate_metadata({**small, "b": "x" * (fill + 1)})


def test_total_metadata_limit_and_key_limits():
    with pytest.raises(InvalidInputError, match="40960"):
        RecordCodec().encode("k", "x" * (41 * 1024), {}, [1.0])
    RecordCodec().encode("k", "x" * (30 * 1024), {}, [1.0])
    too_many = {f"k{i}": i for i in range(limits.MAX_METADATA_KEYS)}
    with pytest.raises(InvalidInputError, match="at most 50"):
        RecordCodec().encode("k", "t", too_many, [1.0])
    with pytest.raises(InvalidInputError, match="at most 63"):
        validate_metadata({"k" * 64: 1})


@pytest.mark.parametrize("key", ["", "k" * 1025, 5, None])
def test_bad_keys(key):
    with pytest.raises(InvalidInputError):
        validate_key(key)


def test_key_limits_inclusive():
    assert validate_key("k" * 1024) == "k" * 1024
    assert validate_key("ü") == "ü"


def test_vectors_checked():
    assert validate_vector((1, 2), dimension=2) == [1.0, 2.0]
    with pytest.raises(InvalidInputError, match="2 dimensions but the index has 3"):
        validate_vector([1, 2], dimension=3)
    with pytest.raises(InvalidInputError, match="finite float32"):
        validate_vector([1, math.nan], dimension=None)
    with pytest.raises(InvalidInputError, match="finite float32"):
        validate_vector([1, 1e39], dimension=None)
    with pytest.raises(InvalidInputError, match="zero vector"):
        validate_vector([0.0, 0.0], dimension=2, distance_metric="cosine")
    assert validate_vector([0.0, 0.0], dimension=2, distance_metric="euclidean") == [0.0, 0.0]
    with pytest.raises(InvalidInputError, match=r"1\.\.4096"):
        validate_vector([1.0] * 4097, dimension=None)


@pytest.mark.parametrize(
    ("rows", "metric", "passes"),
    [
        ([[0.1, 0.2]], "cosine", True),
        ([[float("nan"), 1.0]], "cosine", False),
        ([[float("inf"), 1.0]], "euclidean", False),
        ([[3.5e38, 0.0]], "euclidean", False),
        ([[3e38, 3e38]], "cosine", False),  # every value fits, the norm does not: exact check
        ([[0.0, 0.0]], "cosine", False),
        ([[0.0, 0.0]], "euclidean", True),
        ([[1e-320, 0.0]], "cosine", False),  # zero once stored as float32
        ([["1.0", 2.0]], "cosine", False),
        ([[None, 1.0]], "cosine", False),
        ([[1.0]], "cosine", False),
        ([(1.0, 2.0)], "cosine", False),
        ([[10**400, 1]], "cosine", False),
    ],
)
def test_fast_list_check_is_sure_or_defers(rows, metric, passes):
    # The fast path over lists of numbers only ever says "passes" when the exact check
    # would pass too; anything else goes to the exact check, which names the problem.
    assert checks._lists_pass(rows, 2, metric) is passes
    if passes:
        assert checked_rows(rows, dimension=2, distance_metric=metric) is rows


@pytest.mark.parametrize(
    "value",
    [{"n": 1e16}, {"n": 1e-7}, {"l": [1e22, 2.5e-8, 3]}, {"s": "Zürich", "b": True}, {"i": 2**70}],
)
def test_approximate_json_size_is_within_the_number_slack(value):
    exact = json_size(value)
    approximate = json_size(value, approximate=True)
    numbers = sum(len(v) if isinstance(v, list) else isinstance(v, float) for v in value.values())
    assert approximate <= exact <= approximate + limits.JSON_NUMBER_SLACK * numbers


def test_metadata_with_a_lone_surrogate_is_refused_in_one_line():
    with pytest.raises(InvalidInputError, match="lone surrogate '\\\\udc80'"):
        validate_metadata({"title": "bad \udc80"}, page_content_key="_page_content")


def test_validate_metadata_names_the_page_content_key_only_when_given():
    too_many = {f"k{i}": i for i in range(limits.MAX_METADATA_KEYS + 1)}
    with pytest.raises(InvalidInputError, match=r"keys \(including '_page_content'\);"):
        validate_metadata(too_many, page_content_key="_page_content")
    with pytest.raises(InvalidInputError, match=r"has 51 keys; S3 Vectors"):
        validate_metadata(too_many)
