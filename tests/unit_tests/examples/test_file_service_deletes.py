"""examples/file_service.py: a deleted file stays deleted, whatever its indexing was doing."""

from __future__ import annotations

import threading
import unicodedata
from typing import Any

import file_service
from fastapi.testclient import TestClient
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from langchain_s3vectors import S3VectorsStore

PARAGRAPH = "Write-ahead logging lets readers continue while a writer commits. " * 12


class HeldEmbeddings(Embeddings):
    """Fake embeddings that let ``free`` calls through, then wait for ``gate`` on each call."""

    def __init__(self, free: int) -> None:
        self.inner = DeterministicFakeEmbedding(size=16)
        self.free = free
        self.calls = 0
        self.held = threading.Event()
        self.gate = threading.Event()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls > self.free:
            self.held.set()
            assert self.gate.wait(timeout=60), "the test never opened the gate"
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def _upload(client: TestClient, name: str, body: bytes, **params: Any) -> Any:
    return client.post("/files", files={"file": (name, body, "text/plain")}, params=params)


def _many_chunks(batches: int) -> bytes:
    return "\n\n".join([PARAGRAPH] * (file_service.EMBED_BATCH * batches + 10)).encode()


def _delete_in_background(client: TestClient, name: str) -> tuple[threading.Thread, list[Any]]:
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(client.delete(f"/files/{name}")))
    thread.start()
    return thread, answers


def test_a_file_deleted_while_it_is_indexed_does_not_come_back() -> None:
    embedding = HeldEmbeddings(free=2)  # two batches go through, the third is held
    app = file_service.create_app(S3VectorsStore.local(None, embedding))
    client = TestClient(app)
    try:
        accepted = _upload(client, "huge.md", _many_chunks(batches=6), wait=0)
        assert accepted.status_code == 202
        job = app.state.jobs.get(accepted.json()["job"])
        assert embedding.held.wait(timeout=60)
        thread, answers = _delete_in_background(client, "huge.md")
        # The delete cancels the job, then waits for it to stop before deleting.
        assert job.cancel.wait(timeout=60), "DELETE did not cancel the running job"
        assert not job.finished.is_set()
    finally:
        embedding.gate.set()
    thread.join(timeout=60)
    assert answers[0].status_code == 200, answers[0].text
    # The batch being embedded when the delete came was still written, then deleted.
    assert answers[0].json() == {
        "source": "huge.md",
        "deleted": 3 * file_service.EMBED_BATCH,
        "cancelled_jobs": [job.id],
    }
    assert job.finished.is_set()
    assert client.get("/files").json() == []
    status = client.get(f"/jobs/{job.id}").json()
    assert status["status"] == "cancelled"
    assert status["error"] == "huge.md was deleted while being indexed"


def test_deleting_a_file_waiting_to_be_indexed_cancels_it() -> None:
    embedding = HeldEmbeddings(free=0)
    app = file_service.create_app(S3VectorsStore.local(None, embedding))
    client = TestClient(app)
    try:
        first = _upload(client, "a.md", b"alpha", wait=0)
        assert embedding.held.wait(timeout=60)
        queued = _upload(client, "b.md", b"beta", wait=0)
        assert queued.json()["status"] == "queued"
        deleted = client.delete("/files/b.md")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json() == {
            "source": "b.md",
            "deleted": 0,
            "cancelled_jobs": [queued.json()["job"]],
        }
    finally:
        embedding.gate.set()
    for answer in (first, queued):
        assert app.state.jobs.get(answer.json()["job"]).finished.wait(timeout=60)
    assert client.get(f"/jobs/{queued.json()['job']}").json()["status"] == "cancelled"
    assert client.get("/files").json() == [{"source": "a.md", "chunks": 1}]
    assert client.delete("/files/b.md").status_code == 404


def test_a_file_is_deleted_by_either_unicode_form_of_its_name() -> None:
    store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=16))
    nfc = unicodedata.normalize("NFC", "Café notes.md")
    nfd = unicodedata.normalize("NFD", nfc)
    # A source stored decomposed (as another tool may have written it) ...
    store.add_texts(["stored decomposed"], metadatas=[{"source": nfd}], ids=["k1"])
    client = TestClient(file_service.create_app(store))
    # ... is deleted by its composed name, and an upload of a decomposed name by that.
    assert client.delete(f"/files/{nfc}").json() == {"source": nfc, "deleted": 1}
    assert _upload(client, nfd, b"uploaded decomposed").status_code == 201
    assert client.get("/files").json() == [{"source": nfc, "chunks": 1}]
    answer = client.delete(f"/files/{nfd}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["deleted"] == 1
    assert client.get("/files").json() == []
