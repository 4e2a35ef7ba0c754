"""examples/file_service.py answers malformed requests with one line, never a 500 or a traceback.

A table per endpoint; an endpoint without cases fails the test, so a new endpoint gets
its malformed inputs too.
"""

from __future__ import annotations

from typing import Any

import file_service
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import S3VectorsStore

DEEP = '{"$and": [' * 300 + '{"source": "a.md"}' + "]}" * 300
DEEPER = "[" * 5000

#: ``(method, path, request options, expected status)`` per endpoint (method + route).
CASES: dict[str, list[tuple[str, str, dict[str, Any], int]]] = {
    "POST /files": [
        ("POST", "/files", {}, 422),
        ("POST", "/files", {"data": {"file": "not a file"}}, 422),
        ("POST", "/files", {"files": {"file": ("..", b"text")}}, 415),
        ("POST", "/files", {"files": {"file": ("tool.exe", b"MZ")}}, 415),
        ("POST", "/files", {"files": {"file": ("a.md", b"")}}, 422),
        ("POST", "/files", {"files": {"file": ("big.md", b"x" * 5000)}}, 413),
        ("POST", "/files", {"files": {"file": ("n" * 300 + ".md", b"text")}}, 400),
        ("POST", "/files", {"files": {"file": ("b.pdf", b"%PDF-1.4 not a pdf")}}, 400),
        ("POST", "/files", {"files": {"file": ("c.txt", b"\x00\x01" * 50)}}, 400),
        ("POST", "/files?wait=-1", {"files": {"file": ("a.md", b"text")}}, 422),
        ("POST", "/files?wait=soon", {"files": {"file": ("a.md", b"text")}}, 422),
    ],
    "GET /jobs/{job_id}": [("GET", "/jobs/nope", {}, 404), ("GET", "/jobs/999", {}, 404)],
    "GET /files": [("GET", "/files?x=1", {}, 200)],
    "DELETE /files/{source:path}": [
        ("DELETE", "/files/nothing.md", {}, 404),
        ("DELETE", "/files/..%2F..%2Fetc%2Fpasswd", {}, 404),
    ],
    "GET /search": [
        ("GET", "/search", {}, 422),
        ("GET", "/search", {"params": {"q": " "}}, 400),
        ("GET", "/search", {"params": {"q": "x", "k": 0}}, 422),
        ("GET", "/search", {"params": {"q": "x", "k": "many"}}, 422),
        ("GET", "/search", {"params": {"q": "x", "mode": "psychic"}}, 422),
        ("GET", "/search", {"params": {"q": "x", "filter": "{oops"}}, 400),
        ("GET", "/search", {"params": {"q": "x", "filter": "[1]"}}, 400),
        ("GET", "/search", {"params": {"q": "x", "filter": '{"a": {"$like": 1}}'}}, 400),
        ("GET", "/search", {"params": {"q": "x", "filter": '{"$or": []}'}}, 400),
        ("GET", "/search", {"params": {"q": "x", "filter": DEEP}}, 400),
        ("GET", "/search", {"params": {"q": "x", "filter": DEEPER}}, 400),
        ("GET", "/search", {"params": {"q": "x", "mode": "fulltext", "filter": DEEP}}, 400),
    ],
    "GET /health": [("GET", "/health?verbose=yes", {}, 200)],
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=16))
    app = file_service.create_app(store, max_upload_bytes=4096)
    client = TestClient(app, raise_server_exceptions=False)
    upload = {"file": ("a.md", b"Readers continue while a writer commits.", "text/plain")}
    assert client.post("/files", files=upload).status_code == 201
    return client


def test_every_endpoint_has_malformed_inputs(client: TestClient) -> None:
    routes = {
        f"{method} {route.path}"
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    assert set(CASES) == routes


@pytest.mark.parametrize(
    ("endpoint", "method", "path", "options", "status"),
    [(endpoint, *case) for endpoint, cases in CASES.items() for case in cases],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_malformed_requests_get_one_line(
    client: TestClient,
    endpoint: str,
    method: str,
    path: str,
    options: dict[str, Any],
    status: int,
) -> None:
    answer = client.request(method, path, **options)
    shown = f"{endpoint} {path} -> {answer.status_code}: {answer.text[:500]}"
    assert answer.status_code == status, shown
    assert "Traceback" not in answer.text, shown
    if status >= 400:
        detail = answer.json()["detail"]
        assert isinstance(detail, str), shown
        assert detail, shown
        assert "\n" not in detail, shown


def test_invalid_settings_are_one_line_in_the_log_and_a_503(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EMBEDDING_BACKEND", "fake")
    app = file_service.create_app(store_factory=file_service.default_store)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level("ERROR"):
        answer = client.get("/files")
    assert answer.status_code == 503, answer.text
    assert answer.json()["detail"].startswith("the document store is unavailable")
    logged = [r.getMessage() for r in caplog.records if r.name == file_service.logger.name]
    assert len(logged) == 1, logged
    assert "invalid settings: EMBEDDING_BACKEND:" in logged[0]
    assert "onnx-int8" in logged[0]
    assert "\n" not in logged[0]
    assert not any(r.exc_info for r in caplog.records)
