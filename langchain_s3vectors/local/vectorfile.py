"""Memory-mapped vector files: a checkpoint of one index's search matrix.

SQLite is the source of truth for every key, vector and metadata value. Reading all
vectors out of it on the first query of a process costs time in proportion to the
index size, so a persistent store also keeps, per index, a *checkpoint*: the search
matrix at one data version, in files that are memory-mapped instead of read::

    <store>/vectors/index-<id>-<token>.rows.npy     float32 (n, dimension): unit rows
                                                   for cosine, raw rows for euclidean
    <store>/vectors/index-<id>-<token>.norms.npy    float32 (n,): squared row norms
    <store>/vectors/index-<id>-<token>.keyoff.npy   int64 (n + 1,): key offsets
    <store>/vectors/index-<id>-<token>.keys.bin     the keys, UTF-8, back to back

An index searched through an approximate graph (:mod:`.ann`) is checkpointed by the
process that grew the graph, from memory: its ``.usearch`` file (the graph library's
own format, whose vector block is the search matrix, mapped for exact scoring) replaces
``.rows.npy``, so the rows are written once, and positions deleted since the graph was
built keep an empty key (they are skipped on open).

File names carry only the index's numeric id and a random token, never a bucket or
index name.

Crash safety: the files are written and fsynced first, under a new name; only then
does one SQLite transaction record them as the index's checkpoint (table
``vector_checkpoints``), and only if the index's data version has not moved meanwhile.
A process killed at any point leaves either the old checkpoint or the new one; files
that no committed row names are removed by the next checkpoint. Writes after a
checkpoint record the keys they touch (table ``vector_changes``) in their own
transaction, so opening an index maps the checkpoint and reads only those keys' rows
from SQLite: open time depends on the changes since the checkpoint, not on the index
size. A checkpoint whose files cannot be opened is ignored (the index is then read
from SQLite, as without a checkpoint).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from langchain_s3vectors.local import ann, checkpoint_storage
from langchain_s3vectors.local import storage as sql

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from langchain_s3vectors.local.cache import IndexCache, IndexCaches
    from langchain_s3vectors.local.storage import Storage

logger = logging.getLogger(__name__)

#: :func:`checkpoint_on_close` checkpoints indexes of at least this many vectors
#: (smaller ones are read from SQLite in milliseconds).
CHECKPOINT_MIN_VECTORS = 20_000

#: :func:`checkpoint_on_close` leaves an index whose checkpoint is behind by fewer
#: changed keys as it is: a reader reads those few rows from SQLite, and closing costs
#: about what the writes cost, not a rewrite of the whole index.
CLOSE_MIN_CHANGES = 4_096

#: Directory (inside the store's directory) holding the vector files.
VECTOR_DIRNAME = "vectors"
#: Vectors read from SQLite per step while writing a checkpoint.
_BLOCK = 4096
_SUFFIXES = (".rows.npy", ".norms.npy", ".keyoff.npy", ".keys.bin")
_GRAPH_SUFFIX = ".usearch"

FloatArray = npt.NDArray[np.float32]


def prepare_rows(block: FloatArray, metric: str) -> FloatArray:
    """Turn raw rows into search rows in place; return their squared norms.

    Cosine rows are scaled to unit length (a zero row stays zero); euclidean rows are
    kept as they are.
    """
    if metric == "cosine":
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        block /= norms
    sq: FloatArray = np.einsum("ij,ij->i", block, block)
    return sq


class KeyFile:
    """The keys of a checkpoint, decoded one at a time on demand."""

    def __init__(self, offsets: npt.NDArray[np.int64], blob: npt.NDArray[np.uint8]) -> None:
        """Wrap the (memory-mapped) offsets and key bytes."""
        self._offsets = offsets
        self._blob = blob

    def __len__(self) -> int:
        """Number of keys."""
        return int(self._offsets.shape[0]) - 1

    @property
    def offsets(self) -> npt.NDArray[np.int64]:
        """Where each key starts in :attr:`blob` (one more entry than keys)."""
        return self._offsets

    @property
    def blob(self) -> npt.NDArray[np.uint8]:
        """The keys' UTF-8 bytes, back to back."""
        return self._blob

    def __getitem__(self, position: int) -> str:
        """The key at ``position``."""
        start, stop = int(self._offsets[position]), int(self._offsets[position + 1])
        return bytes(self._blob[start:stop]).decode("utf-8")

    def all(self) -> list[str]:
        """Every key, in row order (an empty one for a deleted position)."""
        raw = self._blob.tobytes()
        bounds = self._offsets.tolist()
        return [raw[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(len(bounds) - 1)]

    def present(self) -> npt.NDArray[np.bool_]:
        """Which positions hold a vector (keys are never empty; a deleted one is)."""
        lengths: npt.NDArray[np.bool_] = np.diff(self._offsets) > 0
        return lengths


@dataclass
class Checkpoint:
    """An opened checkpoint: memory-mapped rows, squared norms and keys."""

    version: int
    rows: FloatArray
    sqnorms: FloatArray
    keys: KeyFile
    graph: ann.Graph | None = None
    #: Rows as written (a graph checkpoint), not scaled to unit length.
    raw: bool = False


def _paths(directory: Path, stem: str) -> list[Path]:
    return [directory / (stem + suffix) for suffix in _SUFFIXES]


def _complete(directory: Path, stem: str) -> bool:
    """Whether a checkpoint's files are all there (rows or graph, norms, keys)."""
    rows, *rest = _paths(directory, stem)
    graph = directory / (stem + _GRAPH_SUFFIX)
    return (rows.exists() or graph.exists()) and all(p.exists() for p in rest)


def open_checkpoint(
    conn: sqlite3.Connection,
    directory: Path,
    index_id: int,
    dimension: int,
    *,
    graph: bool = False,
) -> Checkpoint | None:
    """Map an index's committed checkpoint, or return ``None`` when it has none.

    ``graph``: also map the checkpoint's approximate graph, when it has one.
    """
    row = checkpoint_storage.checkpoint_row(conn, index_id)
    if row is None:
        return None
    version, count, stem = row
    rows_path, norms_path, offsets_path, keys_path = _paths(directory, stem)
    try:
        mapped = _map_rows(
            directory / (stem + _GRAPH_SUFFIX), rows_path, count, dimension, graph=graph
        )
        if mapped is None:
            return None
        rows, index_graph, raw = mapped
        sqnorms = np.load(norms_path, mmap_mode="r")
        offsets = np.load(offsets_path, mmap_mode="r")
        blob = (
            np.memmap(keys_path, dtype=np.uint8, mode="r")
            if keys_path.stat().st_size
            else np.empty(0, dtype=np.uint8)
        )
    except (OSError, ValueError):
        return None  # removed by a newer checkpoint, or damaged: read SQLite instead
    if (
        rows.shape != (count, dimension)
        or sqnorms.shape != (count,)
        or offsets.shape != (count + 1,)
    ):
        return None
    return Checkpoint(version, rows, sqnorms, KeyFile(offsets, blob), index_graph, raw=raw)


def _map_rows(
    graph_path: Path, rows_path: Path, count: int, dimension: int, *, graph: bool
) -> tuple[FloatArray, ann.Graph | None, bool] | None:
    """The checkpoint's rows, from its graph file (raw rows) or its ``.rows.npy``."""
    if not graph_path.exists():
        rows: FloatArray = np.load(rows_path, mmap_mode="r")
        return rows, None, False
    if graph and ann.available():
        viewed = ann.Graph.view(graph_path, count, dimension)
        return None if viewed is None else (viewed[1], viewed[0], True)
    block = ann.map_rows(graph_path, count, dimension)
    return None if block is None else (block, None, True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_files(
    directory: Path,
    stem: str,
    blocks: Iterator[tuple[list[str], FloatArray]],
    count: int,
    dimension: int,
    metric: str,
) -> None:
    rows_path, norms_path, offsets_path, keys_path = _paths(directory, stem)
    rows = np.lib.format.open_memmap(
        rows_path, mode="w+", dtype=np.float32, shape=(count, dimension)
    )
    sqnorms = np.empty(count, dtype=np.float32)
    offsets = np.zeros(count + 1, dtype=np.int64)
    done = 0
    with keys_path.open("wb") as keys_file:
        for keys, block in blocks:
            stop = done + len(keys)
            if stop > count:
                msg = "the index changed while its checkpoint was being written"
                raise RuntimeError(msg)
            sqnorms[done:stop] = prepare_rows(block, metric)
            rows[done:stop] = block
            encoded = [key.encode("utf-8") for key in keys]
            offsets[done + 1 : stop + 1] = offsets[done] + np.cumsum([len(e) for e in encoded])
            keys_file.write(b"".join(encoded))
            done = stop
        keys_file.flush()
        os.fsync(keys_file.fileno())
    if done != count:
        msg = "the index changed while its checkpoint was being written"
        raise RuntimeError(msg)
    rows.flush()
    del rows
    np.save(norms_path, sqnorms)
    np.save(offsets_path, offsets)
    for path in (rows_path, norms_path, offsets_path):
        _fsync(path)
    _fsync(directory)


def _blocks(
    conn: sqlite3.Connection, index_id: int, dimension: int
) -> Iterator[tuple[list[str], FloatArray]]:
    cursor = sql.all_vectors(conn, index_id)
    while batch := cursor.fetchmany(_BLOCK):
        block = np.empty((len(batch), dimension), dtype=np.float32)
        for i, (_, blob) in enumerate(batch):
            block[i] = np.frombuffer(blob, dtype="<f4")
        yield [str(r[0]) for r in batch], block


def _remove(directory: Path, stems: set[str]) -> None:
    for stem in stems:
        for path in [*_paths(directory, stem), directory / (stem + _GRAPH_SUFFIX)]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _stems(directory: Path, index_id: int) -> set[str]:
    prefix = f"index-{index_id}-"
    return {
        p.name.split(".", 1)[0] for p in directory.glob(prefix + "*") if p.name.startswith(prefix)
    }


def write_checkpoint(
    storage: Storage,
    directory: Path,
    index_id: int,
    *,
    min_vectors: int,
    min_changes: int = 0,
    cache: IndexCache | None = None,
) -> bool:
    """Write a new checkpoint of one index when it changed since the last one.

    Args:
        storage: The store's SQLite storage.
        directory: The vector file directory.
        index_id: The index.
        min_vectors: Skip indexes with fewer vectors (reading them is fast anyway).
        min_changes: Skip an index with a checkpoint when fewer keys changed since
            (a reader reads those from SQLite).
        cache: This process's open cache of the index; one with an approximate graph
            is checkpointed from memory, graph included.

    Returns:
        Whether a new checkpoint was committed.
    """
    plan = _plan(storage, directory, index_id, cache, min_changes)
    if plan is None:
        return False
    if plan.from_memory:
        assert cache is not None  # noqa: S101 - planned from it
        return _checkpoint_graph(storage, directory, cache)
    with storage.read() as conn:
        count = sql.count_vectors(conn, index_id)
        if count < max(1, min_vectors):
            return False
        directory.mkdir(exist_ok=True)
        stem = f"index-{index_id}-{secrets.token_hex(8)}"
        try:
            blocks = _blocks(conn, index_id, plan.dimension)
            _write_files(directory, stem, blocks, count, plan.dimension, plan.metric)
        except BaseException:
            _remove(directory, {stem})
            raise
    try:
        return _commit(storage, directory, index_id, stem, plan.version, count)
    except BaseException:
        _remove(directory, {stem})  # e.g. the database is read-only
        raise


@dataclass
class _Plan:
    """What a new checkpoint of an index is written from."""

    version: int
    metric: str
    dimension: int
    from_memory: bool


def _plan(
    storage: Storage,
    directory: Path,
    index_id: int,
    cache: IndexCache | None,
    min_changes: int,
) -> _Plan | None:
    """How to checkpoint an index now, or ``None`` when it is not to be checkpointed."""
    with storage.read() as conn:
        shape = sql.index_shape(conn, index_id)
        if shape is None:
            return None
        version, metric, dimension = shape
        current = checkpoint_storage.checkpoint_row(conn, index_id)
        if current is not None and (
            current[0] == version
            or (min_changes and checkpoint_storage.count_changes(conn, index_id) < min_changes)
        ):
            return None
    from_memory = cache is not None and cache.graph is not None
    if from_memory and cache is not None and cache.version != version:
        return None  # written by another process meanwhile: its writer saves it
    if not from_memory and current is not None and _is_graph(directory, current[2]):
        return None  # its rows are in the graph file only: a process with the graph saves it
    return _Plan(version, metric, dimension, from_memory)


def _commit(
    storage: Storage,
    directory: Path,
    index_id: int,
    stem: str,
    version: int,
    count: int,
    *,
    release: bool = False,
) -> bool:
    """Record a written checkpoint, unless the index moved on meanwhile.

    ``release``: the checkpoint holds the rows as written (a graph checkpoint), so the
    same transaction drops their data from SQLite: the vectors are then stored once.
    """
    with storage.transaction() as conn:
        now = sql.version(conn, index_id)
        mine = _complete(directory, stem)
        if now is None or now != version or not mine:
            _remove(directory, {stem})  # written meanwhile, or superseded: try again later
            return False
        old = checkpoint_storage.checkpoint_row(conn, index_id)
        released = release and checkpoint_storage.data_releasable(conn)
        changed: list[str] | None = None
        if released:
            since = old is not None and _is_graph(directory, old[2])
            changed = checkpoint_storage.changed_keys(conn, index_id) if since else None
            checkpoint_storage.release_vector_data(conn, index_id, changed)
        checkpoint_storage.record_checkpoint(conn, index_id, version, count, stem)
        # Files no committed row names (a crashed or superseded writer's) go now.
        keep = {stem} | ({old[2]} if old is not None else set())
        _remove(directory, _stems(directory, index_id) - keep)
    if old is not None and old[2] != stem:
        _remove(directory, {old[2]})
    if released:
        _reclaim(storage, compact=changed is None)
    return True


def _reclaim(storage: Storage, *, compact: bool) -> None:
    """Shrink the database after releasing data; a busy store is left for next time."""
    with storage.lock:
        try:
            checkpoint_storage.reclaim_free_pages(storage.conn, compact=compact)
        except sqlite3.Error as exc:
            logger.debug("database not compacted: %s", exc)


def _is_graph(directory: Path, stem: str) -> bool:
    """Whether a checkpoint is a graph checkpoint (the only copy of its rows)."""
    return (directory / (stem + _GRAPH_SUFFIX)).exists()


def _checkpoint_graph(storage: Storage, directory: Path, cache: IndexCache) -> bool:
    """Checkpoint an index with a graph from memory: graph and rows, norms, keys."""
    cache.grow_graph(force=True)
    graph = cache.graph
    assert graph is not None  # noqa: S101 - the caller checked
    count = cache.count
    if graph.size != count:
        msg = "the approximate graph does not cover the index"
        raise RuntimeError(msg)
    directory.mkdir(exist_ok=True)
    stem = f"index-{cache.index_id}-{secrets.token_hex(8)}"
    _, norms_path, offsets_path, keys_path = _paths(directory, stem)
    graph_path = directory / (stem + _GRAPH_SUFFIX)
    try:
        graph.save(graph_path)
        offset = cache.base_count
        np.save(norms_path, np.concatenate([cache.base_sqnorms, cache.sqnorms[: count - offset]]))
        offsets, blob = _key_block(cache)
        np.save(offsets_path, offsets)
        keys_path.write_bytes(blob.tobytes())
        for path in (graph_path, norms_path, offsets_path, keys_path):
            _fsync(path)
        _fsync(directory)
    except BaseException:
        _remove(directory, {stem})
        raise
    try:
        return _commit(storage, directory, cache.index_id, stem, cache.version, count, release=True)
    except BaseException:
        _remove(directory, {stem})
        raise


def _key_block(cache: IndexCache) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Key offsets and bytes of every position, an empty key for a deleted one."""
    live = cache.live[: cache.count]
    offset = cache.base_count
    parts: list[npt.NDArray[np.uint8]] = []
    lengths = np.zeros(cache.count, dtype=np.int64)
    base = cache.keys.base
    if base is not None and offset:
        base_lengths = np.diff(base.offsets)
        base_lengths[~live[:offset]] = 0
        parts.append(base.blob[np.repeat(live[:offset], np.diff(base.offsets))])
        lengths[:offset] = base_lengths
    encoded = [
        key.encode("utf-8") if live[offset + i] else b""
        for i, key in enumerate(cache.keys.extra[: cache.count - offset])
    ]
    parts.append(np.frombuffer(b"".join(encoded), dtype=np.uint8))
    lengths[offset:] = [len(e) for e in encoded]
    offsets = np.zeros(cache.count + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets, np.concatenate(parts)


def integrity_problems(conn: sqlite3.Connection, directory: Path | None) -> list[str]:
    """One line per index whose vectors live in a checkpoint that cannot be opened."""
    if directory is None:
        return []
    problems = []
    for index_id, stem, count in checkpoint_storage.released_counts(conn):
        shape = sql.index_shape(conn, index_id)
        graph = directory / (stem + _GRAPH_SUFFIX)
        try:
            whole = (
                shape is not None
                and _complete(directory, stem)
                and ann.map_rows(graph, _checkpoint_count(conn, index_id), shape[2]) is not None
            )
        except (OSError, ValueError):
            whole = False
        if not whole:
            problems.append(
                f"vector file {graph.name}: missing or damaged; it holds the only copy of "
                f"{count} vectors of index {index_id} (restore it from a backup)"
            )
    return problems


def _checkpoint_count(conn: sqlite3.Connection, index_id: int) -> int:
    row = checkpoint_storage.checkpoint_row(conn, index_id)
    return -1 if row is None else row[1]


def drop_checkpoints(storage: Storage, directory: Path) -> None:
    """Forget the checkpoints of indexes that no longer exist, and their files."""
    with storage.transaction() as conn:
        gone = checkpoint_storage.forget_orphan_checkpoints(conn)
    for index_id in gone:
        _remove(directory, _stems(directory, index_id))


def checkpoint_all(
    storage: Storage,
    *,
    min_vectors: int = 0,
    min_changes: int = 0,
    caches: IndexCaches | None = None,
) -> int:
    """Checkpoint every index of a store changed since its last checkpoint.

    ``min_vectors``, ``min_changes``: see :func:`write_checkpoint`; ``caches``: this
    process's open indexes (those with a graph are saved from memory).

    Returns:
        How many indexes got a new checkpoint (always 0 in memory or read-only).
    """
    directory = storage.vector_dir
    if directory is None or storage.read_only:
        return 0
    with storage.read() as conn:
        ids = sql.index_ids(conn)
    written = sum(
        write_checkpoint(
            storage,
            directory,
            index_id,
            min_vectors=min_vectors,
            min_changes=min_changes,
            cache=None if caches is None else caches.opened(index_id),
        )
        for index_id in ids
    )
    if directory.exists():
        drop_checkpoints(storage, directory)
    return written


def checkpoint_on_close(storage: Storage, caches: IndexCaches | None = None) -> None:
    """Checkpoint, before closing, the indexes of at least :data:`CHECKPOINT_MIN_VECTORS`.

    Only a store this process wrote to is checkpointed; a reader, or a store that cannot
    be written (read-only files), is left as it is.
    """
    try:
        if storage.wrote:
            checkpoint_all(
                storage,
                min_vectors=CHECKPOINT_MIN_VECTORS,
                min_changes=CLOSE_MIN_CHANGES,
                caches=caches,
            )
    except (sqlite3.Error, OSError) as exc:
        logger.debug("vector checkpoint skipped: %s", exc)
