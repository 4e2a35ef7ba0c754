r"""The text and title of each supported file format but plain text.

* HTML: :func:`html_text`, visible text and ``<title>``, with the standard library's parser.
* PDF: :func:`pdf_text`, with pypdf (the ``pdf`` extra).
* Markdown and reStructuredText: :func:`markdown_title` and :func:`rst_title`.

Example:
    >>> html_text("<title>T</title><p>Hi <b>there</b></p><script>x()</script>")
    ('Hi there', 'T')
    >>> markdown_title("Intro\n\n## Usage\n"), rst_title("Usage\n=====\n")
    ('Usage', 'Usage')
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from langchain_s3vectors.errors import ConfigurationError, InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["html_text", "markdown_title", "pdf_text", "rst_title"]

_PDF_HINT = 'pip install "langchain-s3vectors[pdf]"'


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


def html_text(raw: str) -> tuple[str, str | None]:
    """The visible text of an HTML page and its ``<title>`` (``None`` without one)."""
    parser = _HTMLText()
    parser.feed(raw)
    parser.close()
    return parser.text(), " ".join("".join(parser.title_parts).split()) or None


def markdown_title(text: str) -> str | None:
    """The first level-1 or level-2 ATX heading in the first 50 lines, if any."""
    for line in text.splitlines()[:50]:
        match = re.match(r"^#{1,2}\s+(.+?)\s*#*\s*$", line)
        if match:
            return match.group(1)
    return None


def rst_title(text: str) -> str | None:
    """The first underlined heading in the first 50 lines, if any."""
    lines = text.splitlines()[:50]
    for first, second in itertools.pairwise(lines):
        if (
            first.strip()
            and len(second.strip()) >= len(first.strip())
            and re.fullmatch(r"([=\-~^*#+])\1+", second.strip())
        ):
            return first.strip()
    return None


def pdf_text(path: Path) -> tuple[str, str | None]:
    """The text of a PDF's pages and its title, with pypdf; one line if it cannot.

    Raises:
        InvalidInputError: The file is damaged or not a PDF.
        ConfigurationError: pypdf is not installed.
    """
    try:
        from pypdf import PdfReader  # noqa: PLC0415
    except ImportError as exc:
        msg = f"Reading {path.name} needs pypdf: {_PDF_HINT}"
        raise ConfigurationError(msg) from exc
    try:
        with _quiet_pypdf():  # its warnings repeat the error raised, or are noise
            reader = PdfReader(str(path))
            pages = [page.extract_text() or "" for page in reader.pages]
            title = reader.metadata.title if reader.metadata else None
    except Exception as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        msg = f"Could not read PDF {path.name} (damaged, or not a PDF): {reason}"
        raise InvalidInputError(msg) from exc
    return "\n\n".join(pages), str(title) if title else None


_quiet_lock = threading.Lock()
_quiet_readers = 0
_saved_level = logging.NOTSET


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's log warnings while any thread reads a PDF."""
    global _quiet_readers, _saved_level  # noqa: PLW0603
    pdf_logger = logging.getLogger("pypdf")
    with _quiet_lock:
        if _quiet_readers == 0:
            _saved_level = pdf_logger.level
            pdf_logger.setLevel(logging.ERROR)
        _quiet_readers += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_readers -= 1
            if _quiet_readers == 0:
                pdf_logger.setLevel(_saved_level)
