"""mock_s3vectors: boto3's own clients answered in process through the served protocol."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import LocalS3VectorsClient, S3VectorsStore
from langchain_s3vectors.testing import AIOBOTOCORE_NOT_SERVED, mock_s3vectors, seed
from langchain_s3vectors.testing.mock import _before_send

VECTORS = {
    "a": ([1.0, 0.0, 0.0], {"genre": "drama"}),
    "b": ([0.0, 1.0, 0.0], {"genre": "comedy"}),
    "c": ([0.7, 0.7, 0.0], {"genre": "drama"}),
}


def _client(**kwargs: Any) -> Any:
    return boto3.client("s3vectors", region_name="us-east-1", **kwargs)


def test_answers_a_plain_boto3_client_with_any_credentials() -> None:
    with mock_s3vectors() as mock:
        client = _client(aws_access_key_id="AKIAANYTHING", aws_secret_access_key="whatever")
        seed(client, "films", "plots", VECTORS)
        answer = client.query_vectors(
            vectorBucketName="films",
            indexName="plots",
            topK=2,
            queryVector={"float32": [1.0, 0.1, 0.0]},
            filter={"genre": "drama"},
            returnMetadata=True,
            returnDistance=True,
        )
        # The store behind the mock holds what boto3 wrote.
        listed = mock.client.list_vectors(vectorBucketName="films", indexName="plots")
    assert [v["key"] for v in answer["vectors"]] == ["a", "c"]
    assert answer["vectors"][0]["metadata"] == {"genre": "drama"}
    assert answer["vectors"][0]["distance"] == pytest.approx(1 - 1 / (1.01**0.5), abs=1e-5)
    meta = answer["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200
    assert meta["HTTPHeaders"]["content-type"] == "application/json"
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    assert sorted(v["key"] for v in listed["vectors"]) == ["a", "b", "c"]


def test_errors_have_the_service_status_code_and_headers() -> None:
    with mock_s3vectors():
        client = _client()
        with pytest.raises(client.exceptions.NotFoundException) as missing:
            client.get_index(vectorBucketName="nobucket", indexName="noindex")
        seed(client, "films", "plots", VECTORS)
        with pytest.raises(ClientError) as wrong_dimension:
            client.query_vectors(
                vectorBucketName="films", indexName="plots", topK=1, queryVector={"float32": [1.0]}
            )
        # Model violations are caught by botocore before anything is sent, as against AWS.
        with pytest.raises(ParamValidationError):
            client.query_vectors(vectorBucketName="films", indexName="plots", topK=0)
    error = missing.value.response
    assert error["Error"]["Code"] == "NotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "NotFoundException"
    # The same words as the embedded client's, since the same store answers.
    local = LocalS3VectorsClient()
    seed(local, "films", "plots", VECTORS)
    with pytest.raises(ClientError) as direct:
        local.query_vectors(
            vectorBucketName="films", indexName="plots", topK=1, queryVector={"float32": [1.0]}
        )
    assert wrong_dimension.value.response["Error"] == direct.value.response["Error"]
    assert wrong_dimension.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_paginators_are_botocore_own() -> None:
    with mock_s3vectors():
        client = _client()
        seed(client, "many", "items", {f"k{i:03d}": [float(i), 1.0] for i in range(25)})
        pages = list(
            client.get_paginator("list_vectors").paginate(
                vectorBucketName="many", indexName="items", PaginationConfig={"PageSize": 10}
            )
        )
    assert [len(page["vectors"]) for page in pages] == [10, 10, 5]
    assert sorted(v["key"] for page in pages for v in page["vectors"]) == [
        f"k{i:03d}" for i in range(25)
    ]


def test_a_client_made_before_the_block_is_answered_only_inside_it() -> None:
    # A loopback port nobody listens on: after the block the request goes to the wire.
    client = _client(
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with mock_s3vectors():
        client.create_vector_bucket(vectorBucketName="early")
        assert [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]] == [
            "early"
        ]
    with pytest.raises(EndpointConnectionError):
        client.list_vector_buckets()


def test_decorator_gives_each_call_a_fresh_store() -> None:
    @mock_s3vectors()
    def create_and_count() -> int:
        client = _client()
        client.create_vector_bucket(vectorBucketName="same-name")  # no ConflictException
        return len(client.list_vector_buckets()["vectorBuckets"])

    assert create_and_count() == 1
    assert create_and_count() == 1


def test_bare_decorator_works_like_motos_mock_aws() -> None:
    @mock_s3vectors
    def create_and_count() -> int:
        client = _client()
        client.create_vector_bucket(vectorBucketName="same-name")  # no ConflictException
        return len(client.list_vector_buckets()["vectorBuckets"])

    assert create_and_count.__name__ == "create_and_count"
    assert create_and_count() == 1
    assert create_and_count() == 1


async def test_bare_decorator_wraps_async_functions() -> None:
    @mock_s3vectors
    async def count() -> int:
        client = _client()
        seed(client, "films", "plots", VECTORS)
        answer = await asyncio.to_thread(
            client.list_vectors, vectorBucketName="films", indexName="plots"
        )
        return len(answer["vectors"])

    assert await count() == len(VECTORS)


async def test_decorator_wraps_async_functions() -> None:
    @mock_s3vectors()
    async def search() -> list[str]:
        client = _client()
        seed(client, "films", "plots", VECTORS)
        answer = await asyncio.to_thread(
            client.query_vectors,
            vectorBucketName="films",
            indexName="plots",
            topK=1,
            queryVector={"float32": [0.0, 1.0, 0.0]},
        )
        return [v["key"] for v in answer["vectors"]]

    before = os.environ.get("AWS_ACCESS_KEY_ID")
    assert await search() == ["b"]
    # The block ended with the call: the environment is as it was.
    assert os.environ.get("AWS_ACCESS_KEY_ID") == before


def test_environment_is_restored_and_has_no_instance_metadata_inside() -> None:
    before = dict(os.environ)
    with mock_s3vectors():
        assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
        # No credentials configured by the test: boto3.client("s3vectors") just works.
        assert boto3.client("s3vectors").list_vector_buckets()["vectorBuckets"] == []
    assert dict(os.environ) == before


def test_each_region_has_its_own_store_as_from_serve() -> None:
    with mock_s3vectors():
        east, west = _client(), boto3.client("s3vectors", region_name="us-west-2")
        arn = west.create_vector_bucket(vectorBucketName="westy")["vectorBucketArn"]
        assert arn == "arn:aws:s3vectors:us-west-2:000000000000:bucket/westy"
        assert east.list_vector_buckets()["vectorBuckets"] == []
        assert len(west.list_vector_buckets()["vectorBuckets"]) == 1


def test_a_store_directory_outlives_the_block(tmp_path: Path) -> None:
    with mock_s3vectors(tmp_path / "store"):
        seed(_client(), "kept", "notes", {"n1": [1.0, 2.0]})
    with LocalS3VectorsClient(tmp_path / "store") as reopened:
        got = reopened.get_vectors(vectorBucketName="kept", indexName="notes", keys=["n1"])
    assert [v["key"] for v in got["vectors"]] == ["n1"]


def test_a_request_it_cannot_serve_fails_loudly() -> None:
    def misroute(request: Any, **_: Any) -> None:
        request.url = request.url.replace("/ListVectorBuckets", "/NoSuchOperation")

    with mock_s3vectors():
        client = _client()
        client.meta.events.register("before-sign.s3vectors.ListVectorBuckets", misroute)
        with pytest.raises(ClientError) as raised:
            client.list_vector_buckets()
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "/NoSuchOperation" in raised.value.response["Error"]["Message"]


def test_the_store_fans_out_on_threads_under_the_mock() -> None:
    """S3VectorsStore builds its own boto3 client and writes batches from worker threads."""
    with mock_s3vectors() as mock:
        store = S3VectorsStore.from_aws(
            "threads", "docs", DeterministicFakeEmbedding(size=8), region_name="us-east-1"
        )
        mock.client.create_vector_bucket(vectorBucketName="threads")
        ids = store.add_texts([f"text {i}" for i in range(1200)])
        hits = store.similarity_search("text 7", k=1)
        count = len(
            mock.client.list_vectors(vectorBucketName="threads", indexName="docs", maxResults=1000)[
                "vectors"
            ]
        )
    assert len(ids) == 1200
    assert hits[0].page_content == "text 7"
    assert count == 1000


def test_composes_with_moto_for_other_services() -> None:
    moto = pytest.importorskip("moto")
    for outer_is_moto in (True, False):
        first, second = (
            (moto.mock_aws(), mock_s3vectors())
            if outer_is_moto
            else (mock_s3vectors(), moto.mock_aws())
        )
        with first, second:
            mock = first if isinstance(first, mock_s3vectors) else second
            assert isinstance(mock, mock_s3vectors)
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="raw-files")
            s3.put_object(Bucket="raw-files", Key="a.txt", Body=b"hello")
            vectors = _client()
            seed(vectors, "films", "plots", VECTORS)
            hits = vectors.query_vectors(
                vectorBucketName="films",
                indexName="plots",
                topK=1,
                queryVector={"float32": [1.0, 0.0, 0.0]},
            )["vectors"]
            body = s3.get_object(Bucket="raw-files", Key="a.txt")["Body"].read()
            # Our store, not moto's s3vectors, holds the bucket.
            ours = [
                b["vectorBucketName"] for b in mock.client.list_vector_buckets()["vectorBuckets"]
            ]
        assert body == b"hello"
        assert [h["key"] for h in hits] == ["a"]
        assert ours == ["films"]


def test_sessions_made_after_the_import_are_reached_and_inert_outside_a_block() -> None:
    # Credentials are resolved when a client is made: one made before the block brings its own.
    session = boto3.session.Session(
        region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    client = session.client("s3vectors")
    assert _before_send(request=None) is None  # no block: botocore sends as usual
    with mock_s3vectors():
        arn = client.create_vector_bucket(vectorBucketName="own-session")["vectorBucketArn"]
    assert arn.startswith("arn:aws:s3vectors:eu-west-1:")


async def test_aiobotocore_gets_a_clear_refusal_instead_of_the_network() -> None:
    """aiobotocore awaits the response body; the mock's body refuses with the fix."""
    with mock_s3vectors():
        request = _client()._endpoint.create_request(
            {
                "url_path": "/ListVectorBuckets",
                "query_string": "",
                "method": "POST",
                "headers": {},
                "body": b"{}",
                "url": "https://s3vectors.us-east-1.api.aws/ListVectorBuckets",
                "context": {},
            }
        )
        response = _before_send(request=request)
    assert response is not None
    assert response.content == b'{"vectorBuckets":[]}'  # what botocore reads
    with pytest.raises(RuntimeError, match="s3vectors_endpoint"):
        await response.content  # type: ignore[misc]
    assert "aiobotocore" in AIOBOTOCORE_NOT_SERVED
