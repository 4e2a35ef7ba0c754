"""Files -> chunks -> vectors, incrementally.

:func:`ingest` loads ``.txt``, ``.md``, ``.rst``, ``.html`` and ``.pdf`` files (single
files or whole folders), splits them with LangChain's
``RecursiveCharacterTextSplitter`` and upserts one vector per chunk. Every chunk gets
a stable key, ``"<source>#<chunk number>"``, and this metadata:

============  ===============================================================
``source``    the file's path relative to the ingest root, with ``/``
``chunk``     the chunk's number in the file, from 0
``content_hash``  sha256 of the chunk text (first 32 hex characters)
``title``     the document title (Markdown heading, HTML ``<title>``, PDF title,
              or the file name)
``file_type`` ``txt``, ``md``, ``rst``, ``html`` or ``pdf``
============  ===============================================================

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

import hashlib
import itertools
import os
import re
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.errors import (
    ConfigurationError,
    InvalidInputError,
)
from langchain_s3vectors.pipeline import embed_and_write, paced_share
from langchain_s3vectors.sharding import Shard

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Chunk",
    "IngestReport",
    "chunk_key",
    "content_hash",
    "discover_files",
    "existing_chunks",
    "existing_chunks_many",
    "ingest",
    "load_file",
    "source_of",
    "split_file",
    "upload_chunks",
]

#: File extensions ingest reads, and the ``file_type`` each one gets.
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}

#: Hex characters of sha256 kept in ``content_hash``.
HASH_CHARS = 32
#: Keys probed after a file's last chunk, looking for a longer old version.
_PROBE = 4
#: Files whose stored chunks are looked up together.
_FILES_PER_LOOKUP = 256
#: Chunks embedded per call to the embedding model.
DEFAULT_EMBED_BATCH = 256
_MAX_TITLE = 200
_PDF_HINT = 'pip install "langchain-s3vectors[pdf]"'
_SPLITTER_HINT = 'pip install "langchain-s3vectors[ingest]"'


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
        failed: ``(source, reason)`` of every file that could not be read (skipped).
        removed_sources: Sources deleted because their files are gone (``prune``).
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
        }


@dataclass(frozen=True)
class Chunk:
    """One chunk of one file, ready to embed."""

    key: str
    text: str
    metadata: dict[str, Any]


def content_hash(text: str) -> str:
    """The content hash stored with a chunk.

    Example:
        >>> content_hash("hello")
        '2cf24dba5fb0a30e26e83b2ac5b9e29e'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def chunk_key(source: str, chunk: int) -> str:
    """The vector key of a chunk: ``"<source>#<chunk>"``, hashed when too long.

    Keys are at most 1024 characters; a longer source is replaced by
    ``"sha256:<hex digest>"`` so the key stays stable and within the limit.

    Example:
        >>> chunk_key("docs/a.md", 3)
        'docs/a.md#3'
        >>> len(chunk_key("x" * 2000, 0)) <= 1024
        True
    """
    key = f"{source}#{chunk}"
    if len(key) <= limits.KEY_MAX_LENGTH:
        return key
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    return f"sha256:{digest}#{chunk}"


# --------------------------------------------------------------------------- loading


class _HTMLText(HTMLParser):
    """Visible text and ``<title>`` of an HTML page, with the stdlib parser."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "head"})
    _BLOCK = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "tr",
            "table",
            "section",
            "article",
            "header",
            "footer",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "pre",
            "blockquote",
            "dd",
            "dt",
            "hr",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip_depth:
            self.parts.append(data)

    def text(self) -> str:
        raw = "".join(self.parts)
        lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in raw.split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _markdown_title(text: str) -> str | None:
    for line in text.splitlines()[:50]:
        match = re.match(r"^#{1,2}\s+(.+?)\s*#*\s*$", line)
        if match:
            return match.group(1)
    return None


def _rst_title(text: str) -> str | None:
    lines = text.splitlines()[:50]
    for first, second in itertools.pairwise(lines):
        if (
            first.strip()
            and len(second.strip()) >= len(first.strip())
            and re.fullmatch(r"([=\-~^*#+])\1+", second.strip())
        ):
            return first.strip()
    return None


def _load_pdf(path: Path) -> tuple[str, str | None]:
    try:
        from pypdf import PdfReader  # noqa: PLC0415
    except ImportError as exc:
        msg = f"Reading {path.name} needs pypdf: {_PDF_HINT}"
        raise ConfigurationError(msg) from exc
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
    except Exception as exc:
        msg = f"Could not read PDF {path}: {exc}"
        raise InvalidInputError(msg) from exc
    return "\n\n".join(pages), str(title) if title else None


def load_file(path: str | Path) -> tuple[str, str, str]:
    """Read one supported file.

    Args:
        path: The file.

    Returns:
        ``(text, title, file_type)``.

    Raises:
        InvalidInputError: Unsupported extension or unreadable file.
        ConfigurationError: A PDF without pypdf installed.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.html"
        >>> _ = p.write_text("<title>T</title><p>Hi <b>there</b></p><script>x()</script>")
        >>> load_file(p)
        ('Hi there', 'T', 'html')
    """
    path = Path(path)
    file_type = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if file_type is None:
        msg = (
            f"Cannot ingest {path}: unsupported file type {path.suffix!r}. Supported: "
            f"{', '.join(sorted(SUPPORTED_EXTENSIONS))}."
        )
        raise InvalidInputError(msg)
    title: str | None = None
    if file_type == "pdf":
        text, title = _load_pdf(path)
    else:
        try:
            raw = _read_text(path)
        except OSError as exc:
            msg = f"Cannot read {path}: {exc}"
            raise InvalidInputError(msg) from exc
        if file_type == "html":
            parser = _HTMLText()
            parser.feed(raw)
            parser.close()
            text = parser.text()
            title = " ".join("".join(parser.title_parts).split()) or None
        else:
            text = raw
            if file_type == "md":
                title = _markdown_title(text)
            elif file_type == "rst":
                title = _rst_title(text)
    title = (title or path.stem).strip()[:_MAX_TITLE]
    return text, title, file_type


def discover_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every supported file under ``paths`` (files as given, folders recursively, sorted).

    Hidden files and folders (names starting with ``.``) inside a folder are skipped.

    Raises:
        InvalidInputError: A path does not exist, or a file has an unsupported type.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found: list[Path] = []
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(
                    Path(dirpath, name)
                    for name in filenames
                    if not name.startswith(".")
                    and Path(name).suffix.lower() in SUPPORTED_EXTENSIONS
                )
            yield from sorted(found)
        elif path.is_file():
            if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                msg = (
                    f"Cannot ingest {path}: unsupported file type {path.suffix!r}. "
                    f"Supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}."
                )
                raise InvalidInputError(msg)
            yield path
        else:
            msg = f"Cannot ingest {path}: no such file or directory."
            raise InvalidInputError(msg)


def source_of(path: Path, root: Path) -> str:
    """The ``source`` of a file: relative to ``root`` when under it, else as given.

    Example:
        >>> source_of(Path("/data/docs/a.md"), Path("/data"))
        'docs/a.md'
        >>> source_of(Path("/elsewhere/b.md"), Path("/data"))
        '/elsewhere/b.md'
    """
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _make_splitter(chunk_size: int, chunk_overlap: int) -> Callable[[str], list[str]]:
    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: PLC0415
    except ImportError as exc:
        msg = f"Ingesting files needs langchain-text-splitters: {_SPLITTER_HINT}"
        raise ConfigurationError(msg) from exc
    if chunk_size < 1 or chunk_overlap < 0 or chunk_overlap >= chunk_size:
        msg = (
            f"chunk_size={chunk_size}, chunk_overlap={chunk_overlap}: need chunk_size >= 1 "
            "and 0 <= chunk_overlap < chunk_size."
        )
        raise InvalidInputError(msg)
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    return splitter.split_text


def split_file(
    path: str | Path,
    source: str,
    *,
    chunk_size: int = 1000,
    chunk_overlap: int = 150,
    _split: Callable[[str], list[str]] | None = None,
) -> list[Chunk]:
    r"""Load and split one file into keyed chunks with their metadata.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.md"
        >>> _ = p.write_text("# Notes\\n\\nS3 Vectors stores vectors.")
        >>> [c.key for c in split_file(p, "a.md")]
        ['a.md#0']
    """
    split = _split or _make_splitter(chunk_size, chunk_overlap)
    text, title, file_type = load_file(path)
    pieces = [piece for piece in split(text) if piece.strip()]
    return [
        Chunk(
            key=chunk_key(source, number),
            text=piece,
            metadata={
                "source": source,
                "chunk": number,
                "content_hash": content_hash(piece),
                "title": title,
                "file_type": file_type,
            },
        )
        for number, piece in enumerate(pieces)
    ]


# --------------------------------------------------------------------------- syncing


def _get_hashes(store: S3VectorsStore, keys: Sequence[str]) -> dict[str, str | None]:
    """Stored ``content_hash`` of the given keys that exist (None when it has none)."""
    found: dict[str, str | None] = {}
    for doc in store.get_by_ids(list(keys)):
        value = doc.metadata.get("content_hash")
        found[str(doc.id)] = str(value) if value is not None else None
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
    found: dict[str, dict[str, str | None]] = {source: {} for source in expected}
    windows = {source: (0, count + _PROBE) for source, count in expected.items()}
    while windows:
        owner: dict[str, str] = {}
        for source, (low, high) in windows.items():
            owner.update({chunk_key(source, n): source for n in range(low, high)})
        hashes = _get_hashes(store, list(owner))
        for key, value in hashes.items():
            found[owner[key]][key] = value
        next_windows: dict[str, tuple[int, int]] = {}
        for source, (low, high) in windows.items():
            start = max(low, expected[source])
            if all(chunk_key(source, n) in hashes for n in range(start, high)):
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


def _progress(total: int, *, enabled: bool | None) -> Any:
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show or total == 0:
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        return None
    return tqdm(total=total, desc="embedding", unit="chunk", file=sys.stderr)


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


def _plan(
    store: S3VectorsStore,
    files: Iterable[Path],
    base: Path,
    split: Callable[[str], list[str]],
    report: IngestReport,
) -> tuple[list[Chunk], list[str]]:
    """Read and split every file; return the chunks to embed and the keys to delete."""
    pending: list[Chunk] = []
    stale: list[str] = []
    group: dict[str, list[Chunk]] = {}

    def plan_group() -> None:
        stored = existing_chunks_many(store, {src: len(ch) for src, ch in group.items()})
        for src, chunks in group.items():
            todo, gone = _plan_file(chunks, stored[src], report)
            pending.extend(todo)
            stale.extend(gone)
        group.clear()

    for path in files:
        source = source_of(path, base)
        try:
            chunks = split_file(path, source, _split=split)
        except InvalidInputError as exc:
            report.failed.append((source, str(exc)))
            continue
        if source in group:
            plan_group()  # the same file given twice: plan it twice, in order
        report.files += 1
        report.chunks += len(chunks)
        report.sources.append(source)
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
) -> IngestReport:
    """Ingest files and folders into ``store``, incrementally.

    Args:
        store: The vector store.
        paths: Files and/or folders.
        root: Sources are paths relative to this folder (default: the current
            directory); files outside it keep the path as given.
        chunk_size: Characters per chunk.
        chunk_overlap: Characters shared by neighbouring chunks.
        embedding: Embeddings, or a zero-argument factory called only if something
            must be embedded; default: the store's embeddings.
        batch_size: Chunks per embedding call (and per upload).
        progress: Show a progress bar; default: only when stderr is a terminal.
        prune: Also delete the stored chunks of files that are gone from the folders
            given (sources under a folder's path that were not read this time). Needs
            one ListVectors scan of the index.
        shard: Ingest only this share of the sources, e.g. ``"0/4"`` or
            ``Shard(0, 4)`` (see :mod:`langchain_s3vectors.sharding`): N processes with
            shards ``0/N`` .. ``N-1/N`` fill one index with each chunk exactly once,
            each pruning only within its share and writing at ``1/N`` of the store's
            write rate limit.

    Returns:
        What was added, updated, left unchanged and deleted.

    Raises:
        InvalidInputError: A path is missing or unsupported, or bad chunk settings.
        ConfigurationError: A needed optional package is missing.
        S3VectorsError: The store failed (see :mod:`langchain_s3vectors.errors`).

    Example:
        >>> report = ingest(store, ["docs/"], chunk_size=800)  # doctest: +SKIP
        >>> report.as_dict()  # doctest: +SKIP
        {'added': 120, 'updated': 0, 'unchanged': 0, 'deleted': 0, ...}
    """
    started = time.perf_counter()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    base = Path(root) if root is not None else Path.cwd()
    split = _make_splitter(chunk_size, chunk_overlap)
    if batch_size < 1:
        msg = f"batch_size must be at least 1, not {batch_size}."
        raise InvalidInputError(msg)
    share = Shard.parse(shard) if isinstance(shard, str) else shard
    report = IngestReport()
    files = discover_files(paths)
    if share is not None:
        files = (path for path in files if share.owns(source_of(path, base)))
    pending, stale = _plan(store, files, base, split, report)
    if prune:
        folders = [Path(p) for p in paths if Path(p).is_dir()]
        stale.extend(_vanished(store, folders, base, report, share))
    with paced_share(store, share):
        if pending:
            _embed_and_upload(
                store,
                pending,
                _resolve_embeddings(store, embedding),
                batch_size,
                progress=progress,
            )
        if stale:
            store.delete(ids=stale)
            report.deleted = len(stale)
    report.seconds = time.perf_counter() - started
    return report


def _vanished(
    store: S3VectorsStore,
    folders: Sequence[Path],
    base: Path,
    report: IngestReport,
    shard: Shard | None = None,
) -> list[str]:
    """Keys of stored chunks whose source lies under ``folders`` but was not seen."""
    from langchain_s3vectors.manage import iter_vectors  # noqa: PLC0415

    if not folders:
        return []
    prefixes = []
    for folder in folders:
        prefix = source_of(folder, base)
        prefixes.append("" if prefix in {".", ""} else prefix.rstrip("/") + "/")
    seen = set(report.sources) | {source for source, _ in report.failed}
    keys: list[str] = []
    removed: set[str] = set()
    for record in iter_vectors(store):  # a missing index yields nothing
        source = (record.get("metadata") or {}).get("source")
        if (
            isinstance(source, str)
            and source not in seen
            and (shard is None or shard.owns(source))
            and any(source.startswith(prefix) for prefix in prefixes)
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
    progress: bool | None,
) -> None:
    """Embed the next batches while the store sends earlier ones (see :mod:`.pipeline`)."""
    embeddings = factory()
    bar = _progress(len(pending), enabled=progress)
    try:
        embed_and_write(
            store,
            pending,
            embeddings,
            batch_size,
            on_batch=None if bar is None else bar.update,
        )
    finally:
        if bar is not None:
            bar.close()
