"""Running S3 Vectors calls: retries, rate limiting and bounded fan-out on threads.

* :class:`RetryPolicy` retries transient errors (throttling, 5xx, timeouts; see
  :func:`~langchain_s3vectors.errors.is_transient`) with exponential backoff and full
  jitter, capped; any other error fails at once.
* :class:`RateLimiter` is a thread-safe token bucket over requests/s and vectors/s
  (defaults: the service's per-index write caps).
* :class:`BatchRunner` runs batches with at most ``max_concurrency`` in flight, on
  threads: boto3 blocks, so the logic is written once, synchronously, and async callers
  hand it to :attr:`BatchRunner.executor` (:func:`in_thread` makes such an async twin
  of a method). A write that finally fails raises
  :class:`~langchain_s3vectors.errors.PartialWriteError` naming the ids stored and not
  stored; :meth:`BatchRunner.write_stream` sends batches as an iterator produces them.
* :func:`chunked` cuts work into service-sized requests (100 keys per GetVectors, 500
  per DeleteVectors); PutVectors batches by count and payload size are cut by
  :func:`langchain_s3vectors.writes.iter_put_batches`.

Example:
    >>> from langchain_s3vectors.execution import BatchRunner, chunked
    >>> [len(b) for b in chunked(list(range(1200)), 500)]
    [500, 500, 200]
    >>> BatchRunner(max_concurrency=2).map(sum, [[1, 2], [3]])
    [3, 3]
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from langchain_s3vectors import limits
from langchain_s3vectors.errors import (
    PartialWriteError,
    is_transient,
    translate_client_error,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Sequence

__all__ = [
    "DEFAULT_RATE_FRACTION",
    "BatchRunner",
    "RateLimiter",
    "RetryPolicy",
    "Runs",
    "chunked",
    "in_thread",
]

T = TypeVar("T")
R = TypeVar("R")

#: Ids named in a failure message.
_SHOWN_IDS = 5


def chunked(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """Yield consecutive slices of at most ``size`` items.

    Example:
        >>> list(chunked("abcde", 2))
        [['a', 'b'], ['c', 'd'], ['e']]
    """
    if size < 1:
        msg = f"batch size must be at least 1, got {size}"
        raise ValueError(msg)
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter for transient errors.

    The wait before retry ``n`` (0-based) is uniform in
    ``[0, min(max_delay, base_delay * 2**n)]``.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        base_delay: Backoff base in seconds.
        max_delay: Cap of one wait in seconds.

    Example:
        >>> policy = RetryPolicy(max_retries=3, base_delay=0.1, max_delay=1.0)
        >>> 0 <= policy.delay(10) <= 1.0
        True
    """

    max_retries: int = 8
    base_delay: float = 0.05
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(attempt, 30)))
        return random.uniform(0.0, ceiling)  # noqa: S311 - jitter, not cryptography


#: Fraction of the per-index write caps a default limiter uses: at exactly the cap,
#: network jitter turns into 429s and backoff; a little headroom keeps ingest steady.
DEFAULT_RATE_FRACTION = 0.97


class RateLimiter:
    """Token bucket over requests per second and vectors per second.

    Thread-safe, and usable from sync code (:meth:`acquire`) and async code
    (:meth:`aacquire`, which sleeps without blocking the event loop). One limiter may be
    shared by several stores writing to the same index. A request larger than a whole
    second's budget still goes through; it just waits for the bucket to refill.

    Args:
        requests_per_second: Request rate (default: 97% of the per-index write cap).
        vectors_per_second: Vector rate (default: 97% of the per-index write cap).
        clock: Monotonic clock, replaceable in tests.

    Example:
        >>> limiter = RateLimiter(requests_per_second=1000, vectors_per_second=2500)
        >>> limiter.acquire(vectors=500)  # returns at once: the bucket starts full
    """

    def __init__(
        self,
        requests_per_second: float = limits.MAX_WRITE_REQUESTS_PER_SECOND * DEFAULT_RATE_FRACTION,
        vectors_per_second: float = limits.MAX_WRITE_VECTORS_PER_SECOND * DEFAULT_RATE_FRACTION,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create a full bucket."""
        if requests_per_second <= 0 or vectors_per_second <= 0:
            msg = "rate limits must be positive numbers of requests/vectors per second"
            raise ValueError(msg)
        self.requests_per_second = float(requests_per_second)
        self.vectors_per_second = float(vectors_per_second)
        self._clock = clock
        self._lock = threading.Lock()
        self._requests = self.requests_per_second
        self._vectors = self.vectors_per_second
        self._stamp = clock()

    def __repr__(self) -> str:
        """Show the rates."""
        return (
            f"RateLimiter(requests_per_second={self.requests_per_second:g}, "
            f"vectors_per_second={self.vectors_per_second:g})"
        )

    def reserve(self, vectors: int = 0) -> float:
        """Take tokens for one request now; return how long the caller must wait first.

        The tokens are taken even when the bucket goes negative, so concurrent callers
        queue up fairly behind each other.
        """
        with self._lock:
            self._refill()
            self._requests -= 1
            self._vectors -= vectors
            wait_requests = max(0.0, -self._requests / self.requests_per_second)
            wait_vectors = max(0.0, -self._vectors / self.vectors_per_second)
            return max(wait_requests, wait_vectors)

    def try_acquire(self, vectors: int = 0) -> bool:
        """Take tokens for one request if the bucket holds them now; never wait.

        A refused request takes nothing. A request larger than a whole second's vector
        budget is let through when the bucket is full, so it cannot be refused forever.

        Example:
            >>> limiter = RateLimiter(requests_per_second=2, vectors_per_second=10)
            >>> limiter.try_acquire(6), limiter.try_acquire(6)
            (True, False)
        """
        with self._lock:
            self._refill()
            fits = self._requests >= 1.0 and (
                self._vectors >= vectors or self._vectors >= self.vectors_per_second
            )
            if fits:
                self._requests -= 1
                self._vectors -= vectors
            return fits

    def _refill(self) -> None:
        """Add the tokens earned since the last call, up to one second of capacity.

        Call it with the lock held.
        """
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._requests = min(
            self.requests_per_second, self._requests + elapsed * self.requests_per_second
        )
        self._vectors = min(
            self.vectors_per_second, self._vectors + elapsed * self.vectors_per_second
        )

    def acquire(self, vectors: int = 0) -> None:
        """Block until one request carrying ``vectors`` vectors may be sent."""
        wait = self.reserve(vectors)
        if wait > 0:
            time.sleep(wait)

    async def aacquire(self, vectors: int = 0) -> None:
        """Wait (without blocking the event loop) until a request may be sent."""
        wait = self.reserve(vectors)
        if wait > 0:
            await asyncio.sleep(wait)


class BatchRunner:
    """Runs client calls with retries, a rate limit and bounded concurrency.

    Args:
        max_concurrency: Batches in flight at once.
        retry: The retry policy for transient errors.
        rate_limiter: Applied to write calls (``vectors`` > 0 or ``write=True``).
        executor: Thread pool in which async callers run the blocking logic; by
            default one owned by the runner and created on first use.
        sleep: Sleep function of the sync path (replaceable in tests).
    """

    def __init__(
        self,
        *,
        max_concurrency: int = 8,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        executor: Executor | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create the runner."""
        if max_concurrency < 1:
            msg = f"max_concurrency must be at least 1, got {max_concurrency}"
            raise ValueError(msg)
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        self.rate_limiter = rate_limiter
        self._executor = executor
        self._owns_executor = executor is None
        self._executor_lock = threading.Lock()
        self._sleep = sleep

    @property
    def executor(self) -> Executor:
        """The thread pool in which async callers run blocking calls (see :meth:`in_executor`)."""
        with self._executor_lock:
            if self._executor is None:
                # Threads start lazily; size it for many concurrent async callers.
                self._executor = ThreadPoolExecutor(
                    max_workers=max(32, 4 * self.max_concurrency),
                    thread_name_prefix="s3vectors",
                )
            return self._executor

    def close(self) -> None:
        """Shut down the runner's own thread pool, if it created one."""
        with self._executor_lock:
            if self._owns_executor and self._executor is not None:
                self._executor.shutdown(wait=False)
                self._executor = None

    # -- single calls --------------------------------------------------------------

    def call(
        self,
        fn: Callable[..., R],
        /,
        *args: Any,
        write_vectors: int | None = None,
        **kwargs: Any,
    ) -> R:
        """``fn(*args, **kwargs)``, retrying transient errors; others propagate at once.

        ``write_vectors`` is the number of vectors a write call carries (rate limited);
        ``None`` for a read.
        """
        attempt = 0
        while True:
            if write_vectors is not None and self.rate_limiter is not None:
                self.rate_limiter.acquire(write_vectors)
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if attempt >= self.retry.max_retries or not is_transient(exc):
                    raise
                self._sleep(self.retry.delay(attempt))
                attempt += 1

    async def acall(
        self,
        fn: Callable[..., R],
        /,
        *args: Any,
        write_vectors: int | None = None,
        **kwargs: Any,
    ) -> R:
        """:meth:`call`, run in :attr:`executor` so the event loop is never blocked."""
        return await self.in_executor(
            partial(self.call, fn, *args, write_vectors=write_vectors, **kwargs)
        )

    async def in_executor(self, fn: Callable[[], R]) -> R:
        """Run the blocking ``fn`` in :attr:`executor`, in a copy of the caller's context.

        This is how async callers use the (synchronous) logic of this package: the
        event loop awaits the result while a worker thread does the work.
        """
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self.executor, context.run, fn)

    # -- many batches -----------------------------------------------------------------

    def map(self, fn: Callable[[T], R], batches: Sequence[T]) -> list[R]:
        """Run ``fn`` on every batch, at most ``max_concurrency`` at once, in order.

        Each batch is retried on transient errors; the first permanent failure is
        raised after the batches in flight finish, and batches not yet started are
        skipped.
        """
        if len(batches) <= 1 or self.max_concurrency == 1:
            return [fn(batch) for batch in batches]
        stop = threading.Event()

        def guarded(batch: T) -> R:
            if stop.is_set():
                raise _SkippedError
            try:
                return fn(batch)
            except BaseException:
                stop.set()
                raise

        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(batches))) as pool:
            futures = [pool.submit(guarded, batch) for batch in batches]
        errors = [f.exception() for f in futures]
        first = next(
            (e for e in errors if e is not None and not isinstance(e, _SkippedError)), None
        )
        if first is not None:
            raise first
        return [f.result() for f in futures]

    async def amap(self, fn: Callable[[T], Awaitable[R]], batches: Sequence[T]) -> list[R]:
        """:meth:`map` for a coroutine function (awaited on the caller's event loop)."""
        loop = asyncio.get_running_loop()

        def run(batch: T) -> R:
            return asyncio.run_coroutine_threadsafe(_awaited(fn, batch), loop).result()

        return await self.in_executor(partial(self.map, run, batches))

    def write(
        self,
        operation: str,
        fn: Callable[[list[T]], object],
        batches: Sequence[list[T]],
        *,
        key_of: Callable[[T], str],
        resource: str = "",
    ) -> None:
        """Run write batches (retried, rate limited, concurrent) and report failures.

        The arguments are those of :meth:`write_stream`, with the batches in a list.

        Raises:
            PartialWriteError: A batch failed (even when none was stored); its
                ``__cause__`` is the translated service error (e.g.
                :class:`~langchain_s3vectors.errors.AccessDeniedError`).
        """
        done: list[bool] = [False] * len(batches)

        def run(index: int) -> None:
            self.call(fn, batches[index], write_vectors=len(batches[index]))
            done[index] = True

        try:
            self.map(run, list(range(len(batches))))
        except Exception as exc:  # noqa: BLE001 - re-raised below, translated
            stored, failed = _split_done(batches, done, key_of)
            _raise_write_failure(
                exc, operation=operation, stored=stored, failed=failed, resource=resource
            )

    async def awrite(self, *args: Any, **kwargs: Any) -> None:
        """:meth:`write` (same arguments), run in :attr:`executor` (``fn`` blocks)."""
        await self.in_executor(partial(self.write, *args, **kwargs))

    def write_stream(
        self,
        operation: str,
        fn: Callable[[list[T]], object],
        batches: Iterable[list[T]],
        *,
        key_of: Callable[[T], str],
        resource: str = "",
        keys: Sequence[str] | None = None,
        max_in_flight: int | None = None,
        inline: bool = False,
    ) -> int:
        """Send write batches as an iterator produces them; return how many items were sent.

        The next batch is pulled (on the caller's thread) while earlier ones are sent, so
        producing (building records, embedding) overlaps with sending and memory holds
        only the batches in flight, each retried and rate limited as in :meth:`write`.

        Args:
            operation: The client method name, for messages (e.g. ``"put_vectors"``).
            fn: Sends one batch.
            batches: The batches, produced lazily.
            key_of: The vector key of one item.
            resource: What the call is about, for messages.
            keys: Every key the batches will carry, when known: a failure then names
                all that were not stored (not only the batches already produced).
            max_in_flight: Batches in flight at once (default ``max_concurrency``).
            inline: Send each batch on the caller's thread before pulling the next,
                for a client whose writes hold the GIL (the embedded one): a writer
                thread would then only contend with the producer for it.

        Raises:
            PartialWriteError: A batch failed, or ``batches`` raised; the error names
                the ids stored so far and the ids of the batches that failed or were
                produced but not sent. Its ``__cause__`` is the underlying error.
        """
        in_flight = max(1, min(max_in_flight or self.max_concurrency, self.max_concurrency))
        state = _Stream(in_flight)

        def run(batch: list[T]) -> None:
            keys = [key_of(item) for item in batch]
            try:
                state.check()
                self.call(fn, batch, write_vectors=len(batch))
            except BaseException as exc:
                state.failed(keys, exc, release=True)
                raise
            else:
                state.sent(keys)

        if inline:
            _feed(batches, state, partial(_quietly, run))
        else:
            with ThreadPoolExecutor(
                max_workers=in_flight, thread_name_prefix="s3vectors-write"
            ) as pool:
                _feed(batches, state, lambda batch: pool.submit(run, batch))
        if state.errors:
            state.raise_failure(operation, resource, keys)
        return len(state.stored)


class _Stream:
    """Book-keeping of :meth:`BatchRunner.write_stream`: slots, stored ids, errors."""

    def __init__(self, slots: int) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self.stored: list[str] = []
        self.unsent: list[str] = []
        self.errors: list[BaseException] = []

    def slot(self) -> bool:
        """Wait for a free slot; ``False`` (and no slot) once something failed."""
        self._slots.acquire()
        if self.errors:
            self._slots.release()
            return False
        return True

    def check(self) -> None:
        """Skip a batch queued behind a failure."""
        if self.errors:
            raise _SkippedError

    def sent(self, keys: list[str]) -> None:
        with self._lock:
            self.stored.extend(keys)
        self._slots.release()

    def failed(self, keys: list[str], exc: BaseException, *, release: bool) -> None:
        with self._lock:
            self.unsent.extend(keys)
            if not isinstance(exc, _SkippedError):
                self.errors.append(exc)
        if release:
            self._slots.release()

    def raise_failure(self, operation: str, resource: str, keys: Sequence[str] | None) -> None:
        error = self.errors[0]
        if not isinstance(error, Exception):
            raise error
        failed = self.unsent
        if keys is not None:
            done = set(self.stored)
            failed = [key for key in dict.fromkeys(keys) if key not in done]
        _raise_write_failure(
            error, operation=operation, stored=self.stored, failed=failed, resource=resource
        )


def _feed(batches: Iterable[T], state: _Stream, send: Callable[[T], object]) -> None:
    """Hand each batch to ``send`` while a slot is free; a producer error is recorded."""
    try:
        for batch in batches:
            if not state.slot():
                break
            send(batch)
    except Exception as exc:  # noqa: BLE001 - the producer failed; reported by the caller
        state.failed([], exc, release=False)


def _quietly(run: Callable[[T], None], batch: T) -> None:
    """``run(batch)`` on the caller's thread; its error was recorded, as a pool would."""
    with contextlib.suppress(Exception):
        run(batch)


async def _awaited(fn: Callable[[T], Awaitable[R]], batch: T) -> R:
    return await fn(batch)


class _SkippedError(Exception):
    """A batch not started because another one failed."""


def _raise_write_failure(
    exc: Exception,
    *,
    operation: str,
    stored: Sequence[str],
    failed: Sequence[str],
    resource: str,
) -> None:
    error = translate_client_error(exc, operation=operation, resource=resource)
    if error is not exc:
        error.__cause__ = exc
    shown = ", ".join(repr(k) for k in failed[:_SHOWN_IDS])
    if len(failed) > _SHOWN_IDS:
        shown += ", ..."
    msg = (
        f"{operation} failed for {len(failed)} vector(s) ({shown}) after storing "
        f"{len(stored)}: {error} The ids are in .stored_ids and .failed_ids; writing the "
        "failed ones again is safe (PutVectors is an upsert, DeleteVectors ignores "
        "missing keys)."
    )
    raise PartialWriteError(msg, stored_ids=stored, failed_ids=failed) from error


def _split_done(
    batches: Sequence[list[T]], done: Sequence[bool], key_of: Callable[[T], str]
) -> tuple[list[str], list[str]]:
    """Ids of the batches that were stored, and of those that were not."""
    pairs = [(key_of(item), ok) for batch, ok in zip(batches, done, strict=True) for item in batch]
    return [key for key, ok in pairs if ok], [key for key, ok in pairs if not ok]


class Runs(Protocol):
    """An object whose blocking methods :func:`in_thread` runs: it has a :class:`BatchRunner`."""

    @property
    def runner(self) -> BatchRunner:
        """The runner whose thread pool runs the blocking methods."""


def in_thread(method: Callable[..., R]) -> Callable[..., Coroutine[Any, Any, R]]:
    """The async twin of a blocking method: the same method, run in the runner's pool.

    The twin looks the method up on the instance, so a subclass's override runs.

    Example:
        >>> import asyncio
        >>> class Counter:
        ...     runner = BatchRunner()
        ...     def count(self, n: int) -> int:
        ...         return n + 1
        ...     acount = in_thread(count)
        >>> asyncio.run(Counter().acount(1))
        2
    """
    name = method.__name__

    async def run(self: Runs, /, *args: Any, **kwargs: Any) -> R:
        result: R = await self.runner.in_executor(partial(getattr(self, name), *args, **kwargs))
        return result

    run.__name__ = run.__qualname__ = f"a{name}"
    run.__doc__ = f"Async :meth:`{name}`, run in a worker thread (the event loop never blocks)."
    return run
