"""Former home of the batch runner; its names now live where they belong.

``RetryPolicy``, ``RateLimiter``, ``BatchRunner`` and ``chunked`` are in
:mod:`langchain_s3vectors.execution`; ``iter_put_batches`` and ``split_put_batches``
(PutVectors batches by count and payload size) are in
:mod:`langchain_s3vectors.put_batches`.
This module re-exports them so existing imports keep working.

Example:
    >>> from langchain_s3vectors.batching import chunked
    >>> [len(b) for b in chunked(list(range(1200)), 500)]
    [500, 500, 200]
"""

from __future__ import annotations

from langchain_s3vectors.execution import (
    DEFAULT_RATE_FRACTION,
    BatchRunner,
    RateLimiter,
    RetryPolicy,
    chunked,
)
from langchain_s3vectors.put_batches import iter_put_batches, split_put_batches

__all__ = [
    "DEFAULT_RATE_FRACTION",
    "BatchRunner",
    "RateLimiter",
    "RetryPolicy",
    "chunked",
    "iter_put_batches",
    "split_put_batches",
]
