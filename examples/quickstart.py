"""Quickstart: index a folder of notes and search it, with no AWS account.

Runs on the embedded S3 Vectors (``S3VectorsStore.local``) with the real
all-MiniLM-L6-v2 embedding model, offline. It:

1. splits the notes in ``examples/data/`` into chunks (``langchain_s3vectors.app.ingest``),
   adds each file's metadata from ``examples/data/metadata.json`` (category, year,
   level, tags) and stores them in ``./.s3vectors-quickstart`` (recreated each run);
2. runs a similarity search with relevance scores, filtered searches, an MMR search,
   a full-text (BM25) search, a hybrid (vector + BM25) search with the default
   ``HybridSearchConfig()`` (relative-score fusion) and a retriever.

Run it with ``make demo`` or ``python examples/quickstart.py [--path DIR]``.
Afterwards the index is still on disk, so the CLI can query it too::

    s3vectors-rag --local .s3vectors-quickstart query "what is WAL?" --mode hybrid
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from langchain_s3vectors import HybridSearchConfig, S3VectorsStore
from langchain_s3vectors.app.discovery import discover_files
from langchain_s3vectors.app.loaders import source_of, split_file

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.embeddings import Embeddings

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_STORE_DIR = Path(".s3vectors-quickstart")
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 100


def load_corpus(
    data_dir: Path = DATA_DIR, *, chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP
) -> list[Document]:
    """Split every note into chunks and attach its metadata from ``metadata.json``.

    Each chunk's id is ``"<file>#<chunk number>"`` and its metadata holds ``source``,
    ``chunk``, ``title``, ``file_type`` and ``content_hash`` (from the ingest module)
    plus the file's ``category``, ``year``, ``level`` and ``tags``.
    """
    sidecar = data_dir / "metadata.json"
    extra: dict[str, dict[str, Any]] = (
        json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
    )
    docs: list[Document] = []
    for path in discover_files([data_dir]):
        source = source_of(path, data_dir)
        for chunk in split_file(path, source, chunk_size=chunk_size, chunk_overlap=chunk_overlap):
            metadata = {**chunk.metadata, **extra.get(source, {})}
            docs.append(Document(chunk.text, metadata=metadata, id=chunk.key))
    return docs


def build_store(
    path: str | Path | None = DEFAULT_STORE_DIR,
    embedding: Embeddings | None = None,
    *,
    data_dir: Path = DATA_DIR,
) -> S3VectorsStore:
    """A fresh local store at ``path`` (``None``: in memory) holding the example notes."""
    if embedding is None:
        from langchain_s3vectors.app.embeddings import default_embeddings  # noqa: PLC0415

        embedding = default_embeddings()
    if path is not None:
        shutil.rmtree(path, ignore_errors=True)  # start from scratch on every run
    store = S3VectorsStore.local(path, embedding)
    docs = load_corpus(data_dir)
    store.add_documents(docs, ids=[str(doc.id) for doc in docs])
    return store


def show(title: str, hits: Sequence[tuple[Document, float | None]]) -> None:
    """Print ranked hits: score, id, category/year and the start of the text."""
    print(f"\n== {title}")
    for rank, (doc, score) in enumerate(hits, start=1):
        meta = doc.metadata
        shown = "      " if score is None else f"{score:6.3f}"
        snippet = " ".join(doc.page_content.split())[:70]
        print(
            f"{rank}. {shown}  {doc.id:<40} [{meta.get('category')}, {meta.get('year')}]"
            f"  {snippet}..."
        )


def _files(docs: Sequence[Document]) -> int:
    return len({doc.metadata.get("source") for doc in docs})


def run_searches(store: S3VectorsStore) -> dict[str, list[tuple[Document, float | None]]]:
    """Run and print every kind of search; returns the hits by name (for tests)."""
    results: dict[str, list[tuple[Document, float | None]]] = {}

    def record(name: str, title: str, hits: Sequence[tuple[Document, float | None]]) -> None:
        results[name] = list(hits)
        show(title, hits)

    question = "How can a client safely retry a request that may already have been applied?"
    record(
        "similarity",
        f"similarity, relevance in [0, 1]: {question!r}",
        store.similarity_search_with_relevance_scores(question, k=3),
    )

    record(
        "filtered",
        "filtered: 'size limits' where category == 's3-vectors' and year >= 2025",
        store.similarity_search_with_relevance_scores(
            "size limits", k=3, filter={"category": "s3-vectors", "year": {"$gte": 2025}}
        ),
    )
    record(
        "filtered_tags",
        "filtered: 'how to avoid duplicates' where tags contain 'retries' (list $in)",
        store.similarity_search_with_relevance_scores(
            "how to avoid duplicates",
            k=3,
            filter={"$and": [{"tags": {"$in": ["retries"]}}, {"level": {"$ne": "advanced"}}]},
        ),
    )

    topic = "hybrid search"
    plain = store.similarity_search(topic, k=4)
    diverse = store.max_marginal_relevance_search(topic, k=4, fetch_k=20, lambda_mult=0.5)
    record(
        "plain",
        f"similarity (k=4): {topic!r} - {_files(plain)} distinct files",
        [(doc, None) for doc in plain],
    )
    record(
        "mmr",
        f"MMR (k=4, fetch_k=20, lambda_mult=0.5): {topic!r} - {_files(diverse)} distinct files",
        [(doc, None) for doc in diverse],
    )

    # Exact terms: embeddings blur them, BM25 finds them, hybrid search fuses both.
    code = "BEGIN IMMEDIATE"
    record(
        "vector_code",
        f"vector only: {code!r}",
        store.similarity_search_with_relevance_scores(code, k=3),
    )
    # The default fusion: each method's scores scaled to [0, 1], then a weighted sum.
    fusion = HybridSearchConfig()
    record(
        "hybrid",
        f"hybrid (vector + BM25, {fusion.fusion} fusion, "
        f"vector_weight={fusion.vector_weight}): {code!r}",
        store.hybrid_search(code, k=3, config=fusion),
    )
    record(
        "fulltext",
        "full-text (BM25 only): 'wal_autocheckpoint'",
        store.fulltext_search("wal_autocheckpoint", k=3),
    )

    retriever = store.as_retriever(
        search_type="hybrid", search_kwargs={"k": 2, "filter": {"category": "databases"}}
    )
    docs = retriever.invoke("database is locked")
    record(
        "retriever",
        "retriever (hybrid, category == 'databases'): 'database is locked'",
        [(doc, None) for doc in docs],
    )
    return results


def main(argv: Sequence[str] | None = None) -> dict[str, list[tuple[Document, float | None]]]:
    """Build the store and run the searches."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--path", type=Path, default=DEFAULT_STORE_DIR, help="store directory (recreated)"
    )
    args = parser.parse_args(argv)

    from langchain_s3vectors.app.embeddings import default_embeddings  # noqa: PLC0415

    started = time.perf_counter()
    embedding = default_embeddings()
    loaded = time.perf_counter()
    print(f"Embedding model all-MiniLM-L6-v2 loaded in {loaded - started:.1f}s")
    store = build_store(args.path, embedding)
    count = sum(1 for _ in store.iter_records(return_metadata=False))
    print(
        f"Indexed {count} chunks from {DATA_DIR.name}/ into {args.path}/ "
        f"in {time.perf_counter() - loaded:.1f}s (index: {store.index_name!r}, "
        f"{store.dimension} dimensions, {store.distance_metric})"
    )
    results = run_searches(store)
    print(f"\nDone in {time.perf_counter() - started:.1f}s. The index stays in {args.path}/.")
    return results


if __name__ == "__main__":
    main()
