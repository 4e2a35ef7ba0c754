"""Fixtures for the reliability tests: a fault-injecting client and fast-retrying stores."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors.base import BatchingConfig
from langchain_s3vectors.execution import RateLimiter, RetryPolicy
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.vectorstores import S3VectorsStore

from .faults import FaultInjectingClient

DIM = 32
BUCKET = "kb-reliability"
INDEX = "chunks"

#: Backoff small enough for tests; the retry count is the store's real default.
FAST_RETRY = RetryPolicy(max_retries=8, base_delay=0.0005, max_delay=0.005)


def unlimited() -> RateLimiter:
    """A rate limiter that never waits (the service caps are beside the point here)."""
    return RateLimiter(requests_per_second=1e9, vectors_per_second=1e12)


def fast_batching(**kwargs: Any) -> BatchingConfig:
    """Batching with no rate limit and :data:`FAST_RETRY` (millisecond backoff) by default."""
    kwargs.setdefault("rate_limiter", unlimited())
    kwargs.setdefault("retry_policy", FAST_RETRY)
    return BatchingConfig(**kwargs)


def make_store(client: Any, **kwargs: Any) -> S3VectorsStore:
    """A store on ``client`` with a 32-dimension deterministic embedding.

    Batching is :func:`fast_batching` unless ``batching=`` says otherwise.
    """
    kwargs.setdefault("batching", fast_batching())
    return S3VectorsStore(
        kwargs.pop("vector_bucket_name", BUCKET),
        kwargs.pop("index_name", INDEX),
        kwargs.pop("embedding", DeterministicFakeEmbedding(size=DIM)),
        client=client,
        **kwargs,
    )


@pytest.fixture
def local() -> Iterator[LocalS3VectorsClient]:
    client = LocalS3VectorsClient()
    yield client
    client.close()


@pytest.fixture
def faulty(local: LocalS3VectorsClient) -> Callable[..., FaultInjectingClient]:
    def make(**kwargs: Any) -> FaultInjectingClient:
        return FaultInjectingClient(local, **kwargs)

    return make
