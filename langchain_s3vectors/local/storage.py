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
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

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
    data BLOB NOT NULL,
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
            conn = sqlite3.connect(
                self.db_path, check_same_thread=False, isolation_level=None, timeout=60.0
            )
            conn.execute("PRAGMA page_size=16384")
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

    # -- buckets -----------------------------------------------------------------

    def get_bucket(self, conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
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

    # -- indexes -----------------------------------------------------------------

    def get_index(self, conn: sqlite3.Connection, bucket: str, name: str) -> dict[str, Any] | None:
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

    @staticmethod
    def bump_version(conn: sqlite3.Connection, index_id: int) -> int:
        """Increment and return an index's data version."""
        conn.execute("UPDATE indexes SET version = version + 1 WHERE id = ?", (index_id,))
        row = conn.execute("SELECT version FROM indexes WHERE id = ?", (index_id,)).fetchone()
        return int(row[0])

    @staticmethod
    def version(conn: sqlite3.Connection, index_id: int) -> int | None:
        """Return an index's data version, or ``None`` when it is gone."""
        row = conn.execute("SELECT version FROM indexes WHERE id = ?", (index_id,)).fetchone()
        return None if row is None else int(row[0])

    # -- full-text tables ----------------------------------------------------------

    @staticmethod
    def text_fields(conn: sqlite3.Connection, index_id: int) -> dict[str, tuple[str | None, str]]:
        """Return ``{metadata_key: (language, fts_table)}`` for an index."""
        rows = conn.execute(
            "SELECT metadata_key, language, fts_table FROM text_fields WHERE index_id = ?",
            (index_id,),
        ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}
