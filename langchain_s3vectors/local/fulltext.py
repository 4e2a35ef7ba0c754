"""Full-text search of the embedded S3 Vectors client: analysers, matching, BM25.

One SQLite FTS5 table per text-searchable metadata key, ranked by FTS5's ``bm25()``
(k1 = 1.2, b = 0.75). Analysers: ``en`` uses the Porter stemmer over ``unicode61``;
``zh``/``ja``/``ko`` use the ``trigram`` tokenizer; every other language (and no
language) uses ``unicode61`` with diacritics removed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.local import storage

if TYPE_CHECKING:
    from collections.abc import Sequence

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def tokenizer_for(language: str | None) -> str:
    """Return the FTS5 tokenizer clause for an analyser language."""
    if language == "en":
        return "porter unicode61 remove_diacritics 2"
    if language in ("zh", "ja", "ko"):
        return "trigram"
    return "unicode61 remove_diacritics 2"


def fts_match_expression(text: str, language: str | None) -> str | None:
    """Turn free text into an FTS5 MATCH expression (terms joined by OR).

    Returns ``None`` when the text has no searchable term.
    """
    if language in ("zh", "ja", "ko"):
        stripped = text.replace('"', " ").strip()
        if len(stripped) < 3:  # noqa: PLR2004 - trigram needs three characters
            return None
        return '"' + stripped + '"'
    terms = _TOKEN_RE.findall(text)
    if not terms:
        return None
    unique = list(dict.fromkeys(t.lower() for t in terms))
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in unique)


def searchable_text(value: Any) -> str | None:
    """The text of a metadata value that full-text search indexes (strings only)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        parts = [v for v in value if isinstance(v, str)]
        return " ".join(parts) or None
    return None


def add_field(conn: sqlite3.Connection, index_id: int, key: str, language: str | None) -> None:
    """Make a metadata key full-text searchable, indexing the vectors already stored."""
    table = storage.fts_table_name(index_id, hashlib.sha256(key.encode()).hexdigest()[:16])
    storage.add_text_field(
        conn, index_id, key, language, table=table, tokenizer=tokenizer_for(language)
    )
    rows = storage.metadata_with_key(conn, index_id, key)
    storage.insert_texts(
        conn,
        table,
        [(r[0], text) for r in rows if (text := searchable_text(json.loads(r[1]).get(key)))],
    )


def index_texts(
    conn: sqlite3.Connection,
    index_id: int,
    keys: list[str],
    metadata_json: Sequence[str | None],
    fields: dict[str, tuple[str | None, str]],
) -> None:
    """Replace the full-text rows of vectors just written (``fields``: the index's)."""
    rowids = storage.rowids(conn, index_id, keys)
    parsed = [json.loads(m) if m else {} for m in metadata_json]
    for key_name, (_, table) in fields.items():
        storage.delete_texts(conn, table, [(rowids[k],) for k in keys])
        storage.insert_texts(
            conn,
            table,
            [
                (rowids[k], text)
                for k, md in zip(keys, parsed, strict=True)
                if (text := searchable_text(md.get(key_name)))
            ],
        )


def unindex_texts(
    conn: sqlite3.Connection,
    index_id: int,
    keys: list[str],
    fields: dict[str, tuple[str | None, str]],
) -> None:
    """Remove the full-text rows of vectors about to be deleted."""
    rowids = [(r,) for r in storage.rowids(conn, index_id, keys).values()]
    for _, table in fields.values():
        storage.delete_texts(conn, table, rowids)


def bm25_ranking(
    conn: sqlite3.Connection, fts_table: str, text: str, language: str | None
) -> list[tuple[str, float]]:
    """Rank the vectors of one FTS5 table for a query text, best first.

    Returns ``(vector key, bm25 score)`` pairs with positive scores (higher is better).
    """
    expression = fts_match_expression(text, language)
    if expression is None:
        return []
    try:
        matches = storage.bm25_matches(conn, fts_table, expression)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "malformed MATCH" in str(exc):
            raise
        raise sqlite3.DatabaseError(damaged_message(f"its full-text index ({exc})")) from exc
    return [(key, -score) for key, score in matches]


def damaged_message(what: str) -> str:
    """How to say that part of a local store is damaged, and what to do about it."""
    return (
        f"the local store is damaged: {what}. `s3vectors-rag health` checks it; restore "
        "the store folder from a backup, or copy its vectors into a new store with "
        "`s3vectors-rag export FILE` and `s3vectors-rag --local NEW_FOLDER import FILE`"
    )


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's ``quick_check`` and a read of every full-text table find wrong.

    Returns:
        One line per problem; empty when the store is sound.
    """
    problems = storage.quick_check(conn)
    for index_id in storage.index_ids(conn):
        for key, (_, table) in storage.text_fields(conn, index_id).items():
            try:
                storage.count_texts(conn, table)
            except sqlite3.DatabaseError as exc:
                problems.append(f"the full-text index of metadata key {key!r} ({exc})")
    return problems
