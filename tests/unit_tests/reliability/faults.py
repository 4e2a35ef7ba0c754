"""A fault-injecting S3 Vectors client for reliability tests.

:class:`FaultInjectingClient` wraps a :class:`~langchain_s3vectors.local.LocalS3VectorsClient`
and forwards every call to it. For the operations it is told about, it fails a chosen
share of calls (drawn from a seeded random generator) with the errors a real endpoint
produces:

* service errors as botocore ``ClientError`` with the right ``Error.Code`` and
  ``ResponseMetadata.HTTPStatusCode``: throttling (429), unavailable (503), internal
  error (500), request timeout (408), and the permanent access denied (403) and
  validation (400);
* connection errors: ``EndpointConnectionError`` (nothing sent), ``ReadTimeoutError``
  and ``ConnectionClosedError`` (the request may have been processed);
* **after-write** failures: the inner call runs (the write really happens), then the
  wrapper raises, as when the response is lost on the way back. A client that retries
  must then write the same thing twice, which is safe only because PutVectors is an
  upsert.

It also adds optional latency and counts calls, failures and after-write failures per
operation, so tests can report what was injected and how many retries it took.

Example:
    >>> from langchain_s3vectors.local import LocalS3VectorsClient
    >>> client = FaultInjectingClient(LocalS3VectorsClient(), rates={"list_vector_buckets": 1.0},
    ...                               kinds=("throttle",))
    >>> try:
    ...     client.list_vector_buckets()
    ... except ClientError as exc:
    ...     print(exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"])
    TooManyRequestsException 429
    >>> client.failures["list_vector_buckets"]
    1
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from langchain_s3vectors.local import LocalS3VectorsClient

#: Endpoint named in injected connection errors (never contacted).
FAKE_ENDPOINT = "https://s3vectors.us-east-1.amazonaws.com"

#: botocore operation names of the snake_case client methods, for error objects.
_OPERATION_NAMES = {
    "put_vectors": "PutVectors",
    "get_vectors": "GetVectors",
    "list_vectors": "ListVectors",
    "delete_vectors": "DeleteVectors",
    "query_vectors": "QueryVectors",
    "get_index": "GetIndex",
    "create_index": "CreateIndex",
    "create_vector_bucket": "CreateVectorBucket",
    "get_vector_bucket": "GetVectorBucket",
}


#: Inner-client attributes delegated without fault injection.
_PLAIN = frozenset({"close", "get_paginator", "can_paginate", "path", "exceptions", "meta"})


@dataclass(frozen=True)
class FaultKind:
    """One kind of injected failure.

    Attributes:
        name: Short name used in counters and in ``kinds=``.
        code: Service error code (``""`` for connection errors).
        status: HTTP status (0 for connection errors).
        after_write: The inner call runs before the error is raised.
        transient: Whether a well-behaved client should retry it.
    """

    name: str
    code: str = ""
    status: int = 0
    after_write: bool = False
    transient: bool = True


KINDS: dict[str, FaultKind] = {
    kind.name: kind
    for kind in (
        FaultKind("throttle", "TooManyRequestsException", 429),
        FaultKind("unavailable", "ServiceUnavailableException", 503),
        FaultKind("internal", "InternalServerException", 500),
        FaultKind("timeout", "RequestTimeoutException", 408),
        FaultKind("connect"),  # EndpointConnectionError: the request never left
        FaultKind("read_timeout"),  # ReadTimeoutError before the call reached the service
        FaultKind("internal_after_write", "InternalServerException", 500, after_write=True),
        FaultKind("read_timeout_after_write", after_write=True),
        FaultKind("connection_closed_after_write", after_write=True),
        FaultKind("access_denied", "AccessDeniedException", 403, transient=False),
        FaultKind("validation", "ValidationException", 400, transient=False),
    )
}

#: The transient mix used by default: every retryable kind the store is expected to
#: survive, including failures after the write happened.
TRANSIENT_MIX = (
    "throttle",
    "unavailable",
    "internal",
    "timeout",
    "connect",
    "read_timeout",
    "internal_after_write",
    "read_timeout_after_write",
)

#: Operations that change state.
WRITE_OPERATIONS = ("put_vectors", "delete_vectors", "create_vector_bucket", "create_index")
#: Operations the store reads with.
READ_OPERATIONS = ("query_vectors", "get_vectors", "list_vectors", "get_index")


def make_error(kind: FaultKind | str, operation: str) -> Exception:
    """Build the exception a real client raises for ``kind`` on ``operation``.

    Example:
        >>> err = make_error("unavailable", "put_vectors")
        >>> err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]
        ('ServiceUnavailableException', 503)
        >>> type(make_error("connect", "get_vectors")).__name__
        'EndpointConnectionError'
    """
    fault = KINDS[kind] if isinstance(kind, str) else kind
    error: Exception
    if fault.code:
        error = ClientError(
            {
                "Error": {"Code": fault.code, "Message": f"injected {fault.name}"},
                "ResponseMetadata": {
                    "HTTPStatusCode": fault.status,
                    "HTTPHeaders": {"x-amzn-errortype": fault.code},
                    "RetryAttempts": 0,
                },
            },
            _OPERATION_NAMES.get(operation, operation),
        )
    elif fault.name == "connect":
        error = EndpointConnectionError(endpoint_url=FAKE_ENDPOINT)
    elif fault.name.startswith("connection_closed"):
        error = ConnectionClosedError(endpoint_url=FAKE_ENDPOINT)
    else:
        error = ReadTimeoutError(endpoint_url=FAKE_ENDPOINT)
    return error


class FaultInjectingClient:
    """Forwards to a local S3 Vectors client, failing chosen calls at chosen rates.

    Args:
        inner: The client that does the real work.
        rates: Operation name -> share of calls to fail (0..1).
        kinds: Fault kinds drawn uniformly for each injected failure (names of
            :data:`KINDS`).
        fail_from: Operation name -> (call number, fault kind): every call of that
            operation from that 1-based call number on fails with that kind (for
            permanent errors after some successful batches).
        script: Operation name -> outcomes of its first calls, in order: a fault kind
            name, or ``None`` for a call that goes through. Used before ``rates``.
        latency: Seconds to sleep before each call.
        seed: Seed of the random generator that decides which calls fail.

    Attributes:
        calls: Calls per operation (including failed ones).
        failures: Injected failures per operation.
        after_write: Injected failures per operation whose write did happen.
        by_kind: Injected failures per fault kind.
        requests: Every ``(operation, kwargs)`` received, in order.
    """

    def __init__(
        self,
        inner: LocalS3VectorsClient,
        *,
        rates: Mapping[str, float] | None = None,
        kinds: Iterable[str] = TRANSIENT_MIX,
        fail_from: Mapping[str, tuple[int, str]] | None = None,
        script: Mapping[str, Sequence[str | None]] | None = None,
        latency: float = 0.0,
        seed: int = 0,
    ) -> None:
        """Wrap ``inner``; no faults unless ``rates`` or ``fail_from`` say so."""
        self.inner = inner
        self.rates = dict(rates or {})
        self.kinds = [KINDS[name] for name in kinds]
        self.fail_from = dict(fail_from or {})
        self.script = {op: list(steps) for op, steps in (script or {}).items()}
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.after_write: Counter[str] = Counter()
        self.by_kind: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Show the inner client and the fault rates."""
        return f"FaultInjectingClient({self.inner!r}, rates={self.rates!r})"

    @property
    def total_failures(self) -> int:
        """Injected failures over every operation."""
        return sum(self.failures.values())

    def stop_faults(self) -> None:
        """Stop injecting failures (counters are kept)."""
        with self._lock:
            self.rates.clear()
            self.fail_from.clear()
            self.script.clear()

    def summary(self) -> str:
        """One line per operation: calls, injected failures, after-write failures."""
        return "; ".join(
            f"{op}: {self.calls[op]} calls, {self.failures[op]} injected "
            f"({self.after_write[op]} after the write)"
            for op in sorted(self.calls)
        )

    def sent(self, operation: str) -> list[dict[str, Any]]:
        """The requests of one operation, in the order they were made."""
        return [kwargs for op, kwargs in self.requests if op == operation]

    def _choose(self, operation: str, kwargs: dict[str, Any]) -> FaultKind | None:
        with self._lock:
            self.calls[operation] += 1
            self.requests.append((operation, kwargs))
            number = self.calls[operation]
            fault: FaultKind | None = None
            start = self.fail_from.get(operation)
            steps = self.script.get(operation)
            if start is not None and number >= start[0]:
                fault = KINDS[start[1]]
            elif steps:
                step = steps.pop(0)
                fault = None if step is None else KINDS[step]
            elif self.kinds and self._random.random() < self.rates.get(operation, 0.0):
                fault = self._random.choice(self.kinds)
            if fault is not None:
                self.failures[operation] += 1
                self.by_kind[fault.name] += 1
                if fault.after_write:
                    self.after_write[operation] += 1
            return fault

    def _call(self, operation: str, target: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        fault = self._choose(operation, kwargs)
        if self.latency:
            time.sleep(self.latency)
        if fault is None:
            return target(**kwargs)
        if fault.after_write:
            target(**kwargs)
        raise make_error(fault, operation)

    # The store's operations, intercepted explicitly; anything else is delegated.

    def put_vectors(self, **kwargs: Any) -> Any:
        """PutVectors, possibly failing."""
        return self._call("put_vectors", self.inner.put_vectors, kwargs)

    def get_vectors(self, **kwargs: Any) -> Any:
        """GetVectors, possibly failing."""
        return self._call("get_vectors", self.inner.get_vectors, kwargs)

    def list_vectors(self, **kwargs: Any) -> Any:
        """ListVectors, possibly failing."""
        return self._call("list_vectors", self.inner.list_vectors, kwargs)

    def delete_vectors(self, **kwargs: Any) -> Any:
        """DeleteVectors, possibly failing."""
        return self._call("delete_vectors", self.inner.delete_vectors, kwargs)

    def query_vectors(self, **kwargs: Any) -> Any:
        """QueryVectors, possibly failing."""
        return self._call("query_vectors", self.inner.query_vectors, kwargs)

    def get_index(self, **kwargs: Any) -> Any:
        """GetIndex, possibly failing."""
        return self._call("get_index", self.inner.get_index, kwargs)

    def create_index(self, **kwargs: Any) -> Any:
        """CreateIndex, possibly failing."""
        return self._call("create_index", self.inner.create_index, kwargs)

    def create_vector_bucket(self, **kwargs: Any) -> Any:
        """CreateVectorBucket, possibly failing."""
        return self._call("create_vector_bucket", self.inner.create_vector_bucket, kwargs)

    def __getattr__(self, name: str) -> Any:
        """Delegate everything else; other API methods can fail too (by name)."""
        target = getattr(self.inner, name)
        if name.startswith("_") or name in _PLAIN or not callable(target):
            return target

        def call(**kwargs: Any) -> Any:
            return self._call(name, target, kwargs)

        return call


def list_all_keys(client: Any, bucket: str, index: str, *, page_size: int = 1000) -> list[str]:
    """Every key of an index through ListVectors paging (duplicates kept, to be counted).

    Example:
        >>> from langchain_s3vectors.local import LocalS3VectorsClient
        >>> c = LocalS3VectorsClient()
        >>> _ = c.create_vector_bucket(vectorBucketName="kb-a")
        >>> _ = c.create_index(vectorBucketName="kb-a", indexName="idx", dataType="float32",
        ...                    dimension=2, distanceMetric="cosine")
        >>> _ = c.put_vectors(vectorBucketName="kb-a", indexName="idx",
        ...                   vectors=[{"key": "k", "data": {"float32": [1.0, 0.0]}}])
        >>> list_all_keys(c, "kb-a", "idx")
        ['k']
    """
    keys: list[str] = []
    request: dict[str, Any] = {
        "vectorBucketName": bucket,
        "indexName": index,
        "maxResults": page_size,
    }
    while True:
        response = client.list_vectors(**request)
        keys.extend(v["key"] for v in response.get("vectors") or [])
        token = response.get("nextToken")
        if not token:
            return keys
        request["nextToken"] = token


def snapshot(client: Any, bucket: str, index: str) -> dict[str, tuple[list[float], Any]]:
    """Key -> (vector, metadata) of every vector, or ``{}`` when the index is missing."""
    out: dict[str, tuple[list[float], Any]] = {}
    request: dict[str, Any] = {
        "vectorBucketName": bucket,
        "indexName": index,
        "returnData": True,
        "returnMetadata": True,
    }
    while True:
        try:
            response = client.list_vectors(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "NotFoundException":
                return {}
            raise
        for v in response.get("vectors") or []:
            out[v["key"]] = (list(v["data"]["float32"]), v.get("metadata"))
        token = response.get("nextToken")
        if not token:
            return out
        request["nextToken"] = token
