"""How the default of relative-score fusion was chosen: ``retrieval_quality.py --sweep``.

For every query of every corpus and kind, the sweep asks the store's S3 Vectors client
for the vector-only and the text-only candidates (100 each, two QueryVectors calls),
then fuses them with the package's :func:`~langchain_s3vectors.search.relative_score_fusion`
for each ``fetch_k`` (each list cut to it) and vector weight, and reports MRR@10. It
also measures the one-request alternative: a single hybrid QueryVectors call with
``returnScores`` (``topK = fetch_k``), re-ranked by the same fusion over the
``vectorDistance`` and ``bm25Scores`` the service attaches to the RRF candidates.

The rule that picks the default: the largest worst-case gap, over every corpus and
kind, between the fusion's MRR@10 and the better of vector and full-text search (to
three decimals); among those, the smallest ``fetch_k`` (fewer results to transfer)
whose mean MRR@10 is within :data:`MEAN_TOLERANCE` of the best mean (a difference of
one or two queries moving a rank); then the highest mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retrieval_report import sweep_table

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from retrieval_set import Query

__all__ = ["FETCH_KS", "MEAN_TOLERANCE", "WEIGHTS", "Sweep", "pick_setting"]

K = 10
FETCH_KS = (10, 20, 50, 100)
WEIGHTS = tuple(round(0.05 * i, 2) for i in range(21))
SINGLE_CALL_FETCH_KS = (10, 20, 50, 100)
#: Mean MRR@10 differences below this count as equal when picking the default.
MEAN_TOLERANCE = 0.005


def _mrr(ranked: Sequence[str], relevant: frozenset[str]) -> float:
    for rank, key in enumerate(ranked[:K], start=1):
        if key in relevant:
            return 1.0 / rank
    return 0.0


def _bm25(item: Mapping[str, Any], key: str) -> float | None:
    scores = [
        float(s["score"])
        for s in (item.get("scores") or {}).get("bm25Scores") or []
        if s.get("metadataKey") == key
    ]
    return sum(scores) if scores else None


def pick_setting(scored: Mapping[tuple[int, float], Mapping[str, float]]) -> tuple[int, float]:
    """The (fetch_k, weight) the rule of the module documentation picks.

    Example:
        >>> pick_setting({
        ...     (20, 0.4): {"gap": -0.002, "mean": 0.807},
        ...     (100, 0.4): {"gap": -0.002, "mean": 0.809},
        ...     (10, 0.4): {"gap": -0.002, "mean": 0.801},
        ...     (10, 0.9): {"gap": -0.300, "mean": 0.900},
        ... })
        (20, 0.4)
    """
    best_gap = max(round(v["gap"], 3) for v in scored.values())
    tied = {s: v for s, v in scored.items() if round(v["gap"], 3) == best_gap}
    best_mean = max(v["mean"] for v in tied.values())
    near = [s for s, v in tied.items() if v["mean"] >= best_mean - MEAN_TOLERANCE]
    return min(near, key=lambda s: (s[0], -tied[s]["mean"], s[1]))


class Sweep:
    """MRR@10 of relative-score fusion per (fetch_k, weight), per corpus and kind."""

    def __init__(self) -> None:
        """An empty sweep."""
        self.two_calls: dict[tuple[int, float], dict[str, float]] = {}
        self.one_call: dict[tuple[int, float], dict[str, float]] = {}
        self.titles: list[str] = []

    def add(self, store: Any, data: Any, queries: Sequence[Query], title: str) -> None:
        """Measure one corpus and kind on ``store`` (``data.cache``: query vectors)."""
        from langchain_s3vectors.search import relative_score_fusion  # noqa: PLC0415

        self.titles.append(title)
        ids = {"vectorBucketName": store.vector_bucket_name, "indexName": store.index_name}
        text_key = store.page_content_key
        two: dict[tuple[int, float], float] = {}
        one: dict[tuple[int, float], float] = {}
        for q in queries:
            vector = {"float32": data.cache[q.text]}
            texts = [{"text": q.text, "metadataKey": text_key}]
            by_vector = store.client.query_vectors(
                **ids, topK=max(FETCH_KS), queryVector=vector, returnDistance=True
            )["vectors"]
            by_text = store.client.query_vectors(
                **ids, topK=max(FETCH_KS), queryTexts=texts, returnScores=True
            )["vectors"]
            vec = [(r["key"], -r["distance"]) for r in by_vector]
            txt = [(r["key"], _bm25(r, text_key) or 0.0) for r in by_text]
            for fetch_k in FETCH_KS:
                for w in WEIGHTS:
                    fused = relative_score_fusion(vec[:fetch_k], txt[:fetch_k], w)
                    mrr = _mrr([key for key, _ in fused], q.relevant)
                    two[fetch_k, w] = two.get((fetch_k, w), 0.0) + mrr
            for fetch_k in SINGLE_CALL_FETCH_KS:
                both = store.client.query_vectors(
                    **ids, topK=fetch_k, queryVector=vector, queryTexts=texts, returnScores=True
                )["vectors"]
                vec1 = [
                    (r["key"], -r["scores"]["vectorDistance"])
                    for r in both
                    if "vectorDistance" in (r.get("scores") or {})
                ]
                vec1.sort(key=lambda pair: -pair[1])
                txt1 = [(r["key"], s) for r in both if (s := _bm25(r, text_key)) is not None]
                txt1.sort(key=lambda pair: -pair[1])
                for w in WEIGHTS:
                    fused = relative_score_fusion(vec1, txt1, w)
                    mrr = _mrr([key for key, _ in fused], q.relevant)
                    one[fetch_k, w] = one.get((fetch_k, w), 0.0) + mrr
        for target, sums in ((self.two_calls, two), (self.one_call, one)):
            for setting, total in sums.items():
                target.setdefault(setting, {})[title] = total / len(queries)

    def _scored(
        self,
        rows: Mapping[tuple[int, float], Mapping[str, float]],
        tables: Mapping[str, Mapping[str, Mapping[str, float]]],
    ) -> dict[tuple[int, float], dict[str, float]]:
        best = {
            t: max(tables[t][f"store:{s}"]["mrr@10"] for s in ("similarity", "fulltext"))
            for t in self.titles
        }
        out = {}
        for setting, values in rows.items():
            gap = min(values[t] - best[t] for t in self.titles)
            mean = sum(values[t] for t in self.titles) / len(self.titles)
            out[setting] = {**values, "gap": gap, "mean": mean}
        return out

    def render(self, tables: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
        """Both sweeps as markdown tables, with the setting the rule picks."""
        parts = []
        for name, rows in (
            ("two QueryVectors calls (vector-only + text-only)", self.two_calls),
            ("one hybrid QueryVectors call with returnScores", self.one_call),
        ):
            scored = self._scored(rows, tables)
            pick = pick_setting(scored)
            parts += [
                f"Relative-score fusion over {name}: MRR@10",
                sweep_table(scored, self.titles),
                (
                    f"Picked (largest worst-case gap, then the smallest fetch_k within "
                    f"{MEAN_TOLERANCE} of the best mean): fetch_k {pick[0]}, "
                    f"vector weight {pick[1]:.2f}: worst gap {scored[pick]['gap']:+.3f}, "
                    f"mean {scored[pick]['mean']:.3f}."
                ),
            ]
        return "\n\n".join(parts)
