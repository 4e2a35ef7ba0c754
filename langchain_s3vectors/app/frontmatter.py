r"""Markdown front matter: the YAML block at the top of a Markdown file.

A Markdown file that starts with a line ``---`` and has a later line ``---`` (or
``...``) begins with front matter when the lines between are a YAML mapping. Ingest
does not embed that block as text: :func:`split_front_matter` takes it off the body,
its ``title`` becomes the document title, and :func:`fit_metadata` adds its other
fields to every chunk's metadata (strings, numbers, booleans and dates, and lists of
those), as long as they fit the filterable metadata budget of a vector (2 KB).

YAML is read with PyYAML's safe loader (PyYAML comes with ``langchain-core`` and is
listed in the ``ingest`` and ``cli`` extras); a block that is not valid YAML is left in
the text, with a note saying why.

Example:
    >>> matter = split_front_matter("---\ntitle: Notes\ntags: [a, b]\n---\n# Body\n")
    >>> matter.body, matter.title, matter.metadata
    ('# Body\n', 'Notes', {'tags': ['a', 'b']})
    >>> split_front_matter("# No front matter\n") is None
    True
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.errors import ConfigurationError
from langchain_s3vectors.limits import json_size
from langchain_s3vectors.records import DEFAULT_PAGE_CONTENT_KEY

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["FrontMatter", "fit_metadata", "split_front_matter"]

_OPEN = re.compile(r"---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)
_YAML_HINT = 'pip install "langchain-s3vectors[ingest]"'
#: Metadata keys ingest sets itself; front matter cannot replace them.
RESERVED_KEYS = frozenset(
    {"source", "chunk", "content_hash", "title", "file_type", "root_id", DEFAULT_PAGE_CONTENT_KEY}
)


@dataclass(frozen=True)
class FrontMatter:
    """A Markdown file's front matter and the text after it.

    Attributes:
        body: The file's text without the front matter.
        title: The ``title`` field, if it is a string or a number.
        metadata: The fields that can be metadata values, converted (dates as ISO text).
        notes: Fields left out, and why.
    """

    body: str
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def split_front_matter(text: str) -> FrontMatter | None:
    r"""Take the YAML front matter off the top of a Markdown text.

    Returns:
        ``None`` when the text has no front matter; else the body and the fields.
        A block that is not valid YAML stays in the body, with a note.

    Example:
        >>> print(split_front_matter("---\nnot: [valid\n---\nText").notes[0])  # doctest: +ELLIPSIS
        front matter is not valid YAML (line 3: expected ',' or ']', ...); kept as text
    """
    opening = _OPEN.match(text)
    if opening is None:
        return None
    closing = _CLOSE.search(text, opening.end())
    if closing is None:
        return None
    block = text[opening.end() : closing.start()]
    try:
        import yaml  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - langchain-core requires PyYAML
        msg = f"Reading Markdown front matter needs PyYAML: {_YAML_HINT}"
        raise ConfigurationError(msg) from exc
    try:
        fields = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        problem = " ".join(str(getattr(exc, "problem", None) or "syntax error").split())
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}: " if mark is not None else ""
        return FrontMatter(
            text, notes=[f"front matter is not valid YAML ({where}{problem}); kept as text"]
        )
    if not isinstance(fields, dict):
        return None  # a rule, some text and a rule: Markdown, not front matter
    return _fields(text[closing.end() :], fields)


def _fields(body: str, fields: Mapping[Any, Any]) -> FrontMatter:
    title: str | None = None
    metadata: dict[str, Any] = {}
    notes: list[str] = []
    for key, raw in fields.items():
        value = _value(raw)
        if key == "title":
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                title = " ".join(str(value).split()) or None
            else:
                notes.append(
                    "front matter field 'title' is not text; the title comes from the file"
                )
        elif raw is None or raw == []:
            continue
        elif not isinstance(key, str) or not key or len(key) > limits.METADATA_KEY_MAX_LENGTH:
            notes.append(
                f"front matter field {key!r} left out: metadata keys are text of 1 to "
                f"{limits.METADATA_KEY_MAX_LENGTH} characters"
            )
        elif key in RESERVED_KEYS:
            notes.append(f"front matter field {key!r} left out: ingest sets {key!r} itself")
        elif value is None:
            notes.append(
                f"front matter field {key!r} left out: only text, numbers, booleans, dates "
                "and lists of those become metadata"
            )
        else:
            metadata[key] = value
    return FrontMatter(body, title, metadata, notes)


def _scalar(value: Any) -> str | int | float | bool | None:
    """A YAML scalar as a metadata value, or ``None`` when it cannot be one."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, bool, int, float)):
        return value
    return None


def _value(raw: Any) -> Any:
    """A front matter value as a metadata value (scalar or list of scalars), else ``None``."""
    if isinstance(raw, list):
        items = [_scalar(item) for item in raw]
        return items if items and all(item is not None for item in items) else None
    return _scalar(raw)


def fit_metadata(
    base: Mapping[str, Any], extra: Mapping[str, Any], *, budget: int | None = None
) -> tuple[dict[str, Any], list[str]]:
    """``base`` plus the fields of ``extra`` that keep it within the metadata limits.

    Fields are added in order while the JSON size stays within ``budget`` (default:
    the 2 KB filterable budget) and the key count leaves room for the page content.

    Returns:
        The metadata and a note per field left out.

    Example:
        >>> metadata, notes = fit_metadata({"source": "a.md"}, {"tags": ["x"], "long": "y" * 3000})
        >>> metadata
        {'source': 'a.md', 'tags': ['x']}
        >>> print(notes[0])  # doctest: +ELLIPSIS
        front matter field 'long' left out: it would take the chunk's filterable metadata ...
    """
    limit = limits.MAX_FILTERABLE_METADATA_BYTES if budget is None else budget
    metadata = dict(base)
    notes: list[str] = []
    for key, value in extra.items():
        candidate = {**metadata, key: value}
        if len(candidate) >= limits.MAX_METADATA_KEYS or json_size(candidate) > limit:
            notes.append(
                f"front matter field {key!r} left out: it would take the chunk's filterable "
                f"metadata over {limit} bytes"
            )
            continue
        metadata = candidate
    return metadata, notes
