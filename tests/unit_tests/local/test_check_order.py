"""Which error a request with several faults gets: the order of the embedded checks.

Every operation checks, in turn: the service model (botocore's validator), the bucket
or index name it carries, the request on its own, that the bucket or index exists,
then the request against what is stored (``langchain_s3vectors.local.context``). The
documentation does not say which of two faults the service reports; this order is the
embedded store's choice, pinned here so that a refactoring cannot change it unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.testing import seed

BUCKET, INDEX, MISSING = "order-bucket", "order-index", "missing"


@pytest.fixture
def client() -> Iterator[LocalS3VectorsClient]:
    with LocalS3VectorsClient() as store:
        seed(store, BUCKET, INDEX, dimension=2)
        yield store


def _code(client: LocalS3VectorsClient, call: str, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as exc:
        getattr(client, call)(**kwargs)
    return str(exc.value.response["Error"]["Code"])


def _arn(client: LocalS3VectorsClient, index: str) -> str:
    arn = client.get_index(vectorBucketName=BUCKET, indexName=INDEX)["index"]["indexArn"]
    return str(arn).replace(f"/index/{INDEX}", f"/index/{index}")


def test_the_service_model_comes_before_the_names(client: LocalS3VectorsClient) -> None:
    with pytest.raises(ParamValidationError):
        client.get_index(vectorBucketName="Not_A_Bucket", indexName=INDEX, unknown=1)


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        ("get_index", {"vectorBucketName": "Not_A_Bucket", "indexName": INDEX}),
        ("get_vector_bucket", {"vectorBucketName": "no.dots.in.buckets"}),
        ("list_indexes", {"vectorBucketName": "Not_A_Bucket"}),
        ("delete_vectors", {"vectorBucketName": MISSING, "indexName": "Bad_Index", "keys": ["a"]}),
    ],
)
def test_a_bad_name_is_reported_before_a_missing_resource(
    client: LocalS3VectorsClient, call: str, kwargs: dict[str, Any]
) -> None:
    assert _code(client, call, **kwargs) == "ValidationException"


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        # CreateIndex: the new index's own name and settings, then the bucket.
        (
            "create_index",
            {
                "vectorBucketName": MISSING,
                "indexName": "Bad_Index",
                "dataType": "float32",
                "dimension": 2,
                "distanceMetric": "cosine",
            },
        ),
        ("list_indexes", {"vectorBucketName": MISSING, "nextToken": "not-a-token"}),
        ("put_vector_bucket_policy", {"vectorBucketName": MISSING, "policy": "[1, 2]"}),
        (
            "query_vectors",
            {"vectorBucketName": BUCKET, "indexName": MISSING, "topK": 5},
        ),
        ("get_vectors", {"vectorBucketName": BUCKET, "indexName": MISSING, "keys": ["a"] * 101}),
    ],
)
def test_the_request_on_its_own_is_checked_before_the_resource_is_looked_up(
    client: LocalS3VectorsClient, call: str, kwargs: dict[str, Any]
) -> None:
    assert _code(client, call, **kwargs) == "ValidationException"


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        # Compared with the stored index: only once it is found.
        (
            "put_vectors",
            {
                "vectorBucketName": BUCKET,
                "indexName": MISSING,
                "vectors": [{"key": "a", "data": {"float32": [1.0, 0.0, 0.0]}}],
            },
        ),
        (
            "query_vectors",
            {
                "vectorBucketName": BUCKET,
                "indexName": MISSING,
                "topK": 1,
                "queryVector": {"float32": [1.0, 0.0, 0.0]},
            },
        ),
        # A ListVectors token resumes a key of the index: read once the index is found.
        ("list_vectors", {"vectorBucketName": BUCKET, "indexName": MISSING, "nextToken": "x"}),
        (
            "update_index_mode",
            {"vectorBucketName": BUCKET, "indexName": MISSING, "indexMode": "CLASSIC"},
        ),
    ],
)
def test_what_depends_on_the_resource_is_checked_once_it_is_found(
    client: LocalS3VectorsClient, call: str, kwargs: dict[str, Any]
) -> None:
    assert _code(client, call, **kwargs) == "NotFoundException"


def test_tag_keys_are_checked_before_the_resource_on_tag_and_after_it_on_untag(
    client: LocalS3VectorsClient,
) -> None:
    """TagResource refuses a reserved key before it looks for the resource; UntagResource
    removes keys from a resource it has found, so a missing resource comes first."""
    missing = _arn(client, MISSING)
    assert _code(client, "tag_resource", resourceArn=missing, tags={"aws:x": "v"}) == (
        "ValidationException"
    )
    assert _code(client, "untag_resource", resourceArn=missing, tagKeys=["aws:x"]) == (
        "NotFoundException"
    )
    assert _code(client, "tag_resource", resourceArn="arn:nonsense", tags={"aws:x": "v"}) == (
        "ValidationException"
    )
