"""Conformance suite: S3 Vectors semantics, run against every ``client`` backend.

Everything here is what a boto3 user of the real service observes: responses,
limits, error codes and HTTP statuses. The same tables run against the embedded
client, over HTTP, and against real AWS when configured (see ``tests/conftest.py``).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from botocore.exceptions import ClientError, OperationNotPageableError, ParamValidationError

DIM = 4

# Eight vectors with varied metadata; key -> (vector, metadata)
DATA: dict[str, tuple[list[float], dict[str, Any]]] = {
    "m1": (
        [1, 0, 0, 0],
        {"genre": "drama", "year": 2019, "rating": 7.5, "tags": ["a", "b"], "new": False},
    ),
    "m2": (
        [0.9, 0.1, 0, 0],
        {"genre": "comedy", "year": 2020, "rating": 6.0, "tags": ["b"], "new": True},
    ),
    "m3": ([0, 1, 0, 0], {"genre": "drama", "year": 2021, "rating": 8.1, "tags": ["c"]}),
    "m4": ([0, 0.9, 0.1, 0], {"genre": "horror", "year": 2022, "rating": 5.5, "tags": []}),
    "m5": ([0, 0, 1, 0], {"genre": ["drama", "comedy"], "year": 2023, "new": True}),
    "m6": ([0, 0, 0.9, 0.1], {"genre": "documentary", "year": 2024, "rating": 9.0}),
    "m7": ([0, 0, 0, 1], {"year": 2025, "rating": 7.0, "count": 3}),
    "m8": ([0.5, 0.5, 0.5, 0.5], {"genre": "Drama", "year": 2018.5, "tags": ["a"]}),
}

# (filter, expected keys among all eight)
FILTER_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"genre": "drama"}, {"m1", "m3", "m5"}),
    ({"genre": {"$eq": "drama"}}, {"m1", "m3", "m5"}),
    ({"genre": {"$ne": "drama"}}, {"m2", "m4", "m6", "m7", "m8"}),
    ({"year": {"$gt": 2022}}, {"m5", "m6", "m7"}),
    ({"year": {"$gte": 2022}}, {"m4", "m5", "m6", "m7"}),
    ({"year": {"$lt": 2019}}, {"m8"}),
    ({"year": {"$lte": 2019}}, {"m1", "m8"}),
    ({"year": 2019}, {"m1"}),
    ({"year": {"$eq": 2018.5}}, {"m8"}),
    ({"rating": {"$gte": 7.0, "$lt": 8.5}}, {"m1", "m3", "m7"}),
    ({"genre": {"$in": ["comedy", "horror"]}}, {"m2", "m4", "m5"}),
    ({"genre": {"$nin": ["comedy", "horror"]}}, {"m1", "m3", "m6", "m7", "m8"}),
    ({"tags": "a"}, {"m1", "m8"}),
    ({"tags": {"$in": ["c", "b"]}}, {"m1", "m2", "m3"}),
    ({"tags": {"$exists": True}}, {"m1", "m2", "m3", "m4", "m8"}),
    ({"rating": {"$exists": False}}, {"m5", "m8"}),
    ({"new": True}, {"m2", "m5"}),
    ({"new": False}, {"m1"}),
    ({"new": {"$ne": True}}, {"m1", "m3", "m4", "m6", "m7", "m8"}),
    ({"genre": "drama", "year": {"$gt": 2020}}, {"m3", "m5"}),
    ({"$and": [{"genre": "drama"}, {"year": {"$lt": 2021}}]}, {"m1"}),
    ({"$or": [{"genre": "horror"}, {"count": {"$exists": True}}]}, {"m4", "m7"}),
    (
        {"$or": [{"$and": [{"genre": "drama"}, {"rating": {"$gt": 8}}]}, {"year": {"$gte": 2025}}]},
        {"m3", "m7"},
    ),
    ({"genre": "Drama"}, {"m8"}),
    ({"count": 3.0}, {"m7"}),
    ({"year": "2019"}, set()),
    ({"genre": "nothing"}, set()),
]

INVALID_FILTERS: list[Any] = [
    {"year": {"$regex": "20.*"}},
    {"year": {"$gt": "2020"}},
    {"genre": {"$in": []}},
    {"genre": {"$in": "drama"}},
    {"genre": {"$in": [["nested"]]}},
    {"genre": ["drama", "comedy"]},
    {"$and": []},
    {"$or": {"genre": "drama"}},
    {"$not": {"genre": "drama"}},
    {"year": {"$exists": "yes"}},
    {"genre": {"$eq": {"nested": 1}}},
    {"genre": {}},
    {},
    {"body": "anything"},  # non-filterable
]


def put(
    client: Any, bucket: str, index: str, items: dict[str, tuple[list[float], dict[str, Any]]]
) -> None:
    client.put_vectors(
        vectorBucketName=bucket,
        indexName=index,
        vectors=[
            {"key": k, "data": {"float32": [float(x) for x in v]}, "metadata": md}
            for k, (v, md) in items.items()
        ],
    )


@pytest.fixture
def index(client: Any, bucket: str) -> str:
    client.create_index(
        vectorBucketName=bucket,
        indexName="movies",
        dataType="float32",
        dimension=DIM,
        distanceMetric="cosine",
        metadataConfiguration={"nonFilterableMetadataKeys": ["body"]},
    )
    put(client, bucket, "movies", DATA)
    return "movies"


def query(client: Any, bucket: str, index: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("topK", 100)
    kwargs.setdefault("queryVector", {"float32": [1.0, 1.0, 1.0, 1.0]})
    return client.query_vectors(vectorBucketName=bucket, indexName=index, **kwargs)  # type: ignore[no-any-return]


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


# --------------------------------------------------------------------------- filters


@pytest.mark.needs("query")
@pytest.mark.parametrize(("flt", "expected"), FILTER_CASES, ids=[str(c[0]) for c in FILTER_CASES])
def test_filter_cases(
    client: Any, bucket: str, index: str, flt: dict[str, Any], expected: set[str]
) -> None:
    res = query(client, bucket, index, filter=flt)
    assert {v["key"] for v in res["vectors"]} == expected


@pytest.mark.needs("query")
@pytest.mark.parametrize("flt", INVALID_FILTERS, ids=[str(f) for f in INVALID_FILTERS])
def test_invalid_filters_raise_validation(client: Any, bucket: str, index: str, flt: Any) -> None:
    with pytest.raises(ClientError) as exc:
        query(client, bucket, index, filter=flt)
    assert code_of(exc) == ("ValidationException", 400)


@pytest.mark.needs("query")
def test_filter_applies_before_ranking(client: Any, bucket: str, index: str) -> None:
    # Nearest to [1,0,0,0] are m1, m2 (not horror); the only horror is far away,
    # yet topK=1 with the filter still finds it (ENHANCED: filter before search).
    res = query(
        client,
        bucket,
        index,
        topK=1,
        queryVector={"float32": [1.0, 0, 0, 0]},
        filter={"genre": "horror"},
    )
    assert [v["key"] for v in res["vectors"]] == ["m4"]


# --------------------------------------------------------------------------- query


@pytest.mark.needs("query")
def test_exact_cosine_ranking_and_distance(client: Any, bucket: str, index: str) -> None:
    q = [0.8, 0.6, 0.0, 0.0]
    res = query(client, bucket, index, topK=8, queryVector={"float32": q}, returnDistance=True)
    assert res["distanceMetric"] == "cosine"

    def cos_dist(v: list[float]) -> float:
        dot = sum(a * b for a, b in zip(q, v, strict=True))
        return 1 - dot / (math.sqrt(sum(a * a for a in q)) * math.sqrt(sum(b * b for b in v)))

    expected = sorted(DATA, key=lambda k: cos_dist(DATA[k][0]))
    got = [v["key"] for v in res["vectors"]]
    assert got == expected
    for v in res["vectors"]:
        assert v["distance"] == pytest.approx(cos_dist(DATA[v["key"]][0]), abs=1e-5)
        assert "metadata" not in v


@pytest.mark.needs("query")
def test_euclidean_index(client: Any, bucket: str) -> None:
    client.create_index(
        vectorBucketName=bucket,
        indexName="l2-index",
        dataType="float32",
        dimension=2,
        distanceMetric="euclidean",
    )
    put(client, bucket, "l2-index", {"a": ([0, 0], {}), "b": ([3, 4], {}), "c": ([1, 1], {})})
    res = client.query_vectors(
        vectorBucketName=bucket,
        indexName="l2-index",
        topK=3,
        queryVector={"float32": [0.0, 0.0]},
        returnDistance=True,
    )
    assert [v["key"] for v in res["vectors"]] == ["a", "c", "b"]
    assert [round(v["distance"], 4) for v in res["vectors"]] == [0.0, round(math.sqrt(2), 4), 5.0]
    assert res["distanceMetric"] == "euclidean"


@pytest.mark.needs("query")
def test_return_metadata(client: Any, bucket: str, index: str) -> None:
    res = query(
        client, bucket, index, topK=1, queryVector={"float32": [0, 0, 0, 1.0]}, returnMetadata=True
    )
    assert res["vectors"] == [{"key": "m7", "metadata": DATA["m7"][1]}]


@pytest.mark.needs("query", "limits")
@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        # topK is at most 10,000 (botocore changelog 2026-06-16: "returning up to
        # 10,000 results per query").
        ({"topK": 10001}, "topK"),
        ({"queryVector": {"float32": [1.0, 0.0]}}, "dimension"),
        ({"queryVector": {"float32": [0.0, 0.0, 0.0, 0.0]}}, "zero"),
        ({"queryVector": {"float32": [float("nan"), 0.0, 0.0, 1.0]}}, "finite"),
        ({"queryTexts": [{"text": "x", "metadataKey": "genre"}]}, "searchable"),
    ],
)
def test_query_limits(
    client: Any, bucket: str, index: str, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ClientError) as exc:
        query(client, bucket, index, **kwargs)
    assert code_of(exc) == ("ValidationException", 400)
    assert fragment in str(exc.value)


def test_top_k_zero_is_param_validation(client: Any, bucket: str, index: str) -> None:
    with pytest.raises(ParamValidationError):
        query(client, bucket, index, topK=0)


# --------------------------------------------------------------------------- put / get / delete


@pytest.mark.needs("float32")
def test_put_is_upsert_and_float32(client: Any, bucket: str, index: str) -> None:
    put(client, bucket, index, {"m1": ([0.1, 0.2, 0.3, 0.4], {"genre": "updated"})})
    got = client.get_vectors(
        vectorBucketName=bucket, indexName=index, keys=["m1"], returnData=True, returnMetadata=True
    )["vectors"]
    assert len(got) == 1
    assert got[0]["metadata"] == {"genre": "updated"}
    import numpy as np  # noqa: PLC0415

    assert got[0]["data"]["float32"] == np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32).tolist()
    assert got[0]["data"]["float32"][0] != 0.1  # float32-rounded, as the service stores it


def test_get_ignores_missing_and_is_opt_in(client: Any, bucket: str, index: str) -> None:
    got = client.get_vectors(vectorBucketName=bucket, indexName=index, keys=["m2", "nope", "m1"])[
        "vectors"
    ]
    assert sorted(v["key"] for v in got) == ["m1", "m2"]
    assert all(set(v) == {"key"} for v in got)


def test_delete_ignores_missing(client: Any, bucket: str, index: str) -> None:
    client.delete_vectors(vectorBucketName=bucket, indexName=index, keys=["m1", "nope"])
    keys = {
        v["key"] for v in client.list_vectors(vectorBucketName=bucket, indexName=index)["vectors"]
    }
    assert keys == set(DATA) - {"m1"}


@pytest.mark.needs("query")
def test_query_sees_writes_immediately(client: Any, bucket: str, index: str) -> None:
    q = {"float32": [0.0, 0.0, -1.0, 0.0]}
    put(client, bucket, index, {"new": ([0, 0, -1, 0], {"genre": "x"})})
    assert query(client, bucket, index, topK=1, queryVector=q)["vectors"][0]["key"] == "new"
    client.delete_vectors(vectorBucketName=bucket, indexName=index, keys=["new"])
    assert query(client, bucket, index, topK=1, queryVector=q)["vectors"][0]["key"] != "new"
    assert query(client, bucket, index, filter={"genre": "x"})["vectors"] == []


# --------------------------------------------------------------------------- limits


def _vec(key: str, values: list[float] | None = None, metadata: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {"key": key, "data": {"float32": values or [1.0, 0.0, 0.0, 0.0]}}
    if metadata is not None:
        item["metadata"] = metadata
    return item


BAD_PUTS: list[tuple[str, list[dict[str, Any]]]] = [
    ("dimension", [_vec("a", [1.0, 2.0])]),
    ("finite", [_vec("a", [float("nan"), 0.0, 0.0, 1.0])]),
    ("finite", [_vec("a", [float("inf"), 0.0, 0.0, 1.0])]),
    ("finite", [_vec("a", [1e39, 0.0, 0.0, 1.0])]),
    ("zero vector", [_vec("a", [0.0, 0.0, 0.0, 0.0])]),
    ("1024", [_vec("k" * 1025)]),
    ("keys", [_vec("a", metadata={f"k{i}": i for i in range(51)})]),
    ("2048", [_vec("a", metadata={"big": "x" * 2100})]),
    ("40960", [_vec("a", metadata={"body": "x" * 41000})]),
    ("null", [_vec("a", metadata={"x": None})]),
    ("unsupported type", [_vec("a", metadata={"x": {"nested": 1}})]),
    ("list", [_vec("a", metadata={"x": [[1]]})]),
    ("1 to 63", [_vec("a", metadata={"k" * 64: 1})]),
    ("Duplicate", [_vec("a"), _vec("a")]),
    ("500", [_vec(f"v{i}") for i in range(501)]),
]


@pytest.mark.needs("limits")
@pytest.mark.parametrize(("fragment", "vectors"), BAD_PUTS, ids=[b[0] for b in BAD_PUTS])
def test_put_limits_reject_whole_request(
    client: Any, bucket: str, index: str, fragment: str, vectors: list[dict[str, Any]]
) -> None:
    good = _vec("good-one")
    with pytest.raises(ClientError) as exc:
        client.put_vectors(vectorBucketName=bucket, indexName=index, vectors=[good, *vectors])
    assert code_of(exc) == ("ValidationException", 400)
    assert fragment in str(exc.value)
    # nothing of the request was written
    got = client.get_vectors(vectorBucketName=bucket, indexName=index, keys=["good-one", "a"])[
        "vectors"
    ]
    assert got == []


@pytest.mark.needs("limits")
def test_metadata_at_limits_is_accepted(client: Any, bucket: str, index: str) -> None:
    # 40 KB total with a large non-filterable value, 50 keys, a 1024-char key.
    small = {f"k{i}": i for i in range(49)}
    body = "é" * 19000  # 38,000 UTF-8 bytes: size is bytes, not characters
    md = {**small, "body": body}
    key = "k" * 1024
    client.put_vectors(vectorBucketName=bucket, indexName=index, vectors=[_vec(key, metadata=md)])
    got = client.get_vectors(
        vectorBucketName=bucket, indexName=index, keys=[key], returnMetadata=True
    )["vectors"]
    assert got[0]["metadata"] == md
    too_big = {**small, "body": "é" * 20500}
    with pytest.raises(ClientError, match="40960"):
        client.put_vectors(
            vectorBucketName=bucket, indexName=index, vectors=[_vec("x", metadata=too_big)]
        )


@pytest.mark.needs("limits")
@pytest.mark.parametrize(
    ("call", "kwargs", "fragment"),
    [
        ("get_vectors", {"keys": [f"k{i}" for i in range(101)]}, "100"),
        ("delete_vectors", {"keys": [f"k{i}" for i in range(501)]}, "500"),
        ("list_vectors", {"maxResults": 1001}, "1000"),
    ],
)
def test_request_size_limits(
    client: Any, bucket: str, index: str, call: str, kwargs: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ClientError) as exc:
        getattr(client, call)(vectorBucketName=bucket, indexName=index, **kwargs)
    assert code_of(exc) == ("ValidationException", 400)
    assert fragment in str(exc.value)


def test_param_validation_matches_botocore(client: Any, bucket: str, index: str) -> None:
    with pytest.raises(ParamValidationError, match=r"vectors\[0\]\.data\.float32\[1\]"):
        client.put_vectors(
            vectorBucketName=bucket, indexName=index, vectors=[_vec("a", [1.0, "2", 0.0, 0.0])]
        )  # type: ignore[list-item]
    with pytest.raises(ParamValidationError, match="Unknown parameter"):
        client.get_vectors(
            vectorBucketName=bucket, indexName=index, keys=["a"], returnEverything=True
        )
    with pytest.raises(ParamValidationError, match="Missing required parameter"):
        client.put_vectors(vectorBucketName=bucket, indexName=index)
    with pytest.raises(ClientError, match="enum") as exc:
        client.create_index(
            vectorBucketName=bucket,
            indexName="dot",
            dataType="float32",
            dimension=4,
            distanceMetric="dotproduct",
        )
    assert code_of(exc) == ("ValidationException", 400)


# --------------------------------------------------------------------------- resources


@pytest.mark.needs("limits")
@pytest.mark.parametrize(
    "name", ["UPPER", "under_score", "-leading", "trailing-", "a" * 64, "sp ace", "..", "a/b"]
)
def test_invalid_names(client: Any, name: str) -> None:
    with pytest.raises((ClientError, ParamValidationError)):
        client.create_vector_bucket(vectorBucketName=name)


@pytest.mark.needs("limits")
@pytest.mark.parametrize("name", ["../escape", "a/../../b", "..x..", "/etc/passwd"])
def test_names_cannot_escape(client: Any, bucket: str, name: str) -> None:
    with pytest.raises((ClientError, ParamValidationError)):
        client.create_index(
            vectorBucketName=bucket,
            indexName=name,
            dataType="float32",
            dimension=2,
            distanceMetric="cosine",
        )


@pytest.mark.parametrize("dimension", [0, 4097])
def test_dimension_range(client: Any, bucket: str, dimension: int) -> None:
    with pytest.raises((ClientError, ParamValidationError)):
        client.create_index(
            vectorBucketName=bucket,
            indexName="dims",
            dataType="float32",
            dimension=dimension,
            distanceMetric="cosine",
        )


@pytest.mark.needs("limits")
def test_dimension_4096_is_allowed(client: Any, bucket: str) -> None:
    client.create_index(
        vectorBucketName=bucket,
        indexName="wide",
        dataType="float32",
        dimension=4096,
        distanceMetric="cosine",
    )
    assert client.get_index(vectorBucketName=bucket, indexName="wide")["index"]["dimension"] == 4096


@pytest.mark.needs("errors")
def test_duplicate_create_is_conflict_and_keeps_existing(
    client: Any, bucket: str, index: str
) -> None:
    with pytest.raises(ClientError) as exc:
        client.create_index(
            vectorBucketName=bucket,
            indexName=index,
            dataType="float32",
            dimension=8,
            distanceMetric="euclidean",
        )
    assert code_of(exc) == ("ConflictException", 409)
    info = client.get_index(vectorBucketName=bucket, indexName=index)["index"]
    assert (info["dimension"], info["distanceMetric"]) == (DIM, "cosine")
    assert len(client.list_vectors(vectorBucketName=bucket, indexName=index)["vectors"]) == len(
        DATA
    )
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName=bucket)
    assert code_of(exc) == ("ConflictException", 409)


@pytest.mark.needs("bucket-lifecycle")
def test_bucket_with_indexes_cannot_be_deleted(client: Any, bucket: str, index: str) -> None:
    with pytest.raises(ClientError) as exc:
        client.delete_vector_bucket(vectorBucketName=bucket)
    assert code_of(exc) == ("ConflictException", 409)
    client.delete_index(vectorBucketName=bucket, indexName=index)
    client.delete_vector_bucket(vectorBucketName=bucket)
    with pytest.raises(ClientError) as exc:
        client.get_vector_bucket(vectorBucketName=bucket)
    assert code_of(exc) == ("NotFoundException", 404)


@pytest.mark.needs("index-shape")
def test_get_index_shape_and_arn_addressing(client: Any, bucket: str, index: str) -> None:
    info = client.get_index(vectorBucketName=bucket, indexName=index)["index"]
    for field in (
        "creationTime",
        "indexArn",
        "dimension",
        "distanceMetric",
        "metadataConfiguration",
        "indexMode",
        "dataType",
        "vectorBucketName",
        "indexName",
    ):
        assert field in info
    assert info["indexMode"] == "ENHANCED"
    assert info["metadataConfiguration"]["nonFilterableMetadataKeys"] == ["body"]
    by_arn = client.get_index(indexArn=info["indexArn"])["index"]
    assert by_arn["indexName"] == index
    bucket_arn = client.get_vector_bucket(vectorBucketName=bucket)["vectorBucket"][
        "vectorBucketArn"
    ]
    assert info["indexArn"].startswith(bucket_arn + "/index/")
    names = [i["indexName"] for i in client.list_indexes(vectorBucketArn=bucket_arn)["indexes"]]
    assert names == [index]


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        ("get_index", {"vectorBucketName": "missing-bucket", "indexName": "idx"}),
        (
            "put_vectors",
            {"vectorBucketName": "missing-bucket", "indexName": "idx", "vectors": [_vec("a")]},
        ),
        pytest.param(
            "query_vectors",
            {
                "vectorBucketName": "missing-bucket",
                "indexName": "idx",
                "topK": 1,
                "queryVector": {"float32": [1.0]},
            },
            marks=pytest.mark.needs("query"),
        ),
        ("delete_vector_bucket", {"vectorBucketName": "missing-bucket"}),
    ],
)
def test_not_found(client: Any, call: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as exc:
        getattr(client, call)(**kwargs)
    assert code_of(exc) == ("NotFoundException", 404)


@pytest.mark.needs("limits")
def test_too_many_non_filterable_keys(client: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        client.create_index(
            vectorBucketName=bucket,
            indexName="nfk",
            dataType="float32",
            dimension=2,
            distanceMetric="cosine",
            metadataConfiguration={"nonFilterableMetadataKeys": [f"k{i}" for i in range(11)]},
        )
    assert code_of(exc) == ("ValidationException", 400)


@pytest.mark.needs("paging")
def test_list_buckets_and_indexes_paging(client: Any, bucket: str) -> None:
    for i in range(5):
        client.create_index(
            vectorBucketName=bucket,
            indexName=f"idx-{i}",
            dataType="float32",
            dimension=2,
            distanceMetric="cosine",
        )
    seen: list[str] = []
    token = None
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = client.list_indexes(vectorBucketName=bucket, maxResults=2, **kwargs)
        assert len(page["indexes"]) <= 2
        seen += [i["indexName"] for i in page["indexes"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == [f"idx-{i}" for i in range(5)]
    assert [
        i["indexName"]
        for i in client.list_indexes(vectorBucketName=bucket, prefix="idx-3")["indexes"]
    ] == ["idx-3"]
    names = [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]]
    assert bucket in names


def test_policy_and_tags_round_trip(client: Any, bucket: str, index: str) -> None:
    policy = '{"Version": "2012-10-17", "Statement": []}'
    client.put_vector_bucket_policy(vectorBucketName=bucket, policy=policy)
    assert client.get_vector_bucket_policy(vectorBucketName=bucket)["policy"] == policy
    arn = client.get_index(vectorBucketName=bucket, indexName=index)["index"]["indexArn"]
    client.tag_resource(resourceArn=arn, tags={"team": "search", "env": "dev"})
    client.untag_resource(resourceArn=arn, tagKeys=["env"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "search"}


@pytest.mark.needs("index-mode")
def test_classic_mode_unavailable_for_new_buckets(client: Any, bucket: str, index: str) -> None:
    with pytest.raises(ClientError) as exc:
        client.update_index_mode(vectorBucketName=bucket, indexName=index, indexMode="CLASSIC")
    assert code_of(exc) == ("ValidationException", 400)
    client.update_index_mode(vectorBucketName=bucket, indexName=index, indexMode="ENHANCED")
    assert (
        client.get_index(vectorBucketName=bucket, indexName=index)["index"]["indexMode"]
        == "ENHANCED"
    )


# --------------------------------------------------------------------------- paging and segments


@pytest.fixture
def big_index(client: Any, bucket: str) -> str:
    client.create_index(
        vectorBucketName=bucket,
        indexName="big",
        dataType="float32",
        dimension=2,
        distanceMetric="euclidean",
    )
    for start in range(0, 2500, 500):
        client.put_vectors(
            vectorBucketName=bucket,
            indexName="big",
            vectors=[
                {"key": f"key-{i:05d}", "data": {"float32": [float(i), 1.0]}, "metadata": {"i": i}}
                for i in range(start, start + 500)
            ],
        )
    return "big"


@pytest.mark.needs("paging")
def test_list_vectors_pages(client: Any, bucket: str, big_index: str) -> None:
    keys: list[str] = []
    pages = 0
    token = None
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = client.list_vectors(
            vectorBucketName=bucket,
            indexName=big_index,
            maxResults=1000,
            returnMetadata=True,
            **kwargs,
        )
        pages += 1
        assert len(page["vectors"]) <= 1000
        assert all(v["metadata"]["i"] == int(v["key"][4:]) for v in page["vectors"])
        keys += [v["key"] for v in page["vectors"]]
        token = page.get("nextToken")
        if not token:
            break
    assert pages == 3
    assert sorted(keys) == [f"key-{i:05d}" for i in range(2500)]
    assert len(set(keys)) == 2500


@pytest.mark.needs("segments")
@pytest.mark.parametrize("segments", [1, 3, 16])
def test_list_vectors_segments_partition(
    client: Any, bucket: str, big_index: str, segments: int
) -> None:
    parts = []
    for seg in range(segments):
        keys: set[str] = set()
        paginator = client.get_paginator("list_vectors")
        for page in paginator.paginate(
            vectorBucketName=bucket,
            indexName=big_index,
            segmentCount=segments,
            segmentIndex=seg,
            PaginationConfig={"PageSize": 400},
        ):
            keys |= {v["key"] for v in page["vectors"]}
        parts.append(keys)
    union = set().union(*parts)
    assert union == {f"key-{i:05d}" for i in range(2500)}
    assert sum(len(p) for p in parts) == 2500  # disjoint
    if segments > 1:
        assert all(p for p in parts)


@pytest.mark.needs("paging")
def test_paginators_are_botocores_max_items_resume_and_search(
    client: Any, bucket: str, big_index: str
) -> None:
    """``get_paginator`` pages as boto3 does: MaxItems, StartingToken, full result, search.

    botocore's ``paginators-1`` model for s3vectors (ListVectors: ``nextToken`` in and
    out, limit key ``maxResults``, result key ``vectors``) and ``botocore.paginate``:
    MaxItems stops after that many items, mid-page if need be, and the aggregated
    result's ``NextToken`` resumes right after the last item returned.
    """
    paginator = client.get_paginator("list_vectors")
    where = {"vectorBucketName": bucket, "indexName": big_index}
    first = paginator.paginate(
        **where, PaginationConfig={"MaxItems": 700, "PageSize": 300}
    ).build_full_result()
    assert len(first["vectors"]) == 700
    rest = paginator.paginate(
        **where, PaginationConfig={"StartingToken": first["NextToken"], "PageSize": 300}
    ).build_full_result()
    assert "NextToken" not in rest
    keys = [v["key"] for v in first["vectors"] + rest["vectors"]]
    assert len(keys) == len(set(keys)) == 2500
    found = list(
        paginator.paginate(**where, PaginationConfig={"MaxItems": 5}).search("vectors[].key")
    )
    assert found == keys[:5]
    assert client.can_paginate("query_vectors")
    assert not client.can_paginate("put_vectors")
    with pytest.raises(OperationNotPageableError):
        client.get_paginator("put_vectors")


@pytest.mark.needs("segments")
def test_bad_segments(client: Any, bucket: str, big_index: str) -> None:
    with pytest.raises((ClientError, ParamValidationError)):
        client.list_vectors(
            vectorBucketName=bucket, indexName=big_index, segmentCount=17, segmentIndex=0
        )
    with pytest.raises(ClientError):
        client.list_vectors(
            vectorBucketName=bucket, indexName=big_index, segmentCount=4, segmentIndex=4
        )
    with pytest.raises(ClientError):
        client.list_vectors(vectorBucketName=bucket, indexName=big_index, nextToken="not-a-token")


@pytest.mark.needs("query")
def test_query_next_token_pages_through_ranking(client: Any, bucket: str, big_index: str) -> None:
    """topK is the total; pages of 100 linked by nextToken, the same topK on each request.

    S3 User Guide, "Querying vectors": "When topK exceeds the page size, results are
    returned across multiple pages ... until nextToken is no longer present."
    """
    request = {
        "vectorBucketName": bucket,
        "indexName": big_index,
        "topK": 250,
        "queryVector": {"float32": [0.0, 1.0]},
    }
    pages = [client.query_vectors(**request)]
    while "nextToken" in pages[-1]:
        pages.append(client.query_vectors(**request, nextToken=pages[-1]["nextToken"]))
    assert [len(p["vectors"]) for p in pages] == [100, 100, 50]
    keys = [v["key"] for p in pages for v in p["vectors"]]
    assert keys == [f"key-{i:05d}" for i in range(250)]


@pytest.mark.needs("query")
def test_query_next_token_resumes_only_its_own_query(
    client: Any, bucket: str, big_index: str
) -> None:
    """A QueryVectors nextToken is refused for another vector or topK (docs are silent).

    Chosen here: a token resumes the search it was issued for, whatever the spelling of
    the same float32 values (``1`` or ``1.0``); any other search gets a
    ValidationException instead of a page of someone else's ranking.
    """
    request = {
        "vectorBucketName": bucket,
        "indexName": big_index,
        "topK": 250,
        "queryVector": {"float32": [0.0, 1.0]},
    }
    first = client.query_vectors(**request)
    token = first["nextToken"]
    for changed in ({"queryVector": {"float32": [1.0, 0.0]}}, {"topK": 200}):
        with pytest.raises(ClientError) as caught:
            client.query_vectors(**{**request, **changed}, nextToken=token)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
    same = {**request, "queryVector": {"float32": [0, 1]}}
    second = client.query_vectors(**same, nextToken=token)
    assert [v["key"] for v in second["vectors"]] == [f"key-{i:05d}" for i in range(100, 200)]


# --------------------------------------------------------------------------- persistence


@pytest.mark.needs("persistence")
def test_data_survives_restart(client: Any, bucket: str, index: str) -> None:
    from langchain_s3vectors import LocalS3VectorsClient  # noqa: PLC0415

    path = client.path.parent
    client.close()
    reopened = LocalS3VectorsClient(path)
    try:
        res = reopened.query_vectors(
            vectorBucketName=bucket,
            indexName=index,
            topK=2,
            queryVector={"float32": [1.0, 0, 0, 0]},
            filter={"genre": "drama"},
            returnMetadata=True,
        )
        assert [v["key"] for v in res["vectors"]] == ["m1", "m3"]
        assert res["vectors"][0]["metadata"] == DATA["m1"][1]
    finally:
        reopened.close()


# --------------------------------------------------------------------------- paging as documented


@pytest.mark.needs("query")
@pytest.mark.parametrize("top_k", [3, 100])
def test_query_top_k_is_the_number_of_results(
    client: Any, bucket: str, big_index: str, top_k: int
) -> None:
    """topK is the number of results, not a page size: no nextToken once topK have come.

    S3 User Guide, "Querying vectors"; botocore's QueryVectors paginator (no limit key)
    follows nextToken until it is absent, so a page size posing as topK over-fetches.
    """
    paginator = client.get_paginator("query_vectors")
    pages = list(
        paginator.paginate(
            vectorBucketName=bucket,
            indexName=big_index,
            topK=top_k,
            queryVector={"float32": [0.0, 1.0]},
        )
    )
    keys = [v["key"] for p in pages for v in p["vectors"]]
    assert keys == [f"key-{i:05d}" for i in range(top_k)]
    assert "nextToken" not in pages[-1]


@pytest.mark.needs("query", "limits")
def test_top_k_above_ceiling_is_a_service_validation_error(
    client: Any, bucket: str, index: str
) -> None:
    """The service's form: "1 validation error detected: Value ... at 'topK' ...", fieldList.

    Ceiling 10,000: botocore changelog 2026-06-16; fieldList: the model's
    ValidationException shape (``fieldList`` of ``{path, message}``).
    """
    with pytest.raises(ClientError) as exc:
        query(client, bucket, index, topK=10001)
    assert code_of(exc) == ("ValidationException", 400)
    message = exc.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value '10001' at 'topK' failed")
    assert "less than or equal to 10000" in message
    assert [f["path"] for f in exc.value.response["fieldList"]] == ["topK"]


@pytest.mark.needs("paging")
def test_list_vectors_default_page_is_500(client: Any, bucket: str, big_index: str) -> None:
    """Model, ListVectors ``maxResults``: "uses a default value of 500"."""
    page = client.list_vectors(vectorBucketName=bucket, indexName=big_index)
    assert len(page["vectors"]) == 500
    assert page["nextToken"]


@pytest.mark.needs("paging")
def test_list_vectors_page_stops_near_one_megabyte(client: Any, bucket: str) -> None:
    """Model, ListVectors ``maxResults``: a page stops once about 1 MB has been processed.

    120 vectors of 4,096 float32 values are 2 MB of data: one page cannot hold them,
    and following nextToken still yields every vector once.
    """
    client.create_index(
        vectorBucketName=bucket,
        indexName="wide",
        dataType="float32",
        dimension=4096,
        distanceMetric="euclidean",
    )
    for start in range(0, 120, 60):
        client.put_vectors(
            vectorBucketName=bucket,
            indexName="wide",
            vectors=[
                {"key": f"w{i:03d}", "data": {"float32": [float(i) / 7.0] * 4096}}
                for i in range(start, start + 60)
            ],
        )
    seen: list[str] = []
    sizes = []
    token = None
    while True:
        extra = {"nextToken": token} if token else {}
        page = client.list_vectors(
            vectorBucketName=bucket, indexName="wide", maxResults=1000, returnData=True, **extra
        )
        sizes.append(len(page["vectors"]))
        seen += [v["key"] for v in page["vectors"]]
        token = page.get("nextToken")
        if not token:
            break
    assert max(sizes) * 4096 * 4 <= 1.1 * 1024 * 1024
    assert len(sizes) > 1
    assert sorted(seen) == [f"w{i:03d}" for i in range(120)]


@pytest.mark.needs("paging")
def test_list_vectors_tokens_stay_within_the_model_after_long_non_ascii_keys(
    client: Any, bucket: str
) -> None:
    """Tokens are opaque and within the model's ``ListVectorsNextToken`` (max 2,048).

    Keys may be 1,024 characters of any UTF-8 (model ``VectorKey``); paging one key at a
    time must get past each of them, with every token the endpoint accepts back.
    """
    client.create_index(
        vectorBucketName=bucket,
        indexName="long",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
    )
    keys = ["ключ-" * 204 + f"{i:04d}" for i in range(3)] + ["é" * 1024, "短" * 1023 + "a"]
    keys += ["a", "z" * 10]
    client.put_vectors(
        vectorBucketName=bucket,
        indexName="long",
        vectors=[{"key": k, "data": {"float32": [1.0, 0.5]}} for k in keys],
    )
    seen: list[str] = []
    token = None
    while True:
        extra = {"nextToken": token} if token else {}
        page = client.list_vectors(vectorBucketName=bucket, indexName="long", maxResults=1, **extra)
        seen += [v["key"] for v in page["vectors"]]
        token = page.get("nextToken")
        if not token:
            break
        assert len(token) <= 2048
    assert sorted(seen) == sorted(keys)


# --------------------------------------------------------------------------- filters on ENHANCED


STARTS_WITH_CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"genre": {"$startsWith": "dra"}}, {"m1", "m3", "m5"}),
    ({"genre": {"$startsWith": "D"}}, {"m8"}),
    ({"tags": {"$startsWith": "a"}}, {"m1", "m8"}),
    ({"year": {"$startsWith": "20"}}, set()),
    ({"$or": [{"genre": {"$startsWith": "hor"}}, {"genre": {"$startsWith": "doc"}}]}, {"m4", "m6"}),
]


@pytest.mark.needs("query")
@pytest.mark.parametrize(
    ("flt", "expected"), STARTS_WITH_CASES, ids=[str(c[0]) for c in STARTS_WITH_CASES]
)
def test_starts_with_on_enhanced_index(
    client: Any, bucket: str, index: str, flt: dict[str, Any], expected: set[str]
) -> None:
    """``$startsWith``: string prefix, ENHANCED indexes (User Guide, "Changing a vector
    index's mode"). Against a list value it matches when an element starts with it, as
    ``$eq`` does; a number never matches (both: the guide is silent; chosen here)."""
    res = query(client, bucket, index, filter=flt)
    assert {v["key"] for v in res["vectors"]} == expected


@pytest.mark.needs("query", "limits")
@pytest.mark.parametrize("operand", ["", 1, ["dra"]])
def test_starts_with_takes_a_non_empty_string(
    client: Any, bucket: str, index: str, operand: Any
) -> None:
    with pytest.raises(ClientError) as exc:
        query(client, bucket, index, filter={"genre": {"$startsWith": operand}})
    assert code_of(exc) == ("ValidationException", 400)
    assert "$startsWith" in str(exc.value)
    assert "unknown operator" not in str(exc.value)


@pytest.mark.needs("query", "limits")
def test_at_most_100_filter_constraints(client: Any, bucket: str, index: str) -> None:
    """ENHANCED indexes accept at most 100 filter constraints per query (User Guide,
    "Metadata filtering"); each condition on a key counts once."""
    ok = {"$or": [{"year": 2000 + i} for i in range(100)]}
    assert query(client, bucket, index, filter=ok)["vectors"]
    with pytest.raises(ClientError) as exc:
        query(client, bucket, index, filter={"$or": [{"year": i} for i in range(101)]})
    assert code_of(exc) == ("ValidationException", 400)
    assert "101 constraints" in str(exc.value)


# --------------------------------------------------------------------------- smaller differences


@pytest.mark.needs("query")
def test_return_scores_adds_nothing_to_a_vector_only_query(
    client: Any, bucket: str, index: str
) -> None:
    """Model, QueryVectors ``returnScores``: "doesn't add scores to vector-only requests"."""
    res = query(client, bucket, index, topK=3, returnScores=True)
    assert res["vectors"]
    assert all("scores" not in v for v in res["vectors"])


@pytest.mark.needs("text", "limits")
def test_update_metadata_configuration_refuses_add_and_delete(
    client: Any, bucket: str, index: str
) -> None:
    """Model, UpdateMetadataConfiguration: "Specify either add or delete, but not both"."""
    client.update_metadata_configuration(
        vectorBucketName=bucket,
        indexName=index,
        add={"textSearchConfigurations": [{"metadataKey": "body"}]},
    )
    with pytest.raises(ClientError) as exc:
        client.update_metadata_configuration(
            vectorBucketName=bucket,
            indexName=index,
            add={"textSearchConfigurations": [{"metadataKey": "genre"}]},
            delete={"textSearchConfigurations": [{"metadataKey": "body"}]},
        )
    assert code_of(exc) == ("ValidationException", 400)
    configs = client.get_index(vectorBucketName=bucket, indexName=index)["index"][
        "metadataConfiguration"
    ]["textSearchConfigurations"]
    assert [c["metadataKey"] for c in configs] == ["body"]


@pytest.mark.needs("limits")
@pytest.mark.parametrize("name", ["my.bucket", "a.b.c", "kb.local"])
def test_bucket_names_have_no_dots(client: Any, name: str) -> None:
    """User Guide, "Vector bucket naming rules": lowercase letters, digits, hyphens only."""
    with pytest.raises(ClientError) as exc:
        client.create_vector_bucket(vectorBucketName=name)
    assert code_of(exc) == ("ValidationException", 400)


@pytest.mark.needs("limits")
def test_tag_rules(client: Any, bucket: str, index: str) -> None:
    """TagResource (model): "You can add up to 50 tags for each resource"; keys starting
    with ``aws:`` are reserved for AWS (User Guide, "Tagging for cost allocation or
    attribute-based access control (ABAC)")."""
    arn = client.get_index(vectorBucketName=bucket, indexName=index)["index"]["indexArn"]
    client.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    with pytest.raises(ClientError) as exc:
        client.tag_resource(resourceArn=arn, tags={"one-more": "v"})
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        client.tag_resource(resourceArn=arn, tags={"aws:owner": "me"})
    assert code_of(exc) == ("ValidationException", 400)
    assert len(client.list_tags_for_resource(resourceArn=arn)["tags"]) == 50


@pytest.mark.needs("limits")
@pytest.mark.parametrize("policy", ['"just a string"', "[1, 2]", '{"Version": "2012-10-17"}'])
def test_policy_must_be_a_policy_document(client: Any, bucket: str, policy: str) -> None:
    """PutVectorBucketPolicy takes a policy document (User Guide, "Managing vector bucket
    policies"): a JSON object with a ``Statement``."""
    with pytest.raises(ClientError) as exc:
        client.put_vector_bucket_policy(vectorBucketName=bucket, policy=policy)
    assert code_of(exc) == ("ValidationException", 400)


@pytest.mark.needs("limits")
def test_arn_of_another_region_is_not_found(client: Any, bucket: str, index: str) -> None:
    """Vector buckets are regional (User Guide, "Vector buckets"): a bucket is not found
    through an ARN naming another region."""
    arn = client.get_index(vectorBucketName=bucket, indexName=index)["index"]["indexArn"]
    region = arn.split(":")[3]
    other = arn.replace(f":{region}:", ":eu-west-3:" if region != "eu-west-3" else ":us-west-2:")
    with pytest.raises(ClientError) as exc:
        client.get_index(indexArn=other)
    assert code_of(exc) == ("NotFoundException", 404)


@pytest.mark.needs("paging")
def test_list_vectors_skips_nothing_when_the_token_key_is_deleted(client: Any, bucket: str) -> None:
    """The documentation is silent on writes between pages; chosen here: a token still
    works after the vector it points past is deleted, and no remaining key is skipped."""
    client.create_index(
        vectorBucketName=bucket,
        indexName="churn",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
    )
    keys = ["ж" * 900 + f"{i}" for i in range(4)] + ["a" * 10 + f"{i}" for i in range(3)]
    client.put_vectors(
        vectorBucketName=bucket,
        indexName="churn",
        vectors=[{"key": k, "data": {"float32": [1.0, 0.5]}} for k in keys],
    )
    where = {"vectorBucketName": bucket, "indexName": "churn"}
    first = client.list_vectors(**where, maxResults=4)
    listed = [v["key"] for v in first["vectors"]]
    client.delete_vectors(**where, keys=[listed[-1]])
    rest = client.list_vectors(**where, nextToken=first["nextToken"])
    assert set(listed[:-1]) | {v["key"] for v in rest["vectors"]} == set(keys) - {listed[-1]}
