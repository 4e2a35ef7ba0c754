"""Files -> chunks -> vectors, incrementally.

:func:`ingest` loads ``.txt``, ``.md``, ``.rst``, ``.html`` and ``.pdf`` files (single
files or whole folders), splits them with LangChain's
``RecursiveCharacterTextSplitter`` and upserts one vector per chunk. Every chunk gets
a stable key, ``"<source>#<chunk number>"``, and this metadata:

============  ===============================================================
``source``    the file's path relative to the ingest root, with ``/``
``chunk``     the chunk's number in the file, from 0
``content_hash``  sha256 of the chunk text (first 32 hex characters)
``title``     the document title (Markdown front matter ``title`` or heading,
              HTML ``<title>``, PDF title, or the file name)
``file_type`` ``txt``, ``md``, ``rst``, ``html`` or ``pdf``
``root_id``   which ingest root the source is relative to (see :func:`root_id`);
              ``prune`` only ever deletes chunks of the root being ingested
============  ===============================================================

plus, for a Markdown file with YAML front matter, its simple fields (see
:mod:`langchain_s3vectors.app.frontmatter`); the front matter itself is not embedded.

Sources are unique per index, not per root: two folders ingested with different roots
(``--root``, or from different working directories) can both hold ``readme.md``. A file
whose stored chunks came from another root is therefore left alone and reported in
:attr:`IngestReport.failed` instead of overwriting the other folder's copy; pass
``take_over=True`` (``--take-over``) when it really is the same folder, moved.

Folders are read recursively, following symbolic links; a file reached twice (through
a link) is read once, and link loops, dangling links and binary files are skipped and
reported in :attr:`IngestReport.failed`. Text is decoded as UTF-8; a file with a few
invalid bytes keeps its text with only those bytes replaced, and a file in a legacy
encoding is decoded with charset-normalizer's guess; either is noted in
:attr:`IngestReport.notes`. ``dry_run=True`` plans without embedding or writing.

Ingesting again is incremental: the stored hashes of a file's chunks are fetched
(GetVectors on the expected keys), unchanged chunks are skipped, changed ones are
overwritten and the chunks a shorter new version no longer has are deleted. When
nothing changed nothing is embedded, and a lazily loaded model is never even loaded.
While one batch is being embedded, the previous one is uploaded by a background
thread.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_s3vectors.vectorstores import S3VectorsStore
    >>> docs = Path(tempfile.mkdtemp())
    >>> _ = (docs / "a.md").write_text("S3 Vectors stores vectors.")
    >>> store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=8))
    >>> ingest(store, [docs], root=docs).added
    1
    >>> ingest(store, [docs], root=docs).unchanged
    1
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.app.loaders import (
    NO_PDF_TEXT,
    NO_TEXT,
    ROOT_ID_KEY,
    UNSUPPORTED,
    Chunk,
    check_something_to_read,
    chunk_key,
    file_chunks,
    iter_candidates,
    make_splitter,
    root_id,
    source_of,
)
from langchain_s3vectors.app.pipeline import embed_and_write, paced_share
from langchain_s3vectors.app.sharding import Shard
from langchain_s3vectors.errors import InvalidInputError, S3VectorsError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "SKIP_KINDS",
    "IngestCancelledError",
    "IngestReport",
    "existing_chunks",
    "existing_chunks_many",
    "ingest",
    "skip_kind",
    "upload_chunks",
]

#: Keys probed after a file's last chunk, looking for a longer old version.
_PROBE = 4
#: Files whose stored chunks are looked up together.
_FILES_PER_LOOKUP = 256
#: Chunks to embed beyond which ingest warns, before starting, that it will take a while.
LARGE_INGEST_CHUNKS = 2000
#: Chunks embedded per call to the embedding model.
DEFAULT_EMBED_BATCH = 256

logger = logging.getLogger(__name__)

#: The kinds of :meth:`IngestReport.skipped_by_reason`, in the order they are reported.
SKIP_KINDS = ("unsupported", "no_text", "unreadable", "other_root", "duplicate")


def skip_kind(reason: str) -> str:
    """The kind (one of :data:`SKIP_KINDS`) of a reason a file was skipped or failed.

    Example:
        >>> skip_kind("unsupported file type .docx"), skip_kind("symbolic link loop")
        ('unsupported', 'unreadable')
    """
    if reason.startswith(UNSUPPORTED):
        return "unsupported"
    if reason in (NO_TEXT, NO_PDF_TEXT):
        return "no_text"
    if reason.startswith("same file as"):
        return "duplicate"
    if reason == OTHER_ROOT:
        return "other_root"
    return "unreadable"


class IngestCancelledError(S3VectorsError):
    """An ingest stopped early because its ``cancel`` event was set."""


@dataclass
class IngestReport:
    """What an ingest did.

    Attributes:
        added: Chunks that were new.
        updated: Chunks whose text changed and were overwritten.
        unchanged: Chunks already stored with the same content hash (not re-embedded).
        deleted: Stored chunks that the new version of a file no longer has.
        files: Files read.
        chunks: Chunks in those files.
        seconds: Wall time.
        sources: The ``source`` of every file read.
        failed: ``(source, reason)`` of every file skipped: it could not be read, or
            its stored chunks came from another root (see ``take_over``).
        removed_sources: Sources deleted because their files are gone (``prune``).
        skipped: ``(source, reason)`` of files found but not stored: an unsupported
            file type, no text (a scanned PDF), or a second link to a file read once.
        notes: ``(source, note)`` of files read with a caveat (bytes replaced, encoding,
            front matter fields left out).
        dry_run: Nothing was embedded or written; the counts say what would be.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    files: int = 0
    chunks: int = 0
    seconds: float = 0.0
    sources: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed_sources: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = False

    def skipped_by_reason(self) -> dict[str, int]:
        """How many files were skipped or failed, by kind of reason.

        Kinds: ``unsupported`` (file type), ``no_text``, ``unreadable`` (broken,
        binary, a link loop or a dangling link), ``other_root`` (see ``take_over``) and
        ``duplicate`` (a second link to a file read once).

        Example:
            >>> IngestReport(skipped=[("a.png", "unsupported file type .png")]).skipped_by_reason()
            {'unsupported': 1, 'no_text': 0, 'unreadable': 0, 'other_root': 0, 'duplicate': 0}
        """
        counts = dict.fromkeys(SKIP_KINDS, 0)
        for _, reason in [*self.failed, *self.skipped]:
            counts[skip_kind(reason)] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (without the source list)."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "files": self.files,
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
            "failed": [{"source": source, "reason": reason} for source, reason in self.failed],
            "removed_sources": list(self.removed_sources),
            "skipped": [{"source": source, "reason": reason} for source, reason in self.skipped],
            "skipped_by_reason": self.skipped_by_reason(),
            "notes": [{"source": source, "note": note} for source, note in self.notes],
            "dry_run": self.dry_run,
        }


# --------------------------------------------------------------------------- syncing


#: A stored chunk's ``(content_hash, root_id)``; ``None`` where it has none.
_Stored = tuple[str | None, str | None]


def _get_stored(store: S3VectorsStore, keys: Sequence[str]) -> dict[str, _Stored]:
    """Stored ``(content_hash, root_id)`` of the given keys that exist."""
    found: dict[str, _Stored] = {}
    for doc in store.get_by_ids(list(keys)):
        digest, root = (doc.metadata.get(name) for name in ("content_hash", ROOT_ID_KEY))
        found[str(doc.id)] = (
            None if digest is None else str(digest),
            None if root is None else str(root),
        )
    return found


def existing_chunks_many(
    store: S3VectorsStore, expected: Mapping[str, int]
) -> dict[str, dict[str, str | None]]:
    """Stored chunks of several sources at once: ``{source: {key: content_hash}}``.

    One batched GetVectors pass fetches, for every source, the keys its new version
    will have plus a small window after them; a source whose whole window exists
    (an older, longer version) is probed further, with a growing window, until a
    window comes back incomplete. Old versions are numbered from 0 without gaps, so
    this finds every stored chunk of every source.

    Args:
        store: The store.
        expected: Number of chunks of each source's new version.
    """
    stored = _stored_chunks_many(store, expected)
    return {source: {k: v[0] for k, v in chunks.items()} for source, chunks in stored.items()}


def _stored_chunks_many(
    store: S3VectorsStore, expected: Mapping[str, int]
) -> dict[str, dict[str, _Stored]]:
    """:func:`existing_chunks_many` with each chunk's ``root_id`` as well."""
    found: dict[str, dict[str, _Stored]] = {source: {} for source in expected}
    windows = {source: (0, count + _PROBE) for source, count in expected.items()}
    while windows:
        owner: dict[str, str] = {}
        for source, (low, high) in windows.items():
            owner.update({chunk_key(source, n): source for n in range(low, high)})
        stored = _get_stored(store, list(owner))
        for key, value in stored.items():
            found[owner[key]][key] = value
        next_windows: dict[str, tuple[int, int]] = {}
        for source, (low, high) in windows.items():
            start = max(low, expected[source])
            if all(chunk_key(source, n) in stored for n in range(start, high)):
                next_windows[source] = (high, high + 4 * (high - start))
        windows = next_windows
    return found


def existing_chunks(store: S3VectorsStore, source: str, expected: int) -> dict[str, str | None]:
    """Stored chunks of ``source``: ``{key: content_hash}``.

    Fetches the ``expected`` keys of the new version, then probes the keys after them
    for the tail of a longer old version.
    """
    return existing_chunks_many(store, {source: expected})[source]


def upload_chunks(
    store: S3VectorsStore,
    chunks: Sequence[Chunk],
    vectors: list[list[float]],
) -> None:
    """Upsert chunks with their precomputed vectors through the store's batching."""
    texts = [chunk.text for chunk in chunks]
    metadatas = [dict(chunk.metadata) for chunk in chunks]
    ids = [chunk.key for chunk in chunks]
    store.add_embeddings(texts, vectors, metadatas, ids=ids)


class _Progress:
    """Embedding progress: a tqdm bar on a terminal, else a log line now and then.

    Log lines (logger ``langchain_s3vectors.app.ingest``, level INFO) come after the first
    batch, which gives the first estimate, then every ``interval`` seconds and at the
    end; each has the count, the rate and the time left.
    """

    def __init__(
        self,
        total: int,
        *,
        enabled: bool | None,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = 0
        self.interval = interval
        self.clock = clock
        self.started = self.last = clock()
        self.bar: Any = None
        self.lines = False
        on_terminal = sys.stderr.isatty()
        if enabled is False or total == 0:
            return
        if enabled or on_terminal:
            try:
                from tqdm.auto import tqdm  # type: ignore[import-untyped]  # noqa: PLC0415
            except ImportError:
                self.lines = True
            else:
                self.bar = tqdm(total=total, desc="embedding", unit="chunk", file=sys.stderr)
        else:
            self.lines = True

    def update(self, count: int) -> None:
        first = self.done == 0
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
            return
        now = self.clock()
        if self.lines and (first or self.done >= self.total or now - self.last >= self.interval):
            self.last = now
            logger.info("%s", self.line(now))

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("inf")
        percent = 100 * self.done // max(self.total, 1)
        return (
            f"embedded {self.done}/{self.total} chunks ({percent}%), {rate:.1f} chunks/s, "
            f"{_duration(elapsed)} elapsed, about {_duration(left)} left"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(seconds: float) -> str:
    """``1h 02m``, ``3m 05s``, ``12s``.

    Example:
        >>> _duration(3725), _duration(185), _duration(12.4)
        ('1h 02m', '3m 05s', '12s')
    """
    if seconds == float("inf"):
        return "?"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _resolve_embeddings(
    store: S3VectorsStore, embedding: Embeddings | Callable[[], Embeddings] | None
) -> Callable[[], Embeddings]:
    if embedding is None:
        return lambda: store.embeddings  # type: ignore[return-value]
    if callable(embedding) and not hasattr(embedding, "embed_documents"):
        return embedding
    return lambda: embedding  # type: ignore[return-value]


def _plan_file(
    chunks: list[Chunk],
    stored: Mapping[str, str | None],
    report: IngestReport,
) -> tuple[list[Chunk], list[str]]:
    """Which chunks to (re-)embed and which stored keys to delete."""
    pending: list[Chunk] = []
    for chunk in chunks:
        if chunk.key not in stored:
            report.added += 1
            pending.append(chunk)
        elif stored[chunk.key] != chunk.metadata["content_hash"]:
            report.updated += 1
            pending.append(chunk)
        else:
            report.unchanged += 1
    wanted = {chunk.key for chunk in chunks}
    stale = sorted(key for key in stored if key not in wanted)
    return pending, stale


def _other_roots(stored: Mapping[str, _Stored], tag: str) -> bool:
    """Whether any stored chunk was ingested from a root other than ``tag``.

    Chunks without a ``root_id`` (from versions before it) belong to any root.
    """
    return any(root not in (None, tag) for _, root in stored.values())


#: Why a file whose stored chunks belong to another ingest root is left alone.
OTHER_ROOT = (
    "already in the index from another folder (ingested with another --root or from "
    "another directory), left unchanged so that folder's copy is not overwritten; "
    "ingest both from a folder that contains them (e.g. --root ..) or into another "
    "--index, or pass --take-over if this is the same folder, moved"
)


def _plan_group(
    store: S3VectorsStore,
    group: Mapping[str, list[Chunk]],
    tag: str,
    report: IngestReport,
    *,
    take_over: bool,
    reembed: bool = False,
) -> tuple[list[Chunk], list[str]]:
    """Plan files against their stored chunks, looked up together; skip other roots'.

    ``reembed``: the stored chunks were embedded by another model; all are updated.
    """
    pending: list[Chunk] = []
    stale: list[str] = []
    stored = _stored_chunks_many(store, {src: len(ch) for src, ch in group.items()})
    for src, chunks in group.items():
        if not take_over and _other_roots(stored[src], tag):
            report.failed.append((src, OTHER_ROOT))
            continue
        hashes = {key: None if reembed else digest for key, (digest, _) in stored[src].items()}
        todo, gone = _plan_file(chunks, hashes, report)
        pending.extend(todo)
        stale.extend(gone)
    return pending, stale


def _plan(
    store: S3VectorsStore,
    files: Iterable[tuple[Path, Path | None, str | None]],
    base: Path,
    split: Callable[[str], list[str]],
    report: IngestReport,
    *,
    take_over: bool = False,
    reembed: bool = False,
) -> tuple[list[Chunk], list[str]]:
    """Read and split every file; return the chunks to embed and the keys to delete."""
    pending: list[Chunk] = []
    stale: list[str] = []
    group: dict[str, list[Chunk]] = {}
    tag = root_id(base)

    def plan_group() -> None:
        todo, gone = _plan_group(store, group, tag, report, take_over=take_over, reembed=reembed)
        pending.extend(todo)
        stale.extend(gone)
        group.clear()

    for path, resolved, problem in files:
        if resolved is None:
            reason = problem or "cannot read"
            skipped = skip_kind(reason) in {"duplicate", "unsupported"}
            target = report.skipped if skipped else report.failed
            target.append((path.as_posix(), reason))
            continue
        source = source_of(path, base)
        try:
            chunks, note = file_chunks(path, source, split, tag)
        except InvalidInputError as exc:
            report.failed.append((source, str(exc)))
            continue
        if note:
            report.notes.append((source, note))
        if source in group:
            plan_group()  # two paths with one source: plan them in order
        if chunks:
            report.files += 1
            report.chunks += len(chunks)
            report.sources.append(source)
        else:  # still planned, so the chunks of an older version are deleted
            report.skipped.append(
                (source, NO_PDF_TEXT if path.suffix.lower() == ".pdf" else NO_TEXT)
            )
        group[source] = chunks
        if len(group) >= _FILES_PER_LOOKUP:
            plan_group()
    if group:
        plan_group()
    return pending, stale


def ingest(
    store: S3VectorsStore,
    paths: Sequence[str | Path] | str | Path,
    *,
    root: str | Path | None = None,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    embedding: Embeddings | Callable[[], Embeddings] | None = None,
    batch_size: int = DEFAULT_EMBED_BATCH,
    progress: bool | None = None,
    prune: bool = False,
    shard: Shard | str | None = None,
    dry_run: bool = False,
    progress_interval: float = 10.0,
    cancel: threading.Event | None = None,
    take_over: bool = False,
) -> IngestReport:
    """Ingest files and folders into ``store``, incrementally.

    Args:
        store: The vector store.
        paths: Files and/or folders.
        root: Sources are paths relative to this folder (default: the current
            directory); files outside it keep the path as given.
        chunk_size: Characters per chunk, 1 to
            :data:`~langchain_s3vectors.app.loaders.MAX_CHUNK_SIZE`.
        chunk_overlap: Characters shared by neighbouring chunks.
        embedding: Embeddings, or a zero-argument factory called only if something
            must be embedded; default: the store's embeddings.
        batch_size: Chunks per embedding call (and per upload).
        progress: ``True``: a progress bar; ``False``: nothing; ``None`` (default): a
            bar when stderr is a terminal, else INFO log lines with rate and time left.
        prune: Also delete the stored chunks of files that are gone from the folders
            given: sources under a folder's path, ingested from the same root, that
            were not read this time. Needs one ListVectors scan of the index.
        dry_run: Plan only: read the files and the index, count what would be added,
            updated and deleted, and change nothing (no model is loaded).
        progress_interval: Seconds between progress log lines.
        cancel: Set it (from another thread) to stop between two batches: what was
            uploaded stays (ingesting again completes it), nothing is deleted, and
            :class:`IngestCancelledError` is raised.
        shard: Ingest only this share of the sources, e.g. ``"0/4"`` (see
            :mod:`langchain_s3vectors.app.sharding`): N processes with shards ``0/N`` ..
            ``N-1/N`` fill one index with each chunk exactly once, each pruning only
            within its share and writing at ``1/N`` of the store's write rate limit.
        take_over: Overwrite stored chunks ingested from another root (a moved
            folder); by default such a file is left alone and reported as failed.

    The index's embedding identity is checked first (see
    :mod:`langchain_s3vectors.identity`): an index built with another model is
    refused before any file is read, unless the store allows the change
    (``allow_embedding_change=True``): then every chunk is embedded again, none is
    left "unchanged".

    Returns:
        What was added, updated, left unchanged and deleted (or would be).

    Raises:
        InvalidInputError: A path is missing or unsupported, or bad chunk settings.
        ConfigurationError: A needed optional package is missing.
        EmbeddingMismatchError: The index was built with another embedding model.
        DimensionMismatchError: The index has another dimension than the model.
        IngestCancelledError: ``cancel`` was set.
        S3VectorsError: The store failed (see :mod:`langchain_s3vectors.errors`).

    Example:
        >>> report = ingest(store, ["docs/"], chunk_size=800)  # doctest: +SKIP
        >>> report.as_dict()  # doctest: +SKIP
        {'added': 120, 'updated': 0, 'unchanged': 0, 'deleted': 0, ...}
    """
    started = time.perf_counter()
    paths, base, split, share = _prepare(paths, root, chunk_size, chunk_overlap, batch_size, shard)
    report = IngestReport(dry_run=dry_run)
    pending, stale = _plan_paths(
        store, paths, base, split, report, share=share, prune=prune, take_over=take_over
    )
    if not dry_run:
        _announce(pending, stale, report)
        with paced_share(store, share):
            if pending:
                _embed_and_upload(
                    store,
                    pending,
                    _resolve_embeddings(store, embedding),
                    batch_size,
                    progress=_Progress(len(pending), enabled=progress, interval=progress_interval),
                    cancel=cancel,
                )
            if stale:
                store.delete(ids=stale)
    report.seconds = time.perf_counter() - started
    return report


def _prepare(
    paths: Sequence[str | Path] | str | Path,
    root: str | Path | None,
    chunk_size: int,
    chunk_overlap: int,
    batch_size: int,
    shard: Shard | str | None,
) -> tuple[list[str | Path], Path, Callable[[str], list[str]], Shard | None]:
    """Check the options before any work: ``(paths, root folder, splitter, shard)``."""
    base = Path(root) if root is not None else Path.cwd()
    split = make_splitter(chunk_size, chunk_overlap)
    if batch_size < 1:
        msg = f"batch_size must be at least 1, not {batch_size}."
        raise InvalidInputError(msg)
    share = Shard.parse(shard) if isinstance(shard, str) else shard
    return [paths] if isinstance(paths, (str, Path)) else list(paths), base, split, share


def _plan_paths(
    store: S3VectorsStore,
    paths: Sequence[str | Path],
    base: Path,
    split: Callable[[str], list[str]],
    report: IngestReport,
    *,
    share: Shard | None,
    prune: bool,
    take_over: bool,
) -> tuple[list[Chunk], list[str]]:
    """Check every path, then plan this share's files; with ``prune``, the vanished too."""
    candidates = list(iter_candidates(paths))  # every path checked before anything is read
    if not prune:
        check_something_to_read(paths, candidates)
    if share is not None:
        candidates = [c for c in candidates if share.owns(source_of(c[0], base))]
    # Another model's index is refused here, before anything is read or embedded; when
    # the change is allowed, every stored chunk is embedded again with the new model.
    reembed = store.check_embedding_identity()
    pending, stale = _plan(
        store, candidates, base, split, report, take_over=take_over, reembed=reembed
    )
    if prune:
        folders = [Path(p) for p in paths if Path(p).is_dir()]
        stale.extend(_vanished(store, folders, base, report, share))
    report.deleted = len(stale)
    return pending, stale


def _announce(pending: Sequence[Chunk], stale: Sequence[str], report: IngestReport) -> None:
    """Log the plan; warn before a large amount of embedding starts."""
    if len(pending) >= LARGE_INGEST_CHUNKS:
        sizes = Counter(str(chunk.metadata["source"]) for chunk in pending)
        biggest, count = sizes.most_common(1)[0]
        logger.warning(
            "%d chunks to embed from %d files (largest: %s, %d chunks); this can take a "
            "while: the first progress line estimates how long (preview with a dry run)",
            len(pending),
            len(sizes),
            biggest,
            count,
        )
    elif pending or stale:
        logger.info(
            "%d chunks to embed, %d unchanged, %d to delete",
            len(pending),
            report.unchanged,
            len(stale),
        )


def _vanished(
    store: S3VectorsStore,
    folders: Sequence[Path],
    base: Path,
    report: IngestReport,
    shard: Shard | None = None,
) -> list[str]:
    """Keys of stored chunks of this root whose source lies under ``folders`` but was not seen.

    A chunk without a ``root_id`` (ingested by an older version) counts as this
    root's only when the folder's prefix is not empty, i.e. the folder is not the root
    itself: an empty prefix would otherwise match every source in the index.
    """
    from langchain_s3vectors.app.admin import iter_vectors  # noqa: PLC0415

    if not folders:
        return []
    prefixes = []
    for folder in folders:
        prefix = source_of(folder, base)
        prefixes.append("" if prefix in {".", ""} else prefix.rstrip("/") + "/")
    tag = root_id(base)
    seen = set(report.sources) | {source for source, _ in report.failed + report.skipped}
    keys: list[str] = []
    removed: set[str] = set()
    for record in iter_vectors(store):  # a missing index yields nothing
        metadata = record.get("metadata") or {}
        source = metadata.get("source")
        if not isinstance(source, str) or source in seen:
            continue
        if shard is not None and not shard.owns(source):
            continue
        owner = metadata.get(ROOT_ID_KEY)
        if any(
            source.startswith(prefix) and (owner == tag or (owner is None and prefix))
            for prefix in prefixes
        ):
            keys.append(record["key"])
            removed.add(source)
    report.removed_sources = sorted(removed)
    return keys


def _embed_and_upload(
    store: S3VectorsStore,
    pending: list[Chunk],
    factory: Callable[[], Embeddings],
    batch_size: int,
    *,
    progress: _Progress,
    cancel: threading.Event | None = None,
) -> None:
    """Embed the next batches while the store sends earlier ones (see :mod:`.pipeline`)."""
    embeddings = factory()
    try:
        written = embed_and_write(
            store,
            pending,
            embeddings,
            batch_size,
            on_batch=progress.update,
            cancel=cancel,
        )
        if len(written) < len(pending):
            msg = (
                f"ingest cancelled after {len(written)} of {len(pending)} chunks; ingest "
                "again to finish (unchanged chunks are skipped)"
            )
            raise IngestCancelledError(msg)
    finally:
        progress.close()
