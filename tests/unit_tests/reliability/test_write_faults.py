"""Ingesting thousands of chunks while 30% of writes fail, some after the write happened."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors.execution import RetryPolicy

from .conftest import BUCKET, DIM, INDEX, fast_batching, make_store
from .faults import TRANSIENT_MIX, WRITE_OPERATIONS, list_all_keys, snapshot

N = 5000


def _corpus(n: int = N) -> tuple[list[str], list[str], list[dict[str, int]]]:
    texts = [f"chunk {i} of the reliability corpus, section {i % 37}" for i in range(n)]
    ids = [f"doc-{i:05d}" for i in range(n)]
    metadatas = [{"n": i, "section": i % 37} for i in range(n)]
    return texts, ids, metadatas


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_ingest_survives_30_percent_write_failures(local, faulty, use_async):
    # Every transient kind once, interleaved with successes, then 30% at random.
    opening = [step for kind in TRANSIENT_MIX for step in (kind, None)]
    client = faulty(
        rates=dict.fromkeys(WRITE_OPERATIONS, 0.3),
        script={"put_vectors": opening, "create_index": ["throttle"]},
        seed=11,
    )
    store = make_store(client)
    texts, ids, metadatas = _corpus()

    start = time.perf_counter()
    if use_async:
        returned = await store.aadd_texts(texts, metadatas, ids=ids)
    else:
        returned = store.add_texts(texts, metadatas, ids=ids)
    elapsed = time.perf_counter() - start

    batches = -(-N // 500)
    retries = client.calls["put_vectors"] - batches
    print(  # noqa: T201 - the figures are part of the test's report
        f"\n[{'async' if use_async else 'sync'}] {N} chunks in {elapsed:.2f} s; "
        f"{client.total_failures} injected failures ({dict(client.by_kind)}); "
        f"{retries} PutVectors retries; {client.summary()}"
    )
    assert returned == ids
    # Faults really happened, of every transient kind, including lost responses.
    assert client.failures["put_vectors"] > 0
    assert client.after_write["put_vectors"] > 0
    assert retries == client.failures["put_vectors"]
    assert set(client.by_kind) == set(TRANSIENT_MIX)
    assert client.failures["create_index"] >= 1

    # Exactly N vectors, none twice (counted page by page, behind the wrapper's back).
    keys = list_all_keys(local, BUCKET, INDEX, page_size=700)
    assert len(keys) == N
    assert not [k for k, c in Counter(keys).items() if c > 1]
    assert set(keys) == set(ids)

    # All retrievable, in the order asked, with their content and metadata.
    docs = store.get_by_ids(ids)
    assert [d.id for d in docs] == ids
    assert docs[4321].page_content == texts[4321]
    assert docs[4321].metadata == metadatas[4321]

    # What is stored is what was embedded (a duplicate write replaced, never corrupted).
    stored = snapshot(local, BUCKET, INDEX)
    expected = DeterministicFakeEmbedding(size=DIM).embed_documents([texts[0], texts[-1]])
    for key, vector in zip([ids[0], ids[-1]], expected, strict=True):
        assert stored[key][0] == pytest.approx(vector, rel=1e-6)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_every_response_lost_after_the_write_still_converges(local, faulty, use_async):
    # Half of all PutVectors responses are lost after the write: every such batch is
    # written at least twice. Upserts make that harmless.
    client = faulty(
        rates={"put_vectors": 0.5},
        kinds=("internal_after_write", "read_timeout_after_write"),
        seed=3,
    )
    store = make_store(client)
    texts, ids, _ = _corpus(1500)
    if use_async:
        await store.aadd_texts(texts, ids=ids)
    else:
        store.add_texts(texts, ids=ids)
    assert client.after_write["put_vectors"] > 0
    keys = list_all_keys(local, BUCKET, INDEX)
    assert sorted(keys) == sorted(ids)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_deletes_survive_write_failures(local, faulty, use_async):
    client = faulty()
    store = make_store(client)
    texts, ids, _ = _corpus(1200)
    store.add_texts(texts, ids=ids)
    client.script["delete_vectors"] = ["throttle", "internal_after_write", "connect"]
    doomed = ids[::2]
    if use_async:
        await store.adelete(doomed)
    else:
        store.delete(doomed)
    assert client.failures["delete_vectors"] == 3
    assert client.calls["delete_vectors"] == 2 + 3  # two batches, three retries
    assert sorted(list_all_keys(local, BUCKET, INDEX)) == sorted(ids[1::2])


def test_index_creation_survives_lost_responses(local, faulty):
    # CreateVectorBucket and CreateIndex succeed but the responses are lost: the retry
    # meets ConflictException, which must count as "already there".
    client = faulty(
        script={
            "create_vector_bucket": ["internal_after_write"],
            "create_index": ["read_timeout_after_write"],
        }
    )
    retry = RetryPolicy(max_retries=2, base_delay=0.0005, max_delay=0.005)
    store = make_store(client, batching=fast_batching(retry_policy=retry))
    store.add_texts(["hello"], ids=["a"])
    assert client.after_write["create_vector_bucket"] == 1
    assert client.after_write["create_index"] == 1
    assert list_all_keys(local, BUCKET, INDEX) == ["a"]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_connection_closed_after_the_write_is_retried(local, faulty, use_async):
    client = faulty(script={"put_vectors": ["connection_closed_after_write"]})
    store = make_store(client)
    texts, ids, _ = _corpus(10)
    if use_async:
        await store.aadd_texts(texts, ids=ids)
    else:
        store.add_texts(texts, ids=ids)
    assert client.calls["put_vectors"] == 2
    assert sorted(list_all_keys(local, BUCKET, INDEX)) == ids
