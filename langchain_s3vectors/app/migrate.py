"""Migration from the legacy "files + JSON vectors in a regular S3 bucket" layout.

The legacy layout keeps, under an optional prefix of a regular S3 bucket:

* ``files/<path>``: the original documents (``.txt``, ``.md``, ``.html``, ``.pdf``...);
* ``vectors/<anything>.json``: one JSON document per original file.

The JSON document (every field but ``chunks`` entries' content is optional)::

    {
      "file": "files/report.pdf",        # key of the original, relative to the prefix;
                                         #   default: the JSON key with "vectors/" ->
                                         #   "files/" and the ".json" suffix removed
      "source": "report.pdf",            # source to record; default: "file" without
                                         #   the leading "files/"
      "title": "Quarterly report",       # default: the file name without extension
      "model": "all-MiniLM-L6-v2",       # model that made the embeddings
      "dimension": 384,                  # default: length of the first embedding
      "chunks": [                        # in document order
        {
          "id": "report-0",              # legacy chunk id (kept as metadata legacy_id)
          "text": "First chunk ...",     # chunk text; if any chunk lacks it, the file is
                                         #   re-read from files/ and split again
          "embedding": [0.01, ...],      # reused when its dimension matches the index
                                         #   (and "model" matches, when both are known)
          "metadata": {"page": 1}        # extra metadata, kept when S3 Vectors accepts it
        }
      ]
    }

``chunks`` missing or empty means "re-read and split the original". Chunk ``"vector"``
is accepted as an alias of ``"embedding"`` and ``"content"`` / ``"page_content"`` of
``"text"``.

Each file becomes the chunks :func:`langchain_s3vectors.app.ingest.ingest` would write:
keys ``"<source>#<n>"`` and metadata ``source``, ``chunk``, ``content_hash``, ``title``,
``file_type``. :func:`migrate_legacy` is idempotent and resumable: a file whose chunks
are already in the index with the same content hashes is skipped; an interrupted run
picks up where it stopped.

Example:
    >>> import boto3
    >>> report = migrate_legacy(store, boto3.client("s3"), "legacy-bucket")  # doctest: +SKIP
    >>> report.files_migrated, report.files_skipped  # doctest: +SKIP
    (12, 0)
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from langchain_s3vectors.app.embeddings import (
    DEFAULT_MODEL_NAME,
    LazyEmbeddings,
    embedding_dimension,
)
from langchain_s3vectors.app.ingest import upload_chunks
from langchain_s3vectors.app.loaders import (
    SUPPORTED_EXTENSIONS,
    Chunk,
    chunk_key,
    content_hash,
    split_file,
)
from langchain_s3vectors.app.planning import existing_chunks
from langchain_s3vectors.errors import (
    AccessDeniedError,
    CredentialsError,
    InvalidInputError,
    ResourceNotFoundError,
    S3VectorsError,
    ServiceError,
)

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = ["LegacyDocument", "MigrationReport", "migrate_legacy", "parse_legacy_document"]

_RESERVED = frozenset({"source", "chunk", "content_hash", "title", "file_type", "legacy_id"})
#: Longest legacy metadata string carried over (longer ones would eat the 2 KB
#: filterable-metadata budget).
MAX_LEGACY_STRING = 256
_MINILM = frozenset({"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"})


@dataclass
class MigrationReport:
    """What a migration did.

    Attributes:
        files_migrated: Files whose chunks were written (fully or to finish a prior run).
        files_skipped: Files already fully present with the same content hashes.
        files_failed: ``(vectors key, reason)`` of files that could not be migrated.
        chunks_written: Chunks upserted.
        embeddings_reused: Written chunks that kept their stored embedding.
        embeddings_computed: Written chunks that were embedded again.
        chunks_deleted: Stale chunks removed (a previous, longer version).
        seconds: Wall time.
    """

    files_migrated: int = 0
    files_skipped: int = 0
    files_failed: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    embeddings_reused: int = 0
    embeddings_computed: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {
            "files_migrated": self.files_migrated,
            "files_skipped": self.files_skipped,
            "files_failed": [{"key": key, "reason": why} for key, why in self.files_failed],
            "chunks_written": self.chunks_written,
            "embeddings_reused": self.embeddings_reused,
            "embeddings_computed": self.embeddings_computed,
            "chunks_deleted": self.chunks_deleted,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class LegacyDocument:
    """One parsed legacy vectors document."""

    file: str
    source: str
    title: str
    model: str | None
    dimension: int | None
    chunks: list[dict[str, Any]]

    @property
    def complete(self) -> bool:
        """Every chunk has its text (no need to read the original file)."""
        return bool(self.chunks) and all(isinstance(c.get("text"), str) for c in self.chunks)


def _relative(key: str, prefix: str) -> str:
    return key[len(prefix) :] if prefix and key.startswith(prefix) else key


def _default_file(vectors_key: str) -> str:
    name = vectors_key
    if name.startswith("vectors/"):
        name = "files/" + name[len("vectors/") :]
    return name.removesuffix(".json")


def _clean_chunk(raw: Any, number: int, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        msg = f"{where}: chunk {number} is not an object."
        raise InvalidInputError(msg)
    text = raw.get("text", raw.get("content", raw.get("page_content")))
    vector = raw.get("embedding", raw.get("vector"))
    metadata = raw.get("metadata")
    return {
        "id": raw.get("id"),
        "text": text if isinstance(text, str) else None,
        "embedding": vector if isinstance(vector, list) and vector else None,
        "metadata": metadata if isinstance(metadata, dict) else {},
    }


def parse_legacy_document(payload: str | bytes, vectors_key: str) -> LegacyDocument:
    """Parse one legacy vectors document, tolerating missing optional fields.

    Args:
        payload: The JSON text.
        vectors_key: Its key relative to the prefix (``vectors/report.pdf.json``).

    Raises:
        InvalidInputError: Not JSON, or not an object.

    Example:
        >>> doc = parse_legacy_document('{"chunks": [{"text": "hi"}]}', "vectors/a.txt.json")
        >>> doc.file, doc.source, doc.title, doc.complete
        ('files/a.txt', 'a.txt', 'a', True)
    """
    try:
        data = json.loads(payload)
    except json.JSONDecodeError as exc:
        msg = f"{vectors_key} is not valid JSON: {exc}"
        raise InvalidInputError(msg) from exc
    if not isinstance(data, dict):
        msg = f"{vectors_key} must hold a JSON object."
        raise InvalidInputError(msg)
    file = str(data.get("file") or _default_file(vectors_key))
    source = str(data.get("source") or (file.removeprefix("files/")))
    title = str(data.get("title") or PurePosixPath(file).stem)
    raw_chunks = data.get("chunks") or []
    if not isinstance(raw_chunks, list):
        msg = f"{vectors_key}: chunks must be a list."
        raise InvalidInputError(msg)
    chunks = [_clean_chunk(raw, n, vectors_key) for n, raw in enumerate(raw_chunks)]
    dimension = data.get("dimension")
    if not isinstance(dimension, int):
        first = next((c["embedding"] for c in chunks if c["embedding"]), None)
        dimension = len(first) if first else None
    model = data.get("model")
    return LegacyDocument(
        file=file,
        source=source,
        title=title,
        model=str(model) if model else None,
        dimension=dimension,
        chunks=chunks,
    )


def _scalar_ok(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return math.isfinite(value)
    return isinstance(value, str) and len(value) <= MAX_LEGACY_STRING


def _carry_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Legacy metadata S3 Vectors accepts (scalars, lists of scalars), small strings."""
    out: dict[str, Any] = {}
    for key, value in metadata.items():
        if not isinstance(key, str) or key in _RESERVED or key.startswith("_"):
            continue
        if isinstance(value, list):
            if value and all(_scalar_ok(v) for v in value):
                out[key] = value
        elif _scalar_ok(value):
            out[key] = value
    return out


def _same_model(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True
    a_norm, b_norm = a.strip().lower(), b.strip().lower()
    return a_norm == b_norm or (a_norm in _MINILM and b_norm in _MINILM)


def _file_type(file: str) -> str:
    return SUPPORTED_EXTENSIONS.get(PurePosixPath(file).suffix.lower(), "txt")


def _chunks_from_document(doc: LegacyDocument) -> list[tuple[Chunk, list[float] | None]]:
    out: list[tuple[Chunk, list[float] | None]] = []
    for number, raw in enumerate(doc.chunks):
        text = raw["text"]
        metadata = {
            **_carry_metadata(raw["metadata"]),
            "source": doc.source,
            "chunk": number,
            "content_hash": content_hash(text),
            "title": doc.title,
            "file_type": _file_type(doc.file),
        }
        if raw["id"] is not None:
            metadata["legacy_id"] = str(raw["id"])
        out.append((Chunk(chunk_key(doc.source, number), text, metadata), raw["embedding"]))
    return out


def _chunks_from_file(
    s3: Any, bucket: str, key: str, doc: LegacyDocument, chunk_size: int, chunk_overlap: int
) -> list[tuple[Chunk, list[float] | None]]:
    suffix = PurePosixPath(doc.file).suffix
    if suffix.lower() not in SUPPORTED_EXTENSIONS:
        msg = f"{doc.file}: no chunk text and unsupported file type {suffix!r}."
        raise InvalidInputError(msg)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        msg = f"{doc.file}: chunk text missing and s3://{bucket}/{key} unreadable: {exc}"
        raise InvalidInputError(msg) from exc
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"original{suffix}"
        path.write_bytes(body)
        chunks = split_file(path, doc.source, chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    retitled: list[tuple[Chunk, list[float] | None]] = []
    for chunk in chunks:
        metadata = dict(chunk.metadata)
        if metadata["title"] == "original":
            metadata["title"] = doc.title
        retitled.append((Chunk(chunk.key, chunk.text, metadata), None))
    return retitled


def _store_dimension(store: S3VectorsStore) -> int:
    dimension = getattr(store, "dimension", None)
    if isinstance(dimension, int):
        return dimension
    info = store.index_info()
    if info and isinstance(info.get("dimension"), int):
        return int(info["dimension"])
    return embedding_dimension(store.embeddings)  # type: ignore[arg-type]


def _s3_error(exc: Exception, action: str, what: str) -> S3VectorsError:
    """A legacy-bucket (regular S3) failure, in plain words."""
    if isinstance(exc, NoCredentialsError):
        return CredentialsError(
            f"No AWS credentials to read {what}: set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
        )
    code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
    if code in {"NoSuchBucket", "404", "NotFound"}:
        return ResourceNotFoundError(
            f"{what} does not exist: check --bucket, --prefix and the region.", code=code
        )
    if code in {"AccessDenied", "AccessDeniedException", "403"}:
        return AccessDeniedError(
            f"Access denied to {what}: the caller needs {action} on it.", code=code
        )
    return ServiceError(f"Reading {what} failed: {exc}", code=code)


def _read_object(s3: Any, bucket: str, key: str) -> bytes:
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise _s3_error(exc, "s3:GetObject", f"s3://{bucket}/{key}") from exc
    return body


def _list_keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    try:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
    except (ClientError, BotoCoreError) as exc:
        raise _s3_error(exc, "s3:ListBucket", f"legacy bucket s3://{bucket}/{prefix}") from exc
    return sorted(keys)


def migrate_legacy(
    store: S3VectorsStore,
    s3_client: Any,
    bucket: str,
    *,
    prefix: str = "",
    model_name: str | None = DEFAULT_MODEL_NAME,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    embedding: Embeddings | None = None,
) -> MigrationReport:
    """Move a legacy S3 layout into the store's S3 Vectors index.

    Args:
        store: The destination store.
        s3_client: A boto3 ``s3`` client for the legacy bucket.
        bucket: The legacy bucket.
        prefix: Folder inside the bucket holding ``files/`` and ``vectors/``.
        model_name: The store's embedding model; a legacy document made with another
            model is re-embedded even when the dimensions agree. ``None``: trust the
            dimension alone.
        chunk_size: Chunk size when an original file must be split again.
        chunk_overlap: Chunk overlap when an original file must be split again.
        embedding: Embeddings for re-embedding; default: the store's (loaded only
            if something needs embedding).

    Returns:
        What was migrated, skipped, reused and re-embedded.

    Example:
        >>> report = migrate_legacy(store, s3, "old-bucket", prefix="kb/")  # doctest: +SKIP
    """
    started = time.perf_counter()
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    report = MigrationReport()
    embedder = embedding or store.embeddings
    dimension: int | None = None
    vectors_prefix = f"{prefix}vectors/"
    for key in _list_keys(s3_client, bucket, vectors_prefix):
        if not key.endswith(".json"):
            continue
        relative = _relative(key, prefix)
        try:
            payload = _read_object(s3_client, bucket, key)
            doc = parse_legacy_document(payload, relative)
            if doc.complete:
                planned = _chunks_from_document(doc)
            else:
                planned = _chunks_from_file(
                    s3_client, bucket, f"{prefix}{doc.file}", doc, chunk_size, chunk_overlap
                )
            if dimension is None:
                dimension = _store_dimension(store)
            _migrate_one(store, doc, planned, dimension, model_name, embedder, report)
        except (InvalidInputError, UnicodeDecodeError) as exc:
            report.files_failed.append((relative, str(exc)))
    report.seconds = time.perf_counter() - started
    return report


def _migrate_one(
    store: S3VectorsStore,
    doc: LegacyDocument,
    planned: list[tuple[Chunk, list[float] | None]],
    dimension: int,
    model_name: str | None,
    embedder: Embeddings | None,
    report: MigrationReport,
) -> None:
    stored = existing_chunks(store, doc.source, len(planned))
    todo = [
        (chunk, vector)
        for chunk, vector in planned
        if stored.get(chunk.key, "") != chunk.metadata["content_hash"] or chunk.key not in stored
    ]
    wanted = {chunk.key for chunk, _ in planned}
    stale = sorted(key for key in stored if key not in wanted)
    if not todo and not stale:
        report.files_skipped += 1
        return
    reuse = _same_model(doc.model, model_name)
    reused_chunks: list[Chunk] = []
    reused_vectors: list[list[float]] = []
    fresh: list[Chunk] = []
    for chunk, vector in todo:
        if reuse and vector is not None and len(vector) == dimension:
            reused_chunks.append(chunk)
            reused_vectors.append([float(x) for x in vector])
        else:
            fresh.append(chunk)
    if reused_chunks:
        upload_chunks(store, reused_chunks, reused_vectors)
    if fresh:
        if embedder is None:
            msg = f"{doc.file}: chunks need embedding but the store has no embeddings."
            raise InvalidInputError(msg)
        emb = embedder.load() if isinstance(embedder, LazyEmbeddings) else embedder
        vectors = emb.embed_documents([chunk.text for chunk in fresh])
        upload_chunks(store, fresh, vectors)
    if stale:
        store.delete(ids=stale)
    report.files_migrated += 1
    report.chunks_written += len(todo)
    report.embeddings_reused += len(reused_chunks)
    report.embeddings_computed += len(fresh)
    report.chunks_deleted += len(stale)
