r"""File -> text -> chunks: what :func:`~langchain_s3vectors.app.ingest.ingest` reads.

Finding the files is :mod:`langchain_s3vectors.app.discovery`'s job; this module reads
and splits one file at a time.

* Reading: :func:`load_file` turns ``.txt``, ``.md``, ``.rst``, ``.html`` and ``.pdf``
  (:data:`SUPPORTED_EXTENSIONS`) into text and a title (each format in :mod:`.formats`;
  a Markdown file's front matter becomes metadata, see :mod:`.frontmatter`);
  :func:`decode_text` decodes bytes (UTF-8, UTF-16 with a byte-order mark, legacy
  encodings) and refuses binary content.
* Splitting: :func:`split_file` cuts a file into keyed :class:`Chunk` objects with
  LangChain's ``RecursiveCharacterTextSplitter``; :func:`chunk_key`,
  :func:`content_hash` and :func:`root_id` are the stable identities ingest relies on.

Nothing here touches a store.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.md"
    >>> _ = p.write_text("# Notes\n\nS3 Vectors stores vectors.")
    >>> chunk = split_file(p, "a.md")[0]
    >>> chunk.key, chunk.metadata["title"], chunk.metadata["file_type"]
    ('a.md#0', 'Notes', 'md')
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.app.formats import html_text, markdown_title, pdf_text, rst_title
from langchain_s3vectors.app.frontmatter import fit_metadata, split_front_matter
from langchain_s3vectors.errors import ConfigurationError, InvalidInputError
from langchain_s3vectors.limits import json_size

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MAX_CHUNK_BYTES",
    "MAX_CHUNK_SIZE",
    "ROOT_ID_KEY",
    "SUPPORTED_EXTENSIONS",
    "Chunk",
    "check_chunking",
    "chunk_key",
    "content_hash",
    "decode_text",
    "file_chunks",
    "load_file",
    "make_splitter",
    "root_id",
    "source_of",
    "split_file",
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

#: Why a file with no text is not stored (its older chunks, if any, are deleted).
NO_TEXT = "no text to index"
#: The same for a PDF, whose pages may be images.
NO_PDF_TEXT = "no extractable text (a scanned PDF? run OCR on it first)"

#: Hex characters of sha256 kept in ``content_hash``.
HASH_CHARS = 32
#: Metadata key holding the :func:`root_id` of the folder a chunk was ingested from.
ROOT_ID_KEY = "root_id"
#: JSON bytes of chunk text that fit in a vector's metadata beside the other fields
#: (filterable metadata takes at most 2 KB; a little is left for the key and quotes).
MAX_CHUNK_BYTES = limits.MAX_METADATA_BYTES - limits.MAX_FILTERABLE_METADATA_BYTES - 128
#: Largest ``chunk_size`` (characters): 8,000 characters of at most 4 UTF-8 bytes fit.
MAX_CHUNK_SIZE = 8000
_MAX_TITLE = 200
_SPLITTER_HINT = 'pip install "langchain-s3vectors[ingest]"'
#: Leading bytes searched for NUL to tell binary files from text.
_SNIFF_BYTES = 8192
_NON_ASCII = re.compile("[^\x00-\x7f\ufffd]")
#: Control characters other than whitespace; text is mostly free of them.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.3


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
    loaded = _load(Path(path))
    return loaded.text, loaded.title, loaded.file_type


@dataclass(frozen=True)
class _Loaded:
    """A file read for ingest: its text, title, type, front matter fields and notes."""

    text: str
    title: str
    file_type: str
    fields: dict[str, Any]
    notes: list[str]


def _load(path: Path) -> _Loaded:
    """Read one file; the notes say how the text was decoded and what front matter held."""
    file_type = SUPPORTED_EXTENSIONS.get(path.suffix.lower())
    if file_type is None:
        msg = (
            f"Cannot ingest {path}: unsupported file type {path.suffix!r}. Supported: "
            f"{', '.join(sorted(SUPPORTED_EXTENSIONS))}."
        )
        raise InvalidInputError(msg)
    title: str | None = None
    fields: dict[str, Any] = {}
    notes: list[str] = []
    if file_type == "pdf":
        text, title = pdf_text(path)
    else:
        try:
            raw, note = _read_text(path)
        except OSError as exc:
            msg = f"Cannot read {path.name}: {exc.strerror or exc}"
            raise InvalidInputError(msg) from exc
        notes.extend([note] if note else [])
        if file_type == "html":
            text, title = html_text(raw)
        elif file_type == "md":
            matter = split_front_matter(raw)
            text = raw if matter is None else matter.body
            if matter is not None:
                title, fields = matter.title, matter.metadata
                notes.extend(matter.notes)
            title = title or markdown_title(text)
        else:
            text = raw
            title = rst_title(text) if file_type == "rst" else None
    title = (title or path.stem).strip()[:_MAX_TITLE]
    return _Loaded(text, title, file_type, fields, notes)


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


def make_splitter(chunk_size: int, chunk_overlap: int) -> Callable[[str], list[str]]:
    """LangChain's ``RecursiveCharacterTextSplitter`` as a function of the text.

    Raises:
        InvalidInputError: Bad chunk settings (see :func:`check_chunking`).
        ConfigurationError: langchain-text-splitters is not installed.

    Example:
        >>> make_splitter(20, 0)("S3 Vectors stores vectors in buckets.")
        ['S3 Vectors stores', 'vectors in buckets.']
    """
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
    split = _split or make_splitter(chunk_size, chunk_overlap)
    return file_chunks(Path(path), source, split)[0]


def file_chunks(
    path: Path, source: str, split: Callable[[str], list[str]], root_id: str | None = None
) -> tuple[list[Chunk], str | None]:
    r"""The chunks of one file and its notes (decoding, front matter fields left out).

    Args:
        path: The file.
        source: Its ``source`` (see :func:`source_of`).
        split: Text -> pieces (see :func:`make_splitter`); blank pieces are dropped.
        root_id: The ingest root's :func:`root_id`, stored with each chunk when given.

    Raises:
        InvalidInputError: The file cannot be read, or a chunk is too large to store.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.md"
        >>> _ = p.write_text("# Notes\n\nS3 Vectors stores vectors.")
        >>> chunks, note = file_chunks(p, "a.md", make_splitter(1000, 0))
        >>> [c.key for c in chunks], chunks[0].metadata["title"], note
        (['a.md#0'], 'Notes', None)
    """
    loaded = _load(path)
    pieces = [piece for piece in split(loaded.text) if piece.strip()]
    base: dict[str, Any] = {
        "source": source,
        "chunk": len(pieces),
        "content_hash": content_hash(""),
        "title": loaded.title,
        "file_type": loaded.file_type,
    }
    if root_id is not None:
        base[ROOT_ID_KEY] = root_id
    common, left_out = fit_metadata(base, loaded.fields)
    common = {key: common[key] for key in common if key not in base}
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
            **base,
            "chunk": number,
            "content_hash": content_hash(piece),
            **common,
        }
        chunks.append(Chunk(key=chunk_key(source, number), text=piece, metadata=metadata))
    notes = [*loaded.notes, *(left_out if pieces else [])]
    return chunks, "; ".join(notes) or None


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
