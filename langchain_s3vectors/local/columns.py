"""Metadata filters over columns: the filter language evaluated for a whole index at once.

Per metadata key, a columnar view of every row (numbers, dictionary-encoded strings,
booleans, list values) is built on first use (:func:`load_column`), so a filter is a
few vectorised comparisons (:func:`filter_mask`), evaluated *before* ranking (ENHANCED
mode semantics). Semantics are those of :func:`langchain_s3vectors.filters.matches`.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
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
from langchain_s3vectors.local import storage

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

BoolArray = npt.NDArray[np.bool_]

#: Numeric comparisons: vectorised over a column, and on one list element.
_NUMERIC: dict[str, tuple[Callable[..., Any], Callable[[Any, Any], bool]]] = {
    GT: (np.greater, operator.gt),
    GTE: (np.greater_equal, operator.ge),
    LT: (np.less, operator.lt),
    LTE: (np.less_equal, operator.le),
}


@dataclass
class Column:
    """A columnar view of one metadata key across an index."""

    present: BoolArray
    numbers: npt.NDArray[np.float64]
    string_codes: npt.NDArray[np.int32]
    string_vocab: dict[str, int]
    booleans: npt.NDArray[np.int8]
    lists: dict[int, list[Any]]

    @property
    def count(self) -> int:
        """Rows in the view."""
        return int(self.present.shape[0])


def load_column(
    conn: sqlite3.Connection, index_id: int, key: str, count: int, positions: dict[str, int]
) -> Column:
    """Read one metadata key of every live row (``positions``: key -> row) into a column."""
    column = Column(
        present=np.zeros(count, dtype=np.bool_),
        numbers=np.full(count, np.nan, dtype=np.float64),
        string_codes=np.full(count, -1, dtype=np.int32),
        string_vocab={},
        booleans=np.full(count, -1, dtype=np.int8),
        lists={},
    )
    for vkey, jtype, value in storage.metadata_values(conn, index_id, key):
        pos = positions.get(vkey)
        if pos is not None:
            column.present[pos] = True
            _store(column, pos, jtype, value)
    return column


def _store(column: Column, pos: int, jtype: str, value: Any) -> None:
    """Put one value, of SQLite JSON type ``jtype``, at row ``pos``."""
    if jtype in ("integer", "real"):
        column.numbers[pos] = value
    elif jtype == "text":
        vocab = column.string_vocab
        code = vocab.get(value)
        if code is None:
            code = vocab[value] = len(vocab)
        column.string_codes[pos] = code
    elif jtype == "true":
        column.booleans[pos] = 1
    elif jtype == "false":
        column.booleans[pos] = 0
    elif jtype == "array":
        column.lists[pos] = json.loads(value)


def filter_mask(flt: dict[str, Any], column: Callable[[str], Column], count: int) -> BoolArray:
    """Evaluate a validated filter over every row.

    Args:
        flt: The filter.
        column: The column of a metadata key (loaded on first use).
        count: Rows in the index.
    """
    mask = np.ones(count, dtype=np.bool_)
    for key, value in flt.items():
        if key == AND:
            for sub in value:
                mask &= filter_mask(sub, column, count)
        elif key == OR:
            any_mask = np.zeros(count, dtype=np.bool_)
            for sub in value:
                any_mask |= filter_mask(sub, column, count)
            mask &= any_mask
        elif isinstance(value, dict):
            for op, operand in value.items():
                mask &= condition(column(key), op, operand)
        else:
            mask &= condition(column(key), EQ, value)
    return mask


def condition(col: Column, op: str, operand: Any) -> BoolArray:
    """The rows whose value satisfies ``{op: operand}``."""
    if op == EXISTS:
        return col.present.copy() if operand else ~col.present
    if op == EQ:
        return _eq(col, operand)
    if op == NE:
        return ~_eq(col, operand)
    if op in (IN, NIN):
        mask = np.zeros(col.count, dtype=np.bool_)
        for item in operand:
            mask |= _eq(col, item)
        return mask if op == IN else ~mask
    if op == STARTS_WITH:
        return _starts_with(col, operand)
    if op not in _NUMERIC:  # pragma: no cover - validated before
        msg = f"unknown operator {op}"
        raise ValueError(msg)
    return _numeric(col, op, operand)


def _eq(col: Column, operand: Any) -> BoolArray:
    if isinstance(operand, bool):
        mask = col.booleans == int(operand)
    elif isinstance(operand, (int, float)):
        mask = col.numbers == operand
    else:
        code = col.string_vocab.get(operand)
        mask = np.zeros(col.count, dtype=np.bool_) if code is None else col.string_codes == code
    for pos, items in col.lists.items():
        if any(values_equal(item, operand) for item in items):
            mask[pos] = True
    return np.asarray(mask, dtype=np.bool_)


def _numeric(col: Column, op: str, operand: Any) -> BoolArray:
    vectorised, scalar = _NUMERIC[op]
    with np.errstate(invalid="ignore"):
        mask = vectorised(col.numbers, operand)
    for pos, items in col.lists.items():
        numbers = [x for x in items if isinstance(x, (int, float)) and not isinstance(x, bool)]
        if any(scalar(x, operand) for x in numbers):
            mask[pos] = True
    return np.asarray(mask, dtype=np.bool_)


def _starts_with(col: Column, prefix: str) -> BoolArray:
    codes = [code for text, code in col.string_vocab.items() if text.startswith(prefix)]
    mask = np.isin(col.string_codes, np.asarray(codes, dtype=np.int32))
    for pos, items in col.lists.items():
        if any(isinstance(item, str) and item.startswith(prefix) for item in items):
            mask[pos] = True
    return np.asarray(mask, dtype=np.bool_)
