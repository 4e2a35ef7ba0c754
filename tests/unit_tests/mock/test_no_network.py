"""Under mock_s3vectors no socket is opened: every s3vectors call is answered in process."""

from __future__ import annotations

import socket
from typing import Any

import boto3
import pytest
from botocore.config import Config
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import S3VectorsStore
from langchain_s3vectors.testing import mock_s3vectors, seed


class SocketsBlockedError(OSError):
    pass


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Refuse, and record, every socket created or connected while the test runs."""
    attempts: list[tuple[str, Any]] = []
    original_init = socket.socket.__init__

    def refuse_init(self: socket.socket, *args: Any, **kwargs: Any) -> None:
        attempts.append(("socket", args))
        original_init(self, *args, **kwargs)  # a real object, so its finalizer is harmless
        self.close()
        raise SocketsBlockedError("socket creation is blocked in this test")

    def refuse(name: str) -> Any:
        def blocked(*args: Any, **kwargs: Any) -> Any:
            attempts.append((name, args))
            raise SocketsBlockedError(f"{name} is blocked in this test")

        return blocked

    monkeypatch.setattr(socket.socket, "__init__", refuse_init)
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_the_guard_sees_a_client_outside_the_mock(opened: list[tuple[str, Any]]) -> None:
    """Without the mock the same call does reach for a socket: the guard is not blind."""
    client = boto3.client(
        "s3vectors",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(Exception):  # noqa: B017 - whatever botocore wraps the refusal in
        client.list_vector_buckets()
    assert opened


def test_no_socket_is_opened_under_the_mock(opened: list[tuple[str, Any]]) -> None:
    with mock_s3vectors():
        client = boto3.client("s3vectors")
        seed(client, "films", "plots", {f"k{i}": [float(i), 1.0, 0.5] for i in range(30)})
        pages = client.get_paginator("list_vectors").paginate(
            vectorBucketName="films", indexName="plots", PaginationConfig={"PageSize": 7}
        )
        assert sum(len(page["vectors"]) for page in pages) == 30
        hits = client.query_vectors(
            vectorBucketName="films",
            indexName="plots",
            topK=10,
            queryVector={"float32": [3.0, 1.0, 0.5]},
        )["vectors"]
        assert len(hits) == 10
        with pytest.raises(client.exceptions.NotFoundException):
            client.get_index(vectorBucketName="films", indexName="missing")
        store = S3VectorsStore.from_aws("films", "docs", DeterministicFakeEmbedding(size=8))
        store.add_documents([Document(page_content=f"doc {i}") for i in range(50)])
        assert store.similarity_search("doc 3", k=1)[0].page_content == "doc 3"
        client.delete_index(vectorBucketName="films", indexName="docs")
    assert opened == []
