"""Reads are retried transparently: under 30% transient failures they return what a
healthy endpoint returns."""

from __future__ import annotations

import pytest

from langchain_s3vectors.errors import TransientServiceError
from langchain_s3vectors.execution import RetryPolicy

from .conftest import fast_batching, make_store
from .faults import READ_OPERATIONS, TRANSIENT_MIX

QUERIES = [f"chunk {i} of the corpus" for i in range(0, 300, 13)]
READ_KINDS = tuple(k for k in TRANSIENT_MIX if "after_write" not in k)


@pytest.fixture
def corpus(faulty):
    client = faulty(seed=21)
    store = make_store(client)
    texts = [f"chunk {i} of the corpus, topic {i % 7}" for i in range(300)]
    ids = [f"c{i}" for i in range(300)]
    store.add_texts(texts, [{"topic": i % 7} for i in range(300)], ids=ids)
    return client, ids


def _run_reads(store, ids):
    out = []
    for q in QUERIES:
        out.append([(d.id, s) for d, s in store.similarity_search_with_score(q, k=5)])
        out.append([d.id for d in store.similarity_search(q, k=3, filter={"topic": 3})])
        out.append([d.id for d in store.max_marginal_relevance_search(q, k=4, fetch_k=20)])
        out.append([d.id for d, _ in store.hybrid_search(q, k=5)])
    out.append([(d.id, d.page_content) for d in store.get_by_ids(ids)])
    out.append(sorted(r["key"] for r in store.iter_records(return_metadata=False)))
    return out


async def _arun_reads(store, ids):
    out = []
    for q in QUERIES:
        out.append([(d.id, s) for d, s in await store.asimilarity_search_with_score(q, k=5)])
        out.append([d.id for d in await store.asimilarity_search(q, k=3, filter={"topic": 3})])
        mmr = await store.amax_marginal_relevance_search(q, k=4, fetch_k=20)
        out.append([d.id for d in mmr])
        out.append([d.id for d, _ in await store.ahybrid_search(q, k=5)])
    out.append([(d.id, d.page_content) for d in await store.aget_by_ids(ids)])
    out.append(sorted([r["key"] async for r in store.aiter_records(return_metadata=False)]))
    return out


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_reads_retried_transparently(corpus, use_async):
    client, ids = corpus
    # The answers of a healthy endpoint, from a fresh store object (no cached index).
    healthy = make_store(client)
    expected = await _arun_reads(healthy, ids) if use_async else _run_reads(healthy, ids)

    client.rates.update(dict.fromkeys(READ_OPERATIONS, 0.3))
    client.kinds = [k for k in client.kinds if k.name in READ_KINDS]
    # Few ListVectors / GetIndex calls happen: make sure those fail too.
    client.script.update({"list_vectors": ["connect", "throttle"], "get_index": ["timeout"]})
    before = client.failures.copy()
    store = make_store(client)
    got = await _arun_reads(store, ids) if use_async else _run_reads(store, ids)

    injected = client.failures - before
    print(f"\n[{'async' if use_async else 'sync'}] read faults injected: {dict(injected)}")  # noqa: T201
    assert got == expected
    assert len(got[-2]) == len(ids)
    for operation in READ_OPERATIONS:
        assert injected[operation] > 0, operation
    assert sum(injected.values()) > 20


async def _search(store, query, *, use_async):
    if use_async:
        return await store.asimilarity_search(query, k=1)
    return store.similarity_search(query, k=1)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_reads_give_up_after_max_retries_with_a_translated_error(faulty, use_async):
    client = faulty()
    retry = RetryPolicy(max_retries=3, base_delay=0.0005)
    store = make_store(client, batching=fast_batching(retry_policy=retry))
    store.add_texts(["a", "b"], ids=["a", "b"])
    client.rates["query_vectors"] = 1.0
    client.kinds = [k for k in client.kinds if k.name == "unavailable"]
    calls = client.calls["query_vectors"]
    with pytest.raises(TransientServiceError, match="ServiceUnavailableException") as info:
        await _search(store, "a", use_async=use_async)
    assert client.calls["query_vectors"] - calls == 4  # one attempt and three retries
    assert info.value.status == 503
    assert info.value.__cause__ is not None
