"""Approximate nearest neighbours for large indexes of the embedded client.

Below :data:`ANN_MIN_VECTORS` vectors an index is searched exactly (one matrix-vector
product): that takes a few milliseconds and is what the embedded client always did.
From that size on, when the ``ann`` extra (`usearch <https://github.com/unum-cloud/usearch>`_,
an HNSW graph library) is installed, each index also keeps a :class:`Graph` over its
search rows, and a query is answered in three steps (:mod:`.cache`):

1. the graph proposes candidates: at least :data:`MIN_CANDIDATES`, and more when a
   filter lets only a fraction of the index through, so that enough of them pass it;
2. the rows written since the graph last grew (at most :data:`TAIL_MAX`) are scored
   exactly, so a query right after a write sees it, as on the service;
3. every candidate gets its exact distance, and the best are returned in the same order
   and with the same distances exact search would give them.

A filter that lets few rows through (at most :data:`EXACT_SUBSET_MAX`) is searched
exactly over those rows, and so is a request for more than :data:`MAX_CANDIDATES`
results: a selective filter never returns fewer or worse results than exact search.
``LocalS3VectorsClient(..., exact_search=True)`` searches exactly at every size.

The graph's node ``i`` is the index's row position ``i``; rows are added in position
order and never removed from it (a deleted or overwritten row stays in the graph and is
skipped), so a saved graph's vector block is the index's search matrix itself: a
checkpoint (:mod:`.vectorfile`) memory-maps that block for exact search and the graph
for approximate search, and stores the rows once.

The service documents no search algorithm; the threshold, the graph parameters and the
candidate counts are this client's own choices, measured in ``benchmarks/ann_scale.py``.
"""

from __future__ import annotations

import importlib.util
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from pathlib import Path

    from langchain_s3vectors.local.cache import IndexCache

#: Indexes with fewer vectors are searched exactly.
ANN_MIN_VECTORS = 50_000
#: Rows written since the graph last grew, scored exactly, before the graph takes them.
TAIL_MAX = 2_048
#: A filter letting at most this many rows through is searched exactly over them.
EXACT_SUBSET_MAX = 20_000
#: The fewest candidates the graph proposes for one query.
MIN_CANDIDATES = 64
#: Above this many candidates (a large ``topK``, a very selective filter), search exactly.
MAX_CANDIDATES = 4_096
#: Graph degree (HNSW ``M``) and the breadth of the search while building it.
CONNECTIVITY = 16
EXPANSION_ADD = 96
#: Breadth of the graph search per query (never less than the candidates asked for).
EXPANSION_SEARCH = 112

#: Bytes before the vector block of a saved usearch index: its row count and row size.
_MATRIX_HEADER = 8

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.intp]


def available() -> bool:
    """Whether the graph library (the ``ann`` extra) is installed."""
    return importlib.util.find_spec("usearch") is not None


def _metric(metric: str) -> str:
    # Rows are stored as written (the graph file is their only copy), so cosine it is.
    return "cos" if metric == "cosine" else "l2sq"


class Graph:
    """An HNSW graph over an index's search rows ``[0, size)``.

    Args:
        index: The usearch index (in memory, or a read-only view of a file).
        viewed: Whether ``index`` is a memory-mapped view (it cannot grow).
    """

    def __init__(self, index: Any, *, viewed: bool = False) -> None:
        """Wrap a usearch index."""
        self._index = index
        self._viewed = viewed

    @classmethod
    def new(cls, dimension: int, metric: str) -> Graph:
        """An empty graph for rows of ``dimension`` floats compared by ``metric``."""
        from usearch.index import Index  # noqa: PLC0415 - the optional extra

        index = Index(
            ndim=dimension,
            metric=_metric(metric),
            dtype="f32",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
        )
        return cls(index)

    @property
    def size(self) -> int:
        """Rows in the graph (positions ``0 .. size - 1``)."""
        return int(self._index.size)

    def add(self, start: int, rows: FloatArray) -> None:
        """Add ``rows`` as positions ``start, start + 1, ...`` (``start`` is :attr:`size`)."""
        if self._viewed:  # a mapped file cannot grow: copy it into memory first
            self._index = self._index.copy()
            self._viewed = False
        keys = np.arange(start, start + rows.shape[0], dtype=np.uint64)
        # One thread: the graph then stores row ``i`` in slot ``i``, so its saved vector
        # block is the search matrix in position order (several threads take slots in
        # the order they finish).
        self._index.add(keys, np.ascontiguousarray(rows, dtype=np.float32), threads=1)

    def search(self, query: FloatArray, count: int) -> IntArray:
        """Positions of about the ``count`` nearest rows (unordered, approximate)."""
        count = min(count, self.size)
        if count <= 0:
            return np.empty(0, dtype=np.intp)
        self._index.expansion_search = max(EXPANSION_SEARCH, count)
        found = self._index.search(query, count, threads=1)
        keys: IntArray = np.asarray(found.keys, dtype=np.intp)
        return keys

    def save(self, path: Path) -> None:
        """Write the graph (and its rows) to ``path``."""
        self._index.save(str(path))

    @classmethod
    def view(cls, path: Path, count: int, dimension: int) -> tuple[Graph, FloatArray] | None:
        """Map a saved graph and its row block; ``None`` when the file does not match.

        Returns:
            The graph and a read-only ``(count, dimension)`` float32 view of its rows.
        """
        from usearch.index import Index  # noqa: PLC0415 - the optional extra

        rows = map_rows(path, count, dimension)
        if rows is None:
            return None
        index = Index.restore(str(path), view=True)
        if index is None or int(index.size) != count or int(index.ndim) != dimension:
            return None
        for position in np.unique(np.linspace(0, count - 1, num=min(count, 33), dtype=np.int64)):
            stored = np.asarray(index.get(np.uint64(position)), dtype=np.float32)
            if not np.array_equal(stored.reshape(-1), rows[position]):
                return None
        return cls(index, viewed=True), rows


def map_rows(path: Path, count: int, dimension: int) -> FloatArray | None:
    """Map the vector block of a saved graph (no graph library needed).

    ``None`` when the file's header does not announce ``count`` rows of ``dimension``
    float32 values.
    """
    header = np.fromfile(path, dtype="<u4", count=2)
    if header.shape != (2,) or int(header[0]) != count or int(header[1]) != 4 * dimension:
        return None
    if count == 0:
        return np.empty((0, dimension), dtype=np.float32)
    rows: FloatArray = np.memmap(
        path, dtype=np.float32, mode="r", offset=_MATRIX_HEADER, shape=(count, dimension)
    )
    return rows


def nearest(
    cache: IndexCache, query: FloatArray, k: int, mask: npt.NDArray[np.bool_] | None, depth: int
) -> tuple[npt.NDArray[np.intp], FloatArray] | None:
    """The nearest ``k`` positions of an index with a graph (see the module docstring).

    The graph's candidates plus the rows after it, ranked exactly; ``depth`` is how
    deep the whole request goes (each page is cut from the same candidates).

    ``None`` when exact search is the better answer: a filter letting few rows
    through, or more candidates asked for than ``MAX_CANDIDATES``.
    """
    graph = cache.graph
    assert graph is not None  # noqa: S101 - the caller checked
    count = cache.count
    allowed = mask
    if cache.dead:
        live = cache.live[:count]
        allowed = live if mask is None else mask & live
    share = 1.0
    if allowed is not None:
        passing = int(np.count_nonzero(allowed))
        if passing <= EXACT_SUBSET_MAX:
            return None
        share = passing / count
    fetch = max(MIN_CANDIDATES, math.ceil(2 * depth / share))
    size = graph.size
    probe = query / np.float32(np.linalg.norm(query)) if cache.metric == "cosine" else query
    while True:
        if fetch > MAX_CANDIDATES:
            return None
        found = graph.search(probe.astype(np.float32, copy=False), fetch)
        if allowed is not None:
            found = found[allowed[found]]
        if found.shape[0] >= depth or fetch >= size:
            break
        fetch *= 4
    tail = np.arange(size, count, dtype=np.intp)
    if allowed is not None:
        tail = tail[allowed[size:count]]
    positions = np.concatenate([found, tail])
    dist = cache.distances(query, positions)
    order = np.lexsort((positions, dist))[:k]
    return positions[order], dist[order]
