"""Full-text search of the embedded S3 Vectors client: analysers, matching, BM25.

One SQLite FTS5 table per text-searchable metadata key, ranked by FTS5's ``bm25()`` (k1
= 1.2, b = 0.75). Analysers: ``en`` uses the Porter stemmer over ``unicode61``;
``zh``/``ja``/``ko`` split every run of Chinese, Japanese or Korean characters into
overlapping pairs (bigrams, the approach of CJK analysers) and, in documents, single
characters too (a query of one character matches those; a longer one matches by pairs),
then use ``unicode61`` with diacritics removed, as every other language (and no
language) does; those keep a run of CJK characters as one term. The S3 User Guide names
the languages but not how each analyser splits text; this is the embedded client's
choice: a word of two or more characters is found wherever it occurs, and a query ranks
documents by how many of its character pairs they share; its terms are joined by OR.

Stores written before bigrams used FTS5's ``trigram`` tokenizer for these languages,
which cannot match a two-character word; :func:`upgrade_tables` rebuilds such tables
when a store is opened for writing (a read-only store keeps matching them as before).
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.local import fulltext_storage, storage

if TYPE_CHECKING:
    from collections.abc import Sequence

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)

#: Analyser languages whose words are not separated by spaces.
CJK_LANGUAGES = frozenset(limits.CJK_TEXT_SEARCH_LANGUAGES)
CJK_RUN = re.compile(limits.CJK_RUN_PATTERN)


def tokenizer_for(language: str | None) -> str:
    """Return the FTS5 tokenizer clause for an analyser language."""
    if language == "en":
        return "porter unicode61 remove_diacritics 2"
    return "unicode61 remove_diacritics 2"


def _pairs(match: re.Match[str]) -> str:
    """A query's CJK run: its bigrams (a lone character as itself)."""
    run = match.group(0)
    if len(run) == 1:
        return f" {run} "
    return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "


def _pairs_and_characters(match: re.Match[str]) -> str:
    """A document's CJK run: its bigrams and its characters (one-character words)."""
    run = match.group(0)
    if len(run) == 1:
        return f" {run} "
    return _pairs(match) + " ".join(run) + " "


def analysed(text: str, language: str | None, *, query: bool = False) -> str:
    """The text as its full-text table stores it (or a query is matched) for ``language``.

    For zh/ja/ko, a run of CJK characters becomes its bigrams, and in a document its
    characters too, so a one-character query word is found; a longer query matches
    by bigrams only. Other languages leave the text as it is.

    Example:
        >>> analysed("向量检索 in S3", "zh", query=True)
        ' 向量 量检 检索  in S3'
        >>> analysed("下雨", "zh")
        ' 下雨 下 雨 '
        >>> analysed("向量检索", "en")
        '向量检索'
    """
    if language in CJK_LANGUAGES:
        return CJK_RUN.sub(_pairs if query else _pairs_and_characters, text)
    return text


def fts_match_expression(text: str, language: str | None) -> str | None:
    """Turn free text into an FTS5 MATCH expression (terms joined by OR).

    Returns ``None`` when the text has no searchable term.
    """
    terms = _TOKEN_RE.findall(analysed(text, language, query=True))
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
    table = fulltext_storage.fts_table_name(index_id, hashlib.sha256(key.encode()).hexdigest()[:16])
    fulltext_storage.add_text_field(
        conn, index_id, key, language, table=table, tokenizer=tokenizer_for(language)
    )
    rows = fulltext_storage.metadata_with_key(conn, index_id, key)
    fulltext_storage.insert_texts(
        conn,
        table,
        [
            (r[0], analysed(text, language))
            for r in rows
            if (text := searchable_text(json.loads(r[1]).get(key)))
        ],
    )


def upgrade_tables(store: storage.Storage) -> int:
    """Rebuild the ``trigram`` tables of zh/ja/ko keys (older stores) as bigram tables.

    Only a store that has such tables is written to.

    Returns:
        How many tables were rebuilt.
    """

    def legacy(conn: sqlite3.Connection) -> list[tuple[int, str, str | None, str]]:
        return [
            (index_id, key, language, table)
            for index_id, key, language, table, sql in fulltext_storage.all_text_fields(conn)
            if language in CJK_LANGUAGES and "trigram" in sql
        ]

    with store.read() as conn:
        if not legacy(conn):
            return 0
    with store.transaction() as conn:
        tables = legacy(conn)
        for index_id, key, language, table in tables:
            fulltext_storage.drop_text_field(conn, index_id, key, table)
            add_field(conn, index_id, key, language)
    return len(tables)


def _legacy_trigram(conn: sqlite3.Connection, fts_table: str) -> bool:
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (fts_table,)).fetchone()
    return row is not None and "trigram" in str(row[0])


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
    for key_name, (language, table) in fields.items():
        fulltext_storage.delete_texts(conn, table, [(rowids[k],) for k in keys])
        fulltext_storage.insert_texts(
            conn,
            table,
            [
                (rowids[k], analysed(text, language))
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
        fulltext_storage.delete_texts(conn, table, rowids)


def bm25_ranking(
    conn: sqlite3.Connection, fts_table: str, text: str, language: str | None
) -> list[tuple[str, float]]:
    """Rank the vectors of one FTS5 table for a query text, best first.

    Returns ``(vector key, bm25 score)`` pairs with positive scores (higher is better).
    """
    if language in CJK_LANGUAGES and _legacy_trigram(conn, fts_table):
        stripped = text.replace('"', " ").strip()  # a read-only store of an older version
        expression = None if len(stripped) < 3 else f'"{stripped}"'  # noqa: PLR2004
    else:
        expression = fts_match_expression(text, language)
    if expression is None:
        return []
    try:
        matches = fulltext_storage.bm25_matches(conn, fts_table, expression)
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
        for key, (_, table) in fulltext_storage.text_fields(conn, index_id).items():
            try:
                fulltext_storage.count_texts(conn, table)
            except sqlite3.DatabaseError as exc:
                problems.append(f"the full-text index of metadata key {key!r} ({exc})")
    return problems
