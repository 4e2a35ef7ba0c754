"""Choosing the full-text language of a new index: settings (.env), the CLI, and what
a query in Chinese says on an index whose language cannot split it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langchain_s3vectors.app.settings import S3VectorsSettings, build_store

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def zh_docs(clean_env: Path) -> Path:
    root = clean_env / "docs"
    root.mkdir()
    (root / "vectors.md").write_text("# 向量\n\n向量数据库用于相似度检索。", encoding="utf-8")
    (root / "weather.txt").write_text("今天的天气很好。", encoding="utf-8")
    return root


def run(runner: CliRunner, app: Any, *args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env)


def test_text_search_language_from_dotenv(clean_env: Path) -> None:
    (clean_env / ".env").write_text("S3VECTORS_BACKEND=local\nTEXT_SEARCH_LANGUAGE=ja\n")
    settings = S3VectorsSettings()
    assert settings.text_search_language == "ja"
    assert S3VectorsSettings(TEXT_SEARCH_LANGUAGE="none").text_search_language is None
    store = build_store(settings.model_copy(update={"local_path": clean_env / "kb"}))
    assert store.text_search_language == "ja"


def test_an_unknown_language_is_one_clear_line(runner: CliRunner, app: Any, tmp_path: Path) -> None:
    result = run(
        runner, app, "--local", str(tmp_path / "kb"), "--text-search-language", "xx", "init"
    )
    assert result.exit_code == 1
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1
    assert "TEXT_SEARCH_LANGUAGE must be one of en, fr, es, pt, it, de, nl, zh, ja, ko" in error
    assert not (tmp_path / "kb").exists()


def test_cli_creates_a_zh_index_that_finds_chinese_words(
    runner: CliRunner, app: Any, tmp_path: Path, zh_docs: Path
) -> None:
    kb = str(tmp_path / "kb")
    made = run(runner, app, "--local", kb, "--text-search-language", "zh", "ingest", str(zh_docs))
    assert made.exit_code == 0, made.output
    stats = json.loads(run(runner, app, "--local", kb, "stats", "--json").stdout)
    assert [entry["language"] for entry in stats["text_search"]] == ["zh"]
    hits = run(runner, app, "--local", kb, "query", "检索", "--mode", "fulltext", "--json")
    assert hits.exit_code == 0, hits.output
    assert [row["metadata"]["source"] for row in json.loads(hits.stdout)] == ["docs/vectors.md"]


def test_cli_query_on_an_en_index_says_why_chinese_matched_nothing(
    runner: CliRunner, app: Any, tmp_path: Path, zh_docs: Path
) -> None:
    kb = str(tmp_path / "kb")
    assert run(runner, app, "--local", kb, "ingest", str(zh_docs)).exit_code == 0
    result = run(runner, app, "--local", kb, "query", "检索", "--mode", "fulltext")
    assert result.exit_code == 0
    assert "No results." in result.stdout
    assert "language 'en'" in result.stderr
    assert "--text-search-language" in result.stderr
    hybrid = run(runner, app, "--local", kb, "query", "检索", "--mode", "hybrid")
    assert "hybrid search ran on vectors alone" in hybrid.stderr


def test_asking_another_language_for_an_existing_index_says_it_stays(
    runner: CliRunner, app: Any, tmp_path: Path, zh_docs: Path
) -> None:
    kb = str(tmp_path / "kb")
    assert run(runner, app, "--local", kb, "ingest", str(zh_docs)).exit_code == 0
    again = run(runner, app, "--local", kb, "--text-search-language", "zh", "ingest", str(zh_docs))
    assert again.exit_code == 0, again.output
    assert "already exists with en" in again.stderr
    assert "applies to a new index only" in again.stderr
    quiet = run(runner, app, "--local", kb, "ingest", str(zh_docs))
    assert "Note:" not in quiet.stderr
