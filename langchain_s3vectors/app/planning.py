"""Ingest planning: what to add, update, leave unchanged or delete, per file.

:func:`plan_paths` reads and splits the files of an ingest, looks up their stored
chunks in batches (:func:`existing_chunks_many`) and compares content hashes: a new
key is added, a changed hash is updated, an equal one is left unchanged, and the keys
a shorter new version no longer has are deleted. A file whose stored chunks came from
another ingest root is left alone (:data:`OTHER_ROOT`) unless ``take_over`` is set; with
``prune``, the stored chunks of vanished files are deleted too. The counts go into an
:class:`IngestReport`; nothing is embedded or written here.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_s3vectors.vectorstores import S3VectorsStore
    >>> store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=8))
    >>> existing_chunks(store, "a.md", 1)
    {}
    >>> skip_kind("unsupported file type .docx")
    'unsupported'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.app.discovery import (
    UNSUPPORTED,
    check_something_to_read,
    iter_candidates,
)
from langchain_s3vectors.app.loaders import (
    NO_PDF_TEXT,
    NO_TEXT,
    ROOT_ID_KEY,
    Chunk,
    chunk_key,
    file_chunks,
    root_id,
    source_of,
)
from langchain_s3vectors.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from langchain_s3vectors.app.sharding import Shard
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "OTHER_ROOT",
    "SKIP_KINDS",
    "IngestReport",
    "existing_chunks",
    "existing_chunks_many",
    "plan_paths",
    "skip_kind",
]

#: Keys probed after a file's last chunk, looking for a longer old version.
_PROBE = 4
#: Files whose stored chunks are looked up together.
_FILES_PER_LOOKUP = 256

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


def plan_paths(
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
    """Check every path, then plan this share's files; with ``prune``, the vanished too.

    Nothing is embedded or written; what would be goes into ``report``.

    Args:
        store: The vector store the files are planned against.
        paths: Files and/or folders.
        base: The ingest root: sources are paths relative to it.
        split: Splits a file's text into chunk texts.
        report: Filled with what would be added, updated, left unchanged and deleted.
        share: Plan only the sources this shard owns (``None``: all).
        prune: Also delete the stored chunks of this root's files gone from ``paths``.
        take_over: Overwrite stored chunks ingested from another root.

    Returns:
        ``(chunks to embed, stored keys to delete)``.

    Example:
        >>> import tempfile
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> from langchain_s3vectors.app.loaders import make_splitter
        >>> from langchain_s3vectors.vectorstores import S3VectorsStore
        >>> docs = Path(tempfile.mkdtemp())
        >>> _ = (docs / "a.md").write_text("S3 Vectors stores vectors.")
        >>> store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=8))
        >>> report = IngestReport(dry_run=True)
        >>> pending, stale = plan_paths(
        ...     store, [docs], docs, make_splitter(1000, 150), report,
        ...     share=None, prune=False, take_over=False,
        ... )
        >>> [chunk.key for chunk in pending], stale, report.added
        (['a.md#0'], [], 1)
    """
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
