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
``root_id``   which ingest root the source is relative to (see :func:`root_id`);
              ``prune`` only ever deletes chunks of the root being ingested
============  ===============================================================

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

import codecs
import errno
import hashlib
import itertools
import logging
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.app.pipeline import embed_and_write, paced_share
from langchain_s3vectors.app.sharding import Shard
from langchain_s3vectors.errors import (
    ConfigurationError,
    InvalidInputError,
    S3VectorsError,
)
from langchain_s3vectors.records import json_size

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "Chunk",
    "IngestCancelledError",
    "IngestReport",
    "check_chunking",
    "check_paths",
    "chunk_key",
    "content_hash",
    "decode_text",
    "discover_files",
    "existing_chunks",
    "existing_chunks_many",
    "ingest",
    "load_file",
    "root_id",
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
#: Metadata key holding the :func:`root_id` of the folder a chunk was ingested from.
ROOT_ID_KEY = "root_id"
#: JSON bytes of chunk text that fit in a vector's metadata beside the other fields
#: (filterable metadata takes at most 2 KB; a little is left for the key and quotes).
MAX_CHUNK_BYTES = limits.MAX_METADATA_BYTES - limits.MAX_FILTERABLE_METADATA_BYTES - 128
#: Largest ``chunk_size`` (characters): 8,000 characters of at most 4 UTF-8 bytes fit.
MAX_CHUNK_SIZE = 8000
#: Chunks to embed beyond which ingest warns, before starting, that it will take a while.
LARGE_INGEST_CHUNKS = 2000
#: Chunks embedded per call to the embedding model.
DEFAULT_EMBED_BATCH = 256
_MAX_TITLE = 200
_PDF_HINT = 'pip install "langchain-s3vectors[pdf]"'
_SPLITTER_HINT = 'pip install "langchain-s3vectors[ingest]"'
#: Leading bytes searched for NUL to tell binary files from text.
_SNIFF_BYTES = 8192
_NON_ASCII = re.compile("[^\x00-\x7f\ufffd]")
#: Control characters other than whitespace; text is mostly free of them.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.3

logger = logging.getLogger(__name__)


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
        failed: ``(source, reason)`` of every file that could not be read (skipped).
        removed_sources: Sources deleted because their files are gone (``prune``).
        skipped: ``(source, reason)`` of files not read again (a second link to a file).
        notes: ``(source, note)`` of files read with a caveat (bytes replaced, encoding).
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
            "notes": [{"source": source, "note": note} for source, note in self.notes],
            "dry_run": self.dry_run,
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


def _read_text(path: Path) -> tuple[str, str | None]:
    """The text of a file and a note on how it was decoded when not plain UTF-8."""
    return decode_text(path.read_bytes())


def decode_text(data: bytes) -> tuple[str, str | None]:
    r"""Decode a text file's bytes; refuse binary content.

    UTF-8 (with or without a byte-order mark) and UTF-16 with a byte-order mark are
    decoded as such. Mostly-UTF-8 data with a few invalid bytes keeps its UTF-8 text
    and has only the bad bytes replaced by U+FFFD. Data with no valid UTF-8 beyond
    ASCII is legacy text: Windows-1252 when it decodes as such (the WHATWG default for
    legacy Western text, a superset of ISO-8859-1's printable range), else
    charset-normalizer's guess. Data with NUL bytes, mostly control characters, or that
    no text encoding fits, is binary and refused.

    Returns:
        ``(text, note)``: the note says what was replaced or which encoding was
        guessed, ``None`` for clean UTF-8.

    Raises:
        InvalidInputError: The data is binary.

    Example:
        >>> decode_text("Café".encode())
        ('Café', None)
        >>> text, note = decode_text("Café ".encode() + b"\xff")
        >>> text.startswith("Café "), note
        (True, '1 byte that is not valid UTF-8 replaced with U+FFFD')
        >>> decode_text(b"\x7fELF\x00\x00")
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: binary content (NUL bytes), not text
    """
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom) and not data.startswith(codecs.BOM_UTF32_LE):
            try:
                return data.decode(codec), None
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:_SNIFF_BYTES]:
        msg = "binary content (NUL bytes), not text"
        raise InvalidInputError(msg)
    try:
        return _text_only(data.decode("utf-8-sig")), None
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    if _NON_ASCII.search(text):  # real UTF-8 text with a few stray bytes
        plural = "byte that is" if bad == 1 else "bytes that are"
        return _text_only(text), f"{bad} {plural} not valid UTF-8 replaced with U+FFFD"
    try:
        return _text_only(data.decode("cp1252")), "not UTF-8; decoded as cp1252"
    except UnicodeDecodeError:
        return _guess_encoding(data)


def _text_only(text: str) -> str:
    """``text``, unless its start is mostly control characters (binary data)."""
    sample = text[:_SNIFF_BYTES]
    if len(_CONTROL.findall(sample)) > _MAX_CONTROL_SHARE * max(len(sample), 1):
        msg = "binary content (mostly control characters), not text"
        raise InvalidInputError(msg)
    return text


def _guess_encoding(data: bytes) -> tuple[str, str | None]:
    from charset_normalizer import from_bytes  # noqa: PLC0415

    best = from_bytes(data).best()
    if best is None:
        msg = "binary content (no text encoding fits), not text"
        raise InvalidInputError(msg)
    return _text_only(str(best)), f"not UTF-8; decoded as {best.encoding}"


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
        msg = f"Could not read PDF {path.name}: {exc}"
        raise InvalidInputError(msg) from exc
    return "\n\n".join(pages), str(title) if title else None


def load_file(path: str | Path) -> tuple[str, str, str]:
    """Read one supported file.

    Args:
        path: The file.

    Returns:
        ``(text, title, file_type)``.

    Raises:
        InvalidInputError: Unsupported extension, unreadable or binary file.
        ConfigurationError: A PDF without pypdf installed.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.html"
        >>> _ = p.write_text("<title>T</title><p>Hi <b>there</b></p><script>x()</script>")
        >>> load_file(p)
        ('Hi there', 'T', 'html')
    """
    text, title, file_type, _ = _load(Path(path))
    return text, title, file_type


def _load(path: Path) -> tuple[str, str, str, str | None]:
    """``(text, title, file_type, note)``; the note says how the text was decoded."""
    file_type = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if file_type is None:
        msg = (
            f"Cannot ingest {path}: unsupported file type {path.suffix!r}. Supported: "
            f"{', '.join(sorted(SUPPORTED_EXTENSIONS))}."
        )
        raise InvalidInputError(msg)
    title: str | None = None
    note: str | None = None
    if file_type == "pdf":
        text, title = _load_pdf(path)
    else:
        try:
            raw, note = _read_text(path)
        except OSError as exc:
            msg = f"Cannot read {path.name}: {exc.strerror or exc}"
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
    return text, title, file_type, note


def discover_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every supported file under ``paths`` (files as given, folders recursively, sorted).

    Hidden files and folders (names starting with ``.``) inside a folder are skipped.
    Symbolic links are followed; a file or folder reached twice is read once, and
    link loops and dangling links are left out (:func:`ingest` reports them).

    Raises:
        InvalidInputError: A path does not exist, or a file has an unsupported type.
    """
    for path, resolved, _ in _candidates(paths):
        if resolved is not None:
            yield path


def check_paths(paths: Iterable[str | Path]) -> None:
    """Refuse a missing path or an unsupported file before anything is read or written.

    Raises:
        InvalidInputError: A path does not exist (or is a broken link), or a file has
            an unsupported type.

    Example:
        >>> check_paths(["no/such/folder"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: Cannot ingest no/such/folder: no such ...
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            continue
        if path.is_file():
            if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                msg = (
                    f"Cannot ingest {path}: unsupported file type {path.suffix!r}. "
                    f"Supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}."
                )
                raise InvalidInputError(msg)
            continue
        _, why = _resolve(path)
        reason = why if path.is_symlink() else "no such file or directory"
        msg = f"Cannot ingest {path}: {reason}. Check the path."
        raise InvalidInputError(msg)


def _candidates(
    paths: Iterable[str | Path],
) -> Iterator[tuple[Path, Path | None, str | None]]:
    """``(path, resolved path, None)`` per file to read, ``(path, None, why)`` per skip."""
    seen: dict[Path, Path] = {}
    check_paths(paths)
    for raw in paths:
        path = Path(raw)
        found = _walk_folder(path) if path.is_dir() else [(path, None)]
        for file, problem in found:
            resolved, why = (None, problem) if problem else _resolve(file)
            if resolved is None:
                yield file, None, why
                continue
            first = seen.get(resolved)
            if first is None:
                seen[resolved] = file
                yield file, resolved, None
            elif first != file:  # the same path given twice is simply read once
                yield file, None, f"same file as {first.as_posix()} (read once)"


def _resolve(path: Path) -> tuple[Path | None, str | None]:
    """The real path of a file, or why it has none (a link loop, a dangling link)."""
    try:
        return path.resolve(strict=True), None
    except RuntimeError:  # Python 3.11 and 3.12 report a link loop this way
        return None, "symbolic link loop"
    except FileNotFoundError:
        return None, "dangling symbolic link (its target does not exist)"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "symbolic link loop"
        return None, f"cannot read: {exc.strerror or exc}"


def _walk_folder(folder: Path) -> list[tuple[Path, str | None]]:
    """Supported files under ``folder`` following links, each folder once; problems noted."""
    found: list[tuple[Path, str | None]] = []
    visited = {os.path.realpath(folder)}

    def unreadable(exc: OSError) -> None:
        found.append((Path(str(exc.filename)), f"cannot read folder: {exc.strerror or exc}"))

    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True, onerror=unreadable):
        keep: list[str] = []
        for name in sorted(dirnames):
            if name.startswith("."):
                continue
            real = os.path.realpath(Path(dirpath, name))
            if real in visited:
                inside = Path(os.path.realpath(dirpath)).is_relative_to(real)
                why = "symbolic link loop" if inside else "folder already read through a link"
                found.append((Path(dirpath, name), why))
                continue
            visited.add(real)
            keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            if name.startswith("."):
                continue
            path = Path(dirpath, name)
            if path.suffix.lower() in SUPPORTED_EXTENSIONS:
                found.append((path, None))
            elif path.is_symlink() and not path.exists():  # a broken link to a folder?
                found.append((path, _resolve(path)[1]))
    return sorted(found, key=lambda item: item[0])


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


def check_chunking(chunk_size: int, chunk_overlap: int) -> None:
    """Refuse chunk settings that cannot work, before anything is read or embedded.

    Raises:
        InvalidInputError: ``chunk_size`` outside 1..:data:`MAX_CHUNK_SIZE`, or
            ``chunk_overlap`` outside 0..chunk_size-1.

    Example:
        >>> check_chunking(100000, 150)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.InvalidInputError: chunk_size=100000 is too large: ...
    """
    if chunk_size > MAX_CHUNK_SIZE:
        msg = (
            f"chunk_size={chunk_size} is too large: a chunk's text is stored in its vector's "
            f"metadata ({limits.MAX_METADATA_BYTES // 1024} KB at most), so the largest size "
            f"that always fits is {MAX_CHUNK_SIZE} characters; use {MAX_CHUNK_SIZE} or less."
        )
        raise InvalidInputError(msg)
    if chunk_size < 1 or chunk_overlap < 0 or chunk_overlap >= chunk_size:
        msg = (
            f"chunk_size={chunk_size}, chunk_overlap={chunk_overlap}: need chunk_size >= 1 "
            "and 0 <= chunk_overlap < chunk_size."
        )
        raise InvalidInputError(msg)


def _make_splitter(chunk_size: int, chunk_overlap: int) -> Callable[[str], list[str]]:
    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter  # noqa: PLC0415
    except ImportError as exc:
        msg = f"Ingesting files needs langchain-text-splitters: {_SPLITTER_HINT}"
        raise ConfigurationError(msg) from exc
    check_chunking(chunk_size, chunk_overlap)
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
    return _chunks(Path(path), source, split, None)[0]


def _chunks(
    path: Path, source: str, split: Callable[[str], list[str]], root_id: str | None
) -> tuple[list[Chunk], str | None]:
    """The chunks of one file and the note on how it was decoded."""
    text, title, file_type, note = _load(path)
    pieces = [piece for piece in split(text) if piece.strip()]
    chunks: list[Chunk] = []
    for number, piece in enumerate(pieces):
        size = json_size(piece)
        if size > MAX_CHUNK_BYTES:
            msg = (
                f"chunk {number} is {size} bytes as JSON, more than a vector's metadata "
                f"holds ({MAX_CHUNK_BYTES} bytes for the text); use a smaller chunk size"
            )
            raise InvalidInputError(msg)
        metadata: dict[str, Any] = {
            "source": source,
            "chunk": number,
            "content_hash": content_hash(piece),
            "title": title,
            "file_type": file_type,
        }
        if root_id is not None:
            metadata[ROOT_ID_KEY] = root_id
        chunks.append(Chunk(key=chunk_key(source, number), text=piece, metadata=metadata))
    return chunks, note


def root_id(root: str | Path) -> str:
    """The ``root_id`` stored with every chunk ingested relative to ``root``.

    The first 16 hex characters of the sha256 of the root's absolute path: ``prune``
    deletes only chunks that were ingested from the same root, so folders ingested
    with different roots (whose sources may look alike) never prune each other.

    Example:
        >>> root_id("/data/docs") == root_id("/data/docs/")
        True
        >>> len(root_id("/data/docs"))
        16
    """
    path = Path(os.path.realpath(Path(root).expanduser()))
    return hashlib.sha256(path.as_posix().encode("utf-8", errors="surrogatepass")).hexdigest()[:16]


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


def _plan(
    store: S3VectorsStore,
    files: Iterable[tuple[Path, Path | None, str | None]],
    base: Path,
    split: Callable[[str], list[str]],
    report: IngestReport,
) -> tuple[list[Chunk], list[str]]:
    """Read and split every file; return the chunks to embed and the keys to delete."""
    pending: list[Chunk] = []
    stale: list[str] = []
    group: dict[str, list[Chunk]] = {}
    tag = root_id(base)

    def plan_group() -> None:
        stored = existing_chunks_many(store, {src: len(ch) for src, ch in group.items()})
        for src, chunks in group.items():
            todo, gone = _plan_file(chunks, stored[src], report)
            pending.extend(todo)
            stale.extend(gone)
        group.clear()

    for path, resolved, problem in files:
        if resolved is None:
            duplicate = bool(problem and problem.startswith("same file"))
            target = report.skipped if duplicate else report.failed
            target.append((path.as_posix(), problem or "cannot read"))
            continue
        source = source_of(path, base)
        try:
            chunks, note = _chunks(path, source, split, tag)
        except InvalidInputError as exc:
            report.failed.append((source, str(exc)))
            continue
        if note:
            report.notes.append((source, note))
        if source in group:
            plan_group()  # two paths with one source: plan them in order
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
    dry_run: bool = False,
    progress_interval: float = 10.0,
    cancel: threading.Event | None = None,
) -> IngestReport:
    """Ingest files and folders into ``store``, incrementally.

    Args:
        store: The vector store.
        paths: Files and/or folders.
        root: Sources are paths relative to this folder (default: the current
            directory); files outside it keep the path as given.
        chunk_size: Characters per chunk, 1..:data:`MAX_CHUNK_SIZE`.
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
        shard: Ingest only this share of the sources, e.g. ``"0/4"`` or
            ``Shard(0, 4)`` (see :mod:`langchain_s3vectors.app.sharding`): N processes with
            shards ``0/N`` .. ``N-1/N`` fill one index with each chunk exactly once,
            each pruning only within its share and writing at ``1/N`` of the store's
            write rate limit.

    Returns:
        What was added, updated, left unchanged and deleted (or would be).

    Raises:
        InvalidInputError: A path is missing or unsupported, or bad chunk settings.
        ConfigurationError: A needed optional package is missing.
        IngestCancelledError: ``cancel`` was set.
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
    report = IngestReport(dry_run=dry_run)
    candidates = list(_candidates(paths))  # every path checked before anything is read
    if share is not None:
        candidates = [c for c in candidates if share.owns(source_of(c[0], base))]
    pending, stale = _plan(store, candidates, base, split, report)
    if prune:
        folders = [Path(p) for p in paths if Path(p).is_dir()]
        stale.extend(_vanished(store, folders, base, report, share))
    report.deleted = len(stale)
    if dry_run:
        report.seconds = time.perf_counter() - started
        return report
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
