"""Migration from the legacy S3 layout (moto's in-process S3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from langchain_s3vectors.app.admin import list_sources
from langchain_s3vectors.app.loaders import content_hash
from langchain_s3vectors.app.migrate import migrate_legacy, parse_legacy_document
from langchain_s3vectors.errors import ResourceNotFoundError
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import DIM, CountingEmbeddings

BUCKET = "legacy-bucket"
PREFIX = "kb/"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put_json(s3: Any, key: str, value: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=PREFIX + key, Body=json.dumps(value).encode())


def vec(seed: int, dim: int) -> list[float]:
    return [((seed * 31 + i * 7) % 13 + 1) / 13 for i in range(dim)]


@pytest.fixture
def legacy(s3: Any) -> Any:
    # 1. Complete, same model and dimension: embeddings reused.
    put_json(
        s3,
        "vectors/report.txt.json",
        {
            "file": "files/report.txt",
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "dimension": DIM,
            "chunks": [
                {
                    "id": f"r{i}",
                    "text": f"report chunk {i}",
                    "embedding": vec(i, DIM),
                    "metadata": {"page": i + 1, "huge": "x" * 5000, "bad": {"nested": 1}},
                }
                for i in range(3)
            ],
        },
    )
    # 2. Other dimension: re-embedded from the chunk text; minimal fields only.
    put_json(
        s3,
        "vectors/notes.md.json",
        {"chunks": [{"text": "note one", "embedding": vec(9, 8)}, {"text": "note two"}]},
    )
    # 3. No chunk text: re-read from files/ and split again.
    s3.put_object(
        Bucket=BUCKET, Key=PREFIX + "files/guide.md", Body=b"# Guide\n\nRead the guide first."
    )
    put_json(s3, "vectors/guide.md.json", {"file": "files/guide.md", "chunks": [{"id": "g0"}]})
    # 4. Not JSON: reported, not fatal.
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "vectors/broken.json", Body=b"{nope")
    return s3


def test_parse_tolerates_missing_fields() -> None:
    doc = parse_legacy_document(
        b'{"chunks": [{"content": "hi", "vector": [1, 2]}]}', "vectors/sub/a.pdf.json"
    )
    assert (doc.file, doc.source, doc.title, doc.dimension) == (
        "files/sub/a.pdf",
        "sub/a.pdf",
        "a",
        2,
    )
    assert doc.chunks[0]["text"] == "hi"
    assert doc.complete
    assert not parse_legacy_document(b"{}", "vectors/b.txt.json").complete


def test_migration_moves_reuses_and_reembeds(legacy: Any) -> None:
    emb = CountingEmbeddings()
    store = S3VectorsStore.local(None, emb)
    report = migrate_legacy(store, legacy, BUCKET, prefix=PREFIX)
    assert report.files_migrated == 3
    assert report.files_skipped == 0
    assert [key for key, _ in report.files_failed] == ["vectors/broken.json"]
    assert report.embeddings_reused == 3
    assert report.embeddings_computed == 3  # 2 notes (dimension 8) + 1 guide chunk
    assert report.chunks_written == 6
    assert list_sources(store) == {"guide.md": 1, "notes.md": 2, "report.txt": 3}

    [r1] = store.get_by_ids(["report.txt#1"])
    assert r1.page_content == "report chunk 1"
    assert r1.metadata["content_hash"] == content_hash("report chunk 1")
    assert r1.metadata["legacy_id"] == "r1"
    assert r1.metadata["page"] == 2
    assert "huge" not in r1.metadata
    assert "bad" not in r1.metadata
    assert r1.metadata["file_type"] == "txt"
    record = store.client.get_vectors(
        vectorBucketName=store.vector_bucket_name,
        indexName=store.index_name,
        keys=["report.txt#1"],
        returnData=True,
    )["vectors"][0]
    assert record["data"]["float32"] == pytest.approx(vec(1, DIM), rel=1e-6)
    [guide] = store.get_by_ids(["guide.md#0"])
    assert "Read the guide first." in guide.page_content
    assert guide.metadata["title"] == "Guide"


def test_migration_is_idempotent(legacy: Any) -> None:
    emb = CountingEmbeddings()
    store = S3VectorsStore.local(None, emb)
    migrate_legacy(store, legacy, BUCKET, prefix=PREFIX)
    texts = emb.texts
    again = migrate_legacy(store, legacy, BUCKET, prefix=PREFIX)
    assert (again.files_migrated, again.files_skipped, again.chunks_written) == (0, 3, 0)
    assert emb.texts == texts


def test_migration_resumes_after_interruption(legacy: Any) -> None:
    store = S3VectorsStore.local(None, CountingEmbeddings())
    migrate_legacy(store, legacy, BUCKET, prefix=PREFIX)
    store.delete(ids=["report.txt#2", "notes.md#0"])  # as if the run stopped half-way
    resumed = migrate_legacy(store, legacy, BUCKET, prefix=PREFIX)
    assert resumed.files_migrated == 2
    assert resumed.files_skipped == 1
    assert resumed.chunks_written == 2
    assert resumed.embeddings_reused == 1
    assert resumed.embeddings_computed == 1
    assert list_sources(store) == {"guide.md": 1, "notes.md": 2, "report.txt": 3}


def test_other_model_same_dimension_is_reembedded(legacy: Any) -> None:
    emb = CountingEmbeddings()
    store = S3VectorsStore.local(None, emb)
    report = migrate_legacy(
        store, legacy, BUCKET, prefix=PREFIX, model_name="BAAI/bge-small-en-v1.5"
    )
    assert report.embeddings_reused == 0
    assert report.embeddings_computed == 6


def test_reused_when_dimension_matches_but_model_unknown(legacy: Any) -> None:
    store = S3VectorsStore.local(None, CountingEmbeddings())
    report = migrate_legacy(store, legacy, BUCKET, prefix=PREFIX, model_name=None)
    assert report.embeddings_reused == 3


def test_missing_legacy_bucket_is_a_clear_error(s3: Any) -> None:
    store = S3VectorsStore.local(None, CountingEmbeddings())
    with pytest.raises(ResourceNotFoundError, match="s3://no-such-bucket/"):
        migrate_legacy(store, s3, "no-such-bucket")
