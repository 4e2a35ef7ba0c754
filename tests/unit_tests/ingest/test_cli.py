"""The s3vectors-rag command, through typer's CliRunner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from langchain_s3vectors import server
from langchain_s3vectors.app.cli import EXIT_UNHEALTHY, make_app
from langchain_s3vectors.app.settings import S3VectorsSettings

from .conftest import DIM, fake_factory

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    return tmp_path / "kb"


@pytest.fixture
def docs(clean_env: Path) -> Path:
    root = clean_env / "docs"
    root.mkdir()
    (root / "cats.md").write_text("# Cats\n\nCats purr and sleep all day.")
    (root / "dogs.txt").write_text("Dogs bark at the mailman.")
    return root


def run(runner: CliRunner, app: Any, *args: str) -> Any:
    return runner.invoke(app, list(args))


def run_json(runner: CliRunner, app: Any, *args: str) -> Any:
    result = run(runner, app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_init(runner: CliRunner, app: Any, kb: Path) -> None:
    out = run_json(runner, app, "--local", str(kb), "init")
    assert out == {
        "bucket": "local",
        "index": "documents",
        "dimension": DIM,
        "distance_metric": "cosine",
    }
    text = run(runner, app, "--local", str(kb), "init")
    assert text.exit_code == 0
    assert "ready" in text.stdout


def test_query_k_goes_to_the_services_ceiling(runner: CliRunner, app: Any, kb: Path) -> None:
    """``-k`` up to QueryVectors' topK ceiling, 10,000 (botocore changelog 2026-06-16).

    More than one page of results (100 here) comes back whole: the store follows
    ``nextToken`` (S3 User Guide, "Querying vectors").
    """
    store = fake_factory(S3VectorsSettings(S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH=kb))
    store.add_texts([f"note {i}" for i in range(150)], ids=[f"n{i}" for i in range(150)])
    store.client.close()
    hits = run_json(runner, app, "--local", str(kb), "query", "note", "-k", "150")
    assert len(hits) == len({h["id"] for h in hits}) == 150
    over = run(runner, app, "--local", str(kb), "query", "note", "-k", "10001")
    assert over.exit_code == 2
    assert "10000" in over.output


def test_ingest_query_sources_stats_delete(
    runner: CliRunner, app: Any, kb: Path, docs: Path
) -> None:
    local = ("--local", str(kb))
    report = run_json(
        runner, app, *local, "ingest", "docs", "--chunk-size", "500", "--chunk-overlap", "50"
    )
    assert (report["files"], report["added"], report["unchanged"]) == (2, 2, 0)
    again = run_json(runner, app, *local, "ingest", "docs")
    assert (again["added"], again["unchanged"]) == (0, 2)
    plain = run(runner, app, *local, "ingest", "docs")
    assert plain.exit_code == 0
    assert "2 unchanged" in plain.stdout

    assert run_json(runner, app, *local, "sources") == {"docs/cats.md": 1, "docs/dogs.txt": 1}
    assert "docs/cats.md" in run(runner, app, *local, "sources").stdout

    for mode in ("similarity", "mmr", "hybrid", "fulltext"):
        hits = run_json(runner, app, *local, "query", "cats purr", "-k", "2", "--mode", mode)
        assert hits, mode
        assert {"id", "score", "score_kind", "metadata", "text"} <= set(hits[0])
        kinds = {"similarity": "relevance", "mmr": None, "hybrid": "fused", "fulltext": "bm25"}
        assert hits[0]["score_kind"] == kinds[mode]
        if mode == "similarity":
            assert all(0.0 <= h["score"] <= 1.0 for h in hits)
            assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    fulltext = run_json(runner, app, *local, "query", "mailman", "--mode", "fulltext")
    assert fulltext[0]["id"] == "docs/dogs.txt#0"
    filtered = run_json(
        runner,
        app,
        *local,
        "query",
        "animals",
        "-k",
        "5",
        "--filter",
        '{"source": "docs/dogs.txt"}',
    )
    assert [hit["metadata"]["source"] for hit in filtered] == ["docs/dogs.txt"]
    text = run(runner, app, *local, "query", "cats")
    assert text.exit_code == 0
    assert "1. docs/" in text.stdout

    stats = run_json(runner, app, *local, "stats")
    assert (stats["vectors"], stats["sources"], stats["dimension"]) == (2, 2, DIM)
    assert "distance_metric" in run(runner, app, *local, "stats").stdout

    deleted = run_json(runner, app, *local, "delete-source", "docs/cats.md")
    assert deleted == {"source": "docs/cats.md", "deleted": 1}
    assert run_json(runner, app, *local, "sources") == {"docs/dogs.txt": 1}
    missing = run(runner, app, *local, "delete-source", "docs/cats.md")
    assert missing.exit_code == 1
    assert "no chunks with source" in missing.output


def test_health(runner: CliRunner, app: Any, kb: Path, docs: Path) -> None:
    local = ("--local", str(kb))
    missing = run(runner, app, *local, "health", "--json")
    assert missing.exit_code == EXIT_UNHEALTHY
    assert json.loads(missing.stdout)["ok"] is False
    run(runner, app, *local, "ingest", "docs")
    healthy = run_json(runner, app, *local, "health")
    assert healthy["ok"] is True
    assert run(runner, app, *local, "health").exit_code == 0


def test_export_import(runner: CliRunner, app: Any, tmp_path: Path, docs: Path) -> None:
    source = ("--local", str(tmp_path / "one"))
    target = ("--local", str(tmp_path / "two"))
    run(runner, app, *source, "ingest", "docs")
    dump = tmp_path / "dump.jsonl"
    assert run_json(runner, app, *source, "export", str(dump)) == {"file": str(dump), "vectors": 2}
    assert len(dump.read_text().splitlines()) == 2
    assert run_json(runner, app, *target, "import", str(dump)) == {"file": str(dump), "vectors": 2}
    assert run_json(runner, app, *target, "sources") == {"docs/cats.md": 1, "docs/dogs.txt": 1}
    to_stdout = run(runner, app, *source, "export", "-")
    assert len(to_stdout.stdout.splitlines()) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text("garbage\n")
    result = run(runner, app, *target, "import", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith("Error: Line 1")
    assert "Traceback" not in result.output


def test_migrate_legacy(
    runner: CliRunner, app: Any, kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="old")
        s3.put_object(
            Bucket="old",
            Key="p/vectors/a.txt.json",
            Body=json.dumps({"chunks": [{"text": "legacy text"}]}).encode(),
        )
        first = run_json(
            runner, app, "--local", str(kb), "migrate-legacy", "--bucket", "old", "--prefix", "p"
        )
        second = run_json(
            runner, app, "--local", str(kb), "migrate-legacy", "--bucket", "old", "--prefix", "p"
        )
        missing = run(runner, app, "--local", str(kb), "migrate-legacy", "--bucket", "nope")
    assert missing.exit_code == 1
    assert missing.output.startswith("Error: legacy bucket s3://nope/vectors/ does not exist")
    assert "Traceback" not in missing.output
    assert (first["files_migrated"], first["chunks_written"]) == (1, 1)
    assert (second["files_migrated"], second["files_skipped"]) == (0, 1)


def test_errors_are_one_line_with_nonzero_exit(runner: CliRunner, app: Any, kb: Path) -> None:
    missing = run(runner, app, "--local", str(kb), "ingest", "nowhere")
    assert missing.exit_code == 1
    assert missing.output.strip().startswith("Error:")
    assert len(missing.output.strip().splitlines()) == 1
    assert "Traceback" not in missing.output

    bad_filter = run(runner, app, "--local", str(kb), "query", "x", "--filter", "{oops")
    assert bad_filter.exit_code == 2
    bad_mode = run(runner, app, "--local", str(kb), "query", "x", "--mode", "psychic")
    assert bad_mode.exit_code == 2


def test_aws_backend_without_configuration_fails_cleanly(runner: CliRunner) -> None:
    result = runner.invoke(make_app(), ["stats"])
    assert result.exit_code == 1
    assert "S3_VECTOR_BUCKET_NAME" in result.output
    assert "Traceback" not in result.output
    bad = runner.invoke(make_app(), ["stats"], env={"S3VECTORS_BACKEND": "cloud"})
    assert bad.exit_code == 1
    assert "invalid settings" in bad.output


def test_serve_calls_the_server(
    runner: CliRunner, app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Any, ...]] = []

    def fake_run(path: Any, host: str, port: int, **kwargs: Any) -> None:
        os.close(kwargs.pop("fd"))  # the listening socket the command bound
        calls.append((path, host, port, kwargs))

    monkeypatch.setattr(server, "run", fake_run)
    result = run(
        runner,
        app,
        "serve",
        "--local",
        str(tmp_path),
        "--port",
        "0",
        "--latency-ms",
        "5",
        "--enforce-write-caps",
    )
    assert result.exit_code == 0, result.output
    bound = calls[0][2]
    assert bound > 0  # --port 0: the command bound a free port and passed it on
    assert f"at http://127.0.0.1:{bound} " in result.stderr
    assert calls == [
        (
            tmp_path,
            "127.0.0.1",
            bound,
            {
                "latency_ms": 5.0,
                "enforce_write_caps": True,
                "credentials": None,
                "tls_cert": None,
                "tls_key": None,
                "allow_open_non_loopback": False,
                "log_level": "info",
                "access_log": True,
            },
        )
    ]


def test_import_without_typer_prints_hint_and_exits_1() -> None:
    code = "import sys; sys.modules['typer'] = None; import langchain_s3vectors.app.cli"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert 'pip install "langchain-s3vectors[cli]"' in done.stderr
    assert "Traceback" not in done.stderr


def test_ingest_prune(runner: CliRunner, app: Any, kb: Path, docs: Path) -> None:
    local = ("--local", str(kb))
    run_json(runner, app, *local, "ingest", "docs")
    (docs / "dogs.txt").unlink()
    kept = run_json(runner, app, *local, "ingest", "docs")
    assert kept["removed_sources"] == []
    assert "docs/dogs.txt" in run_json(runner, app, *local, "sources")
    pruned = run_json(runner, app, *local, "ingest", "docs", "--prune")
    assert pruned["removed_sources"] == ["docs/dogs.txt"]
    assert run_json(runner, app, *local, "sources") == {"docs/cats.md": 1}
