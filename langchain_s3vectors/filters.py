"""The S3 Vectors metadata filter language: validate, normalise, evaluate.

Grammar (as in the S3 User Guide, "Metadata filtering")::

    filter     := {"$and": [filter, ...]} | {"$or": [filter, ...]} | conditions
    conditions := {key: value | {op: operand}, ...}      several keys mean AND
    op         := $eq $ne $gt $gte $lt $lte $in $nin $exists $startsWith

* ``$eq`` / ``$ne`` take a string, number or boolean. ``$eq`` against a list value
  matches when any element equals; ``$ne`` matches when no element equals.
* ``$gt`` ``$gte`` ``$lt`` ``$lte`` take a number and compare numbers only.
* ``$in`` / ``$nin`` take a non-empty list of primitives; against a list value ``$in``
  matches when any element is in the operand, ``$nin`` when none is.
* ``$exists`` takes a boolean.
* ``$startsWith`` takes a non-empty string and matches string values (or list values
  with a string element) that begin with it. The service supports it on ENHANCED
  indexes only (S3 User Guide, "Changing a vector index's mode"); the empty prefix
  is refused here, since it would match every string (the guide is silent on it).
* ``$and`` / ``$or`` take a non-empty list of filters.
* A bare value is ``$eq``. A key the vector does not have matches ``$ne``, ``$nin``
  and ``$exists: false`` only.
* A query takes at most ``limits.MAX_FILTER_CONSTRAINTS`` (100) constraints (S3 User
  Guide, "Metadata filtering"). The guide does not define how they are counted; here
  every condition on a key counts once (a bare value, or each operator in
  ``{key: {op: operand, ...}}``), while ``$and`` / ``$or`` themselves do not count.
* ``$and`` / ``$or`` nest at most ``limits.MAX_FILTER_DEPTH`` (256) levels. The guide
  sets no depth; this one keeps every valid filter within the JSON nesting limit of the
  HTTP server (:mod:`langchain_s3vectors.server`), and a deeper filter is refused with
  a :class:`FilterError`, never a ``RecursionError``.

:func:`validate_filter` raises :class:`FilterError` naming the offending key or
operator; :func:`normalize_filter` rewrites a filter into its explicit form (every
condition an operator, several keys an explicit ``$and``); :func:`matches`
evaluates a normalised filter against one metadata dict.

Example:
    >>> from langchain_s3vectors.filters import normalize_filter, matches
    >>> f = normalize_filter({"genre": "drama", "year": {"$gte": 2020}})
    >>> f
    {'$and': [{'genre': {'$eq': 'drama'}}, {'year': {'$gte': 2020}}]}
    >>> matches(f, {"genre": ["drama", "crime"], "year": 2021})
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from langchain_s3vectors.errors import FilterError
from langchain_s3vectors.limits import MAX_FILTER_CONSTRAINTS, MAX_FILTER_DEPTH

EQ = "$eq"
NE = "$ne"
GT = "$gt"
GTE = "$gte"
LT = "$lt"
LTE = "$lte"
IN = "$in"
NIN = "$nin"
EXISTS = "$exists"
STARTS_WITH = "$startsWith"
AND = "$and"
OR = "$or"

COMPARISON_OPERATORS = frozenset({EQ, NE, GT, GTE, LT, LTE, IN, NIN, EXISTS, STARTS_WITH})
#: Operators that the service accepts on ENHANCED indexes only.
ENHANCED_ONLY_OPERATORS = frozenset({STARTS_WITH})
LOGICAL_OPERATORS = frozenset({AND, OR})
NUMERIC_OPERATORS = frozenset({GT, GTE, LT, LTE})
LIST_OPERATORS = frozenset({IN, NIN})

__all__ = [
    "AND",
    "COMPARISON_OPERATORS",
    "ENHANCED_ONLY_OPERATORS",
    "EQ",
    "EXISTS",
    "GT",
    "GTE",
    "IN",
    "LOGICAL_OPERATORS",
    "LT",
    "LTE",
    "NE",
    "NIN",
    "OR",
    "STARTS_WITH",
    "FilterError",
    "check_filter_depth",
    "count_constraints",
    "filter_keys",
    "filter_operators",
    "matches",
    "normalize_filter",
    "validate_filter",
]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_primitive(value: object) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, (str, int, float, bool))


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def _check_primitive(op: str, key: str, operand: object, path: str) -> None:
    if not _is_primitive(operand):
        msg = (
            f"{path}: {op} on key {key!r} takes a string, number or boolean, "
            f"got {_describe(operand)}"
        )
        raise FilterError(msg)


def _check_number(op: str, key: str, operand: object, path: str) -> None:
    if not _is_number(operand) or not math.isfinite(float(operand)):  # type: ignore[arg-type]
        msg = f"{path}: {op} on key {key!r} takes a finite number, got {_describe(operand)}"
        raise FilterError(msg)


def _check_list(op: str, key: str, operand: object, path: str) -> None:
    if not isinstance(operand, list) or not operand:
        msg = (
            f"{path}: {op} on key {key!r} takes a non-empty list of strings, numbers or "
            f"booleans, got {_describe(operand)}"
        )
        raise FilterError(msg)
    for item in operand:
        if not _is_primitive(item):
            msg = (
                f"{path}: {op} on key {key!r} takes a list of strings, numbers or "
                f"booleans; {_describe(item)} is not one"
            )
            raise FilterError(msg)


def _check_boolean(op: str, key: str, operand: object, path: str) -> None:
    if not isinstance(operand, bool):
        msg = f"{path}: {op} on key {key!r} takes true or false, got {_describe(operand)}"
        raise FilterError(msg)


def _check_prefix(op: str, key: str, operand: object, path: str) -> None:
    if not isinstance(operand, str) or not operand:
        msg = (
            f"{path}: {op} on key {key!r} takes a non-empty string prefix, got {_describe(operand)}"
        )
        raise FilterError(msg)


#: The operand check of each comparison operator.
_OPERAND_CHECKS: dict[str, Callable[[str, str, object, str], None]] = {
    EQ: _check_primitive,
    NE: _check_primitive,
    GT: _check_number,
    GTE: _check_number,
    LT: _check_number,
    LTE: _check_number,
    IN: _check_list,
    NIN: _check_list,
    EXISTS: _check_boolean,
    STARTS_WITH: _check_prefix,
}


def _validate_condition(key: str, op: str, operand: object, path: str) -> None:
    check = _OPERAND_CHECKS.get(op)
    if check is None:
        if op in LOGICAL_OPERATORS:
            msg = (
                f"{path}: {op!r} cannot be applied to the key {key!r}; use it at the top "
                f'level, e.g. {{"{op}": [{{"{key}": ...}}, ...]}}'
            )
        else:
            known = ", ".join(sorted(COMPARISON_OPERATORS))
            msg = f"{path}: unknown operator {op!r} on key {key!r}; supported: {known}"
        raise FilterError(msg)
    check(op, key, operand, path)


def _validate(
    flt: object, path: str, non_filterable: Collection[str], keys: set[str] | None
) -> None:
    if not isinstance(flt, Mapping):
        msg = f"{path}: a filter must be a JSON object, got {_describe(flt)}"
        raise FilterError(msg)
    if not flt:
        msg = f"{path}: a filter must not be an empty object"
        raise FilterError(msg)
    for key, value in flt.items():
        if not isinstance(key, str):
            msg = f"{path}: filter keys must be strings, got {_describe(key)}"
            raise FilterError(msg)
        if key.startswith("$"):
            _validate_logical(key, value, path, non_filterable, keys)
        else:
            _validate_key(key, value, path, non_filterable)
            if keys is not None:
                keys.add(key)


def _validate_logical(
    op: str, value: object, path: str, non_filterable: Collection[str], keys: set[str] | None
) -> None:
    """Check ``{"$and" | "$or": [filter, ...]}`` and each filter in it."""
    if op not in LOGICAL_OPERATORS:
        hint = (
            f'; put it under a key, e.g. {{"year": {{"{op}": ...}}}}'
            if op in COMPARISON_OPERATORS
            else ""
        )
        msg = f"{path}: unknown top-level operator {op!r}; use $and or $or{hint}"
        raise FilterError(msg)
    if not isinstance(value, list) or not value:
        msg = f"{path}: {op} takes a non-empty list of filters, got {_describe(value)}"
        raise FilterError(msg)
    for i, sub in enumerate(value):
        _validate(sub, f"{path}.{op}[{i}]", non_filterable, keys)


def _validate_key(key: str, value: object, path: str, non_filterable: Collection[str]) -> None:
    """Check the condition on one metadata key: a bare value or ``{op: operand, ...}``."""
    if not key:
        msg = f"{path}: a metadata key in a filter must not be empty"
        raise FilterError(msg)
    if key in non_filterable:
        msg = (
            f"{path}: metadata key {key!r} is non-filterable in this index and cannot be "
            "used in a filter; filter on another key, or create the index without it in "
            "nonFilterableMetadataKeys"
        )
        raise FilterError(msg)
    if isinstance(value, Mapping):
        if not value:
            msg = f"{path}: the condition on key {key!r} is an empty object"
            raise FilterError(msg)
        for op, operand in value.items():
            _validate_condition(key, str(op), operand, path)
    elif isinstance(value, list):
        msg = (
            f"{path}: key {key!r} compared with a list; use "
            f'{{"{key}": {{"$in": {value!r}}}}} to match any of several values'
        )
        raise FilterError(msg)
    elif not _is_primitive(value):
        msg = (
            f"{path}: key {key!r} must be compared with a string, number or boolean, "
            f"got {_describe(value)}"
        )
        raise FilterError(msg)


def check_filter_depth(flt: object) -> None:
    """Refuse ``$and`` / ``$or`` nested deeper than ``MAX_FILTER_DEPTH``, without recursion.

    Run before anything walks the filter recursively (validation, serialisation).

    Raises:
        FilterError: The filter nests deeper than ``limits.MAX_FILTER_DEPTH``.

    Example:
        >>> check_filter_depth({"$or": [{"$and": [{"year": 2020}]}]})
    """
    stack: list[tuple[object, int]] = [(flt, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Mapping):
            continue
        for key, value in node.items():
            if key in LOGICAL_OPERATORS and isinstance(value, list):
                if depth + 1 > MAX_FILTER_DEPTH:
                    msg = (
                        f"filter: $and / $or nested more than {MAX_FILTER_DEPTH} levels deep; "
                        "flatten it (one $and or $or can list all its conditions)"
                    )
                    raise FilterError(msg)
                stack.extend((sub, depth + 1) for sub in value)


def validate_filter(flt: object, *, non_filterable: Collection[str] = ()) -> None:
    """Check a filter against the S3 Vectors filter language.

    Args:
        flt: The filter.
        non_filterable: Metadata keys that the index does not allow in filters.

    Raises:
        FilterError: The filter is not valid, has more than
            ``limits.MAX_FILTER_CONSTRAINTS`` constraints or nests deeper than
            ``limits.MAX_FILTER_DEPTH``; the message names the key, operator or count.

    Example:
        >>> validate_filter({"year": {"$gt": "2020"}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.FilterError: filter: $gt on key 'year' takes a finite ...
    """
    check_filter_depth(flt)
    _validate(flt, "filter", frozenset(non_filterable), None)
    count = count_constraints(flt)  # type: ignore[arg-type]
    if count > MAX_FILTER_CONSTRAINTS:
        msg = (
            f"filter: {count} constraints, more than the {MAX_FILTER_CONSTRAINTS} a query "
            "accepts; combine values with $in, or split the query"
        )
        raise FilterError(msg)


def _conditions(flt: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(key, operator)`` for every condition of a valid filter."""
    for key, value in flt.items():
        if key in LOGICAL_OPERATORS:
            for sub in value:
                yield from _conditions(sub)
        elif isinstance(value, Mapping):
            for op in value:
                yield key, str(op)
        else:
            yield key, EQ


def count_constraints(flt: Mapping[str, Any]) -> int:
    """Count the constraints of a valid filter (see the module docstring).

    Example:
        >>> count_constraints({"$or": [{"a": 1}, {"b": {"$gt": 1, "$lt": 5}}]})
        3
    """
    return sum(1 for _ in _conditions(flt))


def filter_operators(flt: Mapping[str, Any]) -> set[str]:
    """Return the comparison operators a valid filter uses (a bare value is ``$eq``).

    Example:
        >>> sorted(filter_operators({"a": 1, "b": {"$startsWith": "x"}}))
        ['$eq', '$startsWith']
    """
    return {op for _, op in _conditions(flt)}


def filter_keys(flt: Mapping[str, Any]) -> set[str]:
    """Return the metadata keys a (valid) filter refers to.

    Example:
        >>> sorted(filter_keys({"$or": [{"a": 1}, {"b": {"$exists": True}}]}))
        ['a', 'b']
    """
    keys: set[str] = set()
    _validate(flt, "filter", frozenset(), keys)
    return keys


def normalize_filter(flt: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite a valid filter in its explicit form.

    Every condition becomes ``{key: {op: operand}}`` with one operator, and an object
    with several entries becomes an explicit ``$and``, which is the form the service
    documentation uses.

    Raises:
        FilterError: The filter is not valid.
    """
    validate_filter(flt)
    return _normalize(flt)


def _normalize(flt: Mapping[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for key, value in flt.items():
        if key in LOGICAL_OPERATORS:
            subs = [_normalize(sub) for sub in value]
            parts.append({key: subs})
        elif isinstance(value, Mapping):
            parts.extend({key: {op: operand}} for op, operand in value.items())
        else:
            parts.append({key: {EQ: value}})
    if len(parts) == 1:
        return parts[0]
    return {AND: parts}


def _values(metadata: Mapping[str, Any], key: str) -> list[Any] | None:
    if key not in metadata:
        return None
    value = metadata[key]
    if isinstance(value, list):
        return value
    return [value]


def values_equal(a: object, b: object) -> bool:
    """JSON equality of two metadata values: booleans are not numbers, ``1 == 1.0``."""
    # JSON semantics: booleans are not numbers, 1 == 1.0.
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _any_equal(values: list[Any], operand: Any) -> bool:
    return any(values_equal(v, operand) for v in values)


def _any_in(values: list[Any], operand: Any) -> bool:
    return any(values_equal(v, o) for v in values for o in operand)


def _any_starts_with(values: list[Any], operand: Any) -> bool:
    return any(isinstance(v, str) and v.startswith(operand) for v in values)


def _numbers(values: list[Any]) -> list[Any]:
    return [v for v in values if _is_number(v)]


#: How each operator (but ``$exists``) matches a present key's values (a list).
_VALUE_TESTS: dict[str, Callable[[list[Any], Any], bool]] = {
    EQ: _any_equal,
    NE: lambda values, operand: not _any_equal(values, operand),
    IN: _any_in,
    NIN: lambda values, operand: not _any_in(values, operand),
    STARTS_WITH: _any_starts_with,
    GT: lambda values, operand: any(v > operand for v in _numbers(values)),
    GTE: lambda values, operand: any(v >= operand for v in _numbers(values)),
    LT: lambda values, operand: any(v < operand for v in _numbers(values)),
    LTE: lambda values, operand: any(v <= operand for v in _numbers(values)),
}


def _compare(op: str, operand: Any, metadata: Mapping[str, Any], key: str) -> bool:
    values = _values(metadata, key)
    if op == EXISTS:
        return (values is not None) is bool(operand)
    if values is None:
        return op in (NE, NIN)
    test = _VALUE_TESTS.get(op)
    if test is None:  # pragma: no cover - validated before
        msg = f"unknown operator {op!r}"
        raise FilterError(msg)
    return test(values, operand)


def _matches_entry(key: str, value: Any, metadata: Mapping[str, Any]) -> bool:
    """Whether one entry of a filter object (logical or a key's condition) matches."""
    if key == AND:
        return all(matches(sub, metadata) for sub in value)
    if key == OR:
        return any(matches(sub, metadata) for sub in value)
    if isinstance(value, Mapping):
        return all(_compare(op, operand, metadata, key) for op, operand in value.items())
    return _compare(EQ, value, metadata, key)


def matches(flt: Mapping[str, Any], metadata: Mapping[str, Any]) -> bool:
    """Evaluate a valid filter against one vector's metadata.

    Args:
        flt: A filter that passed :func:`validate_filter` (normalised or not).
        metadata: The vector's metadata.

    Returns:
        Whether the vector matches.
    """
    return all(_matches_entry(key, value, metadata) for key, value in flt.items())
