"""SQLite statements of the embedded client's vector checkpoints.

Vectors are also kept, per index, in memory-mapped checkpoint files (see
:mod:`langchain_s3vectors.local.vectorfile`). ``vector_checkpoints`` records the
committed checkpoint of each index (the data version it holds, its vector count and
its file stem), and ``vector_changes`` the keys written or deleted since then, so a
reader can read those keys from SQLite and the rest from the file. Both tables are
created with the rest of the schema by :class:`~langchain_s3vectors.local.storage.Storage`;
the statements are here, each a function taking the connection of the current
transaction.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def checkpoint_row(conn: sqlite3.Connection, index_id: int) -> tuple[int, int, str] | None:
    """``(version, count, stem)`` of an index's committed checkpoint, or ``None``."""
    try:
        row = conn.execute(
            "SELECT version, count, stem FROM vector_checkpoints WHERE index_id = ?",
            (index_id,),
        ).fetchone()
    except sqlite3.Error:  # a store written before checkpoints existed
        return None
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def changed_keys(conn: sqlite3.Connection, index_id: int) -> list[str]:
    """Keys written or deleted since the index's checkpoint."""
    return [
        str(r[0])
        for r in conn.execute("SELECT key FROM vector_changes WHERE index_id = ?", (index_id,))
    ]


def log_changes(conn: sqlite3.Connection, index_id: int, keys: Sequence[str]) -> None:
    """Record, inside a write transaction, the keys it touches (only after a checkpoint)."""
    if conn.execute("SELECT 1 FROM vector_checkpoints WHERE index_id = ?", (index_id,)).fetchone():
        conn.executemany(
            "INSERT OR IGNORE INTO vector_changes (index_id, key) VALUES (?, ?)",
            [(index_id, key) for key in keys],
        )


def record_checkpoint(
    conn: sqlite3.Connection, index_id: int, version: int, count: int, stem: str
) -> None:
    """Make ``stem`` the index's checkpoint and forget the changes it now covers."""
    conn.execute(
        "INSERT OR REPLACE INTO vector_checkpoints (index_id, version, count, stem) "
        "VALUES (?, ?, ?, ?)",
        (index_id, version, count, stem),
    )
    conn.execute("DELETE FROM vector_changes WHERE index_id = ?", (index_id,))


def data_releasable(conn: sqlite3.Connection) -> bool:
    """Whether ``vectors.data`` may be ``NULL`` (stores created before it may not)."""
    for column in conn.execute("PRAGMA table_info(vectors)"):
        if column[1] == "data":
            return not column[3]
    return False


def count_changes(conn: sqlite3.Connection, index_id: int) -> int:
    """How many keys were written or deleted since the index's checkpoint."""
    row = conn.execute("SELECT COUNT(*) FROM vector_changes WHERE index_id = ?", (index_id,))
    return int(row.fetchone()[0])


def release_vector_data(
    conn: sqlite3.Connection, index_id: int, keys: Sequence[str] | None
) -> None:
    """Forget, inside the transaction recording a checkpoint, the data it now holds.

    ``keys``: the keys written since the previous checkpoint (whose data is the only
    data still in SQLite), or ``None`` for every vector of the index.
    """
    if keys is None:
        conn.execute(
            "UPDATE vectors SET data = NULL WHERE index_id = ? AND data IS NOT NULL", (index_id,)
        )
        return
    conn.executemany(
        "UPDATE vectors SET data = NULL WHERE index_id = ? AND key = ?",
        [(index_id, key) for key in keys],
    )


def released_counts(conn: sqlite3.Connection) -> list[tuple[int, str, int]]:
    """``(index id, checkpoint stem, vectors whose data only the checkpoint holds)``."""
    return [
        (int(r[0]), str(r[1]), int(r[2]))
        for r in conn.execute(
            "SELECT c.index_id, c.stem, COUNT(*) FROM vector_checkpoints c "
            "JOIN vectors v ON v.index_id = c.index_id AND v.data IS NULL GROUP BY c.index_id"
        )
    ]


def reclaim_free_pages(conn: sqlite3.Connection, *, compact: bool) -> None:
    """Give the space of released vector data back to the file system.

    Run outside a transaction. ``compact``: rebuild the file (``VACUUM``), worth it
    once most of it was released (the rows' pages are left sparse, not free); else
    return the free pages only (stores created with ``auto_vacuum=INCREMENTAL``).
    """
    conn.execute("VACUUM" if compact else "PRAGMA incremental_vacuum")


def forget_orphan_checkpoints(conn: sqlite3.Connection) -> list[int]:
    """Forget the checkpoints of indexes that no longer exist; return those indexes' ids."""
    gone = [
        int(r[0])
        for r in conn.execute(
            "SELECT index_id FROM vector_checkpoints WHERE index_id NOT IN (SELECT id FROM indexes)"
        )
    ]
    for index_id in gone:
        conn.execute("DELETE FROM vector_checkpoints WHERE index_id = ?", (index_id,))
        conn.execute("DELETE FROM vector_changes WHERE index_id = ?", (index_id,))
    return gone
