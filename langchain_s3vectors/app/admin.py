"""Managing an index's documents: sources, stats, health, export and import.

* :func:`list_sources` counts chunks per ``source`` with a parallel, segmented
  ListVectors scan.
* :func:`delete_source` removes every chunk of one source.
* :func:`index_stats` describes an index: vectors, dimension, metric, mode, keys.
* :func:`health_check` walks from credentials to the index and says in plain words
  what is wrong: no credentials, unreachable endpoint or wrong region, missing bucket,
  missing index, access denied (naming the IAM action), dimension mismatch, an
  index built with another embedding model (its recorded identity).
* :func:`export_jsonl` / :func:`import_jsonl` copy vectors to and from a JSON Lines
  file, one ``{"key": ..., "data": [...], "metadata": {...}}`` object per line.

Example:
    >>> from langchain_s3vectors.app.admin import list_sources
    >>> list_sources(store)  # doctest: +SKIP
    {'docs/a.md': 3, 'docs/b.md': 1}
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from langchain_s3vectors import limits
from langchain_s3vectors.app.embeddings import embedding_dimension
from langchain_s3vectors.errors import (
    InvalidInputError,
    PartialWriteError,
    ResourceNotFoundError,
    S3VectorsError,
    translate_client_error,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from langchain_s3vectors.identity import EmbeddingIdentity
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "HealthCheck",
    "HealthReport",
    "check_jsonl",
    "delete_source",
    "export_jsonl",
    "health_check",
    "import_jsonl",
    "index_stats",
    "iter_vectors",
    "list_sources",
]

#: ListVectors segments scanned in parallel by default.
DEFAULT_SEGMENTS = 4


def iter_vectors(
    store: S3VectorsStore,
    *,
    return_data: bool = False,
    return_metadata: bool = True,
    segments: int = DEFAULT_SEGMENTS,
) -> Iterator[dict[str, Any]]:
    """Every vector record of the index, scanning ``segments`` ListVectors segments at once.

    Args:
        store: The store.
        return_data: Include the vectors' data.
        return_metadata: Include their metadata.
        segments: Parallel segments, 1..16.

    A missing index yields nothing.

    Raises:
        InvalidInputError: ``segments`` outside 1..16.
        S3VectorsError: The listing failed.
    """
    if not 1 <= segments <= limits.MAX_LIST_SEGMENTS:
        msg = f"segments must be 1..{limits.MAX_LIST_SEGMENTS}, not {segments}."
        raise InvalidInputError(msg)
    yield from store.index.iter_records(
        return_data=return_data,
        return_metadata=return_metadata,
        segment_count=segments,
        parallel=True,
    )


def list_sources(store: S3VectorsStore, *, segments: int = DEFAULT_SEGMENTS) -> dict[str, int]:
    """Chunks per ``source`` metadata value, sorted by source.

    Vectors without a ``source`` are not counted. A missing index has no sources.

    Example:
        >>> list_sources(store)  # doctest: +SKIP
        {'docs/a.md': 3}
    """
    counts: Counter[str] = Counter()
    for record in iter_vectors(store, segments=segments):
        source = (record.get("metadata") or {}).get("source")
        if isinstance(source, str):
            counts[source] += 1
    return dict(sorted(counts.items()))


def _source_keys(store: S3VectorsStore, source: str, segments: int) -> list[str]:
    wanted = unicodedata.normalize("NFC", source)
    keys = []
    for record in iter_vectors(store, segments=segments):
        stored = (record.get("metadata") or {}).get("source")
        if isinstance(stored, str) and unicodedata.normalize("NFC", stored) == wanted:
            keys.append(record["key"])
    return keys


def delete_source(store: S3VectorsStore, source: str, *, segments: int = DEFAULT_SEGMENTS) -> int:
    """Delete every vector whose ``source`` metadata is ``source``.

    Names match in either Unicode form: a source stored decomposed (NFD, as macOS
    file names often are) is deleted by its composed (NFC) spelling and vice versa.

    Returns:
        How many vectors were deleted (0 when the source or the index is unknown).

    Example:
        >>> delete_source(store, "docs/a.md")  # doctest: +SKIP
        3
    """
    keys = _source_keys(store, source, segments)
    if keys:
        store.delete(ids=keys)
    return len(keys)


def index_stats(store: S3VectorsStore, *, segments: int = DEFAULT_SEGMENTS) -> dict[str, Any]:
    """A description of the index, counted with one ListVectors scan.

    Returns:
        ``bucket``, ``index``, ``exists``, ``vectors``, ``dimension``, ``distance_metric``,
        ``index_mode``, ``non_filterable_metadata_keys``, ``text_search``,
        ``sources`` (distinct), ``vectors_without_source`` and ``embedding`` (the
        model the index records, see :mod:`langchain_s3vectors.identity`, or ``None``).

    Example:
        >>> index_stats(store)["vectors"]  # doctest: +SKIP
        42
    """
    stats: dict[str, Any] = {
        "bucket": store.vector_bucket_name,
        "index": store.index_name,
        "exists": False,
    }
    info = store.index.info()
    if info is None:
        return stats
    config = info.get("metadataConfiguration") or {}
    sources: set[str] = set()
    total = no_source = 0
    for record in iter_vectors(store, segments=segments):
        total += 1
        source = (record.get("metadata") or {}).get("source")
        if isinstance(source, str):
            sources.add(source)
        else:
            no_source += 1
    stats.update(
        {
            "exists": True,
            "vectors": total,
            "dimension": info.get("dimension"),
            "distance_metric": info.get("distanceMetric"),
            "data_type": info.get("dataType"),
            "index_mode": info.get("indexMode"),
            "non_filterable_metadata_keys": list(config.get("nonFilterableMetadataKeys") or []),
            "text_search": [
                {k: v for k, v in entry.items() if k in {"metadataKey", "language", "status"}}
                for entry in config.get("textSearchConfigurations") or []
            ],
            "sources": len(sources),
            "vectors_without_source": no_source,
            "embedding": _identity_dict(store.identity_guard.recorded(refresh=True)),
        }
    )
    return stats


def _identity_dict(identity: EmbeddingIdentity | None) -> dict[str, Any] | None:
    return None if identity is None else asdict(identity)


# --------------------------------------------------------------------------- health


@dataclass
class HealthCheck:
    """One step of a health check."""

    name: str
    ok: bool
    message: str


@dataclass
class HealthReport:
    """The outcome of :func:`health_check`.

    Attributes:
        ok: Every check passed.
        checks: The checks, in the order they ran; a failed check stops the walk.
    """

    checks: list[HealthCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def problem(self) -> str | None:
        """The first failed check's message, if any."""
        return next((check.message for check in self.checks if not check.ok), None)

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {
            "ok": self.ok,
            "checks": [
                {"name": check.name, "ok": check.ok, "message": check.message}
                for check in self.checks
            ],
        }


def _where(client: Any) -> str:
    meta = getattr(client, "meta", None)
    region = getattr(meta, "region_name", None)
    endpoint = getattr(meta, "endpoint_url", None)
    parts = []
    if region:
        parts.append(f"region {region}")
    if endpoint:
        parts.append(f"endpoint {endpoint}")
    return ", ".join(parts) or repr(client)


def _diagnose(exc: BaseException, *, operation: str, what: str, client: Any) -> str:
    """Plain words for what went wrong in ``operation``."""
    cause = exc.__cause__ if isinstance(exc, S3VectorsError) else None
    raw = cause if isinstance(cause, Exception) else exc
    advice = _environment_advice(raw, client)
    if advice is not None:
        return advice
    error = raw if isinstance(raw, S3VectorsError) else None
    if isinstance(raw, ClientError):
        error = translate_client_error(raw, operation=operation, resource=what)
    if isinstance(error, ResourceNotFoundError):
        return f"{what[0].upper()}{what[1:]} does not exist. Create it with 's3vectors-rag init'."
    if error is not None:
        return str(error)
    return f"{operation} failed: {raw}"


def _environment_advice(exc: BaseException, client: Any) -> str | None:
    """Plain words for a missing credential or region, or an unreachable endpoint."""
    if isinstance(exc, NoCredentialsError):
        return (
            "No AWS credentials found: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or "
            "AWS_PROFILE, or run 'aws configure'. (For no AWS at all, use the local backend.)"
        )
    if isinstance(exc, NoRegionError):
        return "No AWS region configured: set AWS_REGION (e.g. us-east-1)."
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ConnectionError)):
        return (
            f"Cannot reach S3 Vectors at {_where(client)}: wrong region or endpoint, or no "
            "network. S3 Vectors is not offered in every region; check AWS_REGION and "
            "AWS_ENDPOINT_URL_S3VECTORS."
        )
    return None


def health_check(store: S3VectorsStore, *, check_embedding: bool = True) -> HealthReport:
    """Check, step by step, that the store can work, and say what is wrong if not.

    Steps: on the embedded backend, check the store for damage (SQLite's
    ``quick_check`` and every full-text table); reach the service with valid
    credentials and find the bucket, find the index, list vectors (the read
    permission), compare the index dimension with the embedding model's, and the
    embedding identity the index records (model, dimension, normalisation) with the
    store's.

    Args:
        store: The store.
        check_embedding: Compare the index dimension with the embedding model's (may
            load the model).

    Example:
        >>> report = health_check(store)  # doctest: +SKIP
        >>> report.ok, report.problem  # doctest: +SKIP
        (False, "Vector bucket 'kb' does not exist. Create it with 's3vectors-rag init'.")
    """
    report = HealthReport()
    damage = _integrity_check(store.client)
    if damage is not None:
        report.checks.append(damage)
        if not damage.ok:
            return report
    info = _service_checks(store, report)
    if info is not None and check_embedding:
        report.checks.append(_dimension_check(store, info))
        if report.checks[-1].ok:
            report.checks.append(_model_check(store))
    return report


def _service_steps(store: S3VectorsStore) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The service calls of a health check: (check name, operation, what, arguments)."""
    bucket = store.vector_bucket_name
    index = store.index_name
    where = f"index {index!r} in vector bucket {bucket!r}"
    names = {"vectorBucketName": bucket, "indexName": index}
    return [
        ("bucket", "get_vector_bucket", f"vector bucket {bucket!r}", {"vectorBucketName": bucket}),
        ("index", "get_index", where, names),
        ("read", "list_vectors", where, {**names, "maxResults": 1}),
    ]


def _service_checks(store: S3VectorsStore, report: HealthReport) -> dict[str, Any] | None:
    """Reach the bucket, the index and its vectors; the index description, or ``None``.

    Each step adds a check to ``report``; the first failed one stops the walk.
    """
    client = store.client
    info: dict[str, Any] = {}
    for name, operation, what, kwargs in _service_steps(store):
        try:
            response = store.index.request(
                operation, getattr(client, operation), kwargs, retry=False
            )
        except Exception as exc:  # noqa: BLE001 - diagnosed, not swallowed
            message = _diagnose(exc, operation=operation, what=what, client=client)
            report.checks.append(HealthCheck(name, ok=False, message=message))
            return None
        if operation == "get_index":
            info = response.get("index", {})
        detail = {
            "bucket": f"Vector bucket {store.vector_bucket_name!r} found ({_where(client)}).",
            "index": (
                f"Index {store.index_name!r}: dimension {info.get('dimension')}, "
                f"{info.get('distanceMetric')}, mode {info.get('indexMode', 'unknown')}."
            ),
            "read": "Vectors can be listed (s3vectors:ListVectors allowed).",
        }[name]
        report.checks.append(HealthCheck(name, ok=True, message=detail))
    return info


def _integrity_check(client: Any) -> HealthCheck | None:
    """The embedded store's own check for damage (``None`` for other clients)."""
    check = getattr(client, "check_integrity", None)
    if not callable(check):
        return None
    problems = check()
    if not problems:
        return HealthCheck("store", ok=True, message="The local store passes its integrity check.")
    from langchain_s3vectors.local import damaged_message  # noqa: PLC0415

    return HealthCheck("store", ok=False, message=damaged_message("; ".join(problems)) + ".")


def _dimension_check(store: S3VectorsStore, info: dict[str, Any]) -> HealthCheck:
    try:
        actual = embedding_dimension(store.embeddings)  # type: ignore[arg-type]
    except S3VectorsError as exc:
        return HealthCheck("embedding", ok=False, message=str(exc))
    expected = info.get("dimension")
    if expected is not None and int(expected) != actual:
        return HealthCheck(
            "embedding",
            ok=False,
            message=(
                f"Dimension mismatch: index {store.index_name!r} holds {expected}-dimensional "
                f"vectors but the embedding model produces {actual}. Use the model the index "
                "was built with (EMBEDDING_MODEL), or a new index for this model."
            ),
        )
    return HealthCheck(
        "embedding", ok=True, message=f"Embedding dimension {actual} matches the index."
    )


def _model_check(store: S3VectorsStore) -> HealthCheck:
    """Whether the index records the embedding model the store uses (index tags)."""
    guard = store.identity_guard
    try:
        recorded = guard.recorded(refresh=True)
        found = guard.mismatch()
    except S3VectorsError as exc:
        return HealthCheck("model", ok=False, message=str(exc))
    if found is not None:
        return HealthCheck("model", ok=False, message=found[0])
    ours = store.embedding_identity
    if recorded is None:
        then = f"the next write records {ours.describe()}" if ours else "nothing is checked"
        return HealthCheck(
            "model",
            ok=True,
            message=f"Index {store.index_name!r} records no embedding model yet; {then}.",
        )
    return HealthCheck(
        "model",
        ok=True,
        message=f"Index {store.index_name!r} was built with {recorded.describe()}"
        + ("; the embedding model matches." if ours is not None else "."),
    )


# --------------------------------------------------------------------------- JSONL


def export_jsonl(store: S3VectorsStore, file: IO[str], *, segments: int = DEFAULT_SEGMENTS) -> int:
    """Write every vector as one JSON object per line: ``key``, ``data``, ``metadata``.

    ``data`` is the list of floats.

    Returns:
        The number of vectors written.

    Example:
        >>> with open("backup.jsonl", "w") as f:  # doctest: +SKIP
        ...     export_jsonl(store, f)
        42
    """
    count = 0
    for record in iter_vectors(store, return_data=True, return_metadata=True, segments=segments):
        data = record.get("data") or {}
        line = {
            "key": record["key"],
            "data": list(data.get("float32", [])) if isinstance(data, dict) else list(data),
            "metadata": record.get("metadata") or {},
        }
        file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
    return count


def _parse_line(line: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        msg = f"Line {number} is not valid JSON: {reason}"
        raise InvalidInputError(msg) from None
    if not isinstance(obj, dict) or "key" not in obj or "data" not in obj:
        msg = f'Line {number} needs "key" and "data" (and optionally "metadata").'
        raise InvalidInputError(msg)
    data = obj["data"]
    if isinstance(data, dict):
        data = data.get("float32")
    if (
        not isinstance(data, list)
        or not data
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in data)
    ):
        msg = f"Line {number}: data must be a non-empty list of numbers."
        raise InvalidInputError(msg)
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        msg = f"Line {number}: metadata must be an object."
        raise InvalidInputError(msg)
    return {
        "key": str(obj["key"]),
        "data": {"float32": [float(x) for x in data]},
        "metadata": metadata,
    }


def check_jsonl(file: IO[str]) -> None:
    """Parse every line of a seekable file (as :func:`import_jsonl` will), then rewind.

    A file that cannot be re-read (a pipe) is left alone.

    Raises:
        InvalidInputError: A line is not a valid record; the message names it.
    """
    if not file.seekable():
        return
    start = file.tell()
    number = 0
    try:
        for number, raw in enumerate(file, start=1):
            if raw.strip():
                _parse_line(raw, number)
    except UnicodeDecodeError:
        msg = f"The file is not UTF-8 text (from line {number + 1} on); nothing was imported."
        raise InvalidInputError(msg) from None
    except InvalidInputError as exc:
        msg = f"{exc} Nothing was imported (every line is checked first): fix it and run again."
        raise InvalidInputError(msg) from None
    file.seek(start)


def import_jsonl(
    store: S3VectorsStore, file: IO[str], *, batch_size: int = 500, checked: bool = False
) -> int:
    """Upsert the vectors of a JSON Lines file written by :func:`export_jsonl`.

    Records go through the store (limits checked, batched, retried); the index is
    created if missing, with the dimension of the vectors read. The page content is
    taken from the store's page-content metadata key.

    A file that can be read twice (a regular file) is checked in full before anything
    is written, so a bad line changes nothing. Import is an upsert by key: running it
    again, after fixing what stopped it, is safe and completes it.

    Args:
        store: The store to write to.
        file: The JSON Lines file.
        batch_size: Vectors per write.
        checked: The file was already checked with :func:`check_jsonl`.

    Returns:
        The number of vectors written.

    Raises:
        InvalidInputError: A line is not a valid record: nothing was written (from a
            stream that cannot be re-read: the lines before it were written, and the
            message says how many).
        S3VectorsError: The store failed; the message says how many vectors were
            written before.
    """
    if not checked:
        check_jsonl(file)
    count = written = 0
    try:
        for batch in _parsed_batches(file, batch_size):
            count += len(batch)
            _add_records(store, batch)
            written = count
    except S3VectorsError as exc:
        raise _import_failure(exc, written) from exc
    return count


def _parsed_batches(file: IO[str], batch_size: int) -> Iterator[list[dict[str, Any]]]:
    """The file's records, parsed line by line, in lists of ``batch_size``."""
    pending: list[dict[str, Any]] = []
    for number, raw in enumerate(file, start=1):
        if not raw.strip():
            continue
        pending.append(_parse_line(raw, number))
        if len(pending) >= batch_size:
            yield pending
            pending = []
    if pending:
        yield pending


def _add_records(store: S3VectorsStore, records: list[dict[str, Any]]) -> None:
    """Upsert parsed records, their page content taken out of the metadata."""
    texts: list[str] = []
    metadatas: list[dict[str, Any]] = []
    for record in records:
        metadata = dict(record["metadata"])
        texts.append(str(metadata.pop(store.page_content_key, "")))
        metadatas.append(metadata)
    store.add_embeddings(
        texts,
        [record["data"]["float32"] for record in records],
        metadatas,
        ids=[record["key"] for record in records],
    )


def _import_failure(exc: S3VectorsError, written: int) -> S3VectorsError:
    """The error an import raises: what stopped it and how many vectors it wrote before."""
    if isinstance(exc, PartialWriteError):
        written += len(exc.stored_ids)
    cause = exc.__cause__ if isinstance(exc, PartialWriteError) and exc.__cause__ else exc
    msg = (
        f"{str(cause).rstrip('.')}. {written} vectors were imported before this; import "
        "is an upsert by key, so running it again after fixing the problem is safe."
    )
    error = InvalidInputError if isinstance(exc, InvalidInputError) else S3VectorsError
    return error(msg)
