"""Size limits of the package (``DESIGN.md``): small modules, functions and classes.

A module that passes 600 lines, a function that passes 60 (its ``def`` line to its last
line, docstring included) or a class that passes 350 is asking to be split along a
seam you can name; and the package root holds at most 17 files, so that its listing
reads as the layers. ``KNOWN`` names what still passes a limit while its split is under
way; an entry that no longer does fails the test, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "langchain_s3vectors"

MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 350
MAX_ROOT_FILES = 17

#: What still passes a limit, as ``path`` (a module) or ``path:qualified.name`` (a
#: function or class), relative to the package. Each is being split or merged.
KNOWN: frozenset[str] = frozenset()


def _lines(node: ast.AST) -> int:
    end = getattr(node, "end_lineno", None) or 0
    return end - getattr(node, "lineno", end) + 1


def _too_long(tree: ast.AST, prefix: str = "") -> list[tuple[str, int, int]]:
    """(qualified name, lines, limit) of each function or class over its limit."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            limit = MAX_CLASS_LINES if isinstance(node, ast.ClassDef) else MAX_FUNCTION_LINES
            if _lines(node) > limit:
                found.append((name, _lines(node), limit))
            found.extend(_too_long(node, f"{name}."))
        else:
            found.extend(_too_long(node, prefix))
    return found


def _violations() -> dict[str, str]:
    """Every entry over a limit, with what it measures."""
    found: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found[relative] = f"{lines} lines (limit {MAX_MODULE_LINES})"
        for name, size, limit in _too_long(ast.parse(text)):
            found[f"{relative}:{name}"] = f"{size} lines (limit {limit})"
    return found


def test_modules_functions_and_classes_stay_small() -> None:
    over = {entry: what for entry, what in _violations().items() if entry not in KNOWN}
    assert not over, "\n".join(f"{entry}: {what}" for entry, what in sorted(over.items()))


def test_every_known_entry_still_passes_a_limit() -> None:
    stale = sorted(KNOWN - set(_violations()))
    assert not stale, f"no longer over a limit; remove from KNOWN: {stale}"


def test_the_package_root_stays_short() -> None:
    files = sorted(p.name for p in ROOT.iterdir() if p.is_file())
    assert len(files) <= MAX_ROOT_FILES, files


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("def f():\n" + "    x = 1\n" * 60, ["f"]),
        ("def f():\n" + "    x = 1\n" * 59, []),
        ("class C:\n    def g(self):\n" + "        x = 1\n" * 60, ["C.g"]),
        ("class C:\n" + "    x = 1\n" * 350, ["C"]),
    ],
)
def test_the_measure_counts_def_line_to_last_line(source: str, expected: list[str]) -> None:
    assert [name for name, _, _ in _too_long(ast.parse(source))] == expected
