"""Bulk writes stream batch by batch and are paced only where the service caps them."""

from __future__ import annotations

import threading
import tracemalloc
from typing import Any

import boto3
import numpy as np
import pytest

from langchain_s3vectors import BatchingConfig, LocalS3VectorsClient, S3VectorsStore
from langchain_s3vectors.errors import InvalidInputError, PartialWriteError
from langchain_s3vectors.execution import BatchRunner, RateLimiter
from langchain_s3vectors.vectorstores import EMBED_CHUNK


class RecordingClient(LocalS3VectorsClient):
    """The embedded client, noting how many vectors each PutVectors carried."""

    def __init__(self) -> None:
        super().__init__(None)
        self.puts: list[int] = []
        self.lock = threading.Lock()

    def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
        with self.lock:
            self.puts.append(len(kwargs["vectors"]))
        return super().put_vectors(**kwargs)


def test_embedded_client_writes_are_not_paced_but_endpoints_are() -> None:
    # The per-index write caps (2,500 vectors/s, 1,000 requests/s) are a property of
    # the service (S3 User Guide, "Limitations and restrictions"); the embedded client
    # has none, so only other clients get the default limiter.
    assert S3VectorsStore.local(None, None).rate_limiter is None
    remote = boto3.client(
        "s3vectors",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    assert isinstance(
        S3VectorsStore("kbase", "docs", None, client=remote).rate_limiter, RateLimiter
    )
    mine = RateLimiter(requests_per_second=5, vectors_per_second=10)
    mine_only = BatchingConfig(rate_limiter=mine)
    assert S3VectorsStore.local(None, None, batching=mine_only).rate_limiter is mine


def test_numpy_embeddings_stream_with_bounded_memory() -> None:
    n, dim = 16_000, 96
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    texts = [f"t{i}" for i in range(n)]
    ids = [f"id{i}" for i in range(n)]
    client = RecordingClient()
    store = S3VectorsStore(
        "kbase", "docs", None, client=client, batching=BatchingConfig(max_concurrency=2)
    )
    tracemalloc.start()
    try:
        store.add_embeddings(texts, vectors, ids=ids)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Every record as Python floats would take ~32 bytes per value (40 MB here);
    # streamed, the records in flight are a small fraction of the raw float32 bytes.
    assert peak < 3 * vectors.nbytes, peak
    assert sum(client.puts) == n
    assert max(client.puts) == 500
    got = client.get_vectors(
        vectorBucketName="kbase", indexName="docs", keys=["id123"], returnData=True
    )["vectors"][0]["data"]["float32"]
    assert got == vectors[123].tolist()


def test_bad_vector_anywhere_writes_nothing() -> None:
    store = S3VectorsStore("kbase", "docs", None, client=RecordingClient())
    vectors = np.ones((1200, 8), dtype=np.float32)
    vectors[1100, 3] = np.nan
    with pytest.raises(InvalidInputError, match=r"document 1100 \(id 'k1100'\).*value 3"):
        store.add_embeddings(["t"] * 1200, vectors, ids=[f"k{i}" for i in range(1200)])
    assert store.client.puts == []  # type: ignore[attr-defined]


def test_batches_are_produced_while_earlier_ones_are_sent() -> None:
    client = RecordingClient()
    store = S3VectorsStore(
        "kbase", "docs", None, client=client, batching=BatchingConfig(max_concurrency=2)
    )
    seen_puts: list[int] = []

    def produce() -> Any:
        for b in range(6):
            seen_puts.append(sum(client.puts))
            keys = [f"b{b}-{i}" for i in range(500)]
            yield ["x"] * 500, np.ones((500, 4), dtype=np.float32), None, keys

    ids = store.add_embedding_batches(produce())
    assert len(ids) == 3000
    assert sum(client.puts) == 3000
    # Later batches were produced after earlier ones had been stored: a pipeline, not
    # "produce everything, then send".
    assert seen_puts[-1] > 0


def test_a_bad_batch_stops_the_stream_and_names_what_was_stored() -> None:
    client = RecordingClient()
    store = S3VectorsStore(
        "kbase", "docs", None, client=client, batching=BatchingConfig(max_concurrency=1)
    )

    ok = [f"ok{i}" for i in range(501)]

    def produce() -> Any:
        yield ["a"] * 501, np.ones((501, 2)), None, ok
        yield ["b"], [[float("nan"), 0.0]], None, ["bad"]

    with pytest.raises(PartialWriteError, match="NaN") as info:
        store.add_embedding_batches(produce())
    # The first full PutVectors went out before the bad batch was read; the one record
    # still waiting for its batch was not sent, and is named as failed.
    assert info.value.stored_ids == ok[:500]
    assert info.value.failed_ids == ok[500:]
    assert isinstance(info.value.__cause__, InvalidInputError)
    assert sum(client.puts) == 500


def test_write_stream_reports_failed_and_unsent_keys() -> None:
    runner = BatchRunner(max_concurrency=2)
    calls: list[list[str]] = []

    def send(batch: list[str]) -> None:
        calls.append(batch)
        if batch[0] == "c":
            raise PermissionError("denied")

    batches = iter([["a"], ["b"], ["c"], ["d"], ["e"]])
    with pytest.raises(PartialWriteError) as info:
        runner.write_stream(
            "put_vectors", send, batches, key_of=str, keys=["a", "b", "c", "d", "e"]
        )
    assert set(info.value.stored_ids) <= {"a", "b", "d"}
    assert "c" in info.value.failed_ids
    assert set(info.value.stored_ids) | set(info.value.failed_ids) == set("abcde")


def test_add_texts_embeds_the_next_chunk_while_writing() -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding  # noqa: PLC0415

    put_started = threading.Event()
    overlapped: list[bool] = []

    class Client(RecordingClient):
        def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
            put_started.set()
            return super().put_vectors(**kwargs)

    class Embedding(DeterministicFakeEmbedding):
        calls: int = 0

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            self.calls += 1
            if self.calls > 1:
                # The first chunk's records are being written while this one embeds.
                overlapped.append(put_started.wait(timeout=30))
            return super().embed_documents(texts)

    emb = Embedding(size=8)
    store = S3VectorsStore("kbase", "docs", emb, client=Client())
    n = 2 * EMBED_CHUNK + 10
    ids = [f"k{i}" for i in range(n)]
    texts = [f"text {i}" for i in range(n)]
    assert store.add_texts(texts, ids=ids) == ids
    assert emb.calls == 3
    assert overlapped == [True, True]
    assert sum(store.client.puts) == n  # type: ignore[attr-defined]
    (doc,) = store.get_by_ids([ids[-1]])
    assert doc.page_content == texts[-1]


def test_embedded_client_writes_on_the_callers_thread_and_endpoints_on_workers() -> None:
    threads: list[str] = []

    class Client(RecordingClient):
        def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
            threads.append(threading.current_thread().name)
            return super().put_vectors(**kwargs)

    store = S3VectorsStore("kbase", "docs", None, client=Client())
    vectors = np.ones((1200, 4), dtype=np.float32)
    store.add_embeddings(["x"] * 1200, vectors, ids=[f"k{i}" for i in range(1200)])
    assert threads == [threading.current_thread().name] * 3
    # An explicit number of requests in flight sends them from worker threads.
    threads.clear()
    records = [{"key": f"r{i}", "data": {"float32": [1.0, 0.0, 0.0, 0.0]}} for i in range(600)]
    assert store.index.put(records, max_in_flight=2) == 600
    assert threads
    assert all(name.startswith("s3vectors-write") for name in threads)
