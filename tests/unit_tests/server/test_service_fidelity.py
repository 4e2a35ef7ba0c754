"""What the served endpoint answers that only the wire can show: payload limit, error form."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread


def _post(url: str, body: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_request_over_20_mib_is_refused(
    open_endpoint_url: str, local_client: LocalS3VectorsClient
) -> None:
    """Limitations page: "Request payload size: Up to 20 MiB". The model has no error
    shape for it; the endpoint answers ValidationException (400) and writes nothing."""
    local_client.create_vector_bucket(vectorBucketName="big")
    local_client.create_index(
        vectorBucketName="big", indexName="idx", dataType="float32", dimension=4096,
        distanceMetric="euclidean",
    )  # fmt: skip
    vector = {"key": "k", "data": {"float32": [0.123456789012345] * 4096}}
    body = json.dumps({"vectorBucketName": "big", "indexName": "idx", "vectors": [vector] * 1})
    # One vector repeated under distinct keys until the body passes 20 MiB.
    count = (20 * 1024 * 1024) // len(body) + 2
    vectors = [{**vector, "key": f"k{i}"} for i in range(count)]
    payload = json.dumps(
        {"vectorBucketName": "big", "indexName": "idx", "vectors": vectors}
    ).encode()
    assert len(payload) > 20 * 1024 * 1024
    status, headers, answer = _post(f"{open_endpoint_url}/PutVectors", payload)
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert "over the 20 MiB limit" in answer["message"]
    assert local_client.list_vectors(vectorBucketName="big", indexName="idx")["vectors"] == []


def test_local_client_refuses_a_put_over_20_mib() -> None:
    """The same limit in process: a PutVectors whose JSON body would pass 20 MiB."""
    with LocalS3VectorsClient() as client:
        client.create_vector_bucket(vectorBucketName="big")
        client.create_index(
            vectorBucketName="big", indexName="idx", dataType="float32", dimension=4096,
            distanceMetric="euclidean",
        )  # fmt: skip
        values = [1 / 3] * 4096  # 18 characters a value in JSON
        vectors = [{"key": f"k{i}", "data": {"float32": values}} for i in range(300)]
        with pytest.raises(ClientError, match="over the 20 MiB limit") as exc:
            client.put_vectors(vectorBucketName="big", indexName="idx", vectors=vectors)
        assert exc.value.response["Error"]["Code"] == "ValidationException"
        client.put_vectors(vectorBucketName="big", indexName="idx", vectors=vectors[:200])


def test_validation_errors_in_the_service_form(open_endpoint_url: str) -> None:
    """On the wire the service words validation errors itself (``1 validation error
    detected: Value '0' at 'topK' failed to satisfy constraint: ...``) and lists them in
    ``fieldList`` (model, ValidationException); botocore's client-side wording
    ("Parameter validation failed") is boto3's, not the service's."""
    body = {
        "vectorBucketName": "nope",
        "indexName": "nope",
        "topK": 0,
        "queryVector": {"float32": [1.0]},
    }
    status, headers, answer = _post(f"{open_endpoint_url}/QueryVectors", json.dumps(body).encode())
    assert (status, headers["x-amzn-errortype"]) == (400, "ValidationException")
    assert answer["message"] == (
        "1 validation error detected: Value '0' at 'topK' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    assert answer["fieldList"] == [
        {"path": "topK", "message": answer["message"].split("detected: ", 1)[1]}
    ]
    status, _, answer = _post(f"{open_endpoint_url}/CreateVectorBucket", b"{}")
    assert status == 400
    assert answer["message"].startswith("1 validation error detected: Value null at")
    assert answer["fieldList"][0]["path"] == "vectorBucketName"


def test_buckets_are_regional_and_arns_carry_the_callers_region(
    endpoint_url: str, make_client: Any, tmp_path: Any
) -> None:
    """Vector buckets are regional (S3 User Guide, "Vector buckets"): the region of the
    request's signature picks the store, and ARNs name it."""
    east = make_client(endpoint_url)
    paris = boto3.client(
        "s3vectors",
        endpoint_url=endpoint_url,
        region_name="eu-west-3",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    arn = paris.create_vector_bucket(vectorBucketName="paris-only")["vectorBucketArn"]
    assert arn == "arn:aws:s3vectors:eu-west-3:000000000000:bucket/paris-only"
    assert [b["vectorBucketName"] for b in paris.list_vector_buckets()["vectorBuckets"]] == [
        "paris-only"
    ]
    assert east.list_vector_buckets()["vectorBuckets"] == []
    with pytest.raises(ClientError) as exc:
        east.get_vector_bucket(vectorBucketArn=arn)
    assert exc.value.response["Error"]["Code"] == "NotFoundException"
    east.create_vector_bucket(vectorBucketName="paris-only")  # another region, another name space
    assert east.get_vector_bucket(vectorBucketName="paris-only")["vectorBucket"][
        "vectorBucketArn"
    ].startswith("arn:aws:s3vectors:us-east-1:")


def test_other_regions_persist_beside_a_store_directory(tmp_path: Any, make_client: Any) -> None:
    with serve_in_thread(tmp_path / "store") as url:
        boto3.client(
            "s3vectors", endpoint_url=url, region_name="ap-south-1",
            aws_access_key_id="a", aws_secret_access_key="b",
        ).create_vector_bucket(vectorBucketName="mumbai")  # fmt: skip
    assert (tmp_path / "store" / "regions" / "ap-south-1" / "s3vectors.sqlite3").is_file()
    with LocalS3VectorsClient(
        tmp_path / "store" / "regions" / "ap-south-1", region_name="ap-south-1"
    ) as c:
        assert [b["vectorBucketName"] for b in c.list_vector_buckets()["vectorBuckets"]] == [
            "mumbai"
        ]


def test_the_served_store_answers_for_its_own_region(make_client: Any) -> None:
    with LocalS3VectorsClient(region_name="eu-west-1") as store, serve_in_thread(store) as url:
        dublin = boto3.client(
            "s3vectors", endpoint_url=url, region_name="eu-west-1",
            aws_access_key_id="a", aws_secret_access_key="b",
        )  # fmt: skip
        arn = dublin.create_vector_bucket(vectorBucketName="dublin")["vectorBucketArn"]
        assert arn.startswith("arn:aws:s3vectors:eu-west-1:")
        assert [b["vectorBucketName"] for b in store.list_vector_buckets()["vectorBuckets"]] == [
            "dublin"
        ]
        assert make_client(url).list_vector_buckets()["vectorBuckets"] == []
