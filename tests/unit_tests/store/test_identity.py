"""Embedding identity: an index records the model that built it and refuses another.

The record is three index tags (TagResource / ListTagsForResource, S3 User Guide
"Tagging vector buckets and indexes"; botocore model ``TagsMap``), read once per
store and checked before the first vector search and the first write.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import boto3
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import S3VectorsStore
from langchain_s3vectors.errors import DimensionMismatchError, EmbeddingMismatchError
from langchain_s3vectors.identity import (
    DIMENSION_TAG,
    MODEL_TAG,
    NORMALIZED_TAG,
    EmbeddingIdentity,
)
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread

from .conftest import FaultyClient

MINILM = EmbeddingIdentity("all-MiniLM-L6-v2", 8, normalized=True)
BGE = EmbeddingIdentity("BAAI/bge-small-en-v1.5", 8, normalized=True)


def make(client: Any, identity: EmbeddingIdentity | None, **kwargs: Any) -> S3VectorsStore:
    return S3VectorsStore(
        "kbase",
        "docs",
        DeterministicFakeEmbedding(size=8),
        client=client,
        embedding_identity=identity,
        **kwargs,
    )


def tags(store: S3VectorsStore) -> dict[str, str]:
    arn = store.client.get_index(vectorBucketName="kbase", indexName="docs")["index"]["indexArn"]
    return dict(store.client.list_tags_for_resource(resourceArn=arn)["tags"])


def test_first_write_records_the_identity_and_it_survives_reopening(tmp_path: Path) -> None:
    store = make(LocalS3VectorsClient(str(tmp_path)), MINILM)
    store.add_texts(["cats purr"], ids=["a"])
    assert tags(store) == {
        MODEL_TAG: "all-MiniLM-L6-v2",
        DIMENSION_TAG: "8",
        NORMALIZED_TAG: "true",
    }
    store.client.close()
    reopened = make(LocalS3VectorsClient(str(tmp_path)), None)
    assert reopened.recorded_embedding_identity() == MINILM


def test_another_model_is_refused_for_search_and_write_naming_both(tmp_path: Path) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    make(client, MINILM).add_texts(["cats purr"], ids=["a"])
    other = make(client, BGE)
    with pytest.raises(EmbeddingMismatchError) as raised:
        other.similarity_search("cats")
    message = str(raised.value)
    assert "all-MiniLM-L6-v2" in message
    assert "BAAI/bge-small-en-v1.5" in message
    assert "new index" in message
    assert "allow_embedding_change=True" in message
    assert "\n" not in message
    with pytest.raises(EmbeddingMismatchError):
        other.add_texts(["dogs bark"], ids=["b"])
    assert other.get_by_ids(["b"]) == []  # nothing was written
    with pytest.raises(EmbeddingMismatchError):
        other.max_marginal_relevance_search("cats")
    assert [d.id for d, _ in other.fulltext_search("cats")] == ["a"]  # no vectors involved


async def test_async_searches_are_checked_too(tmp_path: Path) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    make(client, MINILM).add_texts(["cats purr"], ids=["a"])
    with pytest.raises(EmbeddingMismatchError):
        await make(client, BGE).asimilarity_search("cats")
    with pytest.raises(EmbeddingMismatchError):
        await make(client, BGE).ahybrid_search("cats")
    assert [d.id for d in await make(client, MINILM).asimilarity_search("cats", k=1)] == ["a"]


def test_same_model_by_another_name_or_backend_is_accepted(tmp_path: Path) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    make(client, MINILM).add_texts(["cats purr"], ids=["a"])
    alias = EmbeddingIdentity("sentence-transformers/all-MiniLM-L6-v2", None, normalized=True)
    assert [d.id for d in make(client, alias).similarity_search("cats", k=1)] == ["a"]


def test_allowed_change_warns_then_records_the_new_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    make(client, MINILM).add_texts(["cats purr"], ids=["a"])
    changed = make(client, BGE, allow_embedding_change=True)
    with caplog.at_level(logging.WARNING, logger="langchain_s3vectors"):
        assert [d.id for d in changed.similarity_search("cats", k=1)] == ["a"]
    assert "allow_embedding_change" in caplog.text
    changed.add_texts(["cats purr"], ids=["a"])
    assert tags(changed)[MODEL_TAG] == "BAAI/bge-small-en-v1.5"
    with pytest.raises(EmbeddingMismatchError):
        make(client, MINILM).similarity_search("cats")


def test_another_dimension_cannot_be_allowed(tmp_path: Path) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    make(client, MINILM).add_texts(["cats purr"], ids=["a"])
    wide = EmbeddingIdentity("all-mpnet-base-v2", 768, normalized=True)
    with pytest.raises(DimensionMismatchError, match="768"):
        make(client, wide, allow_embedding_change=True).check_embedding_identity()


def test_an_index_without_a_record_keeps_working_and_gets_one_on_write(tmp_path: Path) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    legacy = make(client, None)  # as before identities were recorded
    legacy.add_texts(["cats purr"], ids=["a"])
    assert tags(legacy) == {}
    store = make(client, MINILM)
    assert [d.id for d in store.similarity_search("cats", k=1)] == ["a"]
    assert tags(store) == {}  # a search records nothing
    store.add_texts(["dogs bark"], ids=["b"])
    assert tags(store)[MODEL_TAG] == "all-MiniLM-L6-v2"


def test_an_index_without_a_record_and_another_dimension_is_refused(tmp_path: Path) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    make(client, None).add_texts(["cats purr"], ids=["a"])
    wide = EmbeddingIdentity("all-mpnet-base-v2", 768, normalized=True)
    with pytest.raises(DimensionMismatchError, match="8-dimensional"):
        make(client, wide).check_embedding_identity()


def test_the_record_is_read_once_per_store_not_per_query(faulty: Any, tmp_path: Path) -> None:
    make(LocalS3VectorsClient(str(tmp_path)), MINILM).add_texts(["cats", "dogs"], ids=["a", "b"])
    client: FaultyClient = faulty(inner=LocalS3VectorsClient(str(tmp_path)))
    store = make(client, MINILM)
    for _ in range(5):
        store.similarity_search("cats", k=1)
    store.max_marginal_relevance_search("dogs", k=1)
    store.add_texts(["fish"], ids=["c"])
    assert client.count("list_tags_for_resource") == 1
    assert client.count("get_index") == 1
    assert client.count("tag_resource") == 0  # already recorded
    assert client.count("query_vectors") == 6


def test_denied_tag_permissions_warn_once_and_the_store_still_works(
    faulty: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client: FaultyClient = faulty(deny={"list_tags_for_resource", "tag_resource"})
    store = make(client, MINILM)
    with caplog.at_level(logging.WARNING, logger="langchain_s3vectors"):
        store.add_texts(["cats purr"], ids=["a"])
        assert [d.id for d in store.similarity_search("cats", k=1)] == ["a"]
    assert "s3vectors:ListTagsForResource" in caplog.text
    assert "s3vectors:TagResource" in caplog.text
    assert caplog.text.count("s3vectors:ListTagsForResource") == 1


def test_the_record_travels_over_the_wire_as_aws_serves_it() -> None:
    """boto3 over HTTP: TagResource/ListTagsForResource as on AWS (REST-JSON, /tags/{arn})."""
    with LocalS3VectorsClient() as local, serve_in_thread(local) as url:
        client = boto3.client(
            "s3vectors",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        make(client, MINILM).add_texts(["cats purr"], ids=["a"])
        with pytest.raises(EmbeddingMismatchError, match="all-MiniLM-L6-v2"):
            make(client, BGE).similarity_search("cats")
        assert make(local, None).recorded_embedding_identity() == MINILM


def test_identity_describes_and_compares() -> None:
    assert EmbeddingIdentity("/opt/models/all-MiniLM-L6-v2").model == "all-MiniLM-L6-v2"
    assert EmbeddingIdentity("BAAI/bge-small-en-v1.5").model == "BAAI/bge-small-en-v1.5"
    raw = EmbeddingIdentity("m", 8, normalized=False)
    assert raw.differences(EmbeddingIdentity("M", 8, normalized=True)) == ["normalisation"]
    assert EmbeddingIdentity.from_tags({}) is None
