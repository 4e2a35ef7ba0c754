"""A filter nested too deep is one clear error everywhere, never a ``RecursionError``.

The S3 User Guide ("Metadata filtering") sets no nesting depth; this package allows
``limits.MAX_FILTER_DEPTH`` levels of ``$and`` / ``$or``, which keeps every valid
filter within the HTTP server's JSON nesting limit (1,024 levels).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import limits
from langchain_s3vectors.errors import InvalidFilterError
from langchain_s3vectors.filters import FilterError, validate_filter
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread
from langchain_s3vectors.vectorstores import S3VectorsStore


def nested(levels: int, operator: str = "$and") -> dict[str, Any]:
    """``{"$and": [{"$and": [... {"year": 2020} ...]}]}``, ``levels`` operators deep."""
    flt: dict[str, Any] = {"year": 2020}
    for _ in range(levels):
        flt = {operator: [flt]}
    return flt


def test_the_deepest_allowed_filter_is_valid_and_one_more_level_is_refused() -> None:
    validate_filter(nested(limits.MAX_FILTER_DEPTH))
    with pytest.raises(FilterError, match=f"more than {limits.MAX_FILTER_DEPTH} levels deep"):
        validate_filter(nested(limits.MAX_FILTER_DEPTH + 1, "$or"))


@pytest.mark.parametrize("levels", [500, 5000])
def test_the_python_api_refuses_a_deep_filter_with_a_value_error(levels: int) -> None:
    store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=8))
    store.add_texts(["film"], metadatas=[{"year": 2020}])
    with pytest.raises(InvalidFilterError) as caught:
        store.similarity_search("film", filter=nested(levels))
    assert isinstance(caught.value, ValueError)
    assert f"more than {limits.MAX_FILTER_DEPTH} levels deep" in str(caught.value)
    allowed = store.similarity_search("film", filter=nested(limits.MAX_FILTER_DEPTH))
    assert [doc.page_content for doc in allowed] == ["film"]


def _query(url: str, levels: int) -> tuple[int, dict[str, Any]]:
    # Written by hand: json.dumps itself recurses once per level.
    flt = '{"$and": [' * levels + '{"year": 2020}' + "]}" * levels
    body = (
        '{"vectorBucketName": "films", "indexName": "movies", "topK": 1, '
        f'"queryVector": {{"float32": [1.0, 0.0]}}, "filter": {flt}}}'
    )
    request = urllib.request.Request(f"{url}/QueryVectors", data=body.encode(), method="POST")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"type": exc.headers["x-amzn-ErrorType"], **json.loads(exc.read())}


def test_the_http_server_answers_400_for_a_deep_filter() -> None:
    with LocalS3VectorsClient() as client:
        client.create_vector_bucket(vectorBucketName="films")
        client.create_index(
            vectorBucketName="films",
            indexName="movies",
            dataType="float32",
            dimension=2,
            distanceMetric="cosine",
        )
        with serve_in_thread(client) as url:
            ok, _ = _query(url, limits.MAX_FILTER_DEPTH)
            deep, answer = _query(url, 500)
            deeper, too_deep = _query(url, 600)
    assert ok == 200
    assert (deep, answer["type"]) == (400, "ValidationException")
    assert f"more than {limits.MAX_FILTER_DEPTH} levels deep" in answer["message"]
    assert (deeper, too_deep["type"]) == (400, "SerializationException")
