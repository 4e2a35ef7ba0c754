"""Per-index write caps: the sliding window, and 429s seen through botocore's retries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from langchain_s3vectors.execution import RateLimiter
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import WriteCaps, serve_in_thread


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_sliding_window_request_cap() -> None:
    clock = Clock()
    caps = WriteCaps(3, 1000, mode="sliding-window", clock=clock)
    assert [caps.admit("b/i", 1) for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5
    assert not caps.admit("b/i", 1)
    clock.now += 0.51
    assert caps.admit("b/i", 1)


def test_sliding_window_vector_cap_and_refusals_use_no_capacity() -> None:
    clock = Clock()
    caps = WriteCaps(100, 2500, mode="sliding-window", clock=clock)
    assert all(caps.admit("b/i", 500) for _ in range(5))
    assert not caps.admit("b/i", 1)
    clock.now += 0.9
    assert not caps.admit("b/i", 500)
    clock.now += 0.1
    assert all(caps.admit("b/i", 500) for _ in range(5))
    assert not caps.admit("b/i", 1)


def test_token_bucket_bursts_then_refills_at_the_cap_rate() -> None:
    clock = Clock()
    caps = WriteCaps(1000, 2500, clock=clock)
    assert all(caps.admit("b/i", 500) for _ in range(5))
    assert not caps.admit("b/i", 500)
    clock.now += 0.1  # 250 vectors of capacity back
    assert not caps.admit("b/i", 500)
    assert caps.admit("b/i", 240)
    clock.now += 0.2
    assert caps.admit("b/i", 500)
    admitted = 0
    for _ in range(100):  # ten seconds later: long-run rate is the cap
        clock.now += 0.1
        admitted += sum(500 for _ in range(3) if caps.admit("b/i", 500))
    assert 24_000 <= admitted <= 25_500


def test_token_bucket_request_cap() -> None:
    clock = Clock()
    caps = WriteCaps(3, 1000, clock=clock)
    assert [caps.admit("b/i", 1) for _ in range(4)] == [True, True, True, False]
    clock.now += 0.34
    assert caps.admit("b/i", 1)
    assert not caps.admit("b/i", 1)


@pytest.mark.parametrize("mode", ["token-bucket", "sliding-window"])
def test_caps_are_per_index(mode: str) -> None:
    caps = WriteCaps(1, 10, mode=mode, clock=Clock())
    assert caps.admit("b/one", 10)
    assert not caps.admit("b/one", 1)
    assert caps.admit("b/two", 10)


@pytest.mark.parametrize("mode", ["token-bucket", "sliding-window"])
def test_oversized_write_is_admitted_at_full_capacity(mode: str) -> None:
    caps = WriteCaps(10, 100, mode=mode, clock=Clock())
    assert caps.admit("b/i", 500)
    assert not caps.admit("b/i", 1)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        WriteCaps(mode="leaky")
    with pytest.raises(ValueError, match="positive"):
        WriteCaps(0, 10)


@pytest.fixture
def capped(make_client: Any) -> Iterator[tuple[str, Any]]:
    with (
        LocalS3VectorsClient() as local,
        serve_in_thread(
            local, enforce_write_caps=True, write_requests_per_second=3, write_vectors_per_second=30
        ) as url,
    ):
        local.create_vector_bucket(vectorBucketName="capped")
        local.create_index(
            vectorBucketName="capped",
            indexName="idx",
            dataType="float32",
            dimension=2,
            distanceMetric="euclidean",
        )
        yield url, local


def batch(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {"key": f"k{i}", "data": {"float32": [float(i), 1.0]}} for i in range(start, start + count)
    ]


def test_burst_without_retries_gets_429(capped: tuple[str, Any], make_client: Any) -> None:
    url, local = capped
    client = make_client(url, retries={"total_max_attempts": 1})

    def put(i: int) -> str:
        # 30 vectors: a whole second of the index's vector capacity in one request.
        vectors = batch(30 * i, 30)
        try:
            client.put_vectors(vectorBucketName="capped", indexName="idx", vectors=vectors)
        except client.exceptions.TooManyRequestsException as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429  # noqa: PT017
            return str(exc.response["Error"]["Code"])
        return "ok"

    codes = [put(i) for i in range(4)]
    assert codes[0] == "ok"
    assert "TooManyRequestsException" in codes[1:]
    stored = local.list_vectors(vectorBucketName="capped", indexName="idx")["vectors"]
    assert len(stored) == 30 * codes.count("ok")  # a refused request wrote nothing


def test_burst_with_standard_retries_all_succeeds(
    capped: tuple[str, Any], make_client: Any
) -> None:
    url, local = capped
    client = make_client(url, retries={"mode": "standard", "max_attempts": 10})
    attempts = 0
    for i in range(0, 50, 10):
        response = client.put_vectors(
            vectorBucketName="capped", indexName="idx", vectors=batch(i, 10)
        )
        attempts += response["ResponseMetadata"]["RetryAttempts"]
    response = client.delete_vectors(vectorBucketName="capped", indexName="idx", keys=["k0", "k1"])
    attempts += response["ResponseMetadata"]["RetryAttempts"]
    assert attempts >= 1  # 30 vectors per second: most of these writes were throttled once
    keys = [
        v["key"] for v in local.list_vectors(vectorBucketName="capped", indexName="idx")["vectors"]
    ]
    assert sorted(keys) == sorted(f"k{i}" for i in range(2, 50))


def test_reads_are_not_capped(capped: tuple[str, Any], make_client: Any) -> None:
    url, _ = capped
    client = make_client(url, retries={"total_max_attempts": 1})
    for _ in range(10):
        assert client.list_vectors(vectorBucketName="capped", indexName="idx")["vectors"] == []


def test_rate_limiter_try_acquire_takes_tokens_now_or_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(requests_per_second=2, vectors_per_second=10, clock=clock)
    assert limiter.try_acquire(6)
    assert not limiter.try_acquire(6)  # refused: 4 vectors left, and none taken
    assert limiter.try_acquire(4)
    assert not limiter.try_acquire(0)  # both requests of this second used
    clock.now += 0.5  # one request and five vectors back
    assert limiter.try_acquire(5)
    assert limiter.reserve(0) > 0  # the blocking path sees the same bucket


def test_rate_limiter_try_acquire_admits_an_oversized_request_when_full() -> None:
    clock = Clock()
    limiter = RateLimiter(requests_per_second=10, vectors_per_second=100, clock=clock)
    assert limiter.try_acquire(500)  # 400 vectors in debt, paid back at 100 per second
    clock.now += 4.0
    assert not limiter.try_acquire(1)
    clock.now += 1.0
    assert limiter.try_acquire(100)


def test_token_bucket_caps_are_rate_limiters_per_index() -> None:
    caps = WriteCaps(5, 50, clock=Clock())
    caps.admit("b/one", 1)
    caps.admit("b/two", 1)
    assert {name: type(bucket) for name, bucket in caps._buckets.items()} == {
        "b/one": RateLimiter,
        "b/two": RateLimiter,
    }
