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
:attr:`~langchain_s3vectors.app.planning.IngestReport.failed` instead of overwriting
the other folder's copy; pass ``take_over=True`` (``--take-over``) when it really is the
same folder, moved. What to add, update, leave or delete is decided in
:mod:`langchain_s3vectors.app.planning`.

Folders are read recursively, following symbolic links; a file reached twice (through
a link) is read once, and link loops, dangling links and binary files are skipped and
reported in :attr:`~langchain_s3vectors.app.planning.IngestReport.failed`. Text is
decoded as UTF-8; a file with a few invalid bytes keeps its text with only those bytes
replaced, and a file in a legacy encoding is decoded with charset-normalizer's guess;
either is noted in :attr:`~langchain_s3vectors.app.planning.IngestReport.notes`.
``dry_run=True`` plans without embedding or writing.

``prune=True`` also deletes the stored chunks of files that are gone from the folders
given: sources under a folder's path, ingested from the same root, that were not read
this time; it needs one ListVectors scan of the index. ``shard="i/N"`` ingests one share
of the sources (see :mod:`langchain_s3vectors.app.sharding`): N processes with shards
``0/N`` .. ``N-1/N`` fill one index with each chunk exactly once, each pruning only
within its share and writing at ``1/N`` of the store's write rate limit. Setting
``cancel`` stops between two batches: what was uploaded stays (ingesting again
completes it), nothing is deleted, and :class:`IngestCancelledError` is raised. The
``embedding`` factory is called only if something must be embedded (default: the
store's embeddings). ``progress=None`` shows a bar when stderr is a terminal, else
INFO log lines with the rate and the time left.

The index's embedding identity is checked first (see :mod:`langchain_s3vectors.identity`):
an index built with another model is refused before any file is read, unless the store
allows the change (``allow_embedding_change=True``): then every chunk is embedded again,
none is left "unchanged".

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.app.loaders import Chunk, make_splitter
from langchain_s3vectors.app.pipeline import embed_and_write, paced_share
from langchain_s3vectors.app.planning import IngestReport, plan_paths
from langchain_s3vectors.app.sharding import Shard
from langchain_s3vectors.errors import InvalidInputError, S3VectorsError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Sequence

    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "IngestCancelledError",
    "ingest",
    "upload_chunks",
]

#: Chunks to embed beyond which ingest warns, before starting, that it will take a while.
LARGE_INGEST_CHUNKS = 2000
#: Chunks embedded per call to the embedding model.
DEFAULT_EMBED_BATCH = 256

logger = logging.getLogger(__name__)


class IngestCancelledError(S3VectorsError):
    """An ingest stopped early because its ``cancel`` event was set."""


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
    """Ingest files and folders into ``store``, incrementally (see the module docstring).

    Args:
        store: The vector store.
        paths: Files and/or folders.
        root: Sources are paths relative to it (default: the current directory).
        chunk_size: Characters per chunk, 1 to ``loaders.MAX_CHUNK_SIZE``.
        chunk_overlap: Characters shared by neighbouring chunks.
        embedding: Embeddings, or a factory called only if something must be embedded.
        batch_size: Chunks per embedding call (and per upload).
        progress: A bar (``True``), nothing (``False``); ``None``: a bar on a terminal.
        prune: Also delete the chunks of files gone from the folders given.
        shard: Ingest only this share of the sources, e.g. ``"0/4"``.
        dry_run: Plan only: count what would change, change nothing.
        progress_interval: Seconds between progress log lines (off a terminal).
        cancel: Set it (from another thread) to stop between two batches.
        take_over: Overwrite stored chunks ingested from another root (a moved folder).

    Returns:
        What was added, updated, left unchanged and deleted (or would be).

    Raises:
        InvalidInputError: A path is missing or unsupported, or bad chunk settings.
        ConfigurationError: A needed optional package is missing.
        EmbeddingMismatchError: The index was built with another embedding model.
        DimensionMismatchError: The index has another dimension than the model.
        IngestCancelledError: ``cancel`` was set.
        S3VectorsError: The store failed (see :mod:`langchain_s3vectors.errors`).
    """
    started = time.perf_counter()
    paths, base, split, share = _prepare(paths, root, chunk_size, chunk_overlap, batch_size, shard)
    report = IngestReport(dry_run=dry_run)
    pending, stale = plan_paths(
        store, paths, base, split, report, share=share, prune=prune, take_over=take_over
    )
    if not dry_run:
        meter = _Progress(len(pending), enabled=progress, interval=progress_interval)
        _apply_plan(store, pending, stale, report, share, embedding, batch_size, meter, cancel)
    report.seconds = time.perf_counter() - started
    return report


def _apply_plan(
    store: S3VectorsStore,
    pending: list[Chunk],
    stale: list[str],
    report: IngestReport,
    share: Shard | None,
    embedding: Embeddings | Callable[[], Embeddings] | None,
    batch_size: int,
    progress: _Progress,
    cancel: threading.Event | None,
) -> None:
    """Embed and upload the pending chunks, then delete the stale ones, at the shard's pace."""
    _announce(pending, stale, report)
    with paced_share(store, share):
        if pending:
            factory = _resolve_embeddings(store, embedding)
            _embed_and_upload(store, pending, factory, batch_size, progress=progress, cancel=cancel)
        if stale:
            store.delete(ids=stale)


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
