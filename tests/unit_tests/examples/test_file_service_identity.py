"""The file service with a model other than the one its index records.

The record is the index's embedding-identity tags (see ``langchain_s3vectors.identity``).
An upload then fails with ``503`` (the server's configuration, not the request, is at
fault) and the one-line reason naming both models; nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import file_service
from fastapi.testclient import TestClient
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import S3VectorsStore
from langchain_s3vectors.identity import EmbeddingIdentity


def store(path: Path, model: str) -> S3VectorsStore:
    return S3VectorsStore.local(
        path,
        DeterministicFakeEmbedding(size=8),
        embedding_identity=EmbeddingIdentity(model, 8, normalized=True),
    )


def test_an_upload_with_another_model_is_a_503_naming_both_models(tmp_path: Path) -> None:
    first = store(tmp_path, "all-MiniLM-L6-v2")
    first.add_texts(["built by the first model"], ids=["seed"])
    first.client.close()
    other = store(tmp_path, "BAAI/bge-small-en-v1.5")
    client = TestClient(file_service.create_app(other), raise_server_exceptions=False)
    upload = {"file": ("notes.md", b"Readers continue while a writer commits.", "text/plain")}
    answer = client.post("/files", files=upload)
    assert answer.status_code == 503, answer.text
    detail = answer.json()["detail"]
    assert "all-MiniLM-L6-v2" in detail, detail
    assert "bge-small-en-v1.5" in detail, detail
    assert "\n" not in detail
    stored = other.client.list_vectors(vectorBucketName="local", indexName="documents")
    assert [vector["key"] for vector in stored["vectors"]] == ["seed"]
