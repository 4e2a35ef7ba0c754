"""langchain-aws's AmazonS3Vectors, unchanged, building its own boto3 client under the mock."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors.testing import mock_s3vectors

langchain_aws = pytest.importorskip("langchain_aws.vectorstores")


def _store() -> Any:
    # No client, no endpoint: AmazonS3Vectors makes boto3.client("s3vectors") itself.
    return langchain_aws.AmazonS3Vectors(
        vector_bucket_name="lc-aws",
        index_name="notes",
        embedding=DeterministicFakeEmbedding(size=16),
        region_name="us-east-1",
        non_filterable_metadata_keys=["_page_content"],
    )


@mock_s3vectors()
def test_amazon_s3_vectors_runs_its_own_calls_under_the_mock() -> None:
    store = _store()
    assert store.client.meta.endpoint_url.startswith("https://s3vectors.us-east-1.")  # AWS
    store.client.create_vector_bucket(vectorBucketName="lc-aws")
    docs = [
        Document(page_content="the cat sat", metadata={"animal": "cat"}),
        Document(page_content="dogs bark loudly", metadata={"animal": "dog"}),
        Document(page_content="a cat purrs", metadata={"animal": "cat"}),
        Document(page_content="birds sing", metadata={"animal": "bird"}),
    ]
    assert store.add_documents(docs, ids=["n1", "n2", "n3", "n4"]) == ["n1", "n2", "n3", "n4"]
    index = store.client.get_index(vectorBucketName="lc-aws", indexName="notes")["index"]
    assert index["dimension"] == 16
    hits = store.similarity_search("dogs bark loudly", k=1)
    assert [d.page_content for d in hits] == ["dogs bark loudly"]
    assert hits[0].metadata["animal"] == "dog"
    filtered = store.similarity_search("the cat sat", k=4, filter={"animal": "cat"})
    assert {d.page_content for d in filtered} == {"the cat sat", "a cat purrs"}
    scored = store.similarity_search_with_score("birds sing", k=2)
    assert scored[0][0].page_content == "birds sing"
    assert scored[0][1] == pytest.approx(0.0, abs=1e-5)
    got = store.get_by_ids(["n4", "n1"])
    assert {d.page_content for d in got} == {"birds sing", "the cat sat"}
    store.delete(ids=["n1", "n2"])
    listed = store.client.list_vectors(vectorBucketName="lc-aws", indexName="notes")["vectors"]
    assert sorted(v["key"] for v in listed) == ["n3", "n4"]


async def test_amazon_s3_vectors_async_methods_under_the_mock() -> None:
    with mock_s3vectors() as mock:
        mock.client.create_vector_bucket(vectorBucketName="lc-aws")
        store = _store()
        ids = await store.aadd_texts(["alpha beta", "gamma delta"], ids=["x", "y"])
        hits = await store.asimilarity_search("gamma delta", k=1)
        held = mock.client.list_vectors(vectorBucketName="lc-aws", indexName="notes")
    assert ids == ["x", "y"]
    assert [d.page_content for d in hits] == ["gamma delta"]
    assert sorted(v["key"] for v in held["vectors"]) == ["x", "y"]
