"""Sharded ingest: disjoint shares, pruning within a share, pacing at a share of the cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langchain_s3vectors import LocalS3VectorsClient
from langchain_s3vectors.app.admin import list_sources
from langchain_s3vectors.app.cli import make_app
from langchain_s3vectors.app.ingest import ingest
from langchain_s3vectors.app.settings import S3VectorsSettings, build_store
from langchain_s3vectors.app.sharding import Shard, shard_of
from langchain_s3vectors.base import BatchingConfig
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.execution import RateLimiter
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import DIM, CountingEmbeddings


def _corpus(root: Path, files: int = 24) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (root / f"doc{i:02d}.txt").write_text(
            "\n\n".join(f"File {i} paragraph {p} says something about {i * p}." for p in range(8))
        )


def test_shards_partition_the_sources() -> None:
    sources = [f"docs/{i}.md" for i in range(500)]
    for count in (1, 2, 3, 7):
        owners = [[s for s in sources if Shard(i, count).owns(s)] for i in range(count)]
        assert sorted(s for share in owners for s in share) == sorted(sources)
        assert all(share for share in owners)  # every shard gets work
    # Stable across processes, machines and versions: SHA-256, not Python's hash().
    assert [shard_of(f"docs/{i}.md", 4) for i in range(8)] == [2, 2, 2, 0, 2, 2, 2, 3]


@pytest.mark.parametrize(
    ("text", "needle"),
    [("4/4", r"out of range: use 0\.\.3"), ("x", "not of the form I/N"), ("1/0", "positive")],
)
def test_bad_shard_is_one_clear_error(text: str, needle: str) -> None:
    with pytest.raises(InvalidInputError, match=needle):
        Shard.parse(text)


def test_cli_rejects_a_bad_shard_in_one_line(tmp_path: Path) -> None:
    _corpus(tmp_path / "docs", files=1)
    app = make_app(lambda s: build_store(s, embedding=CountingEmbeddings(DIM)))
    result = CliRunner().invoke(
        app, ["--local", str(tmp_path / "kb"), "ingest", str(tmp_path / "docs"), "--shard", "2/2"]
    )
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["Error: shard 2/2 is out of range: use 0..1 for 2 shards (e.g. 0/2)"]
    assert "Traceback" not in result.output


def test_shards_fill_one_index_with_each_chunk_once(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _corpus(docs)
    whole = S3VectorsStore.local(None, CountingEmbeddings())
    full = ingest(whole, docs, root=tmp_path, chunk_size=60, chunk_overlap=0)

    sharded = S3VectorsStore.local(None, CountingEmbeddings())
    reports = [
        ingest(sharded, docs, root=tmp_path, chunk_size=60, chunk_overlap=0, shard=f"{i}/3")
        for i in range(3)
    ]
    assert sum(r.added for r in reports) == full.added  # nothing twice
    assert sorted(s for r in reports for s in r.sources) == sorted(full.sources)
    assert list_sources(sharded) == list_sources(whole)  # nothing lost
    keys = {r["key"] for r in sharded.iter_records()}
    assert keys == {r["key"] for r in whole.iter_records()}


def test_prune_stays_within_the_shard(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _corpus(docs)
    store = S3VectorsStore.local(None, CountingEmbeddings())
    for i in range(2):
        ingest(store, docs, root=tmp_path, chunk_size=60, chunk_overlap=0, shard=Shard(i, 2))
    mine = next(f for f in sorted(docs.iterdir()) if Shard(0, 2).owns(f"docs/{f.name}"))
    theirs = next(f for f in sorted(docs.iterdir()) if Shard(1, 2).owns(f"docs/{f.name}"))
    mine.unlink()
    theirs.unlink()
    report = ingest(
        store, docs, root=tmp_path, chunk_size=60, chunk_overlap=0, prune=True, shard="0/2"
    )
    assert report.removed_sources == [f"docs/{mine.name}"]
    left = list_sources(store)
    assert f"docs/{mine.name}" not in left
    assert f"docs/{theirs.name}" in left  # shard 1's to prune, not shard 0's


def test_a_shard_paces_at_its_share_of_the_write_cap(tmp_path: Path) -> None:
    seen: list[float] = []

    class Watching(LocalS3VectorsClient):
        def put_vectors(self, **kwargs: Any) -> dict[str, Any]:
            assert store.rate_limiter is not None
            seen.append(store.rate_limiter.vectors_per_second)
            return super().put_vectors(**kwargs)

    full = RateLimiter(requests_per_second=1000, vectors_per_second=2500)
    store = S3VectorsStore(
        "kbase",
        "docs",
        CountingEmbeddings(),
        client=Watching(),
        batching=BatchingConfig(rate_limiter=full),
    )
    _corpus(tmp_path / "docs")
    ingest(store, tmp_path / "docs", root=tmp_path, chunk_size=60, chunk_overlap=0, shard="1/4")
    assert seen
    assert set(seen) == {625.0}  # 2,500 / 4
    assert store.rate_limiter is full  # restored afterwards


def test_settings_built_store_takes_the_shard_option(tmp_path: Path) -> None:
    _corpus(tmp_path / "docs", files=6)
    settings = S3VectorsSettings(backend="local", local_path=tmp_path / "kb")
    store = build_store(settings, embedding=CountingEmbeddings(DIM))
    report = ingest(store, tmp_path / "docs", root=tmp_path, shard="0/1")
    assert report.files == 6
