"""Embedding identity through the application: settings, ingest, health and the CLI.

Switching ``EMBEDDING_MODEL`` on an existing index must not go unnoticed: ingest
refuses (or, with ``--reembed``, embeds everything again), ``health`` fails, and
``query`` refuses, each in one line naming both models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langchain_s3vectors.app.admin import health_check
from langchain_s3vectors.app.cli import EXIT_UNHEALTHY, make_app
from langchain_s3vectors.app.embeddings import (
    EMBEDDING_BACKENDS,
    LazyEmbeddings,
    default_embeddings,
    identity_for,
)
from langchain_s3vectors.app.ingest import ingest
from langchain_s3vectors.app.settings import S3VectorsSettings, build_store, settings_embeddings
from langchain_s3vectors.errors import DimensionMismatchError
from langchain_s3vectors.identity import identity_of
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import CountingEmbeddings

pytestmark = pytest.mark.usefixtures("clean_env")


def factory(settings: S3VectorsSettings) -> S3VectorsStore:
    """The settings' store, with a fake model that has the settings model's identity."""
    identity = identity_for(settings.embedding_model)
    size = identity.dimension or 384
    lazy = LazyEmbeddings(lambda: CountingEmbeddings(size), dimension=size, identity=identity)
    return build_store(settings, embedding=lazy)


@pytest.fixture
def docs(clean_env: Path) -> Path:
    root = clean_env / "docs"
    root.mkdir()
    (root / "cats.md").write_text("# Cats\n\nCats purr and sleep all day.")
    (root / "dogs.txt").write_text("Dogs bark at the mailman.")
    return root


def cli(kb: Path, *args: str, model: str | None = None) -> Any:
    env = {} if model is None else {"EMBEDDING_MODEL": model}
    return CliRunner().invoke(make_app(factory), ["--local", str(kb), *args], env=env)


def test_every_backend_of_a_model_has_one_identity() -> None:
    identities = {
        settings_embeddings(
            S3VectorsSettings(EMBEDDING_MODEL=name, EMBEDDING_BACKEND=backend)
        ).embedding_identity
        for backend in EMBEDDING_BACKENDS
        for name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2")
    }
    assert len(identities) == 1
    loaded = {identity_of(default_embeddings(backend=b)) for b in ("torch", "onnx-int8")}
    assert loaded == identities


def test_reingest_with_another_model_refuses_instead_of_unchanged(
    tmp_path: Path, docs: Path
) -> None:
    kb = tmp_path / "kb"
    first = cli(kb, "ingest", str(docs), "--root", str(docs), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == 2

    again = cli(kb, "ingest", str(docs), "--root", str(docs), model="BAAI/bge-small-en-v1.5")
    assert again.exit_code == 1
    assert "unchanged" not in again.output
    error = again.stderr.strip()
    assert error.startswith("Error: ")
    assert len(error.splitlines()) == 1
    assert "all-MiniLM-L6-v2" in error
    assert "BAAI/bge-small-en-v1.5" in error
    assert "--reembed" in error

    query = cli(kb, "query", "cats", model="BAAI/bge-small-en-v1.5")
    assert query.exit_code == 1
    assert "BAAI/bge-small-en-v1.5" in query.stderr

    health = cli(kb, "health", "--json", model="BAAI/bge-small-en-v1.5")
    assert health.exit_code == EXIT_UNHEALTHY
    failed = [c for c in json.loads(health.stdout)["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["model"]
    assert "all-MiniLM-L6-v2" in failed[0]["message"]


def test_reembed_embeds_every_chunk_again_and_records_the_new_model(
    tmp_path: Path, docs: Path
) -> None:
    kb = tmp_path / "kb"
    assert cli(kb, "ingest", str(docs), "--root", str(docs)).exit_code == 0
    model = "BAAI/bge-small-en-v1.5"
    result = cli(kb, "ingest", str(docs), "--root", str(docs), "--reembed", "--json", model=model)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["updated"], report["unchanged"]) == (2, 0)
    stats = json.loads(cli(kb, "stats", "--json", model=model).stdout)
    assert stats["embedding"] == {"model": model, "dimension": 384, "normalized": True}
    health = cli(kb, "health", "--json", model=model)
    assert health.exit_code == 0, health.output
    checks = {c["name"]: c["message"] for c in json.loads(health.stdout)["checks"]}
    assert model in checks["model"]
    assert cli(kb, "query", "cats").exit_code == 1  # now the old model is the stranger


def test_reingest_unchanged_files_with_another_dimension_fails(tmp_path: Path, docs: Path) -> None:
    kb = tmp_path / "kb"
    assert cli(kb, "ingest", str(docs), "--root", str(docs)).exit_code == 0
    for flags in ([], ["--reembed"]):
        result = cli(
            kb, "ingest", str(docs), "--root", str(docs), *flags, model="all-mpnet-base-v2"
        )
        assert result.exit_code == 1
        assert "768" in result.stderr
        assert "unchanged" not in result.output


def test_ingest_into_an_index_without_a_record(tmp_path: Path, docs: Path) -> None:
    legacy = S3VectorsStore.local(tmp_path / "kb", CountingEmbeddings(384))
    assert ingest(legacy, [docs], root=docs).added == 2  # no identity: nothing recorded
    assert legacy.recorded_embedding_identity() is None

    wide = S3VectorsStore.local(
        tmp_path / "kb",
        CountingEmbeddings(768),
        embedding_identity=identity_for("all-mpnet-base-v2"),
    )
    with pytest.raises(DimensionMismatchError):
        ingest(wide, [docs], root=docs)

    same = factory(
        S3VectorsSettings(S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH=tmp_path / "kb")
    )
    report = ingest(same, [docs / "cats.md"], root=docs)
    assert report.unchanged == 1
    assert same.recorded_embedding_identity() is None  # nothing written, nothing recorded
    (docs / "cats.md").write_text("# Cats\n\nCats purr, sleep and hunt.")
    assert ingest(same, [docs], root=docs).updated == 1
    assert same.recorded_embedding_identity() == identity_for("all-MiniLM-L6-v2")
    report = health_check(same)
    assert report.ok, report.as_dict()


def test_dry_run_refuses_another_model_too(tmp_path: Path, docs: Path) -> None:
    kb = tmp_path / "kb"
    assert cli(kb, "ingest", str(docs), "--root", str(docs)).exit_code == 0
    result = cli(
        kb, "ingest", str(docs), "--root", str(docs), "--dry-run", model="BAAI/bge-small-en-v1.5"
    )
    assert result.exit_code == 1
    assert "BAAI/bge-small-en-v1.5" in result.stderr
