"""examples/quickstart.py: indexes the notes and every search kind finds what it should."""

from __future__ import annotations

import json
import re

import quickstart

from langchain_s3vectors import HybridSearchConfig


def _sources(hits):
    return [doc.metadata["source"] for doc, _ in hits]


def test_corpus_has_varied_metadata():
    docs = quickstart.load_corpus()
    sidecar = json.loads((quickstart.DATA_DIR / "metadata.json").read_text())
    files = {p.name for p in quickstart.DATA_DIR.iterdir() if p.name != "metadata.json"}
    assert 30 <= len(files) <= 40
    assert files == set(sidecar), "every note needs an entry in metadata.json and vice versa"
    for path in quickstart.DATA_DIR.iterdir():
        if path.name != "metadata.json":
            words = len(path.read_text().split())
            assert 80 <= words <= 300, (path.name, words)
    assert {d.metadata["source"] for d in docs} == files
    assert len({d.id for d in docs}) == len(docs)
    assert len({m["category"] for m in sidecar.values()}) >= 6
    assert {m["level"] for m in sidecar.values()} == {"beginner", "intermediate", "advanced"}
    assert all(isinstance(m["tags"], list) and m["tags"] for m in sidecar.values())


def test_main_prints_every_search(quickstart_run):
    out = quickstart_run["stdout"]
    match = re.search(r"Indexed (\d+) chunks", out)
    assert match
    assert int(match.group(1)) == len(quickstart.load_corpus())
    for title in ("similarity", "filtered", "MMR", "hybrid", "full-text", "retriever"):
        assert f"== {title}" in out
    assert "384 dimensions, cosine" in out


def test_similarity_scores_are_relevances(quickstart_run):
    hits = quickstart_run["results"]["similarity"]
    assert _sources(hits)[0] in {"http-retries-backoff.md", "idempotency.txt"}
    scores = [s for _, s in hits]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_filters_are_applied(quickstart_run):
    results = quickstart_run["results"]
    for doc, _ in results["filtered"]:
        assert doc.metadata["category"] == "s3-vectors"
        assert doc.metadata["year"] >= 2025
    assert _sources(results["filtered"])[0] == "s3-vectors-limits.md"
    for doc, _ in results["filtered_tags"]:
        assert "retries" in doc.metadata["tags"]
        assert doc.metadata["level"] != "advanced"
    for doc, _ in results["retriever"]:
        assert doc.metadata["category"] == "databases"


def test_mmr_is_more_diverse_than_similarity(quickstart_run):
    results = quickstart_run["results"]
    plain, mmr = _sources(results["plain"]), _sources(results["mmr"])
    assert plain[0] == mmr[0] == "s3-vectors-hybrid-search.md"
    assert len(set(mmr)) > len(set(plain))


def test_hybrid_finds_the_exact_term_vector_search_misses(quickstart_run):
    results = quickstart_run["results"]
    assert _sources(results["vector_code"])[0] != "sqlite-busy-timeout.md"
    assert _sources(results["hybrid"])[0] == "sqlite-busy-timeout.md"
    # The default fusion, named in the output, with its scores in [0, 1].
    default = HybridSearchConfig()
    title = f"{default.fusion} fusion, vector_weight={default.vector_weight}"
    assert title in quickstart_run["stdout"]
    assert all(0.0 <= score <= 1.0 for _, score in results["hybrid"])
    fulltext = results["fulltext"]
    assert fulltext
    assert all("wal_autocheckpoint" in doc.page_content for doc, _ in fulltext)
    assert "sqlite-wal.md" in _sources(fulltext)


def test_store_persists_on_disk(quickstart_run, corpus_store):
    assert (quickstart_run["path"]).is_dir()
    assert len(list(corpus_store.iter_records(return_metadata=False))) == len(
        quickstart.load_corpus()
    )
