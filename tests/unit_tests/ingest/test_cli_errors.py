"""s3vectors-rag when things go wrong: damaged stores, wrong models, bad files, Ctrl-C.

Each failure is one ``Error:`` line on stderr naming the problem and the fix, with the
exit code of :mod:`langchain_s3vectors.app.cli.main`; never a traceback.
"""

from __future__ import annotations

import io
import json
import signal
import sqlite3
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langchain_s3vectors import limits
from langchain_s3vectors.app.admin import import_jsonl
from langchain_s3vectors.app.cli import EXIT_INTERRUPTED, EXIT_UNHEALTHY, EXIT_USAGE, make_app
from langchain_s3vectors.app.settings import build_store
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.local import DB_FILENAME
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import DIM, CountingEmbeddings

pytestmark = pytest.mark.usefixtures("clean_env")


def run(runner: CliRunner, app: Any, *args: str) -> Any:
    return runner.invoke(app, list(args))


def one_error_line(result: Any) -> str:
    """The single ``Error: ...`` line a refused command prints (no traceback)."""
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines, result.output
    assert lines[-1].startswith("Error: "), lines
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, lines
    return str(lines[-1])


def _docs(folder: Path, count: int = 3, paragraphs: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        text = "\n\n".join(
            f"Paragraph {j} of file {i}: readers continue while a writer commits."
            for j in range(paragraphs)
        )
        (folder / f"f{i}.md").write_text(text)
    return folder


def _ingested(runner: CliRunner, app: Any, tmp_path: Path) -> tuple[str, str]:
    kb = ("--local", str(tmp_path / "kb"))
    docs = _docs(tmp_path / "docs")
    result = run(
        runner,
        app,
        *kb,
        "ingest",
        str(docs),
        "--root",
        str(docs),
        "--chunk-size",
        "100",
        "--chunk-overlap",
        "0",
    )
    assert result.exit_code == 0, result.output
    return kb


# ----------------------------------------------------------------- deep filters


@pytest.mark.parametrize("levels", [limits.MAX_FILTER_DEPTH + 1, 400, 100_000])
def test_a_deeply_nested_filter_is_one_line(
    runner: CliRunner, app: Any, tmp_path: Path, levels: int
) -> None:
    kb = _ingested(runner, app, tmp_path)
    deep = '{"$and": [' * levels + '{"source": "f0.md"}' + "]}" * levels
    result = run(runner, app, *kb, "query", "readers", "--filter", deep)
    line = one_error_line(result)
    assert result.exit_code in {1, EXIT_USAGE}
    assert "nested" in line
    assert "RecursionError" not in result.output


# ----------------------------------------------------------------- import


def _exported(runner: CliRunner, app: Any, tmp_path: Path) -> tuple[Path, list[str]]:
    kb = _ingested(runner, app, tmp_path)
    file = tmp_path / "all.jsonl"
    assert run(runner, app, *kb, "export", str(file)).exit_code == 0
    lines = file.read_text().splitlines()
    assert len(lines) == 12
    return file, lines


def test_import_with_a_bad_line_writes_nothing_and_a_rerun_after_the_fix_is_safe(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    file, lines = _exported(runner, app, tmp_path)
    good = lines[6]
    lines[6] = '{"key": "x", "data": ["not a number"]}'
    file.write_text("\n".join(lines) + "\n")
    target = ("--local", str(tmp_path / "copy"))
    result = run(runner, app, *target, "import", str(file))
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "Error: Line 7: data must be a non-empty list of numbers. Nothing was imported "
        "(every line is checked first): fix it and run again."
    )
    assert not (tmp_path / "copy").exists()  # refused before a store was created

    lines[6] = good
    file.write_text("\n".join(lines) + "\n")
    for _ in range(2):  # import is an upsert by key: running it again changes nothing
        again = run(runner, app, *target, "import", str(file), "--json")
        assert again.exit_code == 0, again.output
        assert json.loads(again.stdout)["vectors"] == 12
        sources = json.loads(run(runner, app, *target, "sources", "--json").stdout)
        assert sources == {"f0.md": 4, "f1.md": 4, "f2.md": 4}


def test_import_from_a_stream_says_how_many_were_written(tmp_path: Path) -> None:
    class Stream(io.StringIO):
        def seekable(self) -> bool:
            return False

    records = [
        json.dumps({"key": f"k{i}", "data": [1.0, float(i)], "metadata": {"n": i}})
        for i in range(7)
    ]
    records[5] = "{not json"
    store = S3VectorsStore.local(None, None)
    with pytest.raises(InvalidInputError) as caught:
        import_jsonl(store, Stream("\n".join(records)), batch_size=2)
    message = str(caught.value)
    assert message.startswith("Line 6 is not valid JSON")
    assert "4 vectors were imported before this" in message
    assert "running it again after fixing the problem is safe" in message
    assert len(list(store.iter_records())) == 4


def test_import_of_a_file_that_is_not_text_is_one_line(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    file = tmp_path / "binary.jsonl"
    file.write_bytes(b"\xff\xfe\x00garbage\n")
    result = run(runner, app, "--local", str(tmp_path / "kb"), "import", str(file))
    assert result.exit_code == 1
    assert "not UTF-8 text" in one_error_line(result)


# ----------------------------------------------------------------- damaged store


def _fts_tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT fts_table FROM text_fields").fetchall()
    return [row[0] for row in rows]


def test_health_and_fulltext_queries_report_a_damaged_fulltext_index(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    kb = _ingested(runner, app, tmp_path)
    db = tmp_path / "kb" / DB_FILENAME
    assert run(runner, app, *kb, "health").exit_code == 0
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute(f"DROP TABLE {_fts_tables(db)[0]}_config")  # a shadow table of FTS5
    conn.close()

    health = run(runner, app, *kb, "health")
    assert health.exit_code == EXIT_UNHEALTHY
    first = health.stdout.splitlines()[0]
    assert first.startswith("FAIL store: the local store is damaged: the full-text index")
    assert "s3vectors-rag export FILE" in health.stdout
    for mode in ("fulltext", "hybrid"):
        query = run(runner, app, *kb, "query", "readers", "--mode", mode)
        assert query.exit_code == 1
        line = one_error_line(query)
        assert "the local store is damaged: its full-text index" in line
        assert "s3vectors-rag health" in line


def test_health_reports_a_store_whose_pages_are_corrupt(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    kb = _ingested(runner, app, tmp_path)
    db = tmp_path / "kb" / DB_FILENAME
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'vectors'").fetchone()
    with db.open("r+b") as handle:  # scribble over the cell pointers of the vectors table
        handle.seek(page * (root[0] - 1) + 8)
        handle.write(b"\xde\xad\xbe\xef" * 200)
    health = run(runner, app, *kb, "health")
    assert health.exit_code == EXIT_UNHEALTHY
    assert "Traceback" not in health.output
    assert health.stdout.startswith("FAIL store: the local store is damaged: SQLite's")


# ----------------------------------------------------------------- wrong model


def test_ingest_with_a_model_of_another_dimension_fails_before_embedding(
    runner: CliRunner, tmp_path: Path
) -> None:
    kb = _ingested(
        runner, make_app(lambda s: build_store(s, embedding=CountingEmbeddings())), tmp_path
    )
    wide = CountingEmbeddings(size=2 * DIM)
    app = make_app(lambda settings: build_store(settings, embedding=wide))
    more = _docs(tmp_path / "more", count=4, paragraphs=200)
    result = run(
        runner, app, *kb, "ingest", str(more), "--chunk-size", "100", "--chunk-overlap", "0"
    )
    assert result.exit_code == 1
    line = one_error_line(result)
    assert line == (
        f"Error: the embedding model makes {2 * DIM}-dimensional vectors but index "
        f"'documents' in bucket 'local' holds {DIM}-dimensional ones; nothing was embedded "
        "or written. Use the model the index was built with (EMBEDDING_MODEL), or ingest "
        "into a new index (--index NAME or S3_VECTOR_INDEX_NAME)."
    )
    assert ".stored_ids" not in result.output
    assert wide.texts == 0


# ----------------------------------------------------------------- Unicode names


def test_a_source_stored_decomposed_is_deleted_by_its_composed_name(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    nfd = unicodedata.normalize("NFD", "Café.md")
    (docs / nfd).write_text("Notes from the café.")
    kb = ("--local", str(tmp_path / "kb"))
    assert run(runner, app, *kb, "ingest", str(docs), "--root", str(docs)).exit_code == 0
    assert json.loads(run(runner, app, *kb, "sources", "--json").stdout) == {nfd: 1}
    nfc = unicodedata.normalize("NFC", nfd)
    result = run(runner, app, *kb, "delete-source", nfc)
    assert result.exit_code == 0, result.output
    assert json.loads(run(runner, app, *kb, "sources", "--json").stdout) == {}


# ----------------------------------------------------------------- Ctrl-C, serve


class InterruptingEmbeddings(CountingEmbeddings):
    """Fake embeddings that send this process SIGINT (Ctrl-C) during their second call."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = super().embed_documents(texts)
        if self.calls == 2:
            signal.raise_signal(signal.SIGINT)
        return vectors


def test_ctrl_c_during_an_ingest_says_what_was_stored_and_a_rerun_resumes(
    runner: CliRunner, tmp_path: Path
) -> None:
    embedding = InterruptingEmbeddings()
    app = make_app(lambda settings: build_store(settings, embedding=embedding))
    docs = _docs(tmp_path / "docs", count=4, paragraphs=200)
    kb = ("--local", str(tmp_path / "kb"))
    args = (
        *kb,
        "ingest",
        str(docs),
        "--root",
        str(docs),
        "--chunk-size",
        "100",
        "--chunk-overlap",
        "0",
    )
    result = run(runner, app, *args)
    assert result.exit_code == EXIT_INTERRUPTED
    assert "Stopping after the current batch" in result.stderr
    line = one_error_line(result)
    assert line.startswith("Error: Interrupted: ingest cancelled after 512 of 800 chunks")
    assert "ingest again to finish" in line
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    again = run(runner, app, *args, "--json")
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert (report["added"], report["unchanged"]) == (288, 512)


def test_serve_says_when_it_creates_a_store(
    runner: CliRunner, app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_s3vectors.app.cli import serve  # noqa: PLC0415

    served: list[Path | None] = []
    monkeypatch.setattr(serve, "_serve", lambda run_, path, *a, **k: served.append(path))
    for where in (("serve", "--local", "new"), ("--local", "new", "serve")):
        result = run(runner, app, *(str(tmp_path / w) if w == "new" else w for w in where))
        assert result.exit_code == 0, result.output
        assert f"Creating a new store in {tmp_path / 'new'}." in result.stderr
    assert served == [tmp_path / "new"] * 2
