"""A client nobody here wrote: langchain-aws's AmazonS3Vectors on the embedded client."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import LocalS3VectorsClient

langchain_aws = pytest.importorskip("langchain_aws.vectorstores")


def test_amazon_s3_vectors_add_get_search() -> None:
    client = LocalS3VectorsClient()
    client.create_vector_bucket(vectorBucketName="crosscheck")
    store = langchain_aws.AmazonS3Vectors(
        vector_bucket_name="crosscheck",
        index_name="docs",
        embedding=DeterministicFakeEmbedding(size=16),
        client=client,
    )
    docs = [
        Document(page_content="the cat sat on the mat", metadata={"animal": "cat", "n": 1}),
        Document(page_content="dogs chase balls", metadata={"animal": "dog", "n": 2}),
        Document(page_content="birds fly south", metadata={"animal": "bird", "n": 3}),
    ]
    ids = store.add_documents(docs, ids=["c", "d", "b"])
    assert ids == ["c", "d", "b"]
    # The index it created is ours: dimension from the embedding, page content stored.
    info = client.get_index(vectorBucketName="crosscheck", indexName="docs")["index"]
    assert info["dimension"] == 16
    got = store.get_by_ids(["d", "c"])
    assert sorted(d.page_content for d in got) == ["dogs chase balls", "the cat sat on the mat"]
    hits = store.similarity_search("dogs chase balls", k=1)
    assert hits[0].page_content == "dogs chase balls"
    assert hits[0].metadata["animal"] == "dog"
    filtered = store.similarity_search("dogs chase balls", k=3, filter={"n": {"$gte": 2}})
    assert {d.metadata["animal"] for d in filtered} == {"dog", "bird"}
    scored = store.similarity_search_with_score("birds fly south", k=3)
    assert scored[0][0].page_content == "birds fly south"
    assert scored[0][1] == pytest.approx(0.0, abs=1e-5)
    store.delete(ids=["b"])
    assert [d.page_content for d in store.similarity_search("birds fly south", k=3)].count(
        "birds fly south"
    ) == 0
