"""Exact search for the embedded S3 Vectors client.

* **Vectors**: each index keeps one in-memory float32 matrix (unit-normalised rows for
  cosine, raw rows plus squared norms for euclidean), loaded lazily from SQLite and
  kept in step with this process's own writes; another process's write (seen as a new
  data version) triggers a reload. A query is one matrix-vector product and an
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

if TYPE_CHECKING:
    import sqlite3

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


@dataclass
class IndexCache:
    """In-memory state of one index: matrix, keys, and filter columns."""

    index_id: int
    version: int
    metric: str
    dimension: int
    keys: list[str]
    positions: dict[str, int]
    matrix: FloatArray
    sqnorms: FloatArray
    count: int
    columns: dict[str, _Column] = field(default_factory=dict)

    @classmethod
    def load(
        cls, conn: sqlite3.Connection, index_id: int, version: int, metric: str, dimension: int
    ) -> IndexCache:
        """Read every vector of an index from SQLite."""
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
            keys=keys,
            positions={k: i for i, k in enumerate(keys)},
            matrix=matrix,
            sqnorms=np.empty(0, dtype=np.float32),
            count=len(keys),
        )
        cache._prepare_rows(0, len(keys))
        return cache

    def _prepare_rows(self, start: int, stop: int) -> None:
        block = self.matrix[start:stop]
        if self.metric == "cosine":
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            norms[norms == 0] = 1.0
            block /= norms
        else:
            if self.sqnorms.shape[0] < self.matrix.shape[0]:
                grown = np.empty(self.matrix.shape[0], dtype=np.float32)
                grown[: self.sqnorms.shape[0]] = self.sqnorms
                self.sqnorms = grown
            self.sqnorms[start:stop] = np.einsum("ij,ij->i", block, block)

    # -- keeping in step with this process's writes ----------------------------------

    def apply_put(self, keys: list[str], data: FloatArray) -> None:
        """Upsert rows (``data`` is raw float32, shape ``(len(keys), dimension)``)."""
        self.columns.clear()
        new_rows: list[int] = []
        for i, key in enumerate(keys):
            pos = self.positions.get(key)
            if pos is None:
                new_rows.append(i)
            else:
                self.matrix[pos] = data[i]
                self._prepare_rows(pos, pos + 1)
        if new_rows:
            needed = self.count + len(new_rows)
            if needed > self.matrix.shape[0]:
                capacity = max(needed, int(self.matrix.shape[0] * 1.25) + 16)
                grown = np.empty((capacity, self.dimension), dtype=np.float32)
                grown[: self.count] = self.matrix[: self.count]
                self.matrix = grown
            start = self.count
            self.matrix[start:needed] = data[new_rows]
            for offset, i in enumerate(new_rows):
                self.keys.append(keys[i])
                self.positions[keys[i]] = start + offset
            self.count = needed
            self._prepare_rows(start, needed)

    def apply_delete(self, keys: list[str]) -> None:
        """Remove rows (swap with the last row)."""
        self.columns.clear()
        for key in keys:
            pos = self.positions.pop(key, None)
            if pos is None:
                continue
            last = self.count - 1
            if pos != last:
                moved = self.keys[last]
                self.keys[pos] = moved
                self.positions[moved] = pos
                self.matrix[pos] = self.matrix[last]
                if self.metric != "cosine":
                    self.sqnorms[pos] = self.sqnorms[last]
            self.keys.pop()
            self.count = last

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

    def distances(
        self, query: FloatArray, rows_subset: npt.NDArray[np.intp] | None = None
    ) -> FloatArray:
        """Distances from a query to every row, or to ``rows_subset``.

        Cosine: ``1 - cos``; euclidean: the L2 distance.
        """
        rows = self.matrix[: self.count] if rows_subset is None else self.matrix[rows_subset]
        if self.metric == "cosine":
            q = query / np.float32(np.linalg.norm(query))
            cosine: FloatArray = np.float32(1.0) - rows @ q
            return cosine
        norms = self.sqnorms[: self.count] if rows_subset is None else self.sqnorms[rows_subset]
        sq: FloatArray = norms - np.float32(2.0) * (rows @ query) + query @ query
        np.maximum(sq, 0, out=sq)
        np.sqrt(sq, out=sq)
        return sq

    def nearest(
        self, query: FloatArray, k: int, mask: BoolArray | None
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Return (positions, distances) of the ``k`` nearest rows allowed by ``mask``."""
        if self.count == 0 or k <= 0:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
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
