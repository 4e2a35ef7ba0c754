"""Sources, stats, health diagnoses, JSONL export/import."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from langchain_s3vectors.app.admin import (
    delete_source,
    export_jsonl,
    health_check,
    import_jsonl,
    index_stats,
    iter_vectors,
    list_sources,
)
from langchain_s3vectors.app.ingest import ingest
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import DIM, CountingEmbeddings


@pytest.fixture
def filled(tmp_path: Path, store: S3VectorsStore) -> S3VectorsStore:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\n" + "\n\n".join(f"paragraph {i} " * 20 for i in range(5)))
    (docs / "b.txt").write_text("just one chunk")
    ingest(store, docs, root=tmp_path, chunk_size=200, chunk_overlap=0)
    store.add_texts(["no source here"], ids=["loose"])
    return store


def test_list_sources_counts_chunks_with_parallel_segments(filled: S3VectorsStore) -> None:
    sources = list_sources(filled, segments=4)
    assert sources == list_sources(filled, segments=1)
    assert sources["docs/b.txt"] == 1
    assert sources["docs/a.md"] >= 5
    assert list(sources) == sorted(sources)
    keys = [r["key"] for r in iter_vectors(filled, segments=16)]
    assert len(keys) == len(set(keys)) == sum(sources.values()) + 1
    with pytest.raises(InvalidInputError):
        list_sources(filled, segments=17)


def test_missing_index_has_no_sources(store: S3VectorsStore) -> None:
    assert list_sources(store) == {}
    assert delete_source(store, "x") == 0
    assert index_stats(store)["exists"] is False


def test_delete_source(filled: S3VectorsStore) -> None:
    count = list_sources(filled)["docs/a.md"]
    assert delete_source(filled, "docs/a.md") == count
    assert "docs/a.md" not in list_sources(filled)
    assert delete_source(filled, "docs/a.md") == 0
    assert filled.get_by_ids(["loose", "docs/b.txt#0"])[0].id == "loose"


def test_index_stats(filled: S3VectorsStore) -> None:
    stats = index_stats(filled)
    sources = list_sources(filled)
    assert stats["exists"] is True
    assert stats["vectors"] == sum(sources.values()) + 1
    assert stats["sources"] == len(sources) == 2
    assert stats["vectors_without_source"] == 1
    assert stats["dimension"] == DIM
    assert stats["distance_metric"] == "cosine"
    assert "_page_content" in stats["non_filterable_metadata_keys"]
    assert stats["text_search"][0]["metadataKey"] == "_page_content"
    assert stats["index_mode"] in {"CLASSIC", "ENHANCED"}
    json.dumps(stats)


def test_export_import_round_trip(filled: S3VectorsStore) -> None:
    buffer = io.StringIO()
    written = export_jsonl(filled, buffer)
    lines = buffer.getvalue().splitlines()
    assert written == len(lines) == sum(list_sources(filled).values()) + 1
    first = json.loads(lines[0])
    assert set(first) == {"key", "data", "metadata"}
    assert len(first["data"]) == DIM

    target = S3VectorsStore.local(None, CountingEmbeddings())
    assert import_jsonl(target, io.StringIO(buffer.getvalue())) == written
    assert list_sources(target) == list_sources(filled)
    keys = [json.loads(line)["key"] for line in lines]
    original = {d.id: d for d in filled.get_by_ids(keys)}
    copied = {d.id: d for d in target.get_by_ids(keys)}
    assert copied == original
    again = io.StringIO()
    export_jsonl(target, again)
    assert sorted(again.getvalue().splitlines()) == sorted(lines)


def test_import_rejects_bad_lines(store: S3VectorsStore) -> None:
    with pytest.raises(InvalidInputError, match="Line 2"):
        import_jsonl(store, io.StringIO('{"key": "a", "data": [1.0]}\n{"key": "b"}\n'))
    with pytest.raises(InvalidInputError, match="Line 1 is not valid JSON"):
        import_jsonl(store, io.StringIO("nope\n"))


# --------------------------------------------------------------------------- health


def client_error(code: str, status: int, operation: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


class StubClient:
    """A boto3-shaped client whose calls fail (or succeed) as told."""

    def __init__(self, failures: dict[str, BaseException] | None = None, dimension: int = DIM):
        self.failures = failures or {}
        self.dimension = dimension
        self.calls: list[str] = []

    def _maybe_fail(self, operation: str) -> None:
        self.calls.append(operation)
        if operation in self.failures:
            raise self.failures[operation]

    def get_vector_bucket(self, **kwargs: Any) -> dict[str, Any]:
        self._maybe_fail("get_vector_bucket")
        return {"vectorBucket": {"vectorBucketName": kwargs["vectorBucketName"]}}

    def get_index(self, **kwargs: Any) -> dict[str, Any]:
        self._maybe_fail("get_index")
        return {
            "index": {
                "indexName": kwargs["indexName"],
                "dimension": self.dimension,
                "distanceMetric": "cosine",
                "dataType": "float32",
            }
        }

    def list_vectors(self, **kwargs: Any) -> dict[str, Any]:
        self._maybe_fail("list_vectors")
        return {"vectors": []}


def stub_store(client: StubClient) -> S3VectorsStore:
    return S3VectorsStore("my-kb", "docs", CountingEmbeddings(), client=client)


def test_healthy() -> None:
    report = health_check(stub_store(StubClient()))
    assert report.ok
    assert [c.name for c in report.checks] == ["bucket", "index", "read", "embedding", "model"]
    assert report.problem is None


@pytest.mark.parametrize(
    ("failures", "failed_check", "words"),
    [
        ({"get_vector_bucket": NoCredentialsError()}, "bucket", "No AWS credentials"),
        (
            {"get_vector_bucket": EndpointConnectionError(endpoint_url="https://x.invalid")},
            "bucket",
            "wrong region or endpoint",
        ),
        (
            {"get_vector_bucket": client_error("NotFoundException", 404, "GetVectorBucket")},
            "bucket",
            "Vector bucket 'my-kb' does not exist",
        ),
        (
            {"get_index": client_error("NotFoundException", 404, "GetIndex")},
            "index",
            "Index 'docs' in vector bucket 'my-kb' does not exist",
        ),
        (
            {"get_vector_bucket": client_error("AccessDeniedException", 403, "GetVectorBucket")},
            "bucket",
            "s3vectors:GetVectorBucket",
        ),
        (
            {"list_vectors": client_error("AccessDeniedException", 403, "ListVectors")},
            "read",
            "s3vectors:ListVectors",
        ),
        (
            {"get_vector_bucket": client_error("UnrecognizedClientException", 403, "X")},
            "bucket",
            "rejected the credentials",
        ),
    ],
)
def test_health_diagnoses(
    failures: dict[str, BaseException], failed_check: str, words: str
) -> None:
    report = health_check(stub_store(StubClient(failures)))
    assert not report.ok
    failed = [c for c in report.checks if not c.ok]
    assert [c.name for c in failed] == [failed_check]
    assert report.checks[-1].name == failed_check  # the walk stops at the first failure
    assert words in failed[0].message
    assert json.loads(json.dumps(report.as_dict()))["ok"] is False


def test_health_dimension_mismatch() -> None:
    report = health_check(stub_store(StubClient(dimension=384)))
    assert not report.ok
    assert report.checks[-1].name == "embedding"
    assert "Dimension mismatch" in report.checks[-1].message
    assert "384" in report.checks[-1].message


def test_health_on_local_store(filled: S3VectorsStore) -> None:
    assert health_check(filled).ok
