"""examples/file_service.py under ordinary mistakes and hostile uploads: limits and refusals."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import file_service
import pytest
import uvicorn
from fastapi.testclient import TestClient
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from langchain_s3vectors import S3VectorsStore

PARAGRAPH = "Write-ahead logging lets readers continue while a writer commits. " * 12


class GatedEmbeddings(Embeddings):
    """Fake embeddings whose calls signal ``started`` and then wait for ``gate``."""

    def __init__(self) -> None:
        self.inner = DeterministicFakeEmbedding(size=16)
        self.started = threading.Event()
        self.gate = threading.Event()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.started.set()
        assert self.gate.wait(timeout=60), "the test never opened the gate"
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def _fake_store(path: Path | None = None, embedding: Any = None) -> S3VectorsStore:
    return S3VectorsStore.local(path, embedding or DeterministicFakeEmbedding(size=16))


def _upload(client: TestClient, name: str, body: bytes, **params: Any) -> Any:
    return client.post("/files", files={"file": (name, body, "text/plain")}, params=params)


def _sources(client: TestClient) -> set[str]:
    return {f["source"] for f in client.get("/files").json()}


def _many_chunks(batches: int = 2) -> bytes:
    # More chunks than one embedding batch, so a cancel is seen between batches.
    return "\n\n".join([PARAGRAPH] * (file_service.EMBED_BATCH * batches + 10)).encode()


def test_uploads_over_the_limit_are_refused_with_413(tmp_path: Path) -> None:
    client = TestClient(file_service.create_app(_fake_store(), max_upload_bytes=100))
    declared = _upload(client, "big.md", b"x" * 10_000)  # refused from Content-Length
    assert declared.status_code == 413
    assert declared.json()["detail"].startswith(
        "the file is larger than this service accepts (100 bytes)"
    )
    counted = _upload(client, "big.md", b"x" * 150)  # within the header slack: counted
    assert counted.status_code == 413
    assert _upload(client, "small.md", b"small text").status_code == 201
    assert _sources(client) == {"small.md"}


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FILE_SERVICE_MAX_UPLOAD_BYTES", "50")
    client = TestClient(file_service.create_app(_fake_store()))
    assert _upload(client, "a.md", b"y" * 60).status_code == 413


def test_an_empty_upload_is_refused_and_changes_nothing() -> None:
    client = TestClient(file_service.create_app(_fake_store()))
    assert _upload(client, "notes.md", b"Notes worth keeping.").status_code == 201
    for body in (b"", b"  \n\t\n"):
        empty = _upload(client, "notes.md", body)
        assert empty.status_code == 422
        assert empty.json()["detail"] == (
            "notes.md has no text to index; nothing was changed (to remove an indexed file, "
            "DELETE /files/notes.md)"
        )
    assert client.get("/files").json() == [{"source": "notes.md", "chunks": 1}]
    html = _upload(client, "blank.html", b"<html><script>x()</script></html>")
    assert html.status_code == 422
    assert "blank.html" not in _sources(client)


def test_file_names_are_sanitised() -> None:
    client = TestClient(file_service.create_app(_fake_store()))
    for raw, expected in [
        ("..\\..\\win\\evil2.md", "evil2.md"),
        ("../../etc/evil.md", "evil.md"),
        ("C:\\Users\\me\\report.txt", "report.txt"),
        ("..hidden.md", "hidden.md"),
    ]:
        answer = _upload(client, raw, b"some text")
        assert answer.status_code == 201, answer.text
        assert answer.json()["source"] == expected
    assert _sources(client) == {"evil2.md", "evil.md", "report.txt", "hidden.md"}
    assert _upload(client, "..", b"text").status_code == 415


def test_errors_reveal_no_server_paths(tmp_path: Path) -> None:
    client = TestClient(file_service.create_app(_fake_store()))
    broken = _upload(client, "broken.pdf", b"%PDF-1.4 this is not really a pdf")
    assert broken.status_code == 400
    detail = broken.json()["detail"]
    assert detail.startswith("could not index broken.pdf:")
    assert "/tmp" not in detail
    assert "upload-" not in detail
    binary = _upload(client, "binary.txt", Path("/bin/ls").read_bytes()[:200_000])
    assert binary.status_code == 400
    assert binary.json()["detail"] == (
        "could not index binary.txt: binary content (NUL bytes), not text"
    )
    assert _sources(client) == set()


def test_a_store_that_cannot_be_opened_answers_503_without_its_path(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "store-file"
    not_a_folder.write_text("not a store")
    app = file_service.create_app(store_factory=lambda: _fake_store(not_a_folder))
    answer = TestClient(app, raise_server_exceptions=False).get("/files")
    assert answer.status_code == 503
    assert answer.json() == {"detail": "the document store is unavailable; the server log says why"}
    assert str(tmp_path) not in answer.text


def test_slow_indexing_answers_202_with_a_job_to_follow() -> None:
    embedding = GatedEmbeddings()  # holds the job until the answer has been checked
    app = file_service.create_app(_fake_store(embedding=embedding))
    client = TestClient(app)
    try:
        accepted = _upload(client, "wal.md", PARAGRAPH.encode(), wait=0)
        assert accepted.status_code == 202
        job = accepted.json()
        assert job["source"] == "wal.md"
        assert job["status"] in {"queued", "running"}
        assert accepted.headers["location"] == f"/jobs/{job['job']}"
        assert client.get(accepted.headers["location"]).json()["status"] in {"queued", "running"}
    finally:
        embedding.gate.set()
    assert app.state.jobs.get(job["job"]).finished.wait(timeout=60)
    status = client.get(accepted.headers["location"]).json()
    assert status["status"] == "done"
    assert status["report"]["added"] == 1
    assert client.get("/jobs/999").status_code == 404


def test_the_indexing_queue_is_bounded() -> None:
    embedding = GatedEmbeddings()
    app = file_service.create_app(_fake_store(embedding=embedding), max_queued_jobs=1)
    client = TestClient(app)
    try:
        first = _upload(client, "a.md", b"alpha", wait=0)
        assert embedding.started.wait(timeout=60)
        second = _upload(client, "b.md", b"beta", wait=0)
        assert (first.status_code, second.status_code) == (202, 202)
        busy = _upload(client, "c.md", b"gamma", wait=0)
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "30"
        assert "busy" in busy.json()["detail"]
    finally:
        embedding.gate.set()
    for answer in (first, second):
        assert app.state.jobs.get(answer.json()["job"]).finished.wait(timeout=60)
    assert _sources(client) == {"a.md", "b.md"}


def test_shutdown_cancels_running_indexing_between_batches() -> None:
    embedding = GatedEmbeddings()
    app = file_service.create_app(_fake_store(embedding=embedding))
    with TestClient(app) as client:
        accepted = _upload(client, "huge.md", _many_chunks(), wait=0)
        assert accepted.status_code == 202
        assert embedding.started.wait(timeout=60)
        job = app.state.jobs.get(accepted.json()["job"])
        threading.Thread(target=lambda: job.cancel.wait(60) and embedding.gate.set()).start()
    # Leaving the block ran the shutdown: the job was cancelled after its first batch.
    assert job.status == "cancelled"
    assert job.error.startswith(f"ingest cancelled after {file_service.EMBED_BATCH} of ")


def test_a_client_that_goes_away_cancels_its_indexing() -> None:
    embedding = GatedEmbeddings()
    app = file_service.create_app(_fake_store(embedding=embedding))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        body = _many_chunks()
        boundary = "xyzzy"
        payload = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="huge.md"\r\nContent-Type: text/plain\r\n\r\n'
            ).encode()
            + body
            + f"\r\n--{boundary}--\r\n".encode()
        )
        head = (
            f"POST /files?wait=300 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(head + payload)
            assert embedding.started.wait(timeout=60)
        job = app.state.jobs.get("1")
        assert job.cancel.wait(timeout=60), "the client left but the job was not cancelled"
        embedding.gate.set()
        assert job.finished.wait(timeout=60)
        assert job.status == "cancelled"
    finally:
        embedding.gate.set()
        server.should_exit = True
        thread.join(timeout=60)
    assert not thread.is_alive()


def test_safe_name_keeps_ordinary_names() -> None:
    assert file_service.safe_name("Café notes.md") == "Café notes.md"
    assert file_service.safe_name(None) == ""


@pytest.mark.parametrize("mode", ["similarity", "mmr", "hybrid", "fulltext"])
def test_a_blank_search_is_refused_in_every_mode(mode: str) -> None:
    client = TestClient(file_service.create_app(_fake_store()))
    assert _upload(client, "a.md", b"alpha text").status_code == 201
    blank = client.get("/search", params={"q": " ", "mode": mode})
    assert blank.status_code == 400
    assert "must contain some text" in blank.json()["detail"]
