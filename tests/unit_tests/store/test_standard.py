"""LangChain's standard vector store suite against the embedded local S3 Vectors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from langchain_s3vectors.base import IndexConfig
from langchain_s3vectors.vectorstores import S3VectorsStore


class TestS3VectorsStoreStandard(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self) -> Iterator[VectorStore]:  # type: ignore[override]
        store = S3VectorsStore.local(None, self.get_embeddings())
        try:
            yield store
        finally:
            store.client.close()

    @property
    def has_get_by_ids(self) -> bool:
        return True


class TestS3VectorsStoreStandardOnDisk(VectorStoreIntegrationTests):
    """The same suite with a persistent (SQLite) local store and euclidean distance."""

    @pytest.fixture
    def vectorstore(self, tmp_path) -> Iterator[VectorStore]:  # type: ignore[override]
        euclidean = IndexConfig(distance_metric="euclidean")
        store = S3VectorsStore.local(tmp_path / "db", self.get_embeddings(), index_config=euclidean)
        try:
            yield store
        finally:
            store.client.close()
