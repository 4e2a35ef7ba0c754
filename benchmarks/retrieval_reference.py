"""The references of ``benchmarks/retrieval_quality.py``: none of this package's code.

Exact cosine search in numpy, BM25 with ``rank_bm25`` over Porter-stemmed tokens, and
the two fusions of those rankings: Reciprocal Rank Fusion and relative score fusion.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from retrieval_set import Passage

__all__ = [
    "Analyzer",
    "bm25_reference",
    "exact_cosine",
    "relative_score_fuse",
    "relative_score_rerank",
    "rrf_fuse",
    "scored_bm25",
    "scored_cosine",
]

RRF_K = 60
FUSION_DEPTH = 100
BM25_K1 = 1.2
BM25_B = 0.75
IDF_FLOOR = 1e-6


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
    return [
        [key for key, _ in row] for row in scored_cosine(doc_vectors, query_vectors, keys, depth)
    ]


def scored_cosine(
    doc_vectors: np.ndarray, query_vectors: np.ndarray, keys: Sequence[str], depth: int
) -> list[list[tuple[str, float]]]:
    """Exact cosine ranking with the cosine similarities, ``depth`` deep."""
    docs = doc_vectors / np.linalg.norm(doc_vectors, axis=1, keepdims=True)
    queries = query_vectors / np.linalg.norm(query_vectors, axis=1, keepdims=True)
    sims = queries @ docs.T
    out = []
    for row in sims:
        order = np.lexsort((np.arange(len(keys)), -row))[:depth]
        out.append([(keys[i], float(row[i])) for i in order])
    return out


def relative_score_fuse(
    vector: Sequence[tuple[str, float]],
    text: Sequence[tuple[str, float]],
    weight: float,
    depth: int,
) -> list[str]:
    """Relative score fusion (as Weaviate defines it) of two scored rankings.

    Each ranking is cut to ``depth``, its scores min-max scaled to [0, 1] (all 1 when
    they are equal), and the union ranked by ``weight * vector + (1 - weight) * text``
    (0 for a ranking a key is not in); ties go to the better vector rank, then the
    better text rank, then the key.

    Example:
        >>> relative_score_fuse([("a", 0.9), ("b", 0.5)], [("b", 3.0), ("c", 1.0)], 0.5, 10)
        ['a', 'b', 'c']
    """

    def scaled(pairs: Sequence[tuple[str, float]]) -> dict[str, float]:
        if not pairs:
            return {}
        lo, hi = min(s for _, s in pairs), max(s for _, s in pairs)
        return {key: 1.0 if hi == lo else (s - lo) / (hi - lo) for key, s in pairs}

    vector, text = vector[:depth], text[:depth]
    v, t = scaled(vector), scaled(text)
    v_rank = {key: i for i, (key, _) in enumerate(vector)}
    t_rank = {key: i for i, (key, _) in enumerate(text)}
    total = {key: weight * v.get(key, 0.0) + (1 - weight) * t.get(key, 0.0) for key in v | t}
    last = 2 * depth
    return sorted(
        total, key=lambda key: (-total[key], v_rank.get(key, last), t_rank.get(key, last), key)
    )


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
    return [[key for key, _ in row] for row in scored_bm25(passages, queries, depth)]


def scored_bm25(
    passages: Sequence[Passage], queries: Sequence[str], depth: int
) -> list[list[tuple[str, float]]]:
    """:func:`bm25_reference` with the BM25 scores."""
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
    out: list[list[tuple[str, float]]] = []
    for text in queries:
        terms = analyzer.query(text)
        matching = sorted(set[int]().union(*(postings.get(t, set()) for t in terms)))
        if not matching:
            out.append([])
            continue
        scores = bm25.get_batch_scores(terms, matching)
        order = sorted(range(len(matching)), key=lambda i: (-scores[i], passages[matching[i]].key))
        out.append([(passages[matching[i]].key, float(scores[i])) for i in order[:depth]])
    return out


def relative_score_rerank(
    vector: Sequence[tuple[str, float]],
    text: Sequence[tuple[str, float]],
    weight: float,
    fetch_k: int,
) -> list[str]:
    """Relative score fusion of the RRF top ``fetch_k``, as one hybrid query returns them.

    The candidates are the first ``fetch_k`` of :func:`rrf_fuse` (each ranking cut to
    100); a candidate has a vector score when it is in the vector ranking's first 100
    and a BM25 score when it matches a term, as a hybrid QueryVectors answer with
    ``returnScores`` carries them. :func:`relative_score_fuse` then ranks them.

    Example:
        >>> relative_score_rerank([("a", 0.9), ("b", 0.1)], [("b", 2.0), ("c", 1.0)], 0.5, 2)
        ['a', 'b']
    """
    candidates = rrf_fuse([[key for key, _ in vector], [key for key, _ in text]])[:fetch_k]
    vec = dict(vector[:FUSION_DEPTH])
    txt = dict(text)
    v_order = {key: i for i, (key, _) in enumerate(vector)}
    t_order = {key: i for i, (key, _) in enumerate(text)}
    in_vec = sorted((k for k in candidates if k in vec), key=lambda k: (-vec[k], v_order[k]))
    in_txt = sorted((k for k in candidates if k in txt), key=lambda k: (-txt[k], t_order[k]))
    return relative_score_fuse(
        [(k, vec[k]) for k in in_vec], [(k, txt[k]) for k in in_txt], weight, len(candidates)
    )
