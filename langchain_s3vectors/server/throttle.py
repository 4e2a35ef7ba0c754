"""Per-index write caps, as the service applies them, answered with HTTP 429.

S3 Vectors limits PutVectors + DeleteVectors per index (1,000 requests/s and 2,500
vectors/s). :class:`WriteCaps` counts them either with the token bucket of
:class:`~langchain_s3vectors.execution.RateLimiter`, one per index, asked to admit a
write now or refuse it, or with a strict one-second sliding window. :func:`enforce`
turns a refusal into the service's ``TooManyRequestsException``.

Example:
    >>> caps = WriteCaps(requests_per_second=1, vectors_per_second=10)
    >>> enforce(caps, "PutVectors", {"indexArn": "arn", "vectors": [{}] * 10})
    >>> enforce(caps, "GetVectors", {"indexArn": "arn", "keys": ["a"]})  # reads: no cap
    >>> try:
    ...     enforce(caps, "DeleteVectors", {"indexArn": "arn", "keys": ["a"]})
    ... except ServiceError as exc:
    ...     print(exc.status, exc.code)
    429 TooManyRequestsException
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.execution import RateLimiter
from langchain_s3vectors.server.protocol import ServiceError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["WRITE_CAPS_MODES", "WriteCaps", "enforce"]

#: How :class:`WriteCaps` counts: a token bucket holding one second of capacity (bursts
#: up to the cap, then the cap's rate), or a strict one-second sliding window.
WRITE_CAPS_MODES = ("token-bucket", "sliding-window")

#: The capped operations, and the request member listing what each writes or deletes.
_WRITE_OPERATIONS = {"PutVectors": "vectors", "DeleteVectors": "keys"}


@dataclass
class WriteCaps:
    """Per-index write limits: requests and vectors per second.

    ``mode="token-bucket"`` (the default) holds one second of capacity per index and
    refills it at the cap's rate, so a burst up to the cap passes and the long-run rate
    cannot exceed it. ``mode="sliding-window"`` is stricter: no one-second window may
    hold more than the cap.

    Args:
        requests_per_second: PutVectors + DeleteVectors requests admitted per index.
        vectors_per_second: Vectors written + deleted per index.
        mode: ``"token-bucket"`` or ``"sliding-window"``.
        clock: Monotonic clock in seconds (a parameter so tests can drive it).

    Example:
        >>> caps = WriteCaps(requests_per_second=2, vectors_per_second=10)
        >>> caps.admit("bucket/index", 6), caps.admit("bucket/index", 6)
        (True, False)
    """

    requests_per_second: int = limits.MAX_WRITE_REQUESTS_PER_SECOND
    vectors_per_second: int = limits.MAX_WRITE_VECTORS_PER_SECOND
    mode: str = "token-bucket"
    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, deque[tuple[float, int]]] = field(default_factory=dict, repr=False)
    _buckets: dict[str, RateLimiter] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        """Check the settings."""
        if self.mode not in WRITE_CAPS_MODES:
            msg = f"mode={self.mode!r} is not one of {', '.join(WRITE_CAPS_MODES)}"
            raise ValueError(msg)
        if self.requests_per_second <= 0 or self.vectors_per_second <= 0:
            msg = "write caps must be positive numbers of requests and vectors per second"
            raise ValueError(msg)

    def admit(self, index: str, vectors: int) -> bool:
        """Admit a write of ``vectors`` vectors to ``index``, or refuse it.

        A refused write uses no capacity. A single write larger than the vector cap is
        admitted when the index has its full capacity, so it cannot be refused forever.

        Args:
            index: Any string naming the index (bucket and index name, or ARN).
            vectors: Vectors the request writes or deletes.

        Returns:
            ``True`` when the write fits.
        """
        if self.mode == "token-bucket":
            return self._bucket(index).try_acquire(vectors)
        return self._admit_window(index, vectors)

    def _bucket(self, index: str) -> RateLimiter:
        """The index's token bucket, full when first asked for."""
        bucket = self._buckets.get(index)
        if bucket is None:
            bucket = self._buckets[index] = RateLimiter(
                self.requests_per_second, self.vectors_per_second, clock=self.clock
            )
        return bucket

    def _admit_window(self, index: str, vectors: int) -> bool:
        now = self.clock()
        window = self._windows.setdefault(index, deque())
        while window and window[0][0] <= now - 1.0:
            window.popleft()
        total = sum(count for _, count in window)
        fits = len(window) < self.requests_per_second and (
            total + vectors <= self.vectors_per_second or not window
        )
        if fits:
            window.append((now, vectors))
        return fits


def enforce(caps: WriteCaps | None, operation: str, params: dict[str, Any]) -> None:
    """Refuse a write over the caps of its index, as the service does.

    Reads and other operations pass; so does everything when ``caps`` is ``None``.

    Args:
        caps: The caps to apply, or ``None`` for none.
        operation: The operation name, e.g. ``"PutVectors"``.
        params: The request's parameters (naming the index and the vectors or keys).

    Raises:
        ServiceError: ``TooManyRequestsException`` (429) when the write does not fit.
    """
    if caps is None or operation not in _WRITE_OPERATIONS:
        return
    items = params.get(_WRITE_OPERATIONS[operation])
    count = len(items) if isinstance(items, list) else 0
    index = params.get("indexArn") or (
        f"{params.get('vectorBucketName')}/{params.get('indexName')}"
    )
    if not caps.admit(str(index), count):
        raise ServiceError(
            429,
            "TooManyRequestsException",
            "Write rate exceeded for this index: at most "
            f"{caps.requests_per_second} requests and "
            f"{caps.vectors_per_second} vectors per second. Retry with backoff.",
        )
