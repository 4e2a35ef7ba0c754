"""Latency, throttling and access denial, through a test double of the client seam."""

from __future__ import annotations

import asyncio
import time

import pytest

from langchain_s3vectors.base import BatchingConfig
from langchain_s3vectors.errors import AccessDeniedError, PartialWriteError
from langchain_s3vectors.vectorstores import S3VectorsStore

ONE_AT_A_TIME = BatchingConfig(max_concurrency=1)


async def test_concurrent_async_searches_overlap(vocab, faulty):
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    store.add_texts(["apple", "dog", "cherry"])
    client.latency = 0.05

    start = time.perf_counter()
    await store.asimilarity_search("apple", k=2)
    one = time.perf_counter() - start

    start = time.perf_counter()
    results = await asyncio.gather(*(store.asimilarity_search("apple", k=2) for _ in range(10)))
    ten = time.perf_counter() - start

    print(  # noqa: T201 - the figure is part of the test's report
        f"one call: {one * 1000:.0f} ms, ten concurrent: {ten * 1000:.0f} ms ({ten / one:.2f}x)"
    )
    assert all(len(r) == 2 for r in results)
    assert ten < 3 * one


async def test_event_loop_not_blocked_by_slow_client(vocab, faulty):
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    store.add_texts(["apple"])
    client.latency = 0.1
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    await store.asimilarity_search("apple", k=1)
    task.cancel()
    assert ticks >= 5  # the loop kept running during the 100 ms call


@pytest.mark.parametrize("use_async", [False, True])
async def test_throttled_puts_are_retried_nothing_lost(vocab, faulty, use_async):
    client = faulty(throttle={"put_vectors": 0.3})
    store = S3VectorsStore(
        "kb-test", "docs", vocab, client=client, batching=BatchingConfig(max_retries=20)
    )
    texts = [f"apple {i}" for i in range(2400)]  # 5 PutVectors batches
    ids = [f"id-{i}" for i in range(2400)]
    if use_async:
        await store.aadd_texts(texts, ids=ids)
    else:
        store.add_texts(texts, ids=ids)
    assert client.throttled > 0
    stored = {r["key"] for r in store.iter_records(return_metadata=False)}
    assert stored == set(ids)
    assert store.get_by_ids(["id-2399"])[0].page_content == "apple 2399"


@pytest.mark.parametrize("use_async", [False, True])
async def test_access_denied_fails_at_once_naming_action_and_ids(vocab, faulty, use_async):
    client = faulty(deny={"put_vectors"})
    store = S3VectorsStore("kb-test", "docs", vocab, client=client, batching=ONE_AT_A_TIME)
    ids = [f"id-{i}" for i in range(600)]
    if use_async:
        with pytest.raises(PartialWriteError) as info:
            await store.aadd_texts(["apple"] * 600, ids=ids)
    else:
        with pytest.raises(PartialWriteError) as info:
            store.add_texts(["apple"] * 600, ids=ids)
    err = info.value
    assert client.count("put_vectors") == 1  # no retries, no further batches
    assert err.stored_ids == []
    assert err.failed_ids == ids
    assert "s3vectors:PutVectors" in str(err)
    assert "'id-0'" in str(err)
    assert isinstance(err.__cause__, AccessDeniedError)
    assert err.__cause__.operation == "put_vectors"


def test_partial_write_lists_stored_ids(vocab, faulty):
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client, batching=ONE_AT_A_TIME)
    store.add_texts(["apple"], ids=["seed"])
    calls = {"n": 0}
    inner_put = client.inner.put_vectors

    def put_then_deny(**kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise client._error("put_vectors", "AccessDeniedException", 403)
        return inner_put(**kwargs)

    client.inner.put_vectors = put_then_deny
    ids = [f"id-{i}" for i in range(700)]
    with pytest.raises(PartialWriteError) as info:
        store.add_texts(["dog"] * 700, ids=ids)
    assert info.value.stored_ids == ids[:500]
    assert info.value.failed_ids == ids[500:]
    assert store.get_by_ids(["id-499", "id-500"])[0].id == "id-499"
    assert len(store.get_by_ids(["id-499", "id-500"])) == 1


def test_access_denied_on_read_is_translated(vocab, faulty):
    client = faulty(deny={"query_vectors"})
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    with pytest.raises(AccessDeniedError, match="s3vectors:QueryVectors") as info:
        store.similarity_search("apple")
    assert info.value.__cause__ is not None
