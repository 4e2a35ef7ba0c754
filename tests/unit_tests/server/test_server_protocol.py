"""boto3 against the HTTP server on loopback: the S3 Vectors wire protocol, end to end."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import create_app, is_loopback, serve_in_thread, warn_if_exposed

DIM = 3


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def vec(key: str, values: list[float], **metadata: Any) -> dict[str, Any]:
    return {"key": key, "data": {"float32": values}, "metadata": metadata}


@pytest.fixture
def index(s3v: Any) -> tuple[str, str]:
    s3v.create_vector_bucket(vectorBucketName="films")
    s3v.create_index(
        vectorBucketName="films",
        indexName="movies",
        dataType="float32",
        dimension=DIM,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["body"]},
    )
    s3v.put_vectors(
        vectorBucketName="films",
        indexName="movies",
        vectors=[
            vec("alien", [1.0, 0.0, 0.0], genre="horror", year=1979, body="in space"),
            vec("heat", [0.0, 1.0, 0.0], genre="crime", year=1995),
            vec("se7en", [0.0, 0.9, 0.1], genre="crime", year=1995),
            vec("up", [0.0, 0.0, 1.0], genre="family", year=2009, tags=["a", "b"]),
        ],
    )
    return "films", "movies"


def test_bucket_and_index_lifecycle(s3v: Any) -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    arn = s3v.create_vector_bucket(vectorBucketName="life-cycle")["vectorBucketArn"]
    assert arn.endswith(":bucket/life-cycle")
    bucket = s3v.get_vector_bucket(vectorBucketName="life-cycle")["vectorBucket"]
    assert bucket["vectorBucketName"] == "life-cycle"
    # Timestamps travel as epoch seconds and come back as aware datetimes.
    assert isinstance(bucket["creationTime"], dt.datetime)
    assert before <= bucket["creationTime"] <= dt.datetime.now(dt.UTC)
    index_arn = s3v.create_index(
        vectorBucketName="life-cycle",
        indexName="docs",
        dataType="float32",
        dimension=8,
        distanceMetric="euclidean",
    )["indexArn"]
    info = s3v.get_index(indexArn=index_arn)["index"]
    assert (info["indexName"], info["dimension"], info["distanceMetric"]) == (
        "docs",
        8,
        "euclidean",
    )
    listed = s3v.list_indexes(vectorBucketName="life-cycle")["indexes"]
    assert [i["indexName"] for i in listed] == ["docs"]
    assert isinstance(listed[0]["creationTime"], dt.datetime)
    s3v.delete_index(vectorBucketName="life-cycle", indexName="docs")
    assert s3v.list_indexes(vectorBucketName="life-cycle")["indexes"] == []
    s3v.delete_vector_bucket(vectorBucketName="life-cycle")
    names = [b["vectorBucketName"] for b in s3v.list_vector_buckets()["vectorBuckets"]]
    assert "life-cycle" not in names


def test_put_get_list_delete(s3v: Any, index: tuple[str, str]) -> None:
    bucket, name = index
    got = s3v.get_vectors(
        vectorBucketName=bucket,
        indexName=name,
        keys=["up", "missing", "alien"],
        returnData=True,
        returnMetadata=True,
    )["vectors"]
    by_key = {v["key"]: v for v in got}
    assert set(by_key) == {"up", "alien"}
    assert by_key["up"]["data"]["float32"] == [0.0, 0.0, 1.0]
    assert by_key["up"]["metadata"] == {"genre": "family", "year": 2009, "tags": ["a", "b"]}
    response = s3v.list_vectors(vectorBucketName=bucket, indexName=name)
    assert response["ResponseMetadata"]["RequestId"]
    listed = response["vectors"]
    assert sorted(v["key"] for v in listed) == ["alien", "heat", "se7en", "up"]
    assert all("data" not in v and "metadata" not in v for v in listed)
    s3v.delete_vectors(vectorBucketName=bucket, indexName=name, keys=["heat", "nope"])
    listed = s3v.list_vectors(vectorBucketName=bucket, indexName=name)["vectors"]
    assert sorted(v["key"] for v in listed) == ["alien", "se7en", "up"]


def test_put_is_upsert_over_http(s3v: Any, index: tuple[str, str]) -> None:
    bucket, name = index
    s3v.put_vectors(
        vectorBucketName=bucket, indexName=name, vectors=[vec("up", [0.5, 0.5, 0.0], genre="x")]
    )
    got = s3v.get_vectors(
        vectorBucketName=bucket, indexName=name, keys=["up"], returnData=True, returnMetadata=True
    )["vectors"]
    assert got == [{"key": "up", "data": {"float32": [0.5, 0.5, 0.0]}, "metadata": {"genre": "x"}}]


def test_query_with_filter_and_distance(s3v: Any, index: tuple[str, str]) -> None:
    bucket, name = index
    result = s3v.query_vectors(
        vectorBucketName=bucket,
        indexName=name,
        topK=3,
        queryVector={"float32": [0.0, 1.0, 0.0]},
        filter={"$and": [{"genre": "crime"}, {"year": {"$gte": 1990}}]},
        returnMetadata=True,
        returnDistance=True,
    )
    keys = [v["key"] for v in result["vectors"]]
    assert keys == ["heat", "se7en"]
    assert result["vectors"][0]["distance"] == pytest.approx(0.0, abs=1e-6)
    assert result["vectors"][0]["metadata"] == {"genre": "crime", "year": 1995}
    assert result["distanceMetric"] == "cosine"
    nothing = s3v.query_vectors(
        vectorBucketName=bucket,
        indexName=name,
        topK=3,
        queryVector={"float32": [0.0, 1.0, 0.0]},
        filter={"genre": {"$in": ["western"]}},
    )
    assert nothing["vectors"] == []


def test_paging_over_http(s3v: Any) -> None:
    s3v.create_vector_bucket(vectorBucketName="paged")
    s3v.create_index(
        vectorBucketName="paged",
        indexName="many",
        dataType="float32",
        dimension=2,
        distanceMetric="euclidean",
    )
    s3v.put_vectors(
        vectorBucketName="paged",
        indexName="many",
        vectors=[vec(f"k{i:03d}", [float(i), 1.0]) for i in range(25)],
    )
    keys: list[str] = []
    pages = 0
    paginator = s3v.get_paginator("list_vectors")
    for page in paginator.paginate(
        vectorBucketName="paged", indexName="many", PaginationConfig={"PageSize": 10}
    ):
        pages += 1
        assert len(page["vectors"]) <= 10
        keys += [v["key"] for v in page["vectors"]]
    assert pages == 3
    assert sorted(keys) == [f"k{i:03d}" for i in range(25)]


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        ("get_vector_bucket", {"vectorBucketName": "no-such-bucket"}),
        ("get_index", {"vectorBucketName": "no-such-bucket", "indexName": "idx"}),
        (
            "query_vectors",
            {
                "vectorBucketName": "no-such-bucket",
                "indexName": "idx",
                "topK": 1,
                "queryVector": {"float32": [1.0]},
            },
        ),
    ],
)
def test_not_found_is_404(s3v: Any, call: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        getattr(s3v, call)(**kwargs)
    assert code_of(exc) == ("NotFoundException", 404)
    assert isinstance(exc.value, s3v.exceptions.NotFoundException)
    assert exc.value.response["Error"]["Message"]


def test_conflict_is_409(s3v: Any, index: tuple[str, str]) -> None:
    bucket, _ = index
    with pytest.raises(s3v.exceptions.ConflictException) as exc:
        s3v.create_vector_bucket(vectorBucketName=bucket)
    assert code_of(exc) == ("ConflictException", 409)
    with pytest.raises(ClientError) as exc:
        s3v.delete_vector_bucket(vectorBucketName=bucket)
    assert code_of(exc) == ("ConflictException", 409)


def test_service_validation_is_400(s3v: Any, index: tuple[str, str]) -> None:
    bucket, name = index
    with pytest.raises(s3v.exceptions.ValidationException) as exc:
        s3v.put_vectors(vectorBucketName=bucket, indexName=name, vectors=[vec("bad", [1.0, 2.0])])
    assert code_of(exc) == ("ValidationException", 400)
    assert "dimension" in exc.value.response["Error"]["Message"]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_reach_the_store_as_floats(
    s3v: Any, index: tuple[str, str], bad: float
) -> None:
    # botocore writes NaN and infinities as JSON strings; the server turns them back
    # into floats, so the store rejects the value itself, not its type.
    bucket, name = index
    with pytest.raises(ClientError) as exc:
        s3v.query_vectors(
            vectorBucketName=bucket, indexName=name, topK=1, queryVector={"float32": [bad, 0, 1]}
        )
    assert code_of(exc) == ("ValidationException", 400)
    assert "finite" in exc.value.response["Error"]["Message"]
    assert "type" not in exc.value.response["Error"]["Message"]


def test_server_side_param_validation_is_400(endpoint_url: str, make_client: Any) -> None:
    # With client-side validation off, the store's own botocore validator rejects the
    # call, and the server answers 400 ValidationException.
    raw = make_client(endpoint_url, parameter_validation=False)
    with pytest.raises(ClientError) as exc:
        raw.create_vector_bucket(vectorBucketName="x")
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        raw.list_vector_buckets(maxResults=0)
    assert code_of(exc) == ("ValidationException", 400)


def test_client_side_validation_never_reaches_the_server(s3v: Any) -> None:
    with pytest.raises(ParamValidationError):
        s3v.create_vector_bucket(vectorBucketName="x")


def test_tags_routes(s3v: Any, index: tuple[str, str]) -> None:
    bucket, name = index
    arn = s3v.get_index(vectorBucketName=bucket, indexName=name)["index"]["indexArn"]
    s3v.tag_resource(resourceArn=arn, tags={"team": "search", "env": "dev", "tier": "1"})
    s3v.untag_resource(resourceArn=arn, tagKeys=["env", "tier"])
    assert s3v.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "search"}


def test_policy_round_trip(s3v: Any, index: tuple[str, str]) -> None:
    bucket, _ = index
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    s3v.put_vector_bucket_policy(vectorBucketName=bucket, policy=policy)
    assert s3v.get_vector_bucket_policy(vectorBucketName=bucket)["policy"] == policy


def test_unknown_route_and_bad_json(open_endpoint_url: str) -> None:
    request = urllib.request.Request(
        f"{open_endpoint_url}/NoSuchOperation", data=b"{}", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request)
    assert exc.value.code == 404
    assert exc.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    request = urllib.request.Request(
        f"{open_endpoint_url}/ListVectorBuckets", data=b"{not json", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request)
    assert exc.value.code == 400
    assert exc.value.headers["x-amzn-ErrorType"] == "SerializationException"
    assert "message" in json.loads(exc.value.read())


def test_any_credentials_are_accepted(open_endpoint_url: str) -> None:
    other = boto3.client(
        "s3vectors",
        endpoint_url=open_endpoint_url,
        region_name="eu-west-3",
        aws_access_key_id="someone-else",
        aws_secret_access_key="wrong",
    )
    assert other.list_vector_buckets()["vectorBuckets"] == []


def test_persistent_store_directory_over_http(tmp_path: Any, make_client: Any) -> None:
    with serve_in_thread(tmp_path / "store") as url:
        make_client(url).create_vector_bucket(vectorBucketName="kept")
    with LocalS3VectorsClient(tmp_path / "store") as reopened:
        names = [b["vectorBucketName"] for b in reopened.list_vector_buckets()["vectorBuckets"]]
    assert names == ["kept"]


def test_routes_come_from_the_service_model() -> None:
    app = create_app(None)
    paths = {getattr(route, "path", "") for route in app.routes}
    assert {"/PutVectors", "/QueryVectors", "/tags/{resourceArn:path}"} <= paths
    assert len([p for p in paths if p.startswith("/") and "{" not in p]) == 19


def test_exposed_host_logs_a_loud_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    with caplog.at_level(logging.WARNING, logger="langchain_s3vectors.server"):
        warn_if_exposed("127.0.0.1")
        assert caplog.records == []
        warn_if_exposed("0.0.0.0")
    assert "UNAUTHENTICATED" in caplog.text


def test_added_latency_does_not_serialize_requests(make_client: Any) -> None:
    with LocalS3VectorsClient() as local, serve_in_thread(local, latency_ms=400) as url:
        client = make_client(url, max_pool_connections=8)
        client.list_vector_buckets()  # connect once before timing
        start = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.list_vector_buckets(), range(8)))
        elapsed = time.perf_counter() - start
    assert all(a["vectorBuckets"] == [] for a in answers)
    assert 0.4 <= elapsed < 8 * 0.4 / 2  # every call waited, but not one after another
