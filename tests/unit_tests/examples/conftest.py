"""Fixtures for the example tests: the real model, loaded once, and the quickstart's store.

The quickstart runs once per test session (its ``main``, into a temporary directory)
and every other example test reuses the store it built, so the corpus is embedded
once.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

import pytest

from langchain_s3vectors import S3VectorsStore
from langchain_s3vectors.app.embeddings import default_embeddings

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

import quickstart  # noqa: E402 - lives in examples/, put on sys.path above


@pytest.fixture(scope="session")
def embedding() -> Any:
    return default_embeddings()


@pytest.fixture(scope="session")
def quickstart_run(tmp_path_factory: pytest.TempPathFactory, embedding: Any) -> dict[str, Any]:
    """Run ``examples/quickstart.py``'s main once; its output, results and store path."""
    path = tmp_path_factory.mktemp("quickstart") / "store"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        results = quickstart.main(["--path", str(path)])
    return {"stdout": out.getvalue(), "results": results, "path": path}


@pytest.fixture(scope="session")
def corpus_store(quickstart_run: dict[str, Any], embedding: Any) -> Any:
    """The store the quickstart built, reopened from disk."""
    return S3VectorsStore.local(quickstart_run["path"], embedding)
