"""Batches, retries, the rate limiter and partial-failure reports."""

from __future__ import annotations

import asyncio
import threading

import pytest
from botocore.exceptions import ClientError

from langchain_s3vectors import limits
from langchain_s3vectors.errors import AccessDeniedError, PartialWriteError
from langchain_s3vectors.execution import BatchRunner, RateLimiter, RetryPolicy, chunked
from langchain_s3vectors.writes import split_put_batches


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "PutVectors",
    )


def test_chunked_and_service_sizes():
    assert [len(b) for b in chunked(list(range(1001)), limits.MAX_PUT_VECTORS)] == [500, 500, 1]
    assert [len(b) for b in chunked(list(range(250)), limits.MAX_GET_VECTORS)] == [100, 100, 50]
    with pytest.raises(ValueError, match="at least 1"):
        list(chunked([1], 0))


def test_put_batches_split_by_payload_size():
    big = {"key": "k", "data": {"float32": [0.1] * 4096}, "metadata": {"t": "x" * 40000}}
    records = [dict(big, key=str(i)) for i in range(500)]
    batches = split_put_batches(records)
    assert sum(len(b) for b in batches) == 500
    assert len(batches) > 1  # 500 x ~140 KB would exceed the 20 MiB request limit
    for batch in batches:
        assert sum(len(str(r)) for r in batch) < limits.MAX_REQUEST_PAYLOAD_BYTES


def test_retry_delay_has_full_jitter_and_cap():
    policy = RetryPolicy(max_retries=5, base_delay=0.1, max_delay=0.4)
    delays = [policy.delay(n) for n in range(10) for _ in range(20)]
    assert all(0 <= d <= 0.4 for d in delays)
    assert len(set(delays)) > 50  # jittered, not a fixed schedule


def test_transient_errors_are_retried_permanent_fail_at_once():
    sleeps: list[float] = []
    runner = BatchRunner(retry=RetryPolicy(max_retries=3), sleep=sleeps.append)
    attempts = {"n": 0}

    def flaky() -> str:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise _client_error("TooManyRequestsException", 429)
        return "ok"

    assert runner.call(flaky) == "ok"
    assert attempts["n"] == 3
    assert len(sleeps) == 2

    denied = {"n": 0}

    def deny() -> None:
        denied["n"] += 1
        raise _client_error("AccessDeniedException", 403)

    with pytest.raises(ClientError):
        runner.call(deny)
    assert denied["n"] == 1


def test_retries_give_up_after_max():
    runner = BatchRunner(retry=RetryPolicy(max_retries=2), sleep=lambda _: None)
    calls = {"n": 0}

    def always() -> None:
        calls["n"] += 1
        raise _client_error("ServiceUnavailableException", 503)

    with pytest.raises(ClientError):
        runner.call(always)
    assert calls["n"] == 3


def test_rate_limiter_token_bucket_with_fake_clock():
    now = [0.0]
    limiter = RateLimiter(requests_per_second=10, vectors_per_second=100, clock=lambda: now[0])
    assert limiter.reserve(vectors=100) == 0.0  # the bucket starts full
    assert limiter.reserve(vectors=50) == pytest.approx(0.5)  # 50 vectors owed at 100/s
    now[0] = 1.0
    assert limiter.reserve(vectors=0) == 0.0
    for _ in range(9):
        limiter.reserve()
    assert limiter.reserve() > 0  # requests/s exhausted
    assert "requests_per_second=10" in repr(limiter)


def test_rate_limiter_is_thread_safe():
    now = [0.0]
    limiter = RateLimiter(requests_per_second=1000, vectors_per_second=1000, clock=lambda: now[0])
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            wait = limiter.reserve(vectors=1)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 800 vectors reserved against a full bucket of 1000 at a frozen clock: no waits.
    assert max(waits) == 0.0
    # The next 200 drain it exactly; the one after waits one token (1 ms at 1000/s).
    for _ in range(200):
        limiter.reserve(vectors=1)
    assert limiter.reserve(vectors=1) == pytest.approx(0.001)


async def test_rate_limiter_async_acquire_does_not_block_loop():
    limiter = RateLimiter(requests_per_second=1000, vectors_per_second=10)
    await limiter.aacquire(vectors=10)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        for _ in range(5):
            ticks += 1
            await asyncio.sleep(0)

    await asyncio.gather(limiter.aacquire(vectors=1), ticker())  # waits ~0.1 s
    assert ticks == 5


def test_write_reports_stored_and_failed_ids():
    runner = BatchRunner(max_concurrency=1, retry=RetryPolicy(max_retries=0))
    sent: list[list[str]] = []

    def put(batch: list[str]) -> None:
        if batch[0] == "c":
            raise _client_error("AccessDeniedException", 403)
        sent.append(batch)

    with pytest.raises(PartialWriteError) as info:
        runner.write("put_vectors", put, [["a", "b"], ["c", "d"], ["e"]], key_of=str)
    err = info.value
    assert err.stored_ids == ["a", "b"]
    assert err.failed_ids == ["c", "d", "e"]  # the batch after the failure never ran
    assert sent == [["a", "b"]]
    assert isinstance(err.__cause__, AccessDeniedError)
    assert isinstance(err.__cause__.__cause__, ClientError)
    assert "s3vectors:PutVectors" in str(err)
    assert "'c'" in str(err)


async def test_amap_bounds_concurrency():
    runner = BatchRunner(max_concurrency=3)
    active = 0
    peak = 0

    async def work(item: int) -> int:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return item * 2

    assert await runner.amap(work, list(range(10))) == [i * 2 for i in range(10)]
    assert peak == 3


async def test_awrite_partial_failure():
    runner = BatchRunner(max_concurrency=2, retry=RetryPolicy(max_retries=0))

    def put(batch: list[str]) -> None:
        if "x" in batch:
            raise _client_error("ValidationException", 400)

    with pytest.raises(PartialWriteError) as info:
        await runner.awrite("put_vectors", put, [["a"], ["x"]], key_of=str)
    assert info.value.failed_ids == ["x"]
    assert info.value.stored_ids == ["a"]
    runner.close()
