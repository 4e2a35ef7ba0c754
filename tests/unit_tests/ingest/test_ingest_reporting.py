"""What ingest reads from a file, and what it says about the files it does not store.

Markdown front matter (the YAML block Jekyll, Hugo, MkDocs and Obsidian put at the top of
a page) is metadata, not text: it is not embedded, its ``title`` is the document's title
and its simple fields are filterable metadata. Files that are found but not stored are
counted by reason (unsupported type, no text, unreadable) in the report, the summary line
and ``--json``; a folder with nothing to read is refused with the supported types.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from typer.testing import CliRunner

from langchain_s3vectors import limits
from langchain_s3vectors.app.admin import list_sources
from langchain_s3vectors.app.ingest import ingest
from langchain_s3vectors.app.loaders import NO_PDF_TEXT, NO_TEXT, split_file
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.limits import json_size
from langchain_s3vectors.vectorstores import S3VectorsStore

pytestmark = pytest.mark.usefixtures("clean_env")

FRONT = """\
---
title: "SQLite: WAL mode"
tags: [sqlite, wal]
year: 2024
published: 2024-03-05
draft: false
author:
  name: Ada
empty:
---
# A heading that is not the title

Readers do not block writers in WAL mode.
"""


def _blank_pdf(path: Path) -> Path:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    with path.open("wb") as out:
        writer.write(out)
    return path


def _broken_pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    return path


# ------------------------------------------------------------------ front matter


def test_front_matter_is_metadata_not_text(tmp_path: Path, store: S3VectorsStore) -> None:
    (tmp_path / "wal.md").write_text(FRONT)
    report = ingest(store, tmp_path, root=tmp_path)
    [doc] = store.get_by_ids(["wal.md#0"])
    assert "tags:" not in doc.page_content
    assert "---" not in doc.page_content
    assert doc.page_content.startswith("# A heading that is not the title")
    assert doc.metadata["title"] == "SQLite: WAL mode"
    assert doc.metadata["tags"] == ["sqlite", "wal"]
    assert (doc.metadata["year"], doc.metadata["draft"]) == (2024, False)
    assert doc.metadata["published"] == "2024-03-05"  # YAML dates as ISO text
    assert "author" not in doc.metadata  # a mapping is not a metadata value
    assert "empty" not in doc.metadata
    assert report.notes == [
        (
            "wal.md",
            (
                "front matter field 'author' left out: only text, numbers, booleans, dates "
                "and lists of those become metadata"
            ),
        )
    ]
    # the fields are filterable like any metadata
    hits = store.similarity_search("readers", k=3, filter={"tags": {"$in": ["wal"]}})
    assert [hit.id for hit in hits] == ["wal.md#0"]
    assert store.similarity_search("readers", k=3, filter={"tags": "postgres"}) == []


def test_a_title_field_wins_over_the_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: From front matter\n---\n# From heading\n\nBody.\n")
    [chunk] = split_file(path, "a.md")
    assert chunk.metadata["title"] == "From front matter"
    path.write_text("---\ntags: [x]\n---\n# From heading\n\nBody.\n")
    [chunk] = split_file(path, "a.md")
    assert (chunk.metadata["title"], chunk.metadata["tags"]) == ("From heading", ["x"])


def test_markdown_between_two_rules_is_text_not_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\nJust a paragraph between two rules.\n---\n\nMore text.\n")
    [chunk] = split_file(path, "a.md")
    assert chunk.text.startswith("---\nJust a paragraph")
    # front matter only counts at the very top of the file
    path.write_text("Intro\n---\ntitle: no\n---\n")
    [chunk] = split_file(path, "a.md")
    assert "title: no" in chunk.text
    assert chunk.metadata["title"] == "a"


def test_invalid_yaml_stays_text_with_a_note(tmp_path: Path, store: S3VectorsStore) -> None:
    (tmp_path / "a.md").write_text("---\ntitle: [unclosed\n---\nBody text.\n")
    report = ingest(store, tmp_path, root=tmp_path)
    [doc] = store.get_by_ids(["a.md#0"])
    assert "title: [unclosed" in doc.page_content
    [(source, note)] = report.notes
    assert source == "a.md"
    assert note.startswith("front matter is not valid YAML (line 3: ")
    assert note.endswith("); kept as text")


def test_reserved_and_oversized_fields_are_left_out_so_every_chunk_fits(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    long_list = [f"tag-{n:04d}" for n in range(400)]  # about 4 KB of JSON
    (tmp_path / "a.md").write_text(
        "---\n"
        "source: elsewhere.md\n"
        f"tags: {json.dumps(long_list)}\n"
        f"summary: {'x' * 1500}\n"
        "category: databases\n"
        f"{'k' * 70}: too long a key\n"
        "---\n" + "Body text. " * 300
    )
    report = ingest(store, tmp_path, root=tmp_path, chunk_size=500, chunk_overlap=0)
    assert report.added > 1
    docs = store.get_by_ids([f"a.md#{n}" for n in range(report.added)])
    for doc in docs:
        assert doc.metadata["source"] == "a.md"
        assert doc.metadata["summary"] == "x" * 1500
        assert doc.metadata["category"] == "databases"
        assert "tags" not in doc.metadata
        assert json_size(doc.metadata) <= limits.MAX_FILTERABLE_METADATA_BYTES
    [(_, note)] = report.notes
    assert "field 'source' left out: ingest sets 'source' itself" in note
    assert "field 'tags' left out: it would take the chunk's filterable metadata over" in note
    assert f"field '{'k' * 70}' left out: metadata keys are text of 1 to 63" in note


# ------------------------------------------------------------ what is skipped, and why


def test_a_pdf_without_text_is_reported_not_stored(tmp_path: Path, store: S3VectorsStore) -> None:
    _blank_pdf(tmp_path / "scan.pdf")
    (tmp_path / "empty.txt").write_text("  \n")
    report = ingest(store, tmp_path, root=tmp_path)
    assert (report.files, report.chunks, report.added) == (0, 0, 0)
    assert report.sources == []
    assert sorted(report.skipped) == [("empty.txt", NO_TEXT), ("scan.pdf", NO_PDF_TEXT)]
    assert report.skipped_by_reason()["no_text"] == 2
    assert list_sources(store) == {}


def test_a_broken_pdf_is_one_line_and_pypdf_stays_quiet(
    tmp_path: Path, store: S3VectorsStore, caplog: pytest.LogCaptureFixture
) -> None:
    _broken_pdf(tmp_path / "broken.pdf")
    with caplog.at_level(logging.WARNING):
        report = ingest(store, tmp_path, root=tmp_path)
    [(source, reason)] = report.failed
    assert source == "broken.pdf"
    assert reason.startswith("Could not read PDF broken.pdf (damaged, or not a PDF): ")
    assert "\n" not in reason
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pypdf")] == []
    assert logging.getLogger("pypdf").level == logging.NOTSET  # restored


def test_a_folder_of_unsupported_files_is_refused_with_the_supported_types(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.docx", "b.docx", "c.png"):
        (docs / name).write_bytes(b"x")
    with pytest.raises(InvalidInputError) as caught:
        ingest(store, docs, root=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"Nothing to ingest in {docs.as_posix()}: it holds only files ")
    assert "(2 .docx, 1 .png)" in message
    assert "Supported types: .htm .html .markdown .md .pdf .rst .text .txt" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInputError, match="it holds no files"):
        ingest(store, empty, root=tmp_path)
    # pruning an emptied folder is what a sync job does: no error there
    assert ingest(store, empty, root=tmp_path, prune=True).files == 0


def _mixed_folder(root: Path) -> Path:
    docs = root / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("# Notes\n\nSome text.")
    (docs / "a.docx").write_bytes(b"x")
    (docs / "b.docx").write_bytes(b"x")
    (docs / "c.png").write_bytes(b"x")
    _blank_pdf(docs / "scan.pdf")
    _broken_pdf(docs / "broken.pdf")
    return docs


def test_the_report_counts_skipped_files_by_reason(tmp_path: Path, store: S3VectorsStore) -> None:
    docs = _mixed_folder(tmp_path)
    report = ingest(store, docs, root=docs)
    assert (report.files, report.added) == (1, 1)
    counts = report.as_dict()["skipped_by_reason"]
    assert counts == {
        "unsupported": 3,
        "no_text": 1,
        "unreadable": 1,
        "other_root": 0,
        "duplicate": 0,
    }
    skipped = {Path(s["source"]).name: s["reason"] for s in report.as_dict()["skipped"]}
    assert skipped["a.docx"] == "unsupported file type .docx"
    assert skipped["scan.pdf"] == NO_PDF_TEXT


def test_the_cli_summary_and_json_say_what_was_skipped(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    docs = _mixed_folder(tmp_path)
    kb = str(tmp_path / "kb")
    result = runner.invoke(app, ["--local", kb, "ingest", str(docs), "--root", str(docs)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1 files, 1 chunks: 1 added, ")
    assert lines[0].endswith("; skipped 5 files: 3 unsupported type, 1 no text, 1 unreadable.")
    assert "skipped scan.pdf: no extractable text (a scanned PDF? run OCR on it first)" in lines
    assert (
        "skipped 3 files of unsupported types: .docx (2), .png (1); supported: "
        ".htm .html .markdown .md .pdf .rst .text .txt"
    ) in lines
    assert sum("Stream has ended unexpectedly" in line for line in lines) == 1
    as_json = runner.invoke(
        app, ["--local", kb, "ingest", str(docs), "--root", str(docs), "--json"]
    )
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.stdout)
    assert body["skipped_by_reason"]["unsupported"] == 3
    assert body["unchanged"] == 1


def test_the_cli_refuses_a_folder_with_nothing_to_ingest(
    runner: CliRunner, app: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.docx").write_bytes(b"x")
    kb = tmp_path / "kb"
    result = runner.invoke(app, ["--local", str(kb), "ingest", str(docs)])
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"Error: Nothing to ingest in {docs.as_posix()}: it holds only ")
    assert line.endswith("(hidden files and folders are skipped).")
    assert not kb.exists()  # refused before a store was created


def test_a_broken_pdf_prints_its_parser_message_once(tmp_path: Path) -> None:
    """The real command in a process of its own, where pypdf's log would reach stderr."""
    docs = tmp_path / "docs"
    docs.mkdir()
    _broken_pdf(docs / "broken.pdf")
    (docs / "ok.txt").write_text("Some text.")
    result = subprocess.run(
        [
            *(sys.executable, "-m", "langchain_s3vectors.app.cli"),
            *("--local", str(tmp_path / "kb"), "ingest", str(docs)),
            *("--root", str(docs), "--dry-run"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "EOF marker" not in result.stderr  # pypdf's own warning
    out = result.stdout + result.stderr
    assert out.count("Stream has ended unexpectedly") == 1
    assert (
        "skipped broken.pdf: Could not read PDF broken.pdf (damaged, or not a PDF): Stream has "
        "ended unexpectedly"
    ) in result.stdout.splitlines()
