"""The s3vectors-rag command never destroys or creates data by mistake, and explains refusals.

Reading commands create nothing and open stores read-only; writing commands say what
they change; an output file is replaced only when complete; every refusal is one line
on stderr that names the input and the fix, before any work.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from langchain_s3vectors.app import admin
from langchain_s3vectors.app.cli import EXIT_UNHEALTHY, EXIT_USAGE
from langchain_s3vectors.errors import InvalidInputError, TransientServiceError
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import DIM, CountingEmbeddings

pytestmark = pytest.mark.usefixtures("clean_env")


def run(runner: CliRunner, app: Any, *args: str) -> Any:
    return runner.invoke(app, list(args))


def run_json(runner: CliRunner, app: Any, *args: str) -> Any:
    result = run(runner, app, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one_error_line(result: Any) -> str:
    """The single ``Error: ...`` line a refused command prints (no traceback)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines
    assert "Traceback" not in result.output
    return str(lines[0])


def _folder(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


# ------------------------------------------------------------------ 1. prune


def test_prune_with_the_folder_as_root_keeps_other_folders_and_dry_run_shows_it(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    kb = ("--local", str(tmp_path / "kb"))
    a = _folder(tmp_path / "projA", {"a1.md": "alpha one", "a2.md": "alpha two"})
    b = _folder(tmp_path / "projB", {"b1.md": "beta one", "b2.md": "beta two"})
    run_json(runner, app, *kb, "ingest", str(a), "--root", str(a))
    run_json(runner, app, *kb, "ingest", str(b), "--root", str(b))
    pruned = run(runner, app, *kb, "ingest", str(b), "--root", str(b), "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "removed" not in pruned.stdout
    assert set(run_json(runner, app, *kb, "sources")) == {"a1.md", "a2.md", "b1.md", "b2.md"}

    (b / "b1.md").unlink()
    dry = run(runner, app, *kb, "ingest", str(b), "--root", str(b), "--prune", "--dry-run")
    assert dry.exit_code == 0, dry.output
    summary = (
        "Dry run: 1 files, 1 chunks: would add 0, update 0, leave 1 unchanged and delete 1. "
        "Nothing was changed."
    )
    assert dry.stdout.splitlines() == [summary, "would remove b1.md"]
    assert "b1.md" in run_json(runner, app, *kb, "sources")
    done = run_json(runner, app, *kb, "ingest", str(b), "--root", str(b), "--prune")
    assert done["removed_sources"] == ["b1.md"]
    assert set(run_json(runner, app, *kb, "sources")) == {"a1.md", "a2.md", "b2.md"}


def test_same_name_in_another_root_is_not_overwritten_unless_taken_over(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    """Two folders ingested from their own roots both have readme.md: one key.

    The second ingest must not replace the first folder's chunks (nothing lost); it
    skips the file with the fix in one line, dry run or not. ``--take-over`` (a moved
    folder) replaces them, and the chunks then belong to the new root.
    """
    kb = ("--local", str(tmp_path / "kb"))
    a = _folder(tmp_path / "projA", {"readme.md": "alpha readme", "a.md": "alpha"})
    b = _folder(tmp_path / "projB", {"readme.md": "beta readme", "b.md": "beta"})
    run_json(runner, app, *kb, "ingest", str(a), "--root", str(a))
    for extra in (["--dry-run"], []):
        report = run_json(runner, app, *kb, "ingest", str(b), "--root", str(b), *extra)
        assert report["added"] == 1  # b.md
        assert [f["source"] for f in report["failed"]] == ["readme.md"]
        assert "--take-over" in report["failed"][0]["reason"]
    hits = run_json(runner, app, *kb, "query", "readme", "-k", "5", "--mode", "fulltext")
    assert [h["text"] for h in hits if h["metadata"]["source"] == "readme.md"] == ["alpha readme"]
    plain = run(runner, app, *kb, "ingest", str(b), "--root", str(b))
    assert plain.exit_code == 0
    assert "skipped readme.md: already in the index from another folder" in plain.stdout

    moved = run_json(runner, app, *kb, "ingest", str(b), "--root", str(b), "--take-over")
    assert (moved["updated"], moved["failed"]) == (1, [])
    again = run_json(runner, app, *kb, "ingest", str(b), "--root", str(b))
    assert (again["unchanged"], again["failed"]) == (2, [])
    # Now projA's readme.md is the one from another root.
    back = run_json(runner, app, *kb, "ingest", str(a), "--root", str(a))
    assert [f["source"] for f in back["failed"]] == ["readme.md"]


def test_dry_run_on_a_new_store_creates_nothing(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    docs = _folder(tmp_path / "docs", {"a.md": "alpha", "b.md": "beta"})
    kb = tmp_path / "kb"
    plan = run_json(runner, app, "--local", str(kb), "ingest", str(docs), "--dry-run")
    assert (plan["dry_run"], plan["added"], plan["files"]) == (True, 2, 2)
    assert not kb.exists()


# ------------------------------------------------------------------ 2. mistyped paths


@pytest.mark.parametrize(
    "command",
    [["stats"], ["sources"], ["query", "anything"], ["export", "OUT"], ["delete-source", "a.md"]],
)
def test_reading_a_mistyped_store_path_creates_nothing(
    runner: CliRunner, app: Any, tmp_path: Path, command: list[str]
) -> None:
    typo = tmp_path / "kbb"
    precious = tmp_path / "precious.jsonl"
    precious.write_text('{"key": "keep me"}\n')
    args = [str(precious) if part == "OUT" else part for part in command]
    result = run(runner, app, "--local", str(typo), *args)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"Error: no store at --local {typo}: {typo}/s3vectors.sqlite3 does not exist. Check "
        f"the path; `s3vectors-rag --local {typo} ingest FOLDER` creates a store there."
    )
    assert not typo.exists()
    assert precious.read_text() == '{"key": "keep me"}\n'


def test_health_on_a_mistyped_path_reports_it_and_creates_nothing(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    typo = tmp_path / "kbb"
    result = run(runner, app, "--local", str(typo), "health", "--json")
    assert result.exit_code == EXIT_UNHEALTHY
    (check,) = json.loads(result.stdout)["checks"]
    assert check["name"] == "store"
    assert check["message"].startswith(f"no store at --local {typo}")
    assert not typo.exists()


def test_query_and_export_refuse_an_index_that_does_not_exist(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    kb = ("--local", str(tmp_path / "kb"))
    run_json(runner, app, *kb, "ingest", str(_folder(tmp_path / "docs", {"a.md": "alpha"})))
    for command in (["query", "alpha"], ["export", str(tmp_path / "out.jsonl")]):
        result = run(runner, app, *kb, "--index", "docs-typo", *command)
        assert result.exit_code == 1
        assert one_error_line(result).startswith(
            "Error: index 'docs-typo' does not exist in bucket 'local': check --index"
        )
    assert not (tmp_path / "out.jsonl").exists()


def test_writing_commands_say_when_they_create_a_store(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    kb = tmp_path / "kb"
    docs = _folder(tmp_path / "docs", {"a.md": "alpha"})
    first = run(runner, app, "--local", str(kb), "ingest", str(docs))
    assert first.stderr.splitlines()[0] == f"Creating a new store in {kb}."
    again = run(runner, app, "--local", str(kb), "ingest", str(docs))
    assert "Creating" not in again.stderr


def test_a_missing_input_folder_is_refused_before_the_store_is_created(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    kb = tmp_path / "kb"
    result = run(runner, app, "--local", str(kb), "ingest", "nowhere")
    assert one_error_line(result) == (
        "Error: Cannot ingest nowhere: no such file or directory. Check the path."
    )
    assert not kb.exists()


def test_a_failed_export_leaves_the_existing_file_as_it_was(
    runner: CliRunner, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = ("--local", str(tmp_path / "kb"))
    run_json(runner, app, *kb, "ingest", str(_folder(tmp_path / "docs", {"a.md": "alpha"})))
    out = tmp_path / "backup.jsonl"
    out.write_text("yesterday's backup\n")

    def failing_export(store: Any, handle: Any, **_: Any) -> int:
        handle.write('{"key": "half"}\n')
        msg = "ListVectors failed: service unavailable"
        raise TransientServiceError(msg)

    monkeypatch.setattr(admin, "export_jsonl", failing_export)
    result = run(runner, app, *kb, "export", str(out))
    assert result.exit_code == 1
    assert one_error_line(result) == "Error: ListVectors failed: service unavailable"
    assert out.read_text() == "yesterday's backup\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.jsonl", "cwd", "docs", "kb"]

    monkeypatch.undo()
    done = run_json(runner, app, *kb, "export", str(out))
    assert done["vectors"] == 1
    assert json.loads(out.read_text())["key"].endswith("docs/a.md#0")


def test_a_store_path_that_is_a_file_is_refused(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("my notes")
    for command in (["stats"], ["ingest", str(tmp_path)]):
        result = run(runner, app, "--local", str(not_a_folder), *command)
        assert result.exit_code == 1
        assert one_error_line(result) == (
            f"Error: --local {not_a_folder} is a file, not a store folder: pass the folder "
            "that holds s3vectors.sqlite3 (or a new folder's path to create a store)."
        )
    assert not_a_folder.read_text() == "my notes"


# ------------------------------------------------------------------ 7. refusals


def test_chunk_size_too_large_is_refused_naming_the_option(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    kb = tmp_path / "kb"
    docs = _folder(tmp_path / "docs", {"a.md": "alpha"})
    result = run(runner, app, "--local", str(kb), "ingest", str(docs), "--chunk-size", "100000")
    assert result.exit_code == EXIT_USAGE
    assert one_error_line(result) == (
        "Error: --chunk-size 100000 is too large: each chunk's text is stored in its vector's "
        "metadata (40 KB at most), so the largest size that always fits is 8000 characters. "
        "Use --chunk-size 8000 or less."
    )
    assert not kb.exists()
    overlap = run(runner, app, "--local", str(kb), "ingest", str(docs), "--chunk-size", "100")
    assert overlap.exit_code == EXIT_USAGE
    assert "--chunk-overlap 150 must be smaller than --chunk-size 100" in overlap.stderr


@pytest.mark.parametrize("mode", ["similarity", "mmr", "hybrid", "fulltext"])
def test_an_empty_query_is_refused_in_every_mode(
    runner: CliRunner, app: Any, tmp_path: Path, mode: str
) -> None:
    kb = ("--local", str(tmp_path / "kb"))
    run_json(runner, app, *kb, "ingest", str(_folder(tmp_path / "docs", {"a.md": "alpha"})))
    for text in ("", "   "):
        result = run(runner, app, *kb, "query", text, "--mode", mode)
        assert result.exit_code == EXIT_USAGE
        assert one_error_line(result) == (
            "Error: the query is empty: give some text to search for, e.g. "
            "s3vectors-rag query 'how do I rotate keys?'"
        )


def test_store_refuses_empty_queries_and_lone_surrogates_in_every_mode() -> None:
    store = S3VectorsStore.local(None, CountingEmbeddings(DIM))
    store.add_texts(["alpha"], ids=["a"])
    searches = [
        store.similarity_search,
        store.similarity_search_with_relevance_scores,
        store.max_marginal_relevance_search,
        store.fulltext_search,
        store.hybrid_search,
    ]
    for search in searches:
        for query in ("", " \n"):
            with pytest.raises(InvalidInputError, match="must contain some text"):
                search(query)
        with pytest.raises(InvalidInputError, match="lone surrogate '\\\\ud800'"):
            search("caf\ud800")
    with pytest.raises(InvalidInputError, match="lone surrogate '\\\\udc80'"):
        store.add_texts(["bad \udc80 text"], ids=["b"])
    assert store.get_by_ids(["b"]) == []


def test_an_out_of_range_value_is_not_called_nan() -> None:
    store = S3VectorsStore.local(None, CountingEmbeddings(2))
    with pytest.raises(InvalidInputError) as caught:
        store.add_embeddings(["x"], [[1e39, 0.0]], ids=["x"])
    assert "NaN" not in str(caught.value)
    assert "float32 holds magnitudes up to 3.403e+38" in str(caught.value)


def test_read_only_setting_refuses_writes_in_one_line(
    runner: CliRunner, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = tmp_path / "kb"
    docs = _folder(tmp_path / "docs", {"a.md": "alpha"})
    run_json(runner, app, "--local", str(kb), "ingest", str(docs))
    monkeypatch.setenv("S3VECTORS_LOCAL_READ_ONLY", "true")
    result = run(runner, app, "--local", str(kb), "ingest", str(docs))
    assert one_error_line(result).startswith(
        "Error: the local store is opened read-only (S3VECTORS_LOCAL_READ_ONLY=true)"
    )
    assert list(run_json(runner, app, "--local", str(kb), "sources")) == [f"{docs}/a.md"]


# ------------------------------------------------------------------ 4. read-only stores


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    """A store with two documents, its folder and file made read-only."""
    kb = tmp_path / "kb"
    store = S3VectorsStore.local(kb, CountingEmbeddings(384))
    store.add_texts(
        ["Rotate access keys every ninety days.", "Cats purr."],
        [{"source": "keys.md"}, {"source": "cats.md"}],
        ids=["keys.md#0", "cats.md#0"],
    )
    store.client.close()
    (kb / "s3vectors.sqlite3").chmod(0o444)
    kb.chmod(0o555)
    try:
        yield kb
    finally:
        kb.chmod(0o755)


def _as_reader() -> list[str]:
    """The prefix that runs a command so that read-only permissions stop its writes.

    They stop any user but root, whose capabilities override them. As root the command
    keeps its user id and runs without capabilities (``setpriv``): the mode bits then bind
    it as they bind any owner. (Switching to another user, such as ``nobody``, fails
    wherever the checkout or its virtual environment is private to its owner: a clone
    under ``/root`` or in a ``0700`` directory.)
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): cannot drop root's capabilities")
    prefix = [setpriv, "--bounding-set=-all", "--inh-caps=-all"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import langchain_s3vectors.app.cli"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"running as root, and Python cannot start without capabilities: {reason}")
    return prefix


def _cli_as_reader(prefix: list[str], kb: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(kb.parent),
        "HF_HUB_OFFLINE": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return subprocess.run(
        [*prefix, sys.executable, "-m", "langchain_s3vectors.app.cli", "--local", str(kb), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=kb.parent,
        env=env,
    )


def test_a_read_only_store_can_be_read_and_refuses_writes_in_one_line(
    read_only_store: Path,
) -> None:
    kb, reader = read_only_store, _as_reader()
    sources = _cli_as_reader(reader, kb, "sources", "--json")
    assert sources.returncode == 0, sources.stderr
    assert json.loads(sources.stdout) == {"cats.md": 1, "keys.md": 1}
    stats = _cli_as_reader(reader, kb, "stats", "--json")
    assert json.loads(stats.stdout)["vectors"] == 2
    hits = _cli_as_reader(reader, kb, "query", "rotate keys", "--mode", "fulltext", "--json")
    assert json.loads(hits.stdout)[0]["id"] == "keys.md#0"
    health = _cli_as_reader(reader, kb, "health", "--json")
    assert json.loads(health.stdout)["ok"] is True, health.stdout
    exported = _cli_as_reader(reader, kb, "export", "-")
    assert len(exported.stdout.splitlines()) == 2

    refused = _cli_as_reader(reader, kb, "delete-source", "cats.md")
    assert refused.returncode == 1
    message = (
        f"Error: the store at --local {kb} is read-only ({kb}/s3vectors.sqlite3 is not "
        "writable) and this command writes. Commands that read (query, sources, stats, "
        "export) still work; to change the store, use a writable copy of the folder."
    )
    assert refused.stderr.strip().splitlines() == [message]
    assert sorted(p.name for p in kb.iterdir()) == ["s3vectors.sqlite3"]


# ------------------------------------------------------------------ 3. serve


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "langchain_s3vectors.app.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
        env={**os.environ, "AWS_EC2_METADATA_DISABLED": "true"},
    )


def _read_until(process: subprocess.Popen[str], marker: str) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    pytest.fail(f"the server exited before printing {marker!r}: {lines}")


def _client(port: int) -> Any:
    return boto3.client(
        "s3vectors",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_serve_uses_the_global_local_store_and_logs_each_request(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    LocalS3VectorsClient(str(kb)).create_vector_bucket(vectorBucketName="team-kb")
    port = _free_port()
    server = _serve("--local", str(kb), "serve", "--port", str(port), cwd=tmp_path)
    try:
        started = _read_until(server, "Press Ctrl+C")
        assert started[-1] == (
            f"Serving the store in {kb} over the S3 Vectors API at http://127.0.0.1:{port} "
            "(no authentication). Press Ctrl+C to stop."
        )
        buckets = _client(port).list_vector_buckets()["vectorBuckets"]
        assert [b["vectorBucketName"] for b in buckets] == ["team-kb"]
        request = _read_until(server, "ListVectorBuckets")
        assert '"POST /ListVectorBuckets HTTP/1.1" 200' in request[-1]
    finally:
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=60)
    assert server.returncode == 0
    assert f"Stopped serving the store in {kb}." in rest


def test_serve_quiet_logs_no_requests(tmp_path: Path) -> None:
    port = _free_port()
    server = _serve("serve", "--quiet", "--port", str(port), cwd=tmp_path)
    try:
        first = _read_until(server, "Press Ctrl+C")
        assert "an in-memory store (lost at exit)" in first[0]
        _client(port).create_vector_bucket(vectorBucketName="scratch")
        assert _client(port).list_vector_buckets()["vectorBuckets"]
    finally:
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=60)
    assert "POST /" not in rest
    assert "Stopped serving an in-memory store" in rest


def test_serve_refuses_two_different_store_folders(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    result = run(
        runner, app, "--local", str(tmp_path / "a"), "serve", "--local", str(tmp_path / "b")
    )
    assert result.exit_code == EXIT_USAGE
    assert "two store folders given" in one_error_line(result)
    assert not (tmp_path / "a").exists()
    assert not (tmp_path / "b").exists()


def test_the_command_leaves_package_logging_as_it_found_it(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    log = logging.getLogger("langchain_s3vectors")
    before = (list(log.handlers), log.level)
    docs = _folder(tmp_path / "docs", {"a.md": "alpha"})
    result = run(runner, app, "--local", str(tmp_path / "kb"), "ingest", str(docs))
    assert result.exit_code == 0
    assert "embedded 1/1 chunks" in result.stderr  # progress lines while it ran
    assert (list(log.handlers), log.level) == before
