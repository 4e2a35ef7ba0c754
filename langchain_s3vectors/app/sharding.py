"""Sharded ingest: N processes (on N machines) fill one index, each vector exactly once.

Shard ``I/N`` (``0 <= I < N``) owns the sources whose key hashes to ``I`` modulo
``N``: the first 8 bytes of the SHA-256 of the source (the path relative to the ingest
root, as stored in each chunk's ``source`` metadata), read big-endian. The hash
depends on nothing but the source, so every process, on every machine and Python
version, agrees on the owner of a source without talking to the others, and the N
shares are disjoint and cover every source. Run all shards with the same paths and
``--root`` so sources are named alike.

A shard ingests, skips unchanged chunks and prunes (``--prune``) only within its own
share, and paces its writes at ``1/N`` of the index's write cap, so N shards together
stay under the cap the service enforces per index (2,500 vectors/s and 1,000
requests/s; S3 User Guide, "Limitations and restrictions" of S3 Vectors).

Example:
    >>> shard = Shard.parse("1/4")
    >>> shard
    Shard(index=1, count=4)
    >>> sum(Shard(i, 4).owns("docs/a.md") for i in range(4))
    1
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.execution import RateLimiter

__all__ = ["Shard", "shard_of"]

_SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def shard_of(source: str, count: int) -> int:
    """The shard (``0..count-1``) that owns ``source``.

    Example:
        >>> shard_of("docs/a.md", 1)
        0
    """
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    """One share ``index`` of ``count`` of an ingest's sources.

    Attributes:
        index: This shard, ``0 <= index < count``.
        count: How many shards share the sources.
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        """Check the numbers."""
        if not isinstance(self.count, int) or not isinstance(self.index, int) or self.count < 1:
            msg = f"shard count must be a positive integer, got {self.count!r}"
            raise InvalidInputError(msg)
        if not 0 <= self.index < self.count:
            msg = (
                f"shard {self.index}/{self.count} is out of range: use 0..{self.count - 1} "
                f"for {self.count} shards (e.g. 0/{self.count})"
            )
            raise InvalidInputError(msg)

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Parse ``"I/N"`` (e.g. ``"0/4"``; AWS Batch: ``"$AWS_BATCH_JOB_ARRAY_INDEX/4"``).

        Raises:
            InvalidInputError: Not of the form ``I/N`` with ``0 <= I < N``.
        """
        match = _SHARD_RE.match(text)
        if match is None:
            msg = f"--shard {text!r} is not of the form I/N: give e.g. 0/4 (shard 0 of 4)"
            raise InvalidInputError(msg)
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        """``I/N``."""
        return f"{self.index}/{self.count}"

    def owns(self, source: str) -> bool:
        """Whether ``source`` belongs to this shard."""
        return self.count == 1 or shard_of(source, self.count) == self.index

    def rate_limiter(self, full: RateLimiter) -> RateLimiter:
        """A limiter at this shard's share (``1/count``) of ``full``'s rates.

        Example:
            >>> Shard(0, 4).rate_limiter(RateLimiter(1000, 2500)).vectors_per_second
            625.0
        """
        return RateLimiter(
            requests_per_second=full.requests_per_second / self.count,
            vectors_per_second=full.vectors_per_second / self.count,
        )
