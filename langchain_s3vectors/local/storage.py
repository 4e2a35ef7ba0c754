"""SQLite persistence for the embedded S3 Vectors client.

One database file (``<path>/s3vectors.sqlite3``) holds every bucket, index and
vector; with ``path=None`` it lives in memory. Names are only ever stored as values,
never used as file names, so no bucket or index name can reach outside the store's
directory.

Durability: WAL journal, one transaction per API request. A process killed in the
middle of a PutVectors leaves the whole request or none of it; readers in other
processes see committed data only.

Vectors are also kept, per index, in memory-mapped checkpoint files under
``<path>/vectors/`` (see :mod:`langchain_s3vectors.local.vectorfile`), so a process
opens an index without reading every vector out of SQLite. They are derived data:
SQLite stays the source of truth, and a store without them (or with damaged ones)
reads its vectors from SQLite. They cost about the vectors' raw float32 size on disk.

Every SQL statement of the embedded client is in this module or one of its two
siblings, :mod:`~langchain_s3vectors.local.fulltext_storage` (the full-text tables) and
:mod:`~langchain_s3vectors.local.checkpoint_storage` (the vector checkpoints), as a
function taking the connection of the current transaction (:meth:`Storage.transaction`
or :meth:`Storage.read`). The schema of all three is :data:`SCHEMA`, set up here.
Statements are constants; the only text this module ever puts into one is a list of
``?`` placeholders (:func:`_marks`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.local import fulltext_storage

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

DB_FILENAME = "s3vectors.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    encryption TEXT NOT NULL,
    default_index_mode TEXT NOT NULL,
    policy TEXT,
    tags TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS indexes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL REFERENCES buckets(name),
    name TEXT NOT NULL,
    created REAL NOT NULL,
    dimension INTEGER NOT NULL,
    metric TEXT NOT NULL,
    data_type TEXT NOT NULL,
    metadata_config TEXT NOT NULL,
    encryption TEXT NOT NULL,
    index_mode TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 0,
    UNIQUE (bucket, name)
);
CREATE TABLE IF NOT EXISTS vectors (
    index_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    seg INTEGER NOT NULL,
    data BLOB,
    metadata TEXT,
    PRIMARY KEY (index_id, key)
);
CREATE TABLE IF NOT EXISTS vector_checkpoints (
    index_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    count INTEGER NOT NULL,
    stem TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vector_changes (
    index_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (index_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS text_fields (
    index_id INTEGER NOT NULL,
    metadata_key TEXT NOT NULL,
    language TEXT,
    fts_table TEXT NOT NULL,
    PRIMARY KEY (index_id, metadata_key)
);
"""


def _open_read_only(db_path: Path) -> sqlite3.Connection:
    """Open an existing database read-only; immutable when its folder is read-only.

    A WAL database needs its ``-shm`` file; on a read-only mount SQLite cannot create
    it, and ``immutable=1`` (no locking, no WAL) is the documented way to read such a
    file. See https://www.sqlite.org/uri.html (``mode=ro``, ``immutable``).
    """
    if not db_path.is_file():
        msg = f"no store at {str(db_path.parent)!r}: {DB_FILENAME} does not exist"
        raise FileNotFoundError(msg)
    uri = db_path.as_uri()
    last: sqlite3.Error | None = None
    for options in ("mode=ro", "mode=ro&immutable=1"):
        conn = sqlite3.connect(
            f"{uri}?{options}", uri=True, check_same_thread=False, isolation_level=None
        )
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            conn.close()
            last = exc
            continue
        return conn
    msg = f"cannot open the store at {str(db_path.parent)!r} for reading: {last}"
    raise PermissionError(msg)


def segment_hash(key: str) -> int:
    """Stable 32-bit hash of a vector key, used to split ListVectors into segments."""
    return zlib.crc32(key.encode("utf-8"))


class Storage:
    """A thread-safe wrapper around one SQLite connection.

    Args:
        path: Directory for the database, or ``None`` for an in-memory store.
        read_only: Open an existing database for reading only: nothing is created,
            and a store on a read-only mount (where SQLite cannot write its ``-shm``
            file) is opened as immutable. Writes then fail.
    """

    def __init__(self, path: str | Path | None, *, read_only: bool = False) -> None:
        """Open (and create, unless read-only) the database."""
        self.lock = threading.RLock()
        self.read_only = read_only
        self.db_path: Path | None = None
        self.vector_dir: Path | None = None
        #: Whether this process committed a write since opening (schema set-up aside).
        self.wrote = False
        if path is not None:
            directory = Path(path).expanduser()
            if directory.exists() and not directory.is_dir():
                msg = f"LocalS3VectorsClient path {str(directory)!r} exists and is not a directory"
                raise NotADirectoryError(msg)
        if read_only and path is not None:
            self.db_path = Path(path).expanduser().resolve() / DB_FILENAME
            self.vector_dir = self.db_path.parent / "vectors"
            self.conn = _open_read_only(self.db_path)
            return
        if path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            directory.mkdir(parents=True, exist_ok=True)
            self.db_path = directory.resolve() / DB_FILENAME
            self.vector_dir = directory.resolve() / "vectors"
            new = not self.db_path.exists()
            conn = sqlite3.connect(
                self.db_path, check_same_thread=False, isolation_level=None, timeout=60.0
            )
            conn.execute("PRAGMA page_size=16384")
            if new:  # before the first table: a checkpoint can give released data back
                conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=60000")
        self.conn = conn
        with self.transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
        self.wrote = False

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction (``BEGIN IMMEDIATE``)."""
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
            self.wrote = True

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Run a block of reads in one consistent snapshot."""
        with self.lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")


# -- statement building ------------------------------------------------------------

#: Rows per statement when a statement names many keys (SQLite's parameter cap is higher).
_CHUNK = 500


def _marks(template: str, count: int) -> str:
    """``template`` with ``{marks}`` replaced by ``count`` ``?`` placeholders."""
    return template.format(marks=",".join("?" * count))


# -- buckets -----------------------------------------------------------------------


def get_bucket(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    """Return a bucket row as a dict, or ``None``."""
    row = conn.execute(
        "SELECT name, created, encryption, default_index_mode, policy, tags "
        "FROM buckets WHERE name = ?",
        (name,),
    ).fetchone()
    if row is None:
        return None
    return {
        "name": row[0],
        "created": row[1],
        "encryption": json.loads(row[2]),
        "default_index_mode": row[3],
        "policy": row[4],
        "tags": json.loads(row[5]),
    }


def insert_bucket(
    conn: sqlite3.Connection,
    name: str,
    encryption: dict[str, Any],
    default_index_mode: str,
    tags: dict[str, str],
) -> None:
    """Create a bucket row (created now)."""
    conn.execute(
        "INSERT INTO buckets (name, created, encryption, default_index_mode, tags) "
        "VALUES (?, ?, ?, ?, ?)",
        (name, time.time(), json.dumps(encryption), default_index_mode, json.dumps(tags)),
    )


def list_buckets(
    conn: sqlite3.Connection, after: str, prefix: str, limit: int
) -> list[tuple[str, float]]:
    """``(name, created)`` of up to ``limit`` buckets after ``after`` with a name prefix."""
    rows = conn.execute(
        "SELECT name, created FROM buckets WHERE name > ? AND substr(name, 1, ?) = ? "
        "ORDER BY name LIMIT ?",
        (after, len(prefix), prefix, limit),
    ).fetchall()
    return [(str(r[0]), float(r[1])) for r in rows]


def count_indexes(conn: sqlite3.Connection, bucket: str) -> int:
    """How many indexes a bucket holds."""
    row = conn.execute("SELECT count(*) FROM indexes WHERE bucket = ?", (bucket,)).fetchone()
    return int(row[0])


def delete_bucket(conn: sqlite3.Connection, name: str) -> None:
    """Delete a bucket row."""
    conn.execute("DELETE FROM buckets WHERE name = ?", (name,))


def set_bucket_policy(conn: sqlite3.Connection, name: str, policy: str | None) -> None:
    """Store (or, with ``None``, remove) a bucket's policy document."""
    conn.execute("UPDATE buckets SET policy = ? WHERE name = ?", (policy, name))


def set_bucket_default_mode(conn: sqlite3.Connection, name: str, mode: str) -> None:
    """Set the index mode new indexes of a bucket get."""
    conn.execute("UPDATE buckets SET default_index_mode = ? WHERE name = ?", (mode, name))


# -- indexes -----------------------------------------------------------------------


def get_index(conn: sqlite3.Connection, bucket: str, name: str) -> dict[str, Any] | None:
    """Return an index row as a dict, or ``None``."""
    row = conn.execute(
        "SELECT id, bucket, name, created, dimension, metric, data_type, metadata_config, "
        "encryption, index_mode, tags, version FROM indexes WHERE bucket = ? AND name = ?",
        (bucket, name),
    ).fetchone()
    if row is None:
        return None
    return {
        "id": row[0],
        "bucket": row[1],
        "name": row[2],
        "created": row[3],
        "dimension": row[4],
        "metric": row[5],
        "data_type": row[6],
        "metadata_config": json.loads(row[7]),
        "encryption": json.loads(row[8]),
        "index_mode": row[9],
        "tags": json.loads(row[10]),
        "version": row[11],
    }


def insert_index(conn: sqlite3.Connection, bucket: str, name: str, **columns: Any) -> int:
    """Create an index row (created now); return its id.

    ``columns``: ``dimension``, ``metric``, ``data_type``, ``metadata_config``,
    ``encryption`` (dicts, stored as JSON), ``index_mode`` and ``tags`` (a dict).
    """
    cur = conn.execute(
        "INSERT INTO indexes (bucket, name, created, dimension, metric, data_type, "
        "metadata_config, encryption, index_mode, tags) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            bucket,
            name,
            time.time(),
            columns["dimension"],
            columns["metric"],
            columns["data_type"],
            json.dumps(columns["metadata_config"]),
            json.dumps(columns["encryption"]),
            columns["index_mode"],
            json.dumps(columns["tags"]),
        ),
    )
    return int(cur.lastrowid or 0)


def list_indexes(
    conn: sqlite3.Connection, bucket: str, after: str, prefix: str, limit: int
) -> list[tuple[str, float]]:
    """``(name, created)`` of up to ``limit`` indexes of a bucket after ``after``."""
    rows = conn.execute(
        "SELECT name, created FROM indexes WHERE bucket = ? AND name > ? "
        "AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
        (bucket, after, len(prefix), prefix, limit),
    ).fetchall()
    return [(str(r[0]), float(r[1])) for r in rows]


def index_ids(conn: sqlite3.Connection) -> list[int]:
    """The id of every index, in order."""
    return [int(r[0]) for r in conn.execute("SELECT id FROM indexes ORDER BY id")]


def index_shape(conn: sqlite3.Connection, index_id: int) -> tuple[int, str, int] | None:
    """``(version, metric, dimension)`` of an index, or ``None`` when it is gone."""
    row = conn.execute(
        "SELECT version, metric, dimension FROM indexes WHERE id = ?", (index_id,)
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), int(row[2]))


def delete_index(conn: sqlite3.Connection, index_id: int) -> None:
    """Delete an index: its full-text tables, its vectors and its row."""
    fulltext_storage.drop_text_fields(conn, index_id)
    conn.execute("DELETE FROM vectors WHERE index_id = ?", (index_id,))
    conn.execute("DELETE FROM indexes WHERE id = ?", (index_id,))


def set_index_mode(conn: sqlite3.Connection, index_id: int, mode: str) -> None:
    """Set an index's mode (CLASSIC or ENHANCED)."""
    conn.execute("UPDATE indexes SET index_mode = ? WHERE id = ?", (mode, index_id))


def set_metadata_config(conn: sqlite3.Connection, index_id: int, config: dict[str, Any]) -> None:
    """Store an index's metadata configuration."""
    conn.execute(
        "UPDATE indexes SET metadata_config = ? WHERE id = ?", (json.dumps(config), index_id)
    )


def bump_version(conn: sqlite3.Connection, index_id: int) -> int:
    """Increment and return an index's data version."""
    conn.execute("UPDATE indexes SET version = version + 1 WHERE id = ?", (index_id,))
    row = conn.execute("SELECT version FROM indexes WHERE id = ?", (index_id,)).fetchone()
    return int(row[0])


def version(conn: sqlite3.Connection, index_id: int) -> int | None:
    """Return an index's data version, or ``None`` when it is gone."""
    row = conn.execute("SELECT version FROM indexes WHERE id = ?", (index_id,)).fetchone()
    return None if row is None else int(row[0])


# -- tags --------------------------------------------------------------------------


def bucket_tags(conn: sqlite3.Connection, name: str) -> dict[str, str]:
    """A bucket's tags."""
    row = conn.execute("SELECT tags FROM buckets WHERE name = ?", (name,)).fetchone()
    tags: dict[str, str] = json.loads(row[0])
    return tags


def set_bucket_tags(conn: sqlite3.Connection, name: str, tags: dict[str, str]) -> None:
    """Replace a bucket's tags."""
    conn.execute("UPDATE buckets SET tags = ? WHERE name = ?", (json.dumps(tags), name))


def index_tags(conn: sqlite3.Connection, index_id: int) -> dict[str, str]:
    """An index's tags."""
    row = conn.execute("SELECT tags FROM indexes WHERE id = ?", (index_id,)).fetchone()
    tags: dict[str, str] = json.loads(row[0])
    return tags


def set_index_tags(conn: sqlite3.Connection, index_id: int, tags: dict[str, str]) -> None:
    """Replace an index's tags."""
    conn.execute("UPDATE indexes SET tags = ? WHERE id = ?", (json.dumps(tags), index_id))


# -- integrity ---------------------------------------------------------------------


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """SQLite's ``PRAGMA quick_check``: the problems it reports (none: an empty list)."""
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check(20)")]
    except sqlite3.DatabaseError as exc:
        return [f"SQLite's integrity check failed ({exc})"]
    if rows == ["ok"]:
        return []
    lines = [line for row in rows for line in row.splitlines() if not line.startswith("***")]
    shown = "; ".join(lines[:3]) + (f" (and {len(lines) - 3} more)" if len(lines) > 3 else "")  # noqa: PLR2004
    return [f"SQLite's integrity check found: {shown}"]


# -- vectors -----------------------------------------------------------------------


def upsert_vectors(
    conn: sqlite3.Connection, index_id: int, rows: Iterable[tuple[Any, ...]]
) -> None:
    """Insert or replace vectors: ``(key, segment hash, data blob, metadata JSON)`` rows."""
    conn.executemany(
        "INSERT INTO vectors (index_id, key, seg, data, metadata) VALUES (?,?,?,?,?) "
        "ON CONFLICT (index_id, key) DO UPDATE SET data = excluded.data, "
        "metadata = excluded.metadata",
        ((index_id, *row) for row in rows),
    )


def rowids(conn: sqlite3.Connection, index_id: int, keys: Sequence[str]) -> dict[str, int]:
    """``{key: rowid}`` of the stored vectors among ``keys``."""
    found: dict[str, int] = {}
    template = "SELECT rowid, key FROM vectors WHERE index_id = ? AND key IN ({marks})"
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = conn.execute(_marks(template, len(chunk)), (index_id, *chunk))
        found.update({key: rowid for rowid, key in rows})
    return found


def vectors_by_key(
    conn: sqlite3.Connection, index_id: int, keys: Sequence[str]
) -> list[tuple[str, bytes, str | None]]:
    """``(key, data, metadata)`` of the stored vectors among ``keys``, in rowid order."""
    template = (
        "SELECT key, data, metadata FROM vectors WHERE index_id = ? AND key IN ({marks}) "
        "ORDER BY rowid"
    )
    return conn.execute(_marks(template, len(keys)), (index_id, *keys)).fetchall()


def metadata_by_key(
    conn: sqlite3.Connection, index_id: int, keys: Sequence[str]
) -> list[tuple[str, str | None]]:
    """``(key, metadata JSON)`` of the stored vectors among ``keys``."""
    template = "SELECT key, metadata FROM vectors WHERE index_id = ? AND key IN ({marks})"
    return conn.execute(_marks(template, len(keys)), (index_id, *keys)).fetchall()


def data_by_key(
    conn: sqlite3.Connection, index_id: int, keys: Sequence[str]
) -> list[tuple[str, bytes]]:
    """``(key, data)`` of the stored vectors among ``keys``, in rowid order."""
    template = (
        "SELECT key, data FROM vectors WHERE index_id = ? AND key IN ({marks}) ORDER BY rowid"
    )
    return conn.execute(_marks(template, len(keys)), (index_id, *keys)).fetchall()


def delete_vectors(conn: sqlite3.Connection, index_id: int, keys: Sequence[str]) -> None:
    """Delete vectors by key (missing keys are ignored)."""
    conn.executemany(
        "DELETE FROM vectors WHERE index_id = ? AND key = ?", [(index_id, k) for k in keys]
    )


def count_vectors(conn: sqlite3.Connection, index_id: int) -> int:
    """How many vectors an index holds."""
    row = conn.execute("SELECT count(*) FROM vectors WHERE index_id = ?", (index_id,)).fetchone()
    return int(row[0])


def all_vectors(conn: sqlite3.Connection, index_id: int) -> sqlite3.Cursor:
    """A cursor over ``(key, data)`` of every vector of an index, in rowid order."""
    return conn.execute(
        "SELECT key, data FROM vectors WHERE index_id = ? ORDER BY rowid", (index_id,)
    )


def metadata_values(
    conn: sqlite3.Connection, index_id: int, key: str
) -> list[tuple[str, str, Any]]:
    """``(vector key, JSON type, value)`` of one metadata key, for vectors that have it."""
    path = "$." + json.dumps(key)
    return conn.execute(
        "SELECT key, json_type(metadata, ?), json_extract(metadata, ?) FROM vectors "
        "WHERE index_id = ? AND metadata IS NOT NULL AND json_type(metadata, ?) IS NOT NULL",
        (path, path, index_id, path),
    ).fetchall()


#: ListVectors pages, over a whole index or over one of its segments.
_LIST_PAGE = {
    False: "SELECT key, data, metadata FROM vectors WHERE index_id = ? "
    "AND key > ? ORDER BY key LIMIT ?",
    True: "SELECT key, data, metadata FROM vectors WHERE index_id = ? AND seg % ? = ? "
    "AND key > ? ORDER BY key LIMIT ?",
}
#: Keys from a given one on, to resume a listing after a long key (see ``resume_key``).
_LIST_FROM = {
    False: "SELECT key FROM vectors WHERE index_id = ? AND key >= ? ORDER BY key",
    True: "SELECT key FROM vectors WHERE index_id = ? AND seg % ? = ? AND key >= ? ORDER BY key",
}


def list_page(
    conn: sqlite3.Connection, index_id: int, segment: tuple[int, int] | None, after: str, limit: int
) -> list[tuple[str, bytes, str | None]]:
    """``(key, data, metadata)`` of up to ``limit`` vectors after ``after``, in key order.

    ``segment``: ``(segment count, segment index)`` to list one segment only.
    """
    args = (index_id,) if segment is None else (index_id, *segment)
    sql = _LIST_PAGE[segment is not None]
    return conn.execute(sql, (*args, after, limit)).fetchall()


def keys_from(
    conn: sqlite3.Connection, index_id: int, segment: tuple[int, int] | None, start: str
) -> Iterator[str]:
    """The keys from ``start`` on, in key order (of one segment, with ``segment``)."""
    args = (index_id,) if segment is None else (index_id, *segment)
    for (key,) in conn.execute(_LIST_FROM[segment is not None], (*args, start)):
        yield str(key)
