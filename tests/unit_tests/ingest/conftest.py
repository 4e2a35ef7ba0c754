"""Fixtures for the ingest, settings, management, migration and CLI tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings
from typer.testing import CliRunner

from langchain_s3vectors.app.cli import make_app
from langchain_s3vectors.app.settings import S3VectorsSettings, build_store
from langchain_s3vectors.vectorstores import S3VectorsStore

#: Variables the settings read; cleared so the host environment cannot leak in.
SETTINGS_VARS = (
    "S3VECTORS_BACKEND",
    "S3VECTORS_LOCAL_PATH",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL_S3VECTORS",
    "S3VECTORS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "S3_VECTOR_BUCKET_NAME",
    "S3_VECTOR_INDEX_NAME",
    "VECTOR_DIMENSION",
    "EMBEDDING_MODEL",
    "EMBEDDING_BACKEND",
    "TEXT_SEARCH_LANGUAGE",
    "ALLOW_EMBEDDING_CHANGE",
    "HF_HUB_OFFLINE",
)

DIM = 16


class CountingEmbeddings(Embeddings):
    """Deterministic fake embeddings that count how many texts they embed."""

    def __init__(self, size: int = DIM) -> None:
        self.inner = DeterministicFakeEmbedding(size=size)
        self.size = size
        self.calls = 0
        self.texts = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No settings variables, no AWS config files, and a cwd without a .env."""
    for name in SETTINGS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def emb() -> CountingEmbeddings:
    return CountingEmbeddings()


@pytest.fixture
def store(emb: CountingEmbeddings) -> S3VectorsStore:
    return S3VectorsStore.local(None, emb)


def fake_factory(settings: S3VectorsSettings) -> S3VectorsStore:
    """Stores for the CLI under test: the real settings path with a fake embedding."""
    return build_store(settings, embedding=CountingEmbeddings(DIM))


@pytest.fixture
def app() -> Any:
    """The CLI app, building its stores with :func:`fake_factory`."""
    return make_app(fake_factory)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
