"""Exact search for the embedded S3 Vectors client.

* **Vectors**: each index is searched as one float32 matrix (unit-normalised rows for
  cosine, raw rows plus squared norms for euclidean): the memory-mapped checkpoint of
  :mod:`~langchain_s3vectors.local.vectorfile` (opened in constant time, paged in by
  the operating system) plus, in memory, the rows written since it, read from SQLite
  on open and kept in step with this process's own writes. Without a checkpoint every
  row is read from SQLite on first use. Another process's write (seen as a new data
  version) triggers a reopen. A query is one matrix-vector product and an
  ``argpartition``: exact k-nearest neighbours.
* **Filters**: per metadata key, a columnar view (numbers, dictionary-encoded strings,
  booleans, list values) built on first use, so a filter is a few vectorised
  comparisons, evaluated *before* ranking (ENHANCED mode semantics).
* **Full text**: one SQLite FTS5 table per text-searchable metadata key, ranked by
  FTS5's ``bm25()`` (k1 = 1.2, b = 0.75). Analysers: ``en`` uses the Porter stemmer
  over ``unicode61``; ``zh``/``ja``/``ko`` use the ``trigram`` tokenizer; every other
  language (and no language) uses ``unicode61`` with diacritics removed.
* **Hybrid**: Reciprocal Rank Fusion, ``fused = sum(1 / (RRF_K + rank))`` over the
  vector ranking and each text ranking (ranks from 1, ``RRF_K = 60``), each ranking
  cut to its best ``FUSION_DEPTH`` candidates.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from langchain_s3vectors.filters import (
    AND,
    EQ,
    EXISTS,
    GT,
    GTE,
    IN,
    LT,
    LTE,
    NE,
    NIN,
    OR,
    STARTS_WITH,
    values_equal,
)
from langchain_s3vectors.limits import RRF_K
from langchain_s3vectors.local.vectorfile import (
    Checkpoint,
    KeyFile,
    changed_keys,
    open_checkpoint,
    prepare_rows,
)

if TYPE_CHECKING:
    import sqlite3
    from pathlib import Path

#: How many candidates each ranking contributes to a hybrid fusion.
FUSION_DEPTH = 100

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


def tokenizer_for(language: str | None) -> str:
    """Return the FTS5 tokenizer clause for an analyser language."""
    if language == "en":
        return "porter unicode61 remove_diacritics 2"
    if language in ("zh", "ja", "ko"):
        return "trigram"
    return "unicode61 remove_diacritics 2"


_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


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


@dataclass
class _Column:
    """A columnar view of one metadata key across an index."""

    present: BoolArray
    numbers: npt.NDArray[np.float64]
    string_codes: npt.NDArray[np.int32]
    string_vocab: dict[str, int]
    booleans: npt.NDArray[np.int8]
    lists: dict[int, list[Any]]


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
    columns: dict[str, _Column] = field(default_factory=dict)
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
    ) -> IndexCache:
        """Open an index: map its checkpoint when it has one, else read SQLite."""
        if vector_dir is not None:
            checkpoint = open_checkpoint(conn, vector_dir, index_id, dimension)
            if checkpoint is not None:
                return cls._from_checkpoint(conn, checkpoint, index_id, version, metric)
        total = conn.execute(
            "SELECT count(*) FROM vectors WHERE index_id = ?", (index_id,)
        ).fetchone()[0]
        matrix = np.empty((total, dimension), dtype=np.float32)
        keys: list[str] = []
        cursor = conn.execute(
            "SELECT key, data FROM vectors WHERE index_id = ? ORDER BY rowid", (index_id,)
        )
        row = 0
        while batch := cursor.fetchmany(2048):
            for key, blob in batch:
                keys.append(key)
                matrix[row] = np.frombuffer(blob, dtype="<f4")
                row += 1
        cache = cls(
            index_id=index_id,
            version=version,
            metric=metric,
            dimension=dimension,
            keys=KeyList(None, keys),
            matrix=matrix,
            sqnorms=prepare_rows(matrix, metric),
            count=len(keys),
            live=np.ones(len(keys), dtype=np.bool_),
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
            live=np.ones(count, dtype=np.bool_),
        )
        changed = changed_keys(conn, index_id)
        if changed:
            cache.apply_delete(changed)
            for start in range(0, len(changed), 500):
                chunk = changed[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT key, data FROM vectors WHERE index_id = ? AND key IN ({marks}) "
                    "ORDER BY rowid",
                    (index_id, *chunk),
                ).fetchall()
                if rows:
                    data = np.stack([np.frombuffer(r[1], dtype="<f4") for r in rows])
                    cache.apply_put([str(r[0]) for r in rows], data)
        return cache

    # -- keeping in step with this process's writes ----------------------------------

    def _row(self, position: int) -> FloatArray:
        if position < self.base_count:
            row: FloatArray = self.base[position]
            return row
        extra: FloatArray = self.matrix[position - self.base_count]
        return extra

    def apply_put(self, keys: list[str], data: FloatArray) -> None:
        """Upsert rows (``data`` is raw float32, shape ``(len(keys), dimension)``)."""
        self.columns.clear()
        positions = self.positions
        latest = {key: i for i, key in enumerate(keys)}
        offset = self.base_count
        new_rows: list[int] = []
        for key, i in latest.items():
            pos = positions.get(key)
            if pos is not None and pos >= offset:
                block = np.array(data[i : i + 1], dtype=np.float32)
                self.sqnorms[pos - offset] = prepare_rows(block, self.metric)[0]
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
        self.sqnorms[start:needed] = prepare_rows(block, self.metric)
        self.matrix[start:needed] = block
        live = np.ones(offset + needed, dtype=np.bool_)
        live[: self.count] = self.live[: self.count]
        self.live = live
        for n, i in enumerate(new_rows):
            self.keys.append(keys[i])
            positions[keys[i]] = offset + start + n
        self.count = offset + needed

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

    def _column(self, conn: sqlite3.Connection, key: str) -> _Column:
        column = self.columns.get(key)
        if column is not None:
            return column
        n = self.count
        present = np.zeros(n, dtype=np.bool_)
        numbers = np.full(n, np.nan, dtype=np.float64)
        codes = np.full(n, -1, dtype=np.int32)
        vocab: dict[str, int] = {}
        booleans = np.full(n, -1, dtype=np.int8)
        lists: dict[int, list[Any]] = {}
        path = "$." + json.dumps(key)
        rows = conn.execute(
            "SELECT key, json_type(metadata, ?), json_extract(metadata, ?) FROM vectors "
            "WHERE index_id = ? AND metadata IS NOT NULL AND json_type(metadata, ?) IS NOT NULL",
            (path, path, self.index_id, path),
        ).fetchall()
        positions = self.positions
        for vkey, jtype, value in rows:
            pos = positions.get(vkey)
            if pos is None:
                continue
            present[pos] = True
            if jtype in ("integer", "real"):
                numbers[pos] = value
            elif jtype == "text":
                code = vocab.get(value)
                if code is None:
                    code = vocab[value] = len(vocab)
                codes[pos] = code
            elif jtype == "true":
                booleans[pos] = 1
            elif jtype == "false":
                booleans[pos] = 0
            elif jtype == "array":
                lists[pos] = json.loads(value)
        column = _Column(present, numbers, codes, vocab, booleans, lists)
        self.columns[key] = column
        return column

    def filter_mask(self, conn: sqlite3.Connection, flt: dict[str, Any]) -> BoolArray:
        """Evaluate a validated filter over every row."""
        mask = np.ones(self.count, dtype=np.bool_)
        for key, value in flt.items():
            if key == AND:
                for sub in value:
                    mask &= self.filter_mask(conn, sub)
            elif key == OR:
                any_mask = np.zeros(self.count, dtype=np.bool_)
                for sub in value:
                    any_mask |= self.filter_mask(conn, sub)
                mask &= any_mask
            elif isinstance(value, dict):
                for op, operand in value.items():
                    mask &= self._condition(conn, key, op, operand)
            else:
                mask &= self._condition(conn, key, EQ, value)
        return mask

    def _eq(self, col: _Column, operand: Any) -> BoolArray:
        if isinstance(operand, bool):
            mask = col.booleans == int(operand)
        elif isinstance(operand, (int, float)):
            mask = col.numbers == operand
        else:
            code = col.string_vocab.get(operand)
            mask = (
                np.zeros(self.count, dtype=np.bool_) if code is None else col.string_codes == code
            )
        for pos, items in col.lists.items():
            if any(values_equal(item, operand) for item in items):
                mask[pos] = True
        return np.asarray(mask, dtype=np.bool_)

    def _condition(self, conn: sqlite3.Connection, key: str, op: str, operand: Any) -> BoolArray:
        col = self._column(conn, key)
        if op == EXISTS:
            return col.present.copy() if operand else ~col.present
        if op == EQ:
            return self._eq(col, operand)
        if op == NE:
            return ~self._eq(col, operand)
        if op in (IN, NIN):
            mask = np.zeros(self.count, dtype=np.bool_)
            for item in operand:
                mask |= self._eq(col, item)
            return mask if op == IN else ~mask
        if op == STARTS_WITH:
            return self._starts_with(col, operand)
        with np.errstate(invalid="ignore"):
            if op == GT:
                mask = col.numbers > operand
            elif op == GTE:
                mask = col.numbers >= operand
            elif op == LT:
                mask = col.numbers < operand
            elif op == LTE:
                mask = col.numbers <= operand
            else:  # pragma: no cover - validated before
                msg = f"unknown operator {op}"
                raise ValueError(msg)
        for pos, items in col.lists.items():
            numbers = [x for x in items if isinstance(x, (int, float)) and not isinstance(x, bool)]
            if any(_numeric(op, x, operand) for x in numbers):
                mask[pos] = True
        return np.asarray(mask, dtype=np.bool_)

    def _starts_with(self, col: _Column, prefix: str) -> BoolArray:
        codes = [code for text, code in col.string_vocab.items() if text.startswith(prefix)]
        mask = np.isin(col.string_codes, np.asarray(codes, dtype=np.int32))
        for pos, items in col.lists.items():
            if any(isinstance(item, str) and item.startswith(prefix) for item in items):
                mask[pos] = True
        return np.asarray(mask, dtype=np.bool_)

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
            cosine: FloatArray = np.float32(1.0) - self._scores(q, rows_subset)
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
        self, query: FloatArray, k: int, mask: BoolArray | None
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Return (positions, distances) of the ``k`` nearest live rows allowed by ``mask``."""
        if self.count == 0 or k <= 0:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
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


def _numeric(op: str, value: float, operand: float) -> bool:
    if op == GT:
        return value > operand
    if op == GTE:
        return value >= operand
    if op == LT:
        return value < operand
    return value <= operand


def bm25_ranking(
    conn: sqlite3.Connection, fts_table: str, text: str, language: str | None
) -> list[tuple[str, float]]:
    """Rank the vectors of one FTS5 table for a query text, best first.

    Returns ``(vector key, bm25 score)`` pairs with positive scores (higher is better).
    """
    expression = fts_match_expression(text, language)
    if expression is None:
        return []
    t = fts_table
    sql = (
        f"SELECT v.key, bm25({t}) FROM {t} JOIN vectors AS v ON v.rowid = {t}.rowid "
        f"WHERE {t} MATCH ? ORDER BY bm25({t}), v.key"
    )
    return [(str(r[0]), -float(r[1])) for r in conn.execute(sql, (expression,))]


def rrf(rankings: list[list[str]], depth: int = FUSION_DEPTH) -> dict[str, float]:
    """Reciprocal Rank Fusion of several rankings (lists of keys, best first)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking[:depth], start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return fused


def searchable_text(value: Any) -> str | None:
    """The text of a metadata value that full-text search indexes (strings only)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):
        parts = [v for v in value if isinstance(v, str)]
        return " ".join(parts) or None
    return None
