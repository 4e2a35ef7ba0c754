"""Where the RAG tool lives: langchain_s3vectors.app, above the library."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

#: Modules that moved to ``langchain_s3vectors.app`` before 0.1.0 (and the batch runner
#: that moved to ``execution``/``records``); the old paths are gone, not aliased.
REMOVED = [
    "langchain_s3vectors.batching",
    "langchain_s3vectors.cli",
    "langchain_s3vectors.embeddings",
    "langchain_s3vectors.ingest",
    "langchain_s3vectors.manage",
    "langchain_s3vectors.migrate",
    "langchain_s3vectors.onnx_embeddings",
    "langchain_s3vectors.pipeline",
    "langchain_s3vectors.settings",
    "langchain_s3vectors.sharding",
]


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("old", REMOVED)
def test_the_old_module_paths_are_gone(old: str) -> None:
    with pytest.raises(ModuleNotFoundError, match=old):
        importlib.import_module(old)


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "langchain_s3vectors.app.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "query" in done.stdout
    assert "ingest" in done.stdout


def test_the_console_script_runs_the_app_cli() -> None:
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts["s3vectors-rag"] == "langchain_s3vectors.app.cli:main"


def test_the_library_never_imports_the_app_package() -> None:
    done = _run(
        """
        import importlib, json, pkgutil, sys
        import langchain_s3vectors
        names = []
        for info in pkgutil.iter_modules(langchain_s3vectors.__path__, "langchain_s3vectors."):
            if info.name == "langchain_s3vectors.app":
                continue
            names.append(info.name)
            if info.ispkg:
                package = importlib.import_module(info.name)
                names += [i.name for i in pkgutil.walk_packages(package.__path__, info.name + ".")]
        for name in names:
            try:
                importlib.import_module(name)
            except ImportError:  # an extra that is not installed
                pass
        app = sorted(m for m in sys.modules if m.startswith("langchain_s3vectors.app"))
        print(json.dumps({"imported": names, "app": app}))
        """
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert {"langchain_s3vectors.vectorstores", "langchain_s3vectors.local"} <= set(
        result["imported"]
    )
    assert result["app"] == []


def test_query_loads_no_ingestion_admin_or_torch(app: Any, clean_env: Path) -> None:
    kb = clean_env / "kb"
    docs = clean_env / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nS3 Vectors stores vectors.", encoding="utf-8")
    ingested = CliRunner().invoke(app, ["--local", str(kb), "ingest", str(docs)])
    assert ingested.exit_code == 0, ingested.output
    done = _run(
        """
        import json, sys
        from langchain_s3vectors.app.cli import make_app
        from langchain_core.embeddings import DeterministicFakeEmbedding
        from langchain_s3vectors.app.settings import build_store

        fake = DeterministicFakeEmbedding(size=16)
        app = make_app(lambda settings: build_store(settings, embedding=fake))
        try:
            app(["--local", sys.argv[1], "query", "vectors", "--json"])
        except SystemExit as exc:
            assert not exc.code, exc.code
        print(json.dumps(sorted(sys.modules)))
        """,
        str(kb),
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    unwanted = {
        "torch",
        "sentence_transformers",
        "langchain_text_splitters",
        "pypdf",
        "langchain_s3vectors.app.ingest",
        "langchain_s3vectors.app.planning",
        "langchain_s3vectors.app.loaders",
        "langchain_s3vectors.app.discovery",
        "langchain_s3vectors.app.admin",
        "langchain_s3vectors.app.migrate",
        "langchain_s3vectors.server",
    }
    assert loaded & unwanted == set()
    assert "langchain_s3vectors.app.cli.search" in loaded
