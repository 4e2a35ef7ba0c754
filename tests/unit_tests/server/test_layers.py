"""The server package: imports that point down, and every name it had still importable."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from langchain_s3vectors import server

PACKAGE = Path(server.__file__).parent
#: What the server may build on: itself, the embedded store, the leaves and execution.
ALLOWED = ("server", "local", "limits", "errors", "filters", "execution")


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_server_modules_import_only_lower_layers() -> None:
    offending = {
        f"{path.name}: {module}"
        for path in sorted(PACKAGE.glob("*.py"))
        for module in imported_modules(path)
        if module.startswith("langchain_s3vectors.") and module.split(".")[1] not in ALLOWED
    }
    assert offending == set()


def test_importing_the_server_loads_no_app_module() -> None:
    app_modules = ["app", "cli", "settings", "ingest", "embeddings", "manage", "migrate"]
    code = (
        "import sys, langchain_s3vectors.server\n"
        "print(sorted({m.split('.')[1] for m in sys.modules"
        f" if m.startswith('langchain_s3vectors.')}} & set({app_modules!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_every_former_name_is_importable_from_the_package() -> None:
    names = [
        "MAX_REGIONS",
        "SERVICE_NAME",
        "WRITE_CAPS_MODES",
        "ServerCredentials",
        "SigV4Verifier",
        "WriteCaps",
        "check_tls",
        "create_app",
        "is_loopback",
        "main",
        "refuse_open_exposure",
        "run",
        "serve_in_thread",
        "warn_if_exposed",
    ]
    assert [name for name in names if not hasattr(server, name)] == []
    assert set(server.__all__) <= set(names)


def test_python_dash_m_runs_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "langchain_s3vectors.server", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "--enforce-write-caps" in result.stdout
    assert "usage: python -m langchain_s3vectors.server" in result.stdout
