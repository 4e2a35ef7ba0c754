"""``S3VectorsIndex``: one vector bucket and index over an S3 Vectors client, in plain records.

The S3 Vectors protocol in one place, with no LangChain: request dicts, ``nextToken``
paging and ListVectors segments (the paging of :mod:`langchain_s3vectors.client`, with
this index's retries), service-sized batches, retries and rate limiting
(:mod:`langchain_s3vectors.execution`), errors translated once
(:func:`langchain_s3vectors.client.call_translated`), "a missing index is empty" for
every read, and the index lifecycle (bucket and index creation, full-text search
configuration). Records are the API's dicts: ``{"key", "data": {"float32": [...]},
"metadata"}``.

:class:`~langchain_s3vectors.vectorstores.S3VectorsStore` is built on it (as
``store.index``); so are the CLI, the file service and the admin functions.

Example:
    >>> from langchain_s3vectors.index import S3VectorsIndex
    >>> from langchain_s3vectors.local import LocalS3VectorsClient
    >>> index = S3VectorsIndex(LocalS3VectorsClient(), "kbase", "docs")
    >>> index.info() is None  # nothing created by a read
    True
    >>> _ = index.ensure(2)
    >>> index.put([{"key": "a", "data": {"float32": [1.0, 0.0]}, "metadata": {"n": 1}}])
    1
    >>> [r["key"] for r in index.iter_records()]
    ['a']
    >>> results, metric = index.query({"queryVector": {"float32": [1.0, 0.0]}}, k=1)
    >>> [r["key"] for r in results], metric
    (['a'], 'cosine')
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from functools import partial, wraps
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ParamValidationError

from langchain_s3vectors import limits
from langchain_s3vectors.checks import check_index_matches
from langchain_s3vectors.client import (
    call_translated,
    follow_pages,
    list_vectors_requests,
    query_pages,
)
from langchain_s3vectors.errors import (
    InvalidInputError,
    PartialWriteError,
    ResourceConflictError,
    ResourceNotFoundError,
    S3VectorsError,
)
from langchain_s3vectors.execution import BatchRunner, RateLimiter, chunked
from langchain_s3vectors.writes import iter_put_batches

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from langchain_s3vectors.client import S3VectorsClient

__all__ = ["S3VectorsIndex", "check_names"]

logger = logging.getLogger(__name__)

R = TypeVar("R")

_NAMES = (
    (
        "vector_bucket_name",
        limits.BUCKET_NAME_MIN_LENGTH,
        limits.BUCKET_NAME_MAX_LENGTH,
        limits.BUCKET_NAME_PATTERN,
        "lowercase letters, digits and hyphens (no dots)",
    ),
    (
        "index_name",
        limits.INDEX_NAME_MIN_LENGTH,
        limits.INDEX_NAME_MAX_LENGTH,
        limits.NAME_PATTERN,
        "lowercase letters, digits, hyphens and dots",
    ),
)


class S3VectorsIndex:
    """One vector bucket and index over an S3 Vectors client, in plain records.

    Every call is retried on transient errors; writes are rate limited and fanned out
    on threads; reads of a missing bucket or index return nothing rather than raise.

    Args:
        client: A boto3-shaped ``s3vectors`` client
            (see :class:`~langchain_s3vectors.client.S3VectorsClient`).
        vector_bucket_name: The vector bucket.
        index_name: The vector index.
        distance_metric: ``"cosine"`` or ``"euclidean"`` for a new index; ``None`` means
            cosine for a new index and whatever an existing index uses.
        non_filterable_metadata_keys: Keys declared non-filterable when the index is
            created.
        text_search: Metadata key -> analyser language (``None``: the standard
            analyser) of the full-text search configured when the index is created.
        create_if_missing: Whether :meth:`ensure` creates a missing bucket and index.
        runner: Retries, rate limit and concurrency; by default a
            :class:`~langchain_s3vectors.execution.BatchRunner` that paces writes at the
            service's per-index write caps, except on the embedded client (no caps).

    Raises:
        InvalidInputError: A name or the distance metric is not valid for S3 Vectors.
    """

    def __init__(
        self,
        client: S3VectorsClient,
        vector_bucket_name: str,
        index_name: str,
        *,
        distance_metric: str | None = None,
        non_filterable_metadata_keys: Iterable[str] = (),
        text_search: Mapping[str, str | None] | None = None,
        create_if_missing: bool = True,
        runner: BatchRunner | None = None,
    ) -> None:
        """Check the names; no request is sent until the first operation."""
        check_names(vector_bucket_name, index_name)
        _check_metric(distance_metric)
        self.client = client
        self.vector_bucket_name = vector_bucket_name
        self.index_name = index_name
        self.requested_metric = distance_metric
        self.non_filterable_metadata_keys = tuple(dict.fromkeys(non_filterable_metadata_keys))
        self.text_search = dict(text_search or {})
        self.create_if_missing = create_if_missing
        #: Writes are paced at the service's write caps (every client but the embedded one).
        self.paced = _paced_by_default(client)
        self.runner = runner or BatchRunner(rate_limiter=RateLimiter() if self.paced else None)
        self._description: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Show bucket and index only (never the client or its credentials)."""
        return (
            f"{type(self).__name__}(vector_bucket_name={self.vector_bucket_name!r}, "
            f"index_name={self.index_name!r})"
        )

    # -- description ---------------------------------------------------------------

    @property
    def resource(self) -> str:
        """The index in words, for messages."""
        return f"index {self.index_name!r} in vector bucket {self.vector_bucket_name!r}"

    @property
    def ids(self) -> dict[str, str]:
        """The ``vectorBucketName`` and ``indexName`` request fields."""
        return {"vectorBucketName": self.vector_bucket_name, "indexName": self.index_name}

    @property
    def description(self) -> dict[str, Any] | None:
        """GetIndex's ``index`` as last seen (``None``: not seen, or missing)."""
        return self._description

    @property
    def write_slots(self) -> int:
        """PutVectors requests in flight at once.

        The embedded client takes one write at a time: one request queued behind the
        one being written keeps it busy; more would only hold more records in memory.
        """
        slots = self.runner.max_concurrency
        return slots if self.paced else min(slots, 2)

    def request(
        self,
        operation: str,
        method: Callable[..., Any],
        params: Mapping[str, Any],
        *,
        retry: bool = True,
        absent: type[S3VectorsError] | None = None,
    ) -> Any:
        """Send one request to the client, errors translated.

        Args:
            operation: The operation, as the client's method is named (errors name it).
            method: The client's method, e.g. ``index.client.get_vector_bucket``.
            params: The request fields, in full (bucket and index names included).
            retry: Retry transient errors with the runner's policy.
            absent: An error type to answer ``None`` for instead of raising.

        Returns:
            The response, or ``None`` for an ``absent`` error.

        Raises:
            S3VectorsError: The translated error.
        """
        fn = partial(self.runner.call, method, **params) if retry else partial(method, **params)
        return call_translated(fn, operation=operation, resource=self.resource, absent=absent)

    def info(self) -> dict[str, Any] | None:
        """GetIndex's ``index`` description, or ``None`` when the index does not exist."""
        response = self.request(
            "get_index", self.client.get_index, self.ids, absent=ResourceNotFoundError
        )
        self._description = None if response is None else dict(response["index"])
        return self._description

    def bucket_info(self) -> dict[str, Any] | None:
        """GetVectorBucket's ``vectorBucket``, or ``None`` when the bucket does not exist."""
        bucket = {"vectorBucketName": self.vector_bucket_name}
        method = self.client.get_vector_bucket
        response = self.request("get_vector_bucket", method, bucket, absent=ResourceNotFoundError)
        return None if response is None else dict(response["vectorBucket"])

    def text_search_config(self, key: str) -> dict[str, Any] | None:
        """The full-text configuration of metadata ``key`` as last seen, if any."""
        config = (self._description or {}).get("metadataConfiguration") or {}
        entries = config.get("textSearchConfigurations") or []
        return next((dict(e) for e in entries if e.get("metadataKey") == key), None)

    # -- lifecycle -----------------------------------------------------------------

    def ensure(
        self, dimension: int | None = None, *, probe: Callable[[], int] | None = None
    ) -> dict[str, Any]:
        """The index description; the bucket and index are created when missing.

        Args:
            dimension: The dimension of the vectors about to be written (checked
                against an existing index, used to create a missing one).
            probe: Finds the dimension when ``dimension`` is ``None`` and the index has
                to be created.

        Raises:
            DimensionMismatchError: The index has another dimension.
            InvalidInputError: The index uses another distance metric than requested,
                or it must be created and no dimension is known.
            ResourceNotFoundError: Missing and ``create_if_missing`` is false.
        """
        with self._lock:
            info = self._description or self.info()
            if info is None:
                if not self.create_if_missing:
                    msg = (
                        f"{self.resource} does not exist and create_if_missing=False; "
                        "create it first (S3VectorsStore(..., create_if_missing=True) or "
                        "the AWS console/CLI)"
                    )
                    raise ResourceNotFoundError(msg, operation="get_index")
                info = self.create(_dimension_of(dimension, probe))
        self.check_compatible(info, dimension)
        return info

    def check_compatible(self, info: Mapping[str, Any], dimension: int | None) -> None:
        """Raise when ``info`` disagrees with ``dimension`` or the requested metric."""
        check_index_matches(
            info, dimension=dimension, metric=self.requested_metric, resource=self.resource
        )

    def create(self, dimension: int) -> dict[str, Any]:
        """Create the bucket and the index (either may exist); return the description."""
        bucket = {"vectorBucketName": self.vector_bucket_name}
        method = self.client.create_vector_bucket
        self.request("create_vector_bucket", method, bucket, absent=ResourceConflictError)
        request = _create_index_request(self, dimension)
        create_index = _tolerating_no_text_search(self.client.create_index, self.resource)
        self.request("create_index", create_index, request, absent=ResourceConflictError)
        info = self.info()
        if info is None:  # pragma: no cover - deleted between create and get
            msg = f"{self.resource} vanished right after it was created; try again"
            raise ResourceNotFoundError(msg, operation="get_index")
        return info

    def enable_text_search(self, key: str, language: str | None = "en") -> None:
        """Make metadata ``key`` full-text searchable on the existing index, in place.

        Uses UpdateMetadataConfiguration; the service then backfills existing vectors
        (the configuration is ``BUILDING`` until ``ACTIVE``). Does nothing when ``key``
        is already searchable.
        """
        self.ensure()
        if self.text_search_config(key) is not None:
            return
        add = {"textSearchConfigurations": [_text_entry(key, language)]}
        method = self.client.update_metadata_configuration
        self.request("update_metadata_configuration", method, {**self.ids, "add": add})
        self.text_search[key] = language
        self.info()

    # -- records -------------------------------------------------------------------

    def put(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        keys: Sequence[str] | None = None,
        max_in_flight: int | None = None,
        background: bool | None = None,
    ) -> int:
        """Upsert records, batched by count and payload size as they are produced.

        Args:
            records: PutVectors records, possibly a generator (pulled lazily).
            keys: Every key the records carry, when known: a failure then names all that
                were not stored.
            max_in_flight: Requests in flight at once (default :attr:`write_slots`).
            background: Send from writer threads while ``records`` is produced on the
                caller's; by default yes, except on the embedded client when
                ``max_in_flight`` is not given: its writes hold the GIL, so a writer
                thread would only contend with the producer for it.

        Returns:
            How many records were stored.

        Raises:
            PartialWriteError: A batch failed (or ``records`` raised) after the stored
                ones; the error names both.
        """
        return self.runner.write_stream(
            "put_vectors",
            partial(self._send, self.client.put_vectors, "vectors"),
            iter_put_batches(records),
            key_of=_key_of,
            resource=self.resource,
            keys=keys,
            max_in_flight=max_in_flight or self.write_slots,
            inline=(max_in_flight is None and not self.paced)
            if background is None
            else not background,
        )

    def _send(self, method: Callable[..., Any], field: str, batch: list[Any]) -> Any:
        return method(**self.ids, **{field: batch})

    def get(
        self, keys: Iterable[str], *, data: bool = False, metadata: bool = True
    ) -> dict[str, dict[str, Any]]:
        """The records of ``keys`` by key (GetVectors in parallel batches); missing skipped."""
        request: dict[str, Any] = {**self.ids, "returnMetadata": metadata, "returnData": data}

        def fetch(batch: list[str]) -> list[dict[str, Any]]:
            response = self.runner.call(self.client.get_vectors, **request, keys=batch)
            return list(response.get("vectors") or [])

        batches = list(chunked(_unique(keys), limits.MAX_GET_VECTORS))
        pages = call_translated(
            partial(self.runner.map, fetch, batches),
            operation="get_vectors",
            resource=self.resource,
            absent=ResourceNotFoundError,
            default=[],
        )
        return {r["key"]: r for page in pages for r in page}

    def delete(self, keys: Iterable[str]) -> None:
        """Delete ``keys`` (missing keys, and a missing index, are not an error).

        Raises:
            PartialWriteError: A batch failed after others were deleted.
        """
        try:
            self.runner.write(
                "delete_vectors",
                partial(self._send, self.client.delete_vectors, "keys"),
                list(chunked(_unique(keys), limits.MAX_DELETE_VECTORS)),
                key_of=str,
                resource=self.resource,
            )
        except PartialWriteError as exc:
            if not (isinstance(exc.__cause__, ResourceNotFoundError) and not exc.stored_ids):
                raise

    def iter_records(
        self,
        *,
        return_data: bool = False,
        return_metadata: bool = True,
        segment_count: int = 1,
        parallel: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every record of the index (ListVectors), as the service returns them.

        A missing index yields nothing.

        Args:
            return_data: Include ``data`` (the vectors).
            return_metadata: Include ``metadata``.
            segment_count: Split the listing into this many segments (1..16).
            parallel: Read the segments at the same time (one thread each) instead of
                in turn; records still come segment by segment.
        """
        for page in self.iter_pages(
            return_data=return_data,
            return_metadata=return_metadata,
            segment_count=segment_count,
            parallel=parallel,
        ):
            yield from page

    def iter_pages(
        self,
        *,
        return_data: bool = False,
        return_metadata: bool = True,
        segment_count: int = 1,
        parallel: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:
        """:meth:`iter_records` a ListVectors page at a time."""
        requests = list_vectors_requests(
            self.ids, segment_count, data=return_data, metadata=return_metadata
        )
        send = partial(
            self.request, "list_vectors", self.client.list_vectors, absent=ResourceNotFoundError
        )
        yield from follow_pages(send, requests, parallel=parallel)

    def query(self, request: Mapping[str, Any], k: int) -> tuple[list[dict[str, Any]], str | None]:
        """Up to ``k`` QueryVectors results, following ``nextToken``; and the metric.

        Args:
            request: The QueryVectors fields other than the bucket, index and ``topK``
                (``queryVector``, ``queryTexts``, ``filter``, ``returnMetadata``, ...).
            k: How many results (``topK``; see :func:`~langchain_s3vectors.client.query_pages`).

        Returns:
            The results (none for a missing index) and the index's distance metric as
            the service reported it (``None`` when it did not).
        """
        send = partial(
            self.request, "query_vectors", self.client.query_vectors, absent=ResourceNotFoundError
        )
        return query_pages(send, {**self.ids, **request}, k)


def check_names(vector_bucket_name: object, index_name: object) -> None:
    """Refuse a vector bucket or index name that S3 Vectors would not accept.

    Raises:
        InvalidInputError: The name breaks the service's naming rules (named).

    Example:
        >>> check_names("my-bucket", "docs")
    """
    _check_name(_NAMES[0], vector_bucket_name)
    _check_name(_NAMES[1], index_name)


def _check_name(rule: tuple[str, int, int, str, str], name: object) -> None:
    kind, low, high, pattern, allowed = rule
    if not isinstance(name, str) or not (low <= len(name) <= high and re.match(pattern, name)):
        msg = (
            f"{kind}={name!r} is not a valid S3 Vectors name: use {low}..{high} "
            f"{allowed}, starting and ending with a letter or digit"
        )
        raise InvalidInputError(msg)


def _check_metric(distance_metric: str | None) -> None:
    if distance_metric is not None and distance_metric not in limits.DISTANCE_METRICS:
        msg = (
            f"distance_metric={distance_metric!r} is not supported; S3 Vectors offers "
            f"{', '.join(limits.DISTANCE_METRICS)}"
        )
        raise InvalidInputError(msg)


def _create_index_request(index: S3VectorsIndex, dimension: int) -> dict[str, Any]:
    """The CreateIndex request of ``index``'s settings, for vectors of ``dimension``."""
    config: dict[str, Any] = {"nonFilterableMetadataKeys": [*index.non_filterable_metadata_keys]}
    if index.text_search:
        config["textSearchConfigurations"] = [
            _text_entry(key, language) for key, language in index.text_search.items()
        ]
    return {
        **index.ids,
        "dataType": "float32",
        "dimension": dimension,
        "distanceMetric": index.requested_metric or "cosine",
        "metadataConfiguration": config,
    }


def _tolerating_no_text_search(create_index: Callable[..., R], resource: str) -> Callable[..., R]:
    """``create_index`` that creates the index without full-text search on an older client.

    A client whose service model predates ``textSearchConfigurations`` (an older boto3)
    refuses the whole request; the index is then created without it, with a warning
    that says to upgrade. The request passed in is not changed.
    """

    @wraps(create_index)
    def create(**request: Any) -> R:
        try:
            return create_index(**request)
        except ParamValidationError as exc:
            if "textSearchConfigurations" not in str(exc):
                raise
        logger.warning(
            "This s3vectors client does not know textSearchConfigurations (upgrade "
            "boto3); creating %s without full-text search",
            resource,
        )
        config = request.get("metadataConfiguration") or {}
        config = {k: v for k, v in config.items() if k != "textSearchConfigurations"}
        return create_index(**{**request, "metadataConfiguration": config})

    return create


def _dimension_of(dimension: int | None, probe: Callable[[], int] | None) -> int:
    if dimension is not None:
        return dimension
    if probe is None:
        msg = "the index does not exist yet and its dimension is unknown; pass dimension="
        raise InvalidInputError(msg)
    return probe()


def _text_entry(key: str, language: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"metadataKey": key}
    if language is not None:
        entry["language"] = language
    return entry


def _key_of(record: Mapping[str, Any]) -> str:
    return str(record["key"])


def _unique(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


def _paced_by_default(client: object) -> bool:
    """Whether writes to ``client`` are paced at the service's write caps by default.

    Everything but the embedded client is: AWS and compatible endpoints enforce the
    caps (with 429s). The embedded client has no cap, so its writes are not slowed.
    """
    local = sys.modules.get("langchain_s3vectors.local")
    return local is None or not isinstance(client, local.LocalS3VectorsClient)
