"""The tables and words of ``benchmarks/retrieval_quality.py``'s report (no model, no store)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval_set import package_version

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "KIND_TITLE",
    "REFERENCE_NAME",
    "SEARCHES",
    "SEARCH_NAME",
    "TOLERANCE",
    "hybrid_summary",
    "machine",
    "meets_hybrid_target",
    "render_table",
]

#: The store's searches, in table order: vector, BM25, the service's RRF, the default.
SEARCHES = ("similarity", "fulltext", "rrf", "hybrid")
SEARCH_NAME = {
    "similarity": "vector",
    "fulltext": "BM25",
    "rrf": "hybrid, RRF",
    "hybrid": "hybrid, default",
}
# Allowed gaps in MRR@10 between the store and its reference.
TOLERANCE = {"similarity": 0.005, "fulltext": 0.05, "rrf": 0.05, "hybrid": 0.05}
REFERENCE_NAME = {
    "similarity": "numpy exact cosine",
    "fulltext": "rank_bm25 BM25Okapi",
    "rrf": "RRF(numpy, rank_bm25)",
    "hybrid": "relative score(RRF top fetch_k)",
}
KIND_TITLE = {
    "question": "Natural-language questions",
    "term": "Exact-term queries (identifier alone)",
    "paraphrase": "Paraphrased questions about long passages",
}
#: The default hybrid may trail the best single search by this much MRR@10.
HYBRID_SLACK = 0.005
METRICS = ("mrr@10", "r@1", "r@5", "r@10")


def meets_hybrid_target(res: Mapping[str, Mapping[str, float]]) -> bool:
    """Whether the default hybrid is within 0.005 of the best single search and >= RRF.

    Example:
        >>> row = lambda m: {"mrr@10": m}
        >>> res = {"store:similarity": row(0.7), "store:fulltext": row(0.5),
        ...        "store:rrf": row(0.6), "store:hybrid": row(0.698)}
        >>> meets_hybrid_target(res)
        True
    """
    mrr = {s: res[f"store:{s}"]["mrr@10"] for s in SEARCHES}
    best = max(mrr["similarity"], mrr["fulltext"])
    return mrr["hybrid"] >= best - HYBRID_SLACK and mrr["hybrid"] >= mrr["rrf"]


def render_table(
    title: str, n: int, results: Mapping[str, Mapping[str, float]], verdicts: Mapping[str, bool]
) -> str:
    """A markdown table of one corpus and query kind: each search beside its reference."""
    lines = [
        f"**{title}** ({n} queries)",
        "",
        "| search | implementation | MRR@10 | R@1 | R@5 | R@10 | target | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for search in SEARCHES:
        ours, ref = results[f"store:{search}"], results[f"ref:{search}"]
        target = f"within {TOLERANCE[search]} MRR"
        verdict = "PASS" if verdicts[search] else "FAIL"
        for label, values, tail in (
            (f"S3VectorsStore ({search})", ours, f"{target} | {verdict}"),
            (REFERENCE_NAME[search], ref, "reference | "),
        ):
            cells = " | ".join(f"{values[m]:.3f}" for m in METRICS)
            lines.append(f"| {SEARCH_NAME[search]} | {label} | {cells} | {tail} |")
    verdict = "PASS" if verdicts["target"] else "FAIL"
    lines.append(
        f"\nDefault hybrid >= best single search - {HYBRID_SLACK} MRR@10 and >= RRF: {verdict}."
    )
    return "\n".join(lines)


def hybrid_summary(tables: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """Plain words, per corpus and query kind, on what each hybrid fusion does."""
    sentences = []
    for title, res in tables.items():
        sim, ft, rrf, hy = (res[f"store:{s}"]["mrr@10"] for s in SEARCHES)
        best = max(sim, ft)
        name = "vector" if sim >= ft else "full-text"
        if hy > best + HYBRID_SLACK:
            verdict = f"the default hybrid beats {name} alone ({best:.3f})"
        elif hy >= best - HYBRID_SLACK:
            verdict = f"the default hybrid matches {name} alone ({best:.3f})"
        else:
            verdict = f"the default hybrid trails {name} alone ({best:.3f})"
        rrf_words = "above" if rrf > best + HYBRID_SLACK else "below" if rrf < best else "at"
        sentences.append(
            f"- {title}: vector {sim:.3f}, full text {ft:.3f}, RRF {rrf:.3f}, default hybrid "
            f"{hy:.3f} MRR@10; {verdict}; RRF is {rrf_words} the better single search."
        )
    return "\n".join(sentences)


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
        f"Python {platform.python_version()}, onnxruntime {package_version('onnxruntime')}"
    )


def sweep_table(
    rows: Mapping[tuple[int, float], Mapping[str, float]], columns: Sequence[str]
) -> str:
    """A markdown table of MRR@10 per (fetch_k, vector weight) and corpus/kind column."""
    lines = [
        "| fetch_k | vector weight | " + " | ".join(columns) + " | worst gap to best single |",
        "| ---: | ---: | " + " | ".join("---:" for _ in columns) + " | ---: |",
    ]
    for (fetch_k, weight), values in rows.items():
        cells = " | ".join(f"{values[c]:.3f}" for c in columns)
        lines.append(f"| {fetch_k} | {weight:.2f} | {cells} | {values['gap']:+.3f} |")
    return "\n".join(lines)
