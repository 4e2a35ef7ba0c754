"""Finding the files to ingest: files and folders walked, each file once, with reasons.

:func:`iter_candidates` walks the paths given (files as they are, folders recursively and
sorted), following symbolic links, reaching each file once, skipping hidden names, and
names the reason for every file it leaves out: a link loop, a dangling link, a file or
folder reached twice, an unreadable folder, an unsupported type (:data:`UNSUPPORTED`).
:func:`discover_files` is the files to read alone. :func:`check_paths` and
:func:`check_something_to_read` refuse, before anything is read or written, a missing
path, an unsupported file, or folders with no file of a supported type
(:data:`~langchain_s3vectors.app.loaders.SUPPORTED_EXTENSIONS`).

Reading and splitting each file is :mod:`langchain_s3vectors.app.loaders`' job.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.md").write_text("alpha")
    >>> _ = (folder / "b.png").write_bytes(b"")
    >>> [p.name for p in discover_files([folder])]
    ['a.md']
"""

from __future__ import annotations

import errno
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_s3vectors.app.loaders import SUPPORTED_EXTENSIONS
from langchain_s3vectors.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = [
    "UNSUPPORTED",
    "check_paths",
    "check_something_to_read",
    "discover_files",
    "iter_candidates",
]

#: Why a file found in a folder is not read: the start of the reason, then its extension.
UNSUPPORTED = "unsupported file type"


def discover_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every supported file under ``paths`` (files as given, folders recursively, sorted).

    Hidden files and folders (names starting with ``.``) inside a folder are skipped.
    Symbolic links are followed; a file or folder reached twice is read once, and
    link loops and dangling links are left out (:func:`ingest` reports them).

    Raises:
        InvalidInputError: A path does not exist, or a file has an unsupported type.
    """
    for path, resolved, _ in iter_candidates(paths):
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


def check_something_to_read(
    paths: Iterable[str | Path],
    candidates: Iterable[tuple[Path, Path | None, str | None]] | None = None,
) -> None:
    """Refuse paths that hold no file of a supported type, saying what they hold instead.

    Args:
        paths: The files and folders to ingest.
        candidates: What :func:`iter_candidates` found in them, if already listed.

    Raises:
        InvalidInputError: The folders are empty, or hold only unsupported files.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "photo.png").write_bytes(b"")
        >>> try:
        ...     check_something_to_read([folder])
        ... except InvalidInputError as exc:
        ...     print(str(exc).split(". ")[0].split(": ")[1])
        it holds only files of unsupported types (1 .png)
    """
    paths = list(paths)
    found = list(iter_candidates(paths) if candidates is None else candidates)
    if any(problem is None or not problem.startswith(UNSUPPORTED) for _, _, problem in found):
        return
    types = Counter(str(problem)[len(UNSUPPORTED) :].strip() for _, _, problem in found)
    kinds = ", ".join(f"{count} {ext}" for ext, count in types.most_common(5))
    held = f"only files of unsupported types ({kinds})" if types else "no files"
    where = ", ".join(Path(p).as_posix() for p in paths)
    msg = (
        f"Nothing to ingest in {where}: it holds {held}. Supported types: "
        f"{' '.join(sorted(SUPPORTED_EXTENSIONS))} (hidden files and folders are skipped)."
    )
    raise InvalidInputError(msg)


def iter_candidates(
    paths: Iterable[str | Path],
) -> Iterator[tuple[Path, Path | None, str | None]]:
    """Every file :func:`discover_files` finds, and every one it leaves out, with why.

    Yields ``(path, resolved path, None)`` per file to read and ``(path, None, why)`` per
    file skipped (a link loop, a dangling link, a file reached twice, an unreadable folder).

    Raises:
        InvalidInputError: A path does not exist, or a file has an unsupported type
            (checked for every path before anything is yielded).

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.md").write_text("alpha")
        >>> (folder / "b.md").symlink_to(folder / "a.md")
        >>> [(p.name, why) for p, _, why in iter_candidates([folder])]
        [('a.md', None), ('b.md', 'same file as ...a.md (read once)')]
    """
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
    """Files under ``folder`` following links, each folder once; problems noted.

    Files of an unsupported type come with the problem ``"unsupported file type .ext"``.
    """
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
            else:
                found.append((path, f"{UNSUPPORTED} {path.suffix.lower() or '(none)'}"))
    return sorted(found, key=lambda item: item[0])
