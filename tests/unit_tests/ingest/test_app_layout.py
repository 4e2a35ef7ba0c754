"""Where the RAG tool lives: langchain_s3vectors.app, above the library, old paths kept."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import textwrap
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

#: Old module -> new module, and one public name each must still provide.
MOVED = {
    "langchain_s3vectors.settings": ("langchain_s3vectors.app.settings", "store_from_env"),
    "langchain_s3vectors.embeddings": ("langchain_s3vectors.app.embeddings", "LazyEmbeddings"),
    "langchain_s3vectors.onnx_embeddings": (
        "langchain_s3vectors.app.onnx_embeddings",
        "onnx_embeddings",
    ),
    "langchain_s3vectors.ingest": ("langchain_s3vectors.app.ingest", "split_file"),
    "langchain_s3vectors.pipeline": ("langchain_s3vectors.app.pipeline", "embed_and_write"),
    "langchain_s3vectors.sharding": ("langchain_s3vectors.app.sharding", "Shard"),
    "langchain_s3vectors.migrate": ("langchain_s3vectors.app.migrate", "migrate_legacy"),
    "langchain_s3vectors.manage": ("langchain_s3vectors.app.admin", "list_sources"),
    "langchain_s3vectors.cli": ("langchain_s3vectors.app.cli", "make_app"),
}


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_gives_the_same_object_and_warns_naming_the_new_one(old: str) -> None:
    new, name = MOVED[old]
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated: import {name} from {new}"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


def test_the_new_paths_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for new, name in MOVED.values():
            getattr(importlib.import_module(new), name)


@pytest.mark.parametrize("name", ["no_such_name", "_chunks", "logger"])
def test_missing_private_names_and_the_logger_are_not_forwarded(name: str) -> None:
    module = importlib.import_module("langchain_s3vectors.ingest")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert getattr(module, name, None) is None


@pytest.mark.parametrize("module", ["langchain_s3vectors.cli", "langchain_s3vectors.app.cli"])
def test_python_dash_m_runs_the_command(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "query" in done.stdout
    assert "ingest" in done.stdout


def test_the_console_script_runs_the_new_cli() -> None:
    scripts = {ep.name: ep.value for ep in metadata.entry_points(group="console_scripts")}
    assert scripts["s3vectors-rag"] == "langchain_s3vectors.app.cli:main"


def test_the_library_never_imports_the_app_package() -> None:
    done = _run(
        """
        import importlib, json, pkgutil, sys
        import langchain_s3vectors
        skip = {"app", "cli", "embeddings", "ingest", "manage", "migrate",
                "onnx_embeddings", "pipeline", "settings", "sharding"}
        names = []
        for info in pkgutil.iter_modules(langchain_s3vectors.__path__, "langchain_s3vectors."):
            if info.name.split(".")[1] in skip:
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
        "langchain_s3vectors.app.loaders",
        "langchain_s3vectors.app.admin",
        "langchain_s3vectors.app.migrate",
        "langchain_s3vectors.server",
    }
    assert loaded & unwanted == set()
    assert "langchain_s3vectors.app.cli.search" in loaded
