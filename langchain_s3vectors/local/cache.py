"""The in-memory search state of each index: its vectors, keys and filter columns.

Each index is searched as one float32 matrix (unit-normalised rows for cosine, raw rows
plus squared norms for euclidean): the memory-mapped checkpoint of
:mod:`~langchain_s3vectors.local.vectorfile` (opened in constant time, paged in by the
operating system) plus, in memory, the rows written since it, read from SQLite on open
and kept in step with this process's own writes. Without a checkpoint every row is read
from SQLite on first use. Another process's write (seen as a new data version) triggers
a reopen (:class:`IndexCaches`). A query is one matrix-vector product and an
``argpartition``: exact k-nearest neighbours.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from langchain_s3vectors.local import ann, checkpoint_storage, storage
from langchain_s3vectors.local.columns import Column, filter_mask, load_column
from langchain_s3vectors.local.vectorfile import (
    Checkpoint,
    KeyFile,
    open_checkpoint,
    prepare_rows,
)

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable
    from pathlib import Path

    from langchain_s3vectors.local.storage import Storage

logger = logging.getLogger(__name__)

#: Rows handed to the graph per step while it is built.
_GRAPH_BLOCK = 16_384

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


class KeyList:
    """Position -> key: checkpoint keys (decoded on demand), then in-memory keys."""

    def __init__(self, base: KeyFile | None = None, extra: list[str] | None = None) -> None:
        """Checkpoint keys first, then keys held in memory."""
        self.base = base
        self.base_count = 0 if base is None else len(base)
        self.extra: list[str] = [] if extra is None else extra

    def __len__(self) -> int:
        """Number of positions."""
        return self.base_count + len(self.extra)

    def __getitem__(self, position: int) -> str:
        """The key at ``position``."""
        if position < self.base_count:
            assert self.base is not None  # noqa: S101 - base_count > 0
            return self.base[int(position)]
        return self.extra[int(position) - self.base_count]

    def append(self, key: str) -> None:
        """Add a key at the next position."""
        self.extra.append(key)


@dataclass
class IndexCache:
    """In-memory state of one index: vectors, keys, and filter columns.

    Positions ``[0, base_count)`` are the rows of a memory-mapped checkpoint
    (:mod:`~langchain_s3vectors.local.vectorfile`), read-only and shared with the page
    cache; positions from ``base_count`` on are rows held in memory (``matrix``). An
    upsert of a checkpoint row or a delete only clears the position in ``live``, so
    the mapped file is never written.

    With ``approximate`` on, an index of at least ``ann.ANN_MIN_VECTORS`` live rows
    also has a ``graph`` over positions ``[0, graph.size)``; those positions are never
    written in place (an upsert clears the old position and appends), and the rows
    after them are handed to the graph once there are ``ann.TAIL_MAX`` of them.

    ``raw``: rows are kept as written (cosine rows are not scaled to unit length;
    ``sqnorms`` holds their squared norms and a cosine is divided by the norm when
    scored). Indexes with a graph are raw, because their checkpoint is the only copy
    of their vectors (:mod:`.vectorfile`).
    """

    index_id: int
    version: int
    metric: str
    dimension: int
    keys: KeyList
    matrix: FloatArray
    sqnorms: FloatArray
    count: int
    base: FloatArray = field(default_factory=lambda: np.empty((0, 0), dtype=np.float32))
    base_sqnorms: FloatArray = field(default_factory=lambda: np.empty(0, dtype=np.float32))
    live: BoolArray = field(default_factory=lambda: np.ones(0, dtype=np.bool_))
    dead: int = 0
    columns: dict[str, Column] = field(default_factory=dict)
    approximate: bool = False
    raw: bool = False
    graph: ann.Graph | None = None
    _positions: dict[str, int] | None = None

    @property
    def base_count(self) -> int:
        """Rows in the memory-mapped checkpoint."""
        return self.keys.base_count

    @property
    def positions(self) -> dict[str, int]:
        """Key -> position of every live row (built on first use)."""
        if self._positions is None:
            base = self.keys.base.all() if self.keys.base is not None else []
            live = self.live
            self._positions = {k: i for i, k in enumerate(base) if live[i]}
            offset = self.keys.base_count
            for i, key in enumerate(self.keys.extra, start=offset):
                if live[i]:
                    self._positions[key] = i
        return self._positions

    @classmethod
    def load(
        cls,
        conn: sqlite3.Connection,
        index_id: int,
        version: int,
        metric: str,
        dimension: int,
        *,
        vector_dir: Path | None = None,
        approximate: bool = False,
        raw: bool = False,
    ) -> IndexCache:
        """Open an index: map its checkpoint when it has one, else read SQLite.

        Args:
            conn: A read transaction.
            index_id: The index.
            version: Its data version.
            metric: Its distance metric.
            dimension: Its dimension.
            vector_dir: The store's vector files (``None`` in memory).
            approximate: Search through the checkpoint's graph, if it has one (a
                graph is otherwise built on this process's writes).
            raw: Keep rows as written (a checkpoint with a graph is always raw;
                one without is then passed over, and SQLite read instead).
        """
        if vector_dir is not None:
            checkpoint = open_checkpoint(conn, vector_dir, index_id, dimension, graph=approximate)
            if checkpoint is not None and (checkpoint.raw or not raw):
                cache = cls._from_checkpoint(conn, checkpoint, index_id, version, metric)
                cache.approximate = approximate
                return cache
        keys, matrix = _read_rows(conn, index_id, dimension)
        cache = cls(
            index_id=index_id,
            version=version,
            metric=metric,
            dimension=dimension,
            keys=KeyList(None, keys),
            matrix=matrix,
            sqnorms=prepare_rows(matrix, "euclidean" if raw else metric),
            count=len(keys),
            live=np.ones(len(keys), dtype=np.bool_),
            approximate=approximate,
            raw=raw,
        )
        cache._positions = {k: i for i, k in enumerate(keys)}
        return cache

    @classmethod
    def _from_checkpoint(
        cls,
        conn: sqlite3.Connection,
        checkpoint: Checkpoint,
        index_id: int,
        version: int,
        metric: str,
    ) -> IndexCache:
        """Map a checkpoint, then apply the rows written since it from SQLite."""
        count = int(checkpoint.rows.shape[0])
        dimension = int(checkpoint.rows.shape[1])
        cache = cls(
            index_id=index_id,
            version=version,
            metric=metric,
            dimension=dimension,
            keys=KeyList(checkpoint.keys),
            matrix=np.empty((0, dimension), dtype=np.float32),
            sqnorms=np.empty(0, dtype=np.float32),
            count=count,
            base=checkpoint.rows,
            base_sqnorms=checkpoint.sqnorms,
            live=checkpoint.keys.present(),
            raw=checkpoint.raw,
            graph=checkpoint.graph,
        )
        cache.dead = count - int(np.count_nonzero(cache.live))
        changed = checkpoint_storage.changed_keys(conn, index_id)
        if changed:
            cache.apply_delete(changed)
            for start in range(0, len(changed), 500):
                rows = storage.data_by_key(conn, index_id, changed[start : start + 500])
                if rows:
                    data = np.stack([np.frombuffer(r[1], dtype="<f4") for r in rows])
                    cache.apply_put([str(r[0]) for r in rows], data)
        return cache

    # -- keeping in step with this process's writes ----------------------------------

    def apply_put(self, keys: list[str], data: FloatArray) -> None:
        """Upsert rows (``data`` is raw float32, shape ``(len(keys), dimension)``)."""
        self.columns.clear()
        positions = self.positions
        latest = {key: i for i, key in enumerate(keys)}
        offset = self.base_count
        fixed = max(offset, self.graph_size)  # positions below are never written in place
        new_rows: list[int] = []
        for key, i in latest.items():
            pos = positions.get(key)
            if pos is not None and pos >= fixed:
                block = np.array(data[i : i + 1], dtype=np.float32)
                self.sqnorms[pos - offset] = self._prepare(block)[0]
                self.matrix[pos - offset] = block[0]
                continue
            if pos is not None:
                self.live[pos] = False
                self.dead += 1
            new_rows.append(i)
        if not new_rows:
            return
        start = self.count - offset
        needed = start + len(new_rows)
        if needed > self.matrix.shape[0]:
            capacity = max(needed, int(self.matrix.shape[0] * 1.25) + 16)
            grown = np.empty((capacity, self.dimension), dtype=np.float32)
            grown[:start] = self.matrix[:start]
            self.matrix = grown
            norms = np.empty(capacity, dtype=np.float32)
            norms[:start] = self.sqnorms[:start]
            self.sqnorms = norms
        block = np.array(data[new_rows], dtype=np.float32)
        self.sqnorms[start:needed] = self._prepare(block)
        self.matrix[start:needed] = block
        live = np.ones(offset + needed, dtype=np.bool_)
        live[: self.count] = self.live[: self.count]
        self.live = live
        for n, i in enumerate(new_rows):
            self.keys.append(keys[i])
            positions[keys[i]] = offset + start + n
        self.count = offset + needed
        self.grow_graph()

    def _prepare(self, block: FloatArray) -> FloatArray:
        """Turn written rows into search rows in place; return their squared norms."""
        return prepare_rows(block, "euclidean" if self.raw else self.metric)

    # -- the approximate graph ----------------------------------------------------------

    @property
    def graph_size(self) -> int:
        """Positions covered by the graph (0 without one)."""
        return 0 if self.graph is None else self.graph.size

    def rows(self, start: int, stop: int) -> FloatArray:
        """Search rows of positions ``[start, stop)`` (mapped or in memory)."""
        offset = self.base_count
        parts = []
        if start < offset:
            parts.append(np.asarray(self.base[start : min(stop, offset)]))
        if stop > offset:
            parts.append(self.matrix[max(start, offset) - offset : stop - offset])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    @property
    def wants_graph(self) -> bool:
        """Whether the index has grown large enough for a graph and has none yet."""
        live = self.count - self.dead
        return self.approximate and self.graph is None and live >= ann.ANN_MIN_VECTORS

    def build_graph(self) -> None:
        """Build the graph over every row (of a raw cache)."""
        logger.info("building the approximate index of %d vectors", self.count)
        self.graph = ann.Graph.new(self.dimension, self.metric)
        self.grow_graph(force=True)

    def grow_graph(self, *, force: bool = False) -> None:
        """Hand the rows after the graph to it once there are ``ann.TAIL_MAX`` of them.

        ``force``: hand it every row now (before a checkpoint saves it).
        """
        size = self.graph_size
        if self.graph is None or self.count - size < (1 if force else ann.TAIL_MAX):
            return
        for start in range(size, self.count, _GRAPH_BLOCK):
            stop = min(start + _GRAPH_BLOCK, self.count)
            self.graph.add(start, self.rows(start, stop))

    def apply_delete(self, keys: list[str]) -> None:
        """Remove rows (their positions stay, marked not live)."""
        self.columns.clear()
        positions = self.positions
        for key in keys:
            pos = positions.pop(key, None)
            if pos is not None:
                self.live[pos] = False
                self.dead += 1

    # -- filters ------------------------------------------------------------------------

    def filter_mask(self, conn: sqlite3.Connection, flt: dict[str, Any]) -> BoolArray:
        """Evaluate a validated filter over every row (see :mod:`.columns`)."""

        def column(key: str) -> Column:
            col = self.columns.get(key)
            if col is None:
                col = load_column(conn, self.index_id, key, self.count, self.positions)
                self.columns[key] = col
            return col

        return filter_mask(flt, column, self.count)

    # -- ranking ------------------------------------------------------------------------

    def _scores(self, query: FloatArray, rows: npt.NDArray[np.intp] | None) -> FloatArray:
        """``row @ query`` for every position (or ``rows``), mapped rows included."""
        offset = self.base_count
        extra = self.matrix[: self.count - offset]
        if rows is None:
            if offset == 0:
                whole: FloatArray = extra @ query
                return whole
            return np.concatenate([self.base @ query, extra @ query])
        out = np.empty(rows.shape[0], dtype=np.float32)
        in_base = rows < offset
        if in_base.any():
            out[in_base] = self.base[rows[in_base]] @ query
        if not in_base.all():
            out[~in_base] = extra[rows[~in_base] - offset] @ query
        return out

    def _sqnorms(self, rows: npt.NDArray[np.intp] | None) -> FloatArray:
        offset = self.base_count
        extra = self.sqnorms[: self.count - offset]
        norms: FloatArray = np.concatenate([self.base_sqnorms, extra]) if offset else extra
        return norms if rows is None else norms[rows]

    def distances(
        self, query: FloatArray, rows_subset: npt.NDArray[np.intp] | None = None
    ) -> FloatArray:
        """Distances from a query to every position, or to ``rows_subset``.

        Cosine: ``1 - cos``; euclidean: the L2 distance.
        """
        if self.metric == "cosine":
            q = query / np.float32(np.linalg.norm(query))
            scores = self._scores(q, rows_subset)
            if self.raw:
                norms = np.sqrt(self._sqnorms(rows_subset))
                np.divide(scores, norms, out=scores, where=norms > 0)
            cosine: FloatArray = np.float32(1.0) - scores
            return cosine
        sq: FloatArray = (
            self._sqnorms(rows_subset)
            - np.float32(2.0) * self._scores(query, rows_subset)
            + query @ query
        )
        np.maximum(sq, 0, out=sq)
        np.sqrt(sq, out=sq)
        return sq

    def nearest(
        self, query: FloatArray, k: int, mask: BoolArray | None, *, depth: int = 0
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Return (positions, distances) of the ``k`` nearest live rows allowed by ``mask``.

        ``depth`` (at least ``k``): how deep the whole request goes, so that each page
        of a paged query is cut from the same approximate candidates.
        """
        if self.count == 0 or k <= 0:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
        if self.graph is not None:
            found = ann.nearest(self, query, k, mask, max(k, depth))
            if found is not None:
                return found
        if self.dead:
            live = self.live[: self.count]
            mask = live if mask is None else mask & live
        candidates = None
        if mask is not None:
            candidates = np.flatnonzero(mask)
            if candidates.size == 0:
                return candidates, np.empty(0, dtype=np.float32)
            if candidates.size * 3 < self.count:
                # Selective filter: score only the matching rows.
                sub = self.distances(query, candidates)
            else:
                sub = self.distances(query)[candidates]
        else:
            sub = self.distances(query)
        k = min(k, sub.shape[0])
        part = np.argpartition(sub, k - 1)[:k] if k < sub.shape[0] else np.arange(sub.shape[0])
        order = part[np.lexsort((part, sub[part]))]
        positions = order if candidates is None else candidates[order]
        return positions, sub[order]


class IndexCaches:
    """The :class:`IndexCache` of each index this process has searched or written.

    Args:
        storage: The store (its vector file directory is ``None`` in memory).
        approximate: Search large indexes through a graph (:mod:`.ann`). A writing
            process then keeps the cache of each index it writes, so that its graph
            grows with the writes instead of being built all at once.
    """

    def __init__(self, storage: Storage, *, approximate: bool = False) -> None:
        """Start with no index open."""
        self._storage = storage
        self._vector_dir = storage.vector_dir
        self.approximate = approximate
        self._caches: dict[int, IndexCache] = {}
        self._estimates: dict[int, int] = {}

    def get(self, conn: sqlite3.Connection, row: dict[str, Any]) -> IndexCache:
        """The cache of an index row, (re)opened when the index's data version moved."""
        cache = self._caches.get(row["id"])
        if cache is None or cache.version != row["version"]:
            cache = IndexCache.load(
                conn,
                row["id"],
                row["version"],
                row["metric"],
                row["dimension"],
                vector_dir=self._vector_dir,
                approximate=self.approximate,
            )
            self._caches[row["id"]] = cache
        return cache

    def with_data(
        self, conn: sqlite3.Connection, row: dict[str, Any], records: list[tuple[Any, ...]]
    ) -> list[tuple[Any, ...]]:
        """``(key, data, ...)`` records with the data their checkpoint holds filled in.

        An index with a graph keeps its vectors only in its checkpoint (SQLite's
        ``data`` is then ``NULL``); a record whose vector cannot be found at all (its
        checkpoint's files are gone) gets a ``RuntimeError``.
        """
        if all(record[1] is not None for record in records):
            return records
        cache = self.get(conn, row)
        filled = []
        for record in records:
            if record[1] is None:
                position = cache.positions.get(record[0])
                if position is None or not cache.raw:
                    msg = f"the vector {record[0]!r} has no data: its vector file is missing"
                    raise RuntimeError(msg)
                data = cache.rows(position, position + 1)[0].astype("<f4").tobytes()
                record = (record[0], data, *record[2:])  # noqa: PLW2901 - the filled copy
            filled.append(record)
        return filled

    def opened(self, index_id: int) -> IndexCache | None:
        """The cache of an index, if this process has it open."""
        return self._caches.get(index_id)

    def after_write(
        self,
        index_id: int,
        before: int,
        after: int,
        update: Callable[[IndexCache], None],
        *,
        added: int = 0,
    ) -> None:
        """Apply this process's write to an open cache, or drop it if it missed one.

        ``added``: how many vectors the write may have added. With ``approximate`` on,
        an index not open yet is opened once it may have reached the graph's size, and
        kept open from then on, so that its graph grows with this process's writes.
        """
        cache = self._caches.get(index_id)
        if cache is None:
            if self.approximate and added:
                self._track(index_id, added)
            return
        if cache.version == before:
            update(cache)
            cache.version = after
            if cache.wants_graph:
                self._open_with_graph(index_id)
        else:
            del self._caches[index_id]

    def drop(self, index_id: int) -> None:
        """Forget a deleted index."""
        self._caches.pop(index_id, None)
        self._estimates.pop(index_id, None)

    def _track(self, index_id: int, added: int) -> None:
        """Count what this process adds to an index it has not opened.

        The index is opened, with a graph, once it may have reached
        ``ann.ANN_MIN_VECTORS`` vectors.
        """
        estimate = self._estimates.get(index_id)
        if estimate is None:
            with self._storage.read() as conn:
                estimate = storage.count_vectors(conn, index_id)
        else:
            estimate += added
        self._estimates[index_id] = estimate
        if estimate >= ann.ANN_MIN_VECTORS:
            del self._estimates[index_id]
            self._open_with_graph(index_id)

    def _open_with_graph(self, index_id: int) -> None:
        """Reopen an index that reached the graph's size with raw rows, and build it."""
        with self._storage.read() as conn:
            shape = storage.index_shape(conn, index_id)
            if shape is None:
                return
            version, metric, dimension = shape
            cache = IndexCache.load(
                conn,
                index_id,
                version,
                metric,
                dimension,
                vector_dir=self._vector_dir,
                approximate=True,
                raw=True,
            )
        if cache.graph is None:
            cache.build_graph()
        self._caches[index_id] = cache


def _read_rows(
    conn: sqlite3.Connection, index_id: int, dimension: int
) -> tuple[list[str], FloatArray]:
    """Every key and vector of an index, read from SQLite in rowid order."""
    matrix = np.empty((storage.count_vectors(conn, index_id), dimension), dtype=np.float32)
    keys: list[str] = []
    cursor = storage.all_vectors(conn, index_id)
    while batch := cursor.fetchmany(2048):
        for key, blob in batch:
            if blob is None:  # kept only in a checkpoint whose files are gone
                logger.error("vector %r of index %d has no data", key, index_id)
                continue
            matrix[len(keys)] = np.frombuffer(blob, dtype="<f4")
            keys.append(key)
    return keys, matrix[: len(keys)]
