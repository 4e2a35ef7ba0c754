"""langchain-aws's ``AmazonS3Vectors``, a client nobody here wrote, against the HTTP server."""

from __future__ import annotations

from typing import Any

from langchain_aws.vectorstores import AmazonS3Vectors
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors.local import LocalS3VectorsClient


def test_amazon_s3_vectors_round_trip(
    server_url: str, store: LocalS3VectorsClient, sdk_credentials: dict[str, str]
) -> None:
    store.create_vector_bucket(vectorBucketName="lc-aws")
    vector_store = AmazonS3Vectors(
        vector_bucket_name="lc-aws",
        index_name="notes",
        embedding=DeterministicFakeEmbedding(size=16),
        endpoint_url=server_url,
        region_name="us-east-1",
        **sdk_credentials,
        non_filterable_metadata_keys=["_page_content"],
    )
    texts = ["the cat sat", "dogs bark loudly", "a cat purrs", "birds sing"]
    metadatas: list[dict[str, Any]] = [
        {"animal": "cat"},
        {"animal": "dog"},
        {"animal": "cat"},
        {"animal": "bird"},
    ]
    ids = vector_store.add_texts(texts, metadatas, ids=["n1", "n2", "n3", "n4"])
    assert ids == ["n1", "n2", "n3", "n4"]
    index = store.get_index(vectorBucketName="lc-aws", indexName="notes")["index"]
    assert index["dimension"] == 16

    hits = vector_store.similarity_search("dogs bark loudly", k=1)
    assert [d.page_content for d in hits] == ["dogs bark loudly"]
    assert hits[0].metadata["animal"] == "dog"

    filtered = vector_store.similarity_search("the cat sat", k=4, filter={"animal": "cat"})
    assert {d.page_content for d in filtered} == {"the cat sat", "a cat purrs"}

    got = vector_store.get_by_ids(["n4", "n1"])
    assert {d.page_content for d in got} == {"birds sing", "the cat sat"}

    vector_store.delete(ids=["n1", "n2"])
    listed = store.list_vectors(vectorBucketName="lc-aws", indexName="notes")["vectors"]
    assert sorted(v["key"] for v in listed) == ["n3", "n4"]
