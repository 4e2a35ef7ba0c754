"""examples/file_service.py through FastAPI's TestClient, with the real model."""

from __future__ import annotations

import json

import file_service
import pytest
from fastapi.testclient import TestClient

from langchain_s3vectors import S3VectorsStore

DATA = file_service.Path(__file__).resolve().parents[3] / "examples" / "data"


@pytest.fixture
def client(embedding, tmp_path):
    return TestClient(file_service.create_app(S3VectorsStore.local(tmp_path, embedding)))


def _upload(client, name, content=None):
    body = content if content is not None else (DATA / name).read_bytes()
    return client.post("/files", files={"file": (name, body, "text/plain")})


def test_upload_list_search_delete(client):
    assert client.get("/health").json()["index_exists"] is False
    first = _upload(client, "sqlite-wal.md")
    assert first.status_code == 201
    assert first.json()["source"] == "sqlite-wal.md"
    assert first.json()["added"] == first.json()["chunks"] >= 1
    assert _upload(client, "sqlite-busy-timeout.md").status_code == 201
    assert _upload(client, "http-retries-backoff.md").status_code == 201
    again = _upload(client, "sqlite-wal.md").json()
    assert again["added"] == 0
    assert again["unchanged"] == first.json()["chunks"]

    listed = {f["source"]: f["chunks"] for f in client.get("/files").json()}
    assert set(listed) == {"sqlite-wal.md", "sqlite-busy-timeout.md", "http-retries-backoff.md"}
    assert listed["sqlite-wal.md"] == first.json()["chunks"]
    health = client.get("/health").json()
    assert health == {
        "status": "ok",
        "backend": "LocalS3VectorsClient",
        "bucket": "local",
        "index": "documents",
        "index_exists": True,
    }

    hits = client.get("/search", params={"q": "database is locked", "k": 2}).json()
    assert hits[0]["source"] == "sqlite-busy-timeout.md"
    assert 0 < hits[0]["score"] <= 1
    assert hits[0]["text"]
    assert hits[0]["metadata"]["title"]
    for mode in ("mmr", "hybrid", "fulltext"):
        hits = client.get("/search", params={"q": "BEGIN IMMEDIATE", "mode": mode}).json()
        assert hits[0]["source"] == "sqlite-busy-timeout.md", mode
    only = json.dumps({"source": "http-retries-backoff.md"})
    hits = client.get("/search", params={"q": "database is locked", "filter": only}).json()
    assert hits
    assert {h["source"] for h in hits} == {"http-retries-backoff.md"}

    deleted = client.delete("/files/sqlite-wal.md")
    assert deleted.json() == {"source": "sqlite-wal.md", "deleted": listed["sqlite-wal.md"]}
    assert "sqlite-wal.md" not in {f["source"] for f in client.get("/files").json()}
    assert client.delete("/files/sqlite-wal.md").status_code == 404


def test_nested_source_names_and_errors(client):
    assert (
        _upload(client, "../notes.txt", b"SQLite WAL mode lets readers run during writes.").json()[
            "source"
        ]
        == "notes.txt"
    )
    assert _upload(client, "tool.exe", b"MZ").status_code == 415
    bad = client.get("/search", params={"q": "x", "filter": "{not json"})
    assert bad.status_code == 400
    assert "not valid JSON" in bad.json()["detail"]
    bad = client.get("/search", params={"q": "x", "filter": '{"source": {"$regex": "a"}}'})
    assert bad.status_code == 400
    assert "$regex" in bad.json()["detail"]
    assert client.get("/search", params={"q": "x", "mode": "nearest"}).status_code == 422
    assert client.get("/search", params={"q": "x", "k": 101}).status_code == 422


def test_default_app_builds_its_store_lazily(monkeypatch, tmp_path, embedding):
    built = []

    def factory():
        built.append(True)
        return S3VectorsStore.local(tmp_path, embedding)

    app = file_service.create_app(store_factory=factory)
    client = TestClient(app)
    assert built == []
    assert client.get("/files").json() == []
    assert client.get("/health").status_code == 200
    assert built == [True]


def test_module_app_defaults_to_the_local_backend(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("S3VECTORS_BACKEND", raising=False)
    monkeypatch.setenv("S3VECTORS_LOCAL_PATH", str(tmp_path / "kb"))
    health = TestClient(file_service.create_app()).get("/health").json()
    assert health["backend"] == "LocalS3VectorsClient"
    assert health["index_exists"] is False
    assert isinstance(file_service.app, file_service.FastAPI)
