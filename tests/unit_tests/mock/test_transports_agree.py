"""One script of calls, three transports, identical answers.

The embedded client directly, boto3 over HTTP to ``serve`` on loopback, and boto3 under
``mock_s3vectors``: each runs the same calls on a fresh store, and everything a caller
sees (bodies, error codes, messages and statuses) must be the same. Only what is
different by nature (request ids, timestamps) is left out of the comparison.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from langchain_s3vectors import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread
from langchain_s3vectors.testing import mock_s3vectors

BUCKET, INDEX = "agree", "idx"
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("create_vector_bucket", {"vectorBucketName": BUCKET}),
    ("create_vector_bucket", {"vectorBucketName": BUCKET}),  # ConflictException
    (
        "create_index",
        {
            "vectorBucketName": BUCKET,
            "indexName": INDEX,
            "dataType": "float32",
            "dimension": 3,
            "distanceMetric": "euclidean",
            "metadataConfiguration": {"nonFilterableMetadataKeys": ["body"]},
        },
    ),
    (
        "put_vectors",
        {
            "vectorBucketName": BUCKET,
            "indexName": INDEX,
            "vectors": [
                {
                    "key": f"v{i:02d}",
                    "data": {"float32": [i * 0.5, 1.0, -i * 0.25]},
                    "metadata": {"n": i, "even": i % 2 == 0, "body": f"text {i}"},
                }
                for i in range(23)
            ],
        },
    ),
    ("list_vectors", {"vectorBucketName": BUCKET, "indexName": INDEX, "maxResults": 5}),
    (
        "list_vectors",
        {
            "vectorBucketName": BUCKET,
            "indexName": INDEX,
            "returnMetadata": True,
            "returnData": True,
        },
    ),
    (
        "query_vectors",
        {
            "vectorBucketName": BUCKET,
            "indexName": INDEX,
            "topK": 10,
            "queryVector": {"float32": [2.0, 1.0, -1.0]},
            "filter": {"$and": [{"even": True}, {"n": {"$gte": 4}}]},
            "returnMetadata": True,
            "returnDistance": True,
        },
    ),
    (
        "query_vectors",
        {
            "vectorBucketName": BUCKET,
            "indexName": INDEX,
            "topK": 3,
            "queryVector": {"float32": [1.0]},
        },
    ),
    (
        "query_vectors",
        {
            "vectorBucketName": BUCKET,
            "indexName": INDEX,
            "topK": 3,
            "queryVector": {"float32": [1.0, 1.0, 1.0]},
            "filter": {"body": "text 1"},
        },
    ),
    ("get_vectors", {"vectorBucketName": BUCKET, "indexName": INDEX, "keys": ["v03", "nope"]}),
    ("get_index", {"vectorBucketName": BUCKET, "indexName": "missing"}),
    ("list_indexes", {"vectorBucketName": BUCKET}),
    ("query_vectors", {"vectorBucketName": BUCKET, "indexName": INDEX, "topK": 0}),
    ("delete_vectors", {"vectorBucketName": BUCKET, "indexName": INDEX, "keys": ["v00", "v01"]}),
    ("delete_vector_bucket", {"vectorBucketName": BUCKET}),  # not empty
    ("delete_index", {"vectorBucketName": BUCKET, "indexName": INDEX}),
    ("delete_vector_bucket", {"vectorBucketName": BUCKET}),
    ("list_vector_buckets", {}),
]


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _normal(v) for k, v in value.items() if k not in ("ResponseMetadata", "creationTime")
        }
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dt.datetime):
        return "<time>"
    return value


def _run(client: Any) -> list[Any]:
    seen: list[Any] = []
    for name, params in CALLS:
        try:
            seen.append(_normal(getattr(client, name)(**params)))
        except ClientError as exc:
            error = exc.response
            seen.append(
                (
                    error["Error"]["Code"],
                    error["Error"]["Message"],
                    error["ResponseMetadata"]["HTTPStatusCode"],
                )
            )
        except ParamValidationError:
            seen.append("ParamValidationError")
    return seen


@contextmanager
def _direct() -> Iterator[Any]:
    with LocalS3VectorsClient() as client:
        yield client


@contextmanager
def _http() -> Iterator[Any]:
    with LocalS3VectorsClient() as store, serve_in_thread(store) as url:
        yield boto3.client(
            "s3vectors",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )


@contextmanager
def _mock() -> Iterator[Any]:
    with mock_s3vectors():
        yield boto3.client("s3vectors", region_name="us-east-1")


@contextmanager
def _mock_beside_moto() -> Iterator[Any]:
    """moto's mock_aws active too: botocore hands each request to every before-send
    handler, moto's included, but the answer is the first one, ours."""
    moto = pytest.importorskip("moto")
    with moto.mock_aws(), mock_s3vectors():
        yield boto3.client("s3vectors", region_name="us-east-1")


TRANSPORTS: dict[str, Callable[[], Any]] = {
    "direct": _direct,
    "http": _http,
    "mock": _mock,
    "mock-beside-moto": _mock_beside_moto,
}


@pytest.fixture(scope="module")
def answers() -> dict[str, list[Any]]:
    results = {}
    for name, transport in TRANSPORTS.items():
        with transport() as client:
            results[name] = _run(client)
    return results


def test_the_script_exercises_answers_and_errors(answers: dict[str, list[Any]]) -> None:
    direct = answers["direct"]
    assert direct[1][0] == "ConflictException"
    hits = direct[6]["vectors"]
    # Distance 0 at v04; the filter keeps even n >= 4: v04..v22, ten of them.
    assert [hit["key"] for hit in hits][:2] == ["v04", "v06"]
    assert sorted(hit["metadata"]["n"] for hit in hits) == list(range(4, 23, 2))
    assert hits[0]["distance"] == pytest.approx(0.0, abs=1e-6)
    assert direct[7][0] == "ValidationException"
    assert direct[8][0] == "ValidationException"
    assert direct[10][0] == "NotFoundException"
    assert direct[12] == "ParamValidationError"
    assert direct[14][0] == "ConflictException"
    assert direct[-1] == {"vectorBuckets": []}


@pytest.mark.parametrize("transport", ["http", "mock", "mock-beside-moto"])
def test_every_answer_is_the_same_as_the_embedded_client(
    answers: dict[str, list[Any]], transport: str
) -> None:
    for (name, _), expected, got in zip(CALLS, answers["direct"], answers[transport], strict=True):
        assert got == expected, name
