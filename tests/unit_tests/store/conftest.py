"""A test double for the S3 Vectors client seam: latency, throttling, denied actions.

``FaultyClient`` wraps a real :class:`LocalS3VectorsClient` and forwards every call
to it, optionally sleeping first (to model network latency), failing a share of calls
with ``TooManyRequestsException``, or denying whole operations with
``AccessDeniedException``. It records every call, so tests can assert what was sent.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from langchain_core.embeddings import Embeddings

from langchain_s3vectors.local import LocalS3VectorsClient


class FaultyClient:
    """Forwards to a local client; injects latency, throttling and access denials."""

    def __init__(
        self,
        inner: LocalS3VectorsClient | None = None,
        *,
        latency: float = 0.0,
        throttle: dict[str, float] | None = None,
        deny: set[str] | frozenset[str] = frozenset(),
        seed: int = 7,
    ) -> None:
        self.inner = inner or LocalS3VectorsClient()
        self.latency = latency
        self.throttle = dict(throttle or {})
        self.deny = set(deny)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.throttled = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def count(self, operation: str) -> int:
        return sum(1 for name, _ in self.calls if name == operation)

    def requests(self, operation: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.calls if name == operation]

    def _error(self, operation: str, code: str, status: int) -> ClientError:
        return ClientError(
            {
                "Error": {"Code": code, "Message": f"injected {code}"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            operation,
        )

    def __getattr__(self, name: str) -> Callable[..., Any]:
        target = getattr(self.inner, name)
        if name.startswith("_") or not callable(target):
            return target  # type: ignore[no-any-return]

        def call(**kwargs: Any) -> Any:
            with self._lock:
                self.calls.append((name, kwargs))
                throttled = self._random.random() < self.throttle.get(name, 0.0)
                if throttled:
                    self.throttled += 1
            if self.latency:
                time.sleep(self.latency)
            if name in self.deny:
                raise self._error(name, "AccessDeniedException", 403)
            if throttled:
                raise self._error(name, "TooManyRequestsException", 429)
            return target(**kwargs)

        return call


@pytest.fixture
def faulty() -> Iterator[Callable[..., FaultyClient]]:
    made: list[FaultyClient] = []

    def make(**kwargs: Any) -> FaultyClient:
        client = FaultyClient(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.inner.close()


class VocabEmbedding(Embeddings):
    """A tiny deterministic embedding: word counts over a fixed vocabulary, normalised.

    Texts sharing words are close; texts with no vocabulary word map to a fixed
    "unknown" direction so no vector is ever zero.
    """

    VOCAB = ("apple", "banana", "cherry", "dog", "cat", "fish", "red", "blue")

    def __init__(self, *, normalize: bool = True) -> None:
        self.normalize = normalize
        self.calls = 0

    def _one(self, text: str) -> list[float]:
        words = text.lower().split()
        vec = [float(words.count(w)) for w in self.VOCAB] + [0.0]
        if not any(vec):
            vec[-1] = 1.0
        if self.normalize:
            norm = sum(v * v for v in vec) ** 0.5
            vec = [v / norm for v in vec]
        return vec

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        self.calls += 1
        return self._one(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)


@pytest.fixture
def vocab() -> VocabEmbedding:
    return VocabEmbedding()
