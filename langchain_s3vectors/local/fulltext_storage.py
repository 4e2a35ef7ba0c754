"""SQLite statements of the embedded client's full-text tables (FTS5).

Each metadata key declared for full-text search has an FTS5 table of its own, holding
``(vector rowid, text)`` rows, and a row in ``text_fields`` naming it (that table is
created with the rest of the schema by :class:`~langchain_s3vectors.local.storage.Storage`).
What goes into these tables, and how a query reads them, is
:mod:`langchain_s3vectors.local.fulltext`; the statements are here, each a function
taking the connection of the current transaction.

Statements are constants; SQL cannot bind identifiers, so the only text ever put into
one is the name of a full-text table, which is made here from an index id and a digest
and checked against :data:`_FTS_TABLE_RE` (:func:`_fts`), or an FTS5 tokenizer clause,
checked against :data:`_TOKENIZER_RE`.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable, Sequence

#: Full-text tables are named ``fts_<index id>_<16 hex digits>`` (see :func:`fts_table_name`).
_FTS_TABLE_RE = re.compile(r"fts_[0-9]+_[0-9a-f]{16}")
#: FTS5 tokenizer clauses are words and numbers (see ``fulltext.tokenizer_for``).
_TOKENIZER_RE = re.compile(r"[a-z0-9_ ]+")


def _fts(template: str, table: str) -> str:
    """``template`` with ``{table}`` replaced by a checked full-text table name."""
    if not _FTS_TABLE_RE.fullmatch(table):
        msg = f"not a full-text table name: {table!r}"
        raise ValueError(msg)
    return template.format(table=table)


def fts_table_name(index_id: int, digest: str) -> str:
    """The name of the full-text table of one metadata key (``digest``: 16 hex digits)."""
    table = f"fts_{index_id}_{digest}"
    if not _FTS_TABLE_RE.fullmatch(table):
        msg = f"not a full-text table name: {table!r}"
        raise ValueError(msg)
    return table


def text_fields(conn: sqlite3.Connection, index_id: int) -> dict[str, tuple[str | None, str]]:
    """Return ``{metadata_key: (language, fts_table)}`` for an index."""
    rows = conn.execute(
        "SELECT metadata_key, language, fts_table FROM text_fields WHERE index_id = ?",
        (index_id,),
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def all_text_fields(conn: sqlite3.Connection) -> list[tuple[int, str, str | None, str, str]]:
    """``(index_id, metadata_key, language, fts_table, its CREATE statement)`` of every index."""
    rows = conn.execute(
        "SELECT t.index_id, t.metadata_key, t.language, t.fts_table, m.sql FROM text_fields t "
        "JOIN sqlite_master AS m ON m.name = t.fts_table"
    ).fetchall()
    return [(int(r[0]), str(r[1]), r[2], str(r[3]), str(r[4] or "")) for r in rows]


def add_text_field(
    conn: sqlite3.Connection,
    index_id: int,
    key: str,
    language: str | None,
    *,
    table: str,
    tokenizer: str,
) -> None:
    """Create the full-text table of one metadata key and record it.

    ``tokenizer`` is an FTS5 tokenizer clause of
    :func:`~langchain_s3vectors.local.fulltext.tokenizer_for` (a constant).
    """
    if not _TOKENIZER_RE.fullmatch(tokenizer):
        msg = f"not an FTS5 tokenizer clause: {tokenizer!r}"
        raise ValueError(msg)
    create = _fts("CREATE VIRTUAL TABLE {table} USING fts5(body, tokenize = '{{tok}}')", table)
    conn.execute(create.format(tok=tokenizer))
    conn.execute(
        "INSERT INTO text_fields (index_id, metadata_key, language, fts_table) VALUES (?,?,?,?)",
        (index_id, key, language, table),
    )


def drop_text_field(conn: sqlite3.Connection, index_id: int, key: str, table: str) -> None:
    """Drop the full-text table of one metadata key and forget it."""
    conn.execute(_fts("DROP TABLE {table}", table))
    conn.execute("DELETE FROM text_fields WHERE index_id = ? AND metadata_key = ?", (index_id, key))


def drop_text_fields(conn: sqlite3.Connection, index_id: int) -> None:
    """Drop every full-text table of an index and forget them."""
    for _, table in text_fields(conn, index_id).values():
        conn.execute(_fts("DROP TABLE {table}", table))
    conn.execute("DELETE FROM text_fields WHERE index_id = ?", (index_id,))


def metadata_with_key(conn: sqlite3.Connection, index_id: int, key: str) -> list[tuple[int, str]]:
    """``(rowid, metadata JSON)`` of the vectors whose metadata has ``key``."""
    path = "$." + json.dumps(key)
    rows = conn.execute(
        "SELECT rowid, metadata FROM vectors "
        "WHERE index_id = ? AND json_type(metadata, ?) IS NOT NULL",
        (index_id, path),
    ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def insert_texts(conn: sqlite3.Connection, table: str, rows: Iterable[tuple[int, str]]) -> None:
    """Add ``(vector rowid, text)`` rows to a full-text table."""
    conn.executemany(_fts("INSERT INTO {table} (rowid, body) VALUES (?, ?)", table), rows)


def delete_texts(conn: sqlite3.Connection, table: str, rowids: Sequence[tuple[int]]) -> None:
    """Remove rows, by vector rowid, from a full-text table."""
    conn.executemany(_fts("DELETE FROM {table} WHERE rowid = ?", table), rowids)


def count_texts(conn: sqlite3.Connection, table: str) -> int:
    """Rows of one full-text table (reads it, so a damaged table raises)."""
    return int(conn.execute(_fts("SELECT count(*) FROM {table}", table)).fetchone()[0])


def bm25_matches(conn: sqlite3.Connection, table: str, expression: str) -> list[tuple[str, float]]:
    """``(vector key, bm25)`` of every match of an FTS5 expression, best (lowest) first."""
    sql = _fts(
        "SELECT v.key, bm25({table}) FROM {table} JOIN vectors AS v "
        "ON v.rowid = {table}.rowid WHERE {table} MATCH ? ORDER BY bm25({table}), v.key",
        table,
    )
    return [(str(r[0]), float(r[1])) for r in conn.execute(sql, (expression,))]
