"""Ingest on hostile folders and ordinary mistakes: it never destroys data, and says why."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from langchain_s3vectors.app import ingest as ingest_module
from langchain_s3vectors.app import loaders
from langchain_s3vectors.app.admin import list_sources
from langchain_s3vectors.app.discovery import discover_files
from langchain_s3vectors.app.ingest import ingest
from langchain_s3vectors.app.loaders import (
    MAX_CHUNK_SIZE,
    ROOT_ID_KEY,
    decode_text,
    root_id,
)
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import CountingEmbeddings


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


# ----------------------------------------------------------------- prune and dry run


def test_prune_with_the_folder_as_its_own_root_keeps_other_folders(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    # The README's pattern: `ingest examples/data --root examples/data`. Two folders, each
    # its own root, share one index; their sources ("a1.md", "b1.md") carry no folder
    # prefix, so the prune prefix is empty. Pruning one must not delete the other.
    a = _write(tmp_path / "projA", {"a1.md": "alpha one", "a2.md": "alpha two"})
    b = _write(tmp_path / "projB", {"b1.md": "beta one", "b2.md": "beta two"})
    ingest(store, [a], root=a)
    ingest(store, [b], root=b)
    report = ingest(store, [b], root=b, prune=True)
    assert report.removed_sources == []
    assert report.deleted == 0
    assert set(list_sources(store)) == {"a1.md", "a2.md", "b1.md", "b2.md"}

    (b / "b1.md").unlink()
    report = ingest(store, [b], root=b, prune=True)
    assert report.removed_sources == ["b1.md"]
    assert set(list_sources(store)) == {"a1.md", "a2.md", "b2.md"}


def test_chunks_record_the_root_they_were_ingested_from(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    docs = _write(tmp_path / "docs", {"a.md": "alpha"})
    ingest(store, [docs], root=tmp_path)
    (doc,) = store.get_by_ids(["docs/a.md#0"])
    assert doc.metadata[ROOT_ID_KEY] == root_id(tmp_path) == root_id(f"{tmp_path}/")


def test_prune_still_removes_legacy_chunks_under_a_subfolder(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    # Chunks written before root_id existed are pruned only under a non-empty prefix.
    store.add_texts(["old"], [{"source": "docs/old.md"}], ids=["docs/old.md#0"])
    store.add_texts(["other"], [{"source": "other.md"}], ids=["other.md#0"])
    docs = _write(tmp_path / "docs", {"a.md": "alpha"})
    report = ingest(store, [docs], root=tmp_path, prune=True)
    assert report.removed_sources == ["docs/old.md"]
    assert set(list_sources(store)) == {"docs/a.md", "other.md"}
    # The folder as its own root: a legacy "other.md" is not provably its own; kept.
    report = ingest(store, [docs], root=docs, prune=True)
    assert "other.md" in list_sources(store)
    assert report.removed_sources == []


def test_dry_run_counts_and_changes_nothing(tmp_path: Path, emb: CountingEmbeddings) -> None:
    store = S3VectorsStore.local(tmp_path / "kb", emb)
    docs = _write(tmp_path / "docs", {"a.md": "alpha", "b.md": "beta", "c.md": "gamma"})
    ingest(store, [docs], root=docs)
    embedded = emb.texts
    (docs / "a.md").write_text("alpha, changed")
    (docs / "c.md").unlink()
    _write(docs, {"d.md": "delta"})

    plan = ingest(store, [docs], root=docs, prune=True, dry_run=True)
    assert plan.dry_run is True
    assert (plan.added, plan.updated, plan.unchanged, plan.deleted) == (1, 1, 1, 1)
    assert plan.removed_sources == ["c.md"]
    assert plan.as_dict()["dry_run"] is True
    assert emb.texts == embedded  # nothing embedded
    assert set(list_sources(store)) == {"a.md", "b.md", "c.md"}  # nothing written
    assert store.get_by_ids(["a.md#0"])[0].page_content == "alpha"

    done = ingest(store, [docs], root=docs, prune=True)
    assert (done.added, done.updated, done.deleted) == (plan.added, plan.updated, plan.deleted)
    assert set(list_sources(store)) == {"a.md", "b.md", "d.md"}


# ----------------------------------------------------------------- links and folders


def test_symlink_loops_and_dangling_links_are_reported_not_fatal(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    docs = _write(tmp_path / "docs", {"real.md": "real text"})
    (docs / "loop").symlink_to(docs, target_is_directory=True)  # a folder loop
    (docs / "self.md").symlink_to(docs / "self.md")  # a file link to itself
    (docs / "gone.md").symlink_to(docs / "missing.md")  # a dangling link
    report = ingest(store, [docs], root=docs)
    assert report.sources == ["real.md"]
    assert report.files == 1
    reasons = {Path(source).name: reason for source, reason in report.failed}
    assert reasons == {
        "gone.md": "dangling symbolic link (its target does not exist)",
        "loop": "symbolic link loop",
        "self.md": "symbolic link loop",
    }
    assert list(discover_files([docs])) == [docs / "real.md"]


def test_a_linked_file_is_read_and_counted_once(tmp_path: Path, store: S3VectorsStore) -> None:
    docs = _write(tmp_path / "docs", {"a.md": "alpha"})
    (docs / "b.md").symlink_to(docs / "a.md")
    report = ingest(store, [docs], root=docs)
    assert (report.files, report.chunks, report.added) == (1, 1, 1)
    assert report.skipped == [(f"{docs.as_posix()}/b.md", f"same file as {docs}/a.md (read once)")]
    assert list_sources(store) == {"a.md": 1}


def test_a_linked_folder_is_followed_once(tmp_path: Path, store: S3VectorsStore) -> None:
    docs = _write(tmp_path / "docs", {"a.md": "alpha"})
    _write(tmp_path / "shared", {"s.md": "shared text"})
    (docs / "shared").symlink_to(tmp_path / "shared", target_is_directory=True)
    report = ingest(store, [docs], root=docs)
    assert report.files == 2
    assert report.failed == []
    # A file under a linked folder gets its real path's source (here: outside the root).
    assert len(list_sources(store)) == 2


def test_a_missing_path_is_refused_before_anything_is_read(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    docs = _write(tmp_path / "docs", {"a.md": "alpha"})
    with pytest.raises(InvalidInputError, match="no/such: no such file or directory"):
        ingest(store, [docs, "no/such"], root=docs)
    assert list_sources(store) == {}


# ----------------------------------------------------------------- text and binary


def test_binary_file_with_a_text_name_is_skipped_with_the_reason(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    docs = _write(tmp_path / "docs", {"ok.md": "fine"})
    shutil.copyfile("/bin/ls", docs / "binary.txt")
    report = ingest(store, [docs], root=docs)
    assert report.sources == ["ok.md"]
    assert report.failed == [("binary.txt", "binary content (NUL bytes), not text")]
    assert list_sources(store) == {"ok.md": 1}


def test_utf8_with_stray_bytes_keeps_its_text(tmp_path: Path, store: S3VectorsStore) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cafe.txt").write_bytes("Le Café est ouvert.\n".encode() + b"\xff\xfe stray\n")
    report = ingest(store, [docs], root=docs)
    assert report.notes == [("cafe.txt", "2 bytes that are not valid UTF-8 replaced with U+FFFD")]
    (doc,) = store.get_by_ids(["cafe.txt#0"])
    assert "Café" in doc.page_content
    assert "CafÃ©" not in doc.page_content
    assert store.fulltext_search("Café", k=1)[0][0].id == "cafe.txt#0"


def test_legacy_encodings_are_detected() -> None:
    french = "Le café est très chaud, déjà prêt."
    assert decode_text(french.encode("cp1252")) == (french, "not UTF-8; decoded as cp1252")
    assert decode_text("naïve café".encode("utf-16")) == ("naïve café", None)
    russian = "Привет, как дела? Это обычный текст на русском языке. " * 4
    text, note = decode_text(russian.encode("koi8-r"))
    assert text
    assert note is not None
    assert note.startswith("not UTF-8; decoded as ")


def test_control_character_soup_is_binary() -> None:
    with pytest.raises(InvalidInputError, match="mostly control characters"):
        decode_text(bytes(range(1, 32)) * 50)


# ----------------------------------------------------------------- chunk size


def test_chunk_size_too_large_for_metadata_is_refused_before_reading(
    tmp_path: Path, emb: CountingEmbeddings
) -> None:
    store = S3VectorsStore.local(None, emb)
    docs = _write(tmp_path / "docs", {"a.md": "x" * 200_000})
    with pytest.raises(InvalidInputError, match=r"chunk_size=100000 is too large.*8000"):
        ingest(store, [docs], chunk_size=100_000)
    assert emb.calls == 0


def test_the_largest_chunk_size_fits_the_widest_text(
    tmp_path: Path, emb: CountingEmbeddings
) -> None:
    # S3 User Guide, S3 Vectors limits: 40 KB of metadata per vector; four-byte characters.
    store = S3VectorsStore.local(None, emb)
    docs = _write(tmp_path / "docs", {"wide.md": "\U0001f600" * MAX_CHUNK_SIZE})
    report = ingest(store, [docs], root=docs, chunk_size=MAX_CHUNK_SIZE, chunk_overlap=0)
    assert (report.failed, report.added) == ([], 1)


def test_a_chunk_too_large_as_json_fails_its_file_before_embedding(
    tmp_path: Path, emb: CountingEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loaders, "MAX_CHUNK_BYTES", 100)
    store = S3VectorsStore.local(None, emb)
    docs = _write(tmp_path / "docs", {"ok.md": "fine", "wide.md": "\U0001f600" * 30})
    report = ingest(store, [docs], root=docs, chunk_size=200, chunk_overlap=0)
    assert report.sources == ["ok.md"]
    reason = (
        "chunk 0 is 122 bytes as JSON, more than a vector's metadata holds "
        "(100 bytes for the text); use a smaller chunk size"
    )
    assert report.failed == [("wide.md", reason)]
    assert emb.texts == 1


# ----------------------------------------------------------------- progress


def test_progress_off_a_terminal_is_logged_with_rate_and_time_left(
    tmp_path: Path, store: S3VectorsStore, caplog: pytest.LogCaptureFixture
) -> None:
    docs = _write(tmp_path / "docs", {f"{n}.md": f"document number {n}" for n in range(5)})
    with caplog.at_level(logging.INFO, logger="langchain_s3vectors.app.ingest"):
        ingest(store, [docs], root=docs, batch_size=2, progress=None, progress_interval=0)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("embedded")]
    assert [line.split(" chunks")[0] for line in lines] == [
        "embedded 2/5",
        "embedded 4/5",
        "embedded 5/5",
    ]
    assert all("chunks/s" in line and "left" in line for line in lines)


def test_first_batch_and_last_are_logged_even_with_a_long_interval(
    tmp_path: Path, store: S3VectorsStore, caplog: pytest.LogCaptureFixture
) -> None:
    docs = _write(tmp_path / "docs", {f"{n}.md": f"document number {n}" for n in range(5)})
    with caplog.at_level(logging.INFO, logger="langchain_s3vectors.app.ingest"):
        ingest(store, [docs], root=docs, batch_size=1, progress_interval=3600)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("embedded")]
    assert [line.split(" chunks")[0] for line in lines] == ["embedded 1/5", "embedded 5/5"]


def test_a_large_ingest_is_announced_before_embedding_starts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "LARGE_INGEST_CHUNKS", 3)
    events: list[str] = []

    class Recording(CountingEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            events.append("embed")
            return super().embed_documents(texts)

    store = S3VectorsStore.local(None, Recording())
    docs = _write(tmp_path / "docs", {"big.md": "\n\n".join(["paragraph " * 20] * 6)})
    handler = logging.Handler()
    handler.emit = lambda record: events.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("langchain_s3vectors.app.ingest")
    logger.addHandler(handler)
    try:
        ingest(store, [docs], root=docs, chunk_size=200, chunk_overlap=0, progress=False)
    finally:
        logger.removeHandler(handler)
    assert events[0].startswith("6 chunks to embed from 1 files (largest: big.md, 6 chunks)")
    assert events[1] == "embed"


def test_no_progress_output_when_disabled(
    tmp_path: Path, store: S3VectorsStore, caplog: pytest.LogCaptureFixture
) -> None:
    docs = _write(tmp_path / "docs", {"a.md": "alpha"})
    with caplog.at_level(logging.INFO, logger="langchain_s3vectors.app.ingest"):
        ingest(store, [docs], root=docs, progress=False)
    assert not [r for r in caplog.records if r.getMessage().startswith("embedded")]


def test_discover_lists_plain_folders_sorted_without_hidden_files(tmp_path: Path) -> None:
    docs = _write(tmp_path / "docs", {"b.md": "b", "a.txt": "a", ".hidden.md": "h"})
    assert list(discover_files([docs])) == [docs / "a.txt", docs / "b.md"]
