"""examples/file_service.py with an API key: 401 without it, and nothing changed."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import file_service
import pytest
from fastapi.testclient import TestClient
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import S3VectorsStore

KEY = secrets.token_urlsafe(24)
NOTE = b"SQLite WAL mode lets readers run while a writer commits."


@pytest.fixture
def store(tmp_path: Path) -> S3VectorsStore:
    return S3VectorsStore.local(tmp_path / "kb", DeterministicFakeEmbedding(size=16))


@pytest.fixture
def client(store: S3VectorsStore, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("FILE_SERVICE_API_KEY", KEY)  # read when the app is built
    return TestClient(file_service.create_app(store))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def upload(client: TestClient, headers: dict[str, str], body: bytes = NOTE) -> int:
    files = {"file": ("wal.md", body, "text/markdown")}
    return client.post("/files", files=files, headers=headers).status_code


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("wrong-key"), bearer(""), {"Authorization": KEY}, {"X-Api-Key": KEY}],
    ids=["none", "wrong", "empty", "no-scheme", "other-header"],
)
def test_without_the_key_every_route_is_401_and_nothing_changes(
    client: TestClient, headers: dict[str, str]
) -> None:
    assert upload(client, bearer(KEY)) == 201
    before = client.get("/files", headers=bearer(KEY)).json()
    refused = client.post("/files", files={"file": ("new.md", NOTE)}, headers=headers)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in refused.json()["detail"]
    assert client.delete("/files/wal.md", headers=headers).status_code == 401
    assert client.get("/files", headers=headers).status_code == 401
    assert client.get("/search", params={"q": "WAL"}, headers=headers).status_code == 401
    assert client.get("/jobs/1", headers=headers).status_code == 401
    assert (
        client.get("/files", headers=bearer(KEY)).json()
        == before
        == [{"source": "wal.md", "chunks": 1}]
    )


def test_the_right_key_is_served_and_health_stays_open(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert upload(client, bearer(KEY)) == 201
    listed = client.get("/files", headers=bearer(KEY)).json()
    assert listed == [{"source": "wal.md", "chunks": 1}]
    hits = client.get("/search", params={"q": "WAL"}, headers=bearer(KEY)).json()
    assert hits[0]["source"] == "wal.md"
    assert client.delete("/files/wal.md", headers=bearer(KEY)).status_code == 200


def test_a_refused_upload_is_not_read(client: TestClient) -> None:
    """The key is checked before the size: an oversized upload without it gets 401."""
    big = b"x" * (file_service.DEFAULT_MAX_UPLOAD_BYTES + 8192)
    assert upload(client, {}, big) == 401
    assert upload(client, bearer(KEY), big) == 413


def test_without_a_key_the_service_is_open(
    store: S3VectorsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FILE_SERVICE_API_KEY", raising=False)
    open_client = TestClient(file_service.create_app(store))
    assert upload(open_client, {}) == 201
    keyed = TestClient(file_service.create_app(store, api_key=KEY))
    assert keyed.get("/files").status_code == 401
    assert keyed.get("/files", headers=bearer(KEY)).status_code == 200


def test_the_key_is_never_shown(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert upload(client, bearer("wrong-key")) == 401
    assert upload(client, bearer(KEY)) == 201
    assert KEY not in caplog.text
    assert KEY not in repr(client.app.user_middleware)  # type: ignore[attr-defined]
    assert KEY not in repr(file_service.ApiKey(KEY))
