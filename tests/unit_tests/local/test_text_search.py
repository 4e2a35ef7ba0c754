"""Full-text (BM25) and hybrid (RRF) search in the embedded client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.needs("text")

DOCS = {
    "d1": ([1.0, 0.0, 0.0], "The parser raised error E1234 while reading the config file", "db"),
    "d2": ([0.9, 0.1, 0.0], "Configure retries with the max_attempts option", "net"),
    "d3": ([0.0, 1.0, 0.0], "Running parsers in parallel speeds up ingestion", "db"),
    "d4": ([0.0, 0.0, 1.0], "Nothing about that topic at all", "misc"),
    "d5": ([0.7, 0.7, 0.0], "E1234 is raised when a config key is missing", "net"),
}


@pytest.fixture
def text_index(client: Any, bucket: str) -> str:
    client.create_index(
        vectorBucketName=bucket,
        indexName="docs",
        dataType="float32",
        dimension=3,
        distanceMetric="cosine",
        metadataConfiguration={
            "nonFilterableMetadataKeys": ["body"],
            "textSearchConfigurations": [{"metadataKey": "body", "language": "en"}],
        },
    )
    client.put_vectors(
        vectorBucketName=bucket,
        indexName="docs",
        vectors=[
            {"key": k, "data": {"float32": v}, "metadata": {"body": body, "team": team}}
            for k, (v, body, team) in DOCS.items()
        ],
    )
    return "docs"


def q(client: Any, bucket: str, index: str, **kwargs: Any) -> list[dict[str, Any]]:
    kwargs.setdefault("topK", 10)
    return client.query_vectors(
        vectorBucketName=bucket, indexName=index, returnScores=True, **kwargs
    )["vectors"]  # type: ignore[no-any-return]


def test_get_index_reports_text_config(client: Any, bucket: str, text_index: str) -> None:
    config = client.get_index(vectorBucketName=bucket, indexName=text_index)["index"][
        "metadataConfiguration"
    ]
    assert config["textSearchConfigurations"] == [
        {"metadataKey": "body", "language": "en", "status": "ACTIVE"}
    ]


def test_text_only_ranks_by_bm25(client: Any, bucket: str, text_index: str) -> None:
    res = q(
        client, bucket, text_index, queryTexts=[{"text": "E1234 config", "metadataKey": "body"}]
    )
    keys = [r["key"] for r in res]
    assert set(keys) == {"d1", "d5"}
    scores = [r["scores"]["bm25Scores"][0]["score"] for r in res]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)
    assert all(r["scores"]["bm25Scores"][0]["metadataKey"] == "body" for r in res)
    assert all("vectorDistance" not in r["scores"] for r in res)


def test_english_analyser_stems(client: Any, bucket: str, text_index: str) -> None:
    res = q(client, bucket, text_index, queryTexts=[{"text": "parser", "metadataKey": "body"}])
    assert {r["key"] for r in res} == {"d1", "d3"}  # "parsers" stems to "parser"


def test_hybrid_fuses_with_rrf(client: Any, bucket: str, text_index: str) -> None:
    res = q(
        client,
        bucket,
        text_index,
        queryVector={"float32": [0.0, 1.0, 0.0]},
        queryTexts=[{"text": "E1234", "metadataKey": "body"}],
        returnDistance=True,
    )
    by_key = {r["key"]: r for r in res}
    # d5 is 2nd by vector and in the text results: RRF puts it first.
    assert res[0]["key"] == "d5"
    fused = [r["scores"]["fused"] for r in res]
    assert fused == sorted(fused, reverse=True)
    text_rank = [
        r["key"]
        for r in q(
            client, bucket, text_index, queryTexts=[{"text": "E1234", "metadataKey": "body"}]
        )
    ]
    vector_rank = [
        r["key"] for r in q(client, bucket, text_index, queryVector={"float32": [0.0, 1.0, 0.0]})
    ]
    for key, item in by_key.items():
        expected = sum(
            1 / (60 + ranking.index(key) + 1)
            for ranking in (text_rank, vector_rank)
            if key in ranking
        )
        assert item["scores"]["fused"] == pytest.approx(expected)
    assert "vectorDistance" in by_key["d3"]["scores"]
    assert by_key["d3"]["scores"]["bm25Scores"] == []
    assert by_key["d3"]["distance"] == pytest.approx(0.0, abs=1e-6)


def test_filters_apply_before_text_ranking(client: Any, bucket: str, text_index: str) -> None:
    res = q(
        client,
        bucket,
        text_index,
        queryTexts=[{"text": "E1234", "metadataKey": "body"}],
        filter={"team": "net"},
    )
    assert [r["key"] for r in res] == ["d5"]


def test_query_text_on_unsearchable_key(client: Any, bucket: str, text_index: str) -> None:
    with pytest.raises(ClientError) as exc:
        q(client, bucket, text_index, queryTexts=[{"text": "db", "metadataKey": "team"}])
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert "UpdateMetadataConfiguration" in str(exc.value)


def test_upsert_and_delete_update_the_text_index(client: Any, bucket: str, text_index: str) -> None:
    client.put_vectors(
        vectorBucketName=bucket,
        indexName=text_index,
        vectors=[
            {
                "key": "d4",
                "data": {"float32": [0.0, 0.0, 1.0]},
                "metadata": {"body": "now mentions E1234 too", "team": "misc"},
            },
        ],
    )
    client.delete_vectors(vectorBucketName=bucket, indexName=text_index, keys=["d1"])
    res = q(client, bucket, text_index, queryTexts=[{"text": "E1234", "metadataKey": "body"}])
    assert {r["key"] for r in res} == {"d4", "d5"}


def test_upgrade_existing_index_in_place(client: Any, bucket: str) -> None:
    client.create_index(
        vectorBucketName=bucket,
        indexName="plain",
        dataType="float32",
        dimension=3,
        distanceMetric="cosine",
    )
    client.put_vectors(
        vectorBucketName=bucket,
        indexName="plain",
        vectors=[
            {"key": k, "data": {"float32": v}, "metadata": {"body": body}}
            for k, (v, body, _) in DOCS.items()
        ],
    )
    with pytest.raises(ClientError):
        q(client, bucket, "plain", queryTexts=[{"text": "E1234", "metadataKey": "body"}])
    arn = client.update_metadata_configuration(
        vectorBucketName=bucket,
        indexName="plain",
        add={"textSearchConfigurations": [{"metadataKey": "body", "language": "en"}]},
    )["indexArn"]
    assert arn.endswith("/index/plain")
    res = q(client, bucket, "plain", queryTexts=[{"text": "E1234", "metadataKey": "body"}])
    assert {r["key"] for r in res} == {"d1", "d5"}  # existing vectors were backfilled
    with pytest.raises(ClientError) as exc:
        client.update_metadata_configuration(
            vectorBucketName=bucket,
            indexName="plain",
            add={"textSearchConfigurations": [{"metadataKey": "body"}]},
        )
    assert exc.value.response["Error"]["Code"] == "ConflictException"
    client.update_metadata_configuration(
        vectorBucketName=bucket,
        indexName="plain",
        delete={"textSearchConfigurations": [{"metadataKey": "body"}]},
    )
    assert (
        "textSearchConfigurations"
        not in client.get_index(vectorBucketName=bucket, indexName="plain")["index"][
            "metadataConfiguration"
        ]
    )


@pytest.mark.parametrize(
    ("texts", "fragment"),
    [
        ([{"text": "a", "metadataKey": "body"}, {"text": "b", "metadataKey": "body"}], "different"),
        ([{"text": "x" * 1025, "metadataKey": "body"}], "1024"),
        ([{"text": f"t{i}", "metadataKey": f"k{i}"} for i in range(11)], "10"),
    ],
)
def test_query_texts_limits(
    client: Any, bucket: str, text_index: str, texts: list[dict[str, str]], fragment: str
) -> None:
    with pytest.raises(ClientError) as exc:
        q(client, bucket, text_index, queryTexts=texts)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in str(exc.value)


def test_languages(client: Any, bucket: str) -> None:
    client.create_index(
        vectorBucketName=bucket,
        indexName="multi",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
        metadataConfiguration={
            "textSearchConfigurations": [
                {"metadataKey": "fr", "language": "fr"},
                {"metadataKey": "ja", "language": "ja"},
                {"metadataKey": "plain"},
            ]
        },
    )
    client.put_vectors(
        vectorBucketName=bucket,
        indexName="multi",
        vectors=[
            {
                "key": "a",
                "data": {"float32": [1.0, 0.0]},
                "metadata": {
                    "fr": "Élève très motivé",
                    "ja": "東京都の天気予報",
                    "plain": "hello world",
                },
            },
            {
                "key": "b",
                "data": {"float32": [0.0, 1.0]},
                "metadata": {"fr": "autre chose", "ja": "大阪の料理", "plain": "other"},
            },
        ],
    )
    assert [
        r["key"]
        for r in q(client, bucket, "multi", queryTexts=[{"text": "eleve", "metadataKey": "fr"}])
    ] == ["a"]
    assert [
        r["key"]
        for r in q(client, bucket, "multi", queryTexts=[{"text": "天気予報", "metadataKey": "ja"}])
    ] == ["a"]
    assert [
        r["key"]
        for r in q(client, bucket, "multi", queryTexts=[{"text": "WORLD", "metadataKey": "plain"}])
    ] == ["a"]
