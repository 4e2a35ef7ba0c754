"""Imports point down the layers, and the leaves and the embedded client stay light.

The layers (``DESIGN.md``), low to high: the leaves; the embedded S3 Vectors and the
client seam; execution and the pre-flight checks; records and the write pipeline; the
index; the store and its LangChain companions; the HTTP server; the application. A module
may import modules of its own layer or lower ones, never a higher one, and no import
cycle is allowed. Imports inside functions count too (they run, just later); imports
under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import langchain_s3vectors

PACKAGE = "langchain_s3vectors"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE

#: Layer of each module (relative to the package), low to high. ``local``, ``server``,
#: ``testing`` and ``app`` stand for the package and every module in it.
LAYERS: dict[str, int] = {
    "errors": 0,
    "limits": 0,
    "filters": 0,
    "local": 1,
    # The client seam: the protocol, boto3 construction, the fast PutVectors path.
    "client": 1,
    "execution": 2,
    # Pre-flight checks of ids, embeddings, metadata and queries: below the records
    # they guard, and importing only leaves (see LEAF_IMPORTS).
    "checks": 2,
    "records": 3,
    # The write pipeline: records checked and built before the first request, and the
    # PutVectors batches the index sends them in (it names the index only for types).
    "writes": 3,
    "index": 4,
    "identity": 5,
    # The store's parts: the index bound into queries and hybrid fusion, the base
    # (construction, configuration, lifecycle, get, list) and the searcher (reads),
    # none of which derives from LangChain's VectorStore; vectorstores adds writes,
    # deletes and that interface.
    "search": 5,
    "base": 5,
    "searcher": 5,
    "vectorstores": 6,
    # The retriever and the self-query filter translator.
    "retrievers": 6,
    "server": 7,
    # The in-process mock, seeding and the pytest plugin: over the server's protocol.
    "testing": 7,
    "app": 8,
}
#: What each leaf may import from the package. ``errors`` and ``limits`` import
#: nothing; ``filters`` raises ``errors.FilterError`` (which ``errors`` needs as the
#: base of ``InvalidFilterError``, so it lives there) and reads
#: ``limits.MAX_FILTER_CONSTRAINTS``. ``checks`` is not a leaf by layer but stays as
#: light as one: it raises ``errors.InvalidInputError`` against ``limits``.
LEAF_IMPORTS: dict[str, set[str]] = {
    "errors": set(),
    "limits": set(),
    "filters": {"errors", "limits"},
    "checks": {"errors", "limits"},
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(node: ast.AST, module: str, *, is_package: bool) -> list[str]:
    """Dotted names an import statement brings in: modules, or ``module.attribute``.

    ``from pkg import sub`` names ``pkg.sub`` only (the parent package is not counted as
    a dependency when a submodule is what is imported); ``from mod import name`` names
    ``mod.name``, which resolves to ``mod``.
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    return [f"{source}.{alias.name}" for alias in node.names]


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules ``module`` imports, outside ``TYPE_CHECKING`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            todo.extend(node.orelse)
            continue
        for name in _imported_names(node, module, is_package=is_package):
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
        todo.extend(ast.iter_child_nodes(node))
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The package module a dotted name refers to (``from pkg import name`` included).

    A public name of the lazy root (``from langchain_s3vectors import S3VectorsStore``)
    resolves to the module it is loaded from.
    """
    lazy = langchain_s3vectors._LAZY
    attribute = name.removeprefix(PACKAGE + ".")
    if attribute in lazy:
        return lazy[attribute]
    if name == PACKAGE or not name.startswith(PACKAGE + "."):
        return None  # the root itself, or another distribution
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules and candidate != PACKAGE:
            return candidate
        parts.pop()
    return None


def _short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


def _layer(module: str) -> int:
    short = _short(module)
    head = short.split(".", 1)[0]
    key = head if head in ("local", "server", "testing", "app") else short
    if key not in LAYERS:
        pytest.fail(f"module {module} has no layer: add it to LAYERS in {__file__}")
    return LAYERS[key]


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        _short(m): {_short(t) for t in _imports(m, p, modules)}
        for m, p in modules.items()
        if m != PACKAGE  # the root is lazy: it may name anything
    }


def test_no_module_imports_a_higher_layer() -> None:
    upward = []
    for module, targets in _graph().items():
        for target in sorted(targets):
            low, high = _layer(f"{PACKAGE}.{module}"), _layer(f"{PACKAGE}.{target}")
            if high > low:
                upward.append(f"{module} (layer {low}) imports {target} (layer {high})")
    assert not upward, "imports that point up:\n" + "\n".join(upward)


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


@pytest.mark.parametrize("leaf", sorted(LEAF_IMPORTS))
def test_leaves_import_nothing_above_them(leaf: str) -> None:
    graph = _graph()
    assert graph[leaf] <= LEAF_IMPORTS[leaf], f"{leaf} imports {graph[leaf]}"
    loaded = _run(
        f"import sys, {PACKAGE}.{leaf}; "
        f"print(sorted(m for m in sys.modules if m.startswith('{PACKAGE}.')))"
    )
    expected = {f"{PACKAGE}.{m}" for m in {leaf} | LEAF_IMPORTS[leaf]}
    assert set(ast.literal_eval(loaded)) == expected


def test_the_layers_above_the_embedded_store_use_only_its_public_names() -> None:
    """``langchain_s3vectors.local`` exports what the rest of the package may use."""
    reaches = [
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if module.split(".", 1)[0] != "local"
        for target in sorted(targets)
        if target.startswith("local.")
    ]
    assert not reaches, "use the names langchain_s3vectors.local exports:\n" + "\n".join(reaches)


def test_embedded_client_does_not_load_langchain() -> None:
    loaded = _run(
        f"import sys, {PACKAGE}.local; "
        "print(sorted(m for m in sys.modules if m.startswith(('langchain', 'langsmith'))))"
    )
    names = ast.literal_eval(loaded)
    assert not [m for m in names if m.startswith(("langchain_core", "langsmith"))], names
    above = [m for m in names if m.startswith(f"{PACKAGE}.") and _layer(m) > LAYERS["local"]]
    assert not above, names


def test_root_public_names_load_on_first_use() -> None:
    out = _run(
        f"import sys, {PACKAGE} as p; before = 'langchain_core' in sys.modules; "
        "store = p.S3VectorsStore; "
        "print(before, 'langchain_core' in sys.modules, 'S3VectorsStore' in dir(p))"
    )
    assert out == "False True True"


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.strip()
