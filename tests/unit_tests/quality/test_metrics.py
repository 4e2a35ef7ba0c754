"""The retrieval-quality benchmark's metrics, references and set construction (no model)."""

from __future__ import annotations

import doctest
import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "retrieval_quality.py"


@pytest.fixture(scope="module")
def rq() -> ModuleType:
    if str(BENCHMARK.parent) not in sys.path:  # the benchmark imports its sibling modules
        sys.path.insert(0, str(BENCHMARK.parent))
    spec = importlib.util.spec_from_file_location("retrieval_quality", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def test_mrr_at_10(rq: ModuleType) -> None:
    assert rq.mrr_at_k(["a", "b", "c"], {"a"}) == 1.0
    assert rq.mrr_at_k(["a", "b", "c"], {"c"}) == pytest.approx(1 / 3)
    # The first relevant key counts, not the best one.
    assert rq.mrr_at_k(["x", "b", "a"], {"a", "b"}) == 0.5
    # Beyond the cut-off, or absent: zero.
    ranked = [f"d{i}" for i in range(20)]
    assert rq.mrr_at_k(ranked, {"d10"}) == 0.0
    assert rq.mrr_at_k(ranked, {"d9"}) == pytest.approx(0.1)
    assert rq.mrr_at_k([], {"a"}) == 0.0


def test_recall_at_k(rq: ModuleType) -> None:
    ranked = ["a", "b", "c", "d"]
    assert rq.recall_at_k(ranked, {"b"}, 1) == 0.0
    assert rq.recall_at_k(ranked, {"b"}, 2) == 1.0
    assert rq.recall_at_k(ranked, {"a", "d", "z"}, 4) == pytest.approx(2 / 3)
    assert rq.recall_at_k(ranked, set(), 4) == 0.0


def test_evaluate_means_over_queries(rq: ModuleType) -> None:
    queries = [
        rq.Query("question", "q1", frozenset({"a"})),
        rq.Query("question", "q2", frozenset({"b"})),
        rq.Query("question", "q3", frozenset({"z"})),
    ]
    rankings = [["a", "b"], ["a", "c", "d", "e", "b"], ["a"]]
    result = rq.evaluate(rankings, queries)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 5 + 0) / 3)
    assert result["r@1"] == pytest.approx(1 / 3)
    assert result["r@5"] == pytest.approx(2 / 3)
    assert result["r@10"] == pytest.approx(2 / 3)
    assert rq.evaluate([], [])["mrr@10"] == 0.0


def test_rrf_fuse_matches_the_formula(rq: ModuleType) -> None:
    fused = rq.rrf_fuse([["a", "b", "c"], ["c", "a"]])
    # a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62
    assert fused == ["a", "c", "b"]
    # Each ranking is cut to its best `depth` entries; ties break by key.
    assert rq.rrf_fuse([["x", "y"], ["y", "x"]]) == ["x", "y"]
    assert rq.rrf_fuse([["a", "b"]], depth=1) == ["a"]


def test_exact_cosine_ranks_by_angle(rq: ModuleType) -> None:
    docs = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]], dtype=np.float32)
    queries = np.array([[0.0, 1.0], [3.0, 0.1]], dtype=np.float32)
    assert rq.exact_cosine(docs, queries, ["a", "b", "c"], 2) == [["b", "c"], ["a", "c"]]


def test_analyzer_lowercases_stems_and_folds(rq: ModuleType) -> None:
    pytest.importorskip("snowballstemmer")
    analyzer = rq.Analyzer()
    assert analyzer("Creating Vector_Buckets, café") == ["creat", "vector", "bucket", "cafe"]
    # A query counts each distinct word once (as a MATCH of OR-ed terms does).
    assert analyzer.query("bucket Bucket buckets") == ["bucket", "bucket"]


def test_bm25_reference_ranks_rare_terms_first(rq: ModuleType) -> None:
    pytest.importorskip("rank_bm25")
    pytest.importorskip("snowballstemmer")
    passages = [
        rq.Passage("p1", "delete the vector bucket"),
        rq.Passage("p2", "create the vector index"),
        rq.Passage("p3", "list every tag of a resource"),
        rq.Passage("p4", "the bucket policy of the bucket"),
    ]
    ranked = rq.bm25_reference(passages, ["vector index", "nothing matches"], 10)
    assert ranked[0][0] == "p2"
    assert set(ranked[0]) == {"p1", "p2"}  # only passages sharing a term
    assert ranked[1] == []


def _tiny_operations(rq: ModuleType) -> list[Any]:
    docs = {
        "CreateThing": "Creates a thing. Set ThingNameValue to name it.",
        "DeleteThing": "Deletes a thing and its ThingTagList entries for good.",
        "ListThings": "Lists things, filtered by owner_account_id when given.",
        "DescribeThing": "Describes one thing: see ThingNameValue and the owner.",
        "TagThing": "Tags a thing.",
    }
    return [rq.Operation("svc", "Service", name, doc) for name, doc in docs.items()]


def test_build_set_is_deterministic_and_labelled(rq: ModuleType) -> None:
    ops = _tiny_operations(rq)
    headings = {
        "svc/CreateThing": "To create a thing.",
        "svc/DeleteThing": "To delete a thing",
        "svc/ListThings": "To list things",
        "svc/TagThing": "To list things",  # ambiguous: both operations are dropped
        "other/Missing": "To do something elsewhere",  # not in the corpus
    }
    first = rq.build_set(ops, headings, n_questions=10, n_terms=10, seed=7)
    shuffled = list(reversed(ops))
    random.Random(1).shuffle(shuffled)
    second = rq.build_set(
        shuffled, dict(reversed(headings.items())), n_questions=10, n_terms=10, seed=7
    )
    assert first.passages == second.passages
    assert first.queries == second.queries
    assert [p.key for p in first.passages] == sorted(f"svc/{op.name}" for op in ops)

    questions = {q.text: q.relevant for q in first.queries if q.kind == "question"}
    assert questions == {
        "How do I create a thing?": frozenset({"svc/CreateThing"}),
        "How do I delete a thing?": frozenset({"svc/DeleteThing"}),
    }
    terms = {q.text: q.relevant for q in first.queries if q.kind == "term"}
    assert terms == {
        "ThingNameValue": frozenset({"svc/CreateThing", "svc/DescribeThing"}),
        "ThingTagList": frozenset({"svc/DeleteThing"}),
        "owner_account_id": frozenset({"svc/ListThings"}),
    }
    # Operation names are never exact-term queries, and the relevance labels are true.
    by_key = {p.key: p.text for p in first.passages}
    for term, relevant in terms.items():
        assert all(term in by_key[key] for key in relevant)
        assert not any(term in text for key, text in by_key.items() if key not in relevant)


def test_build_set_sampling_depends_on_seed_and_df_limit(rq: ModuleType) -> None:
    ops = [
        rq.Operation(
            "svc", "Service", f"Op{i:02d}", f"Uses SharedFlagName and UniqueFlagName{i:02d} here."
        )
        for i in range(30)
    ]
    a = rq.build_set(ops, {}, n_questions=0, n_terms=5, seed=1)
    b = rq.build_set(ops, {}, n_questions=0, n_terms=5, seed=1)
    c = rq.build_set(ops, {}, n_questions=0, n_terms=5, seed=2)
    assert a.queries == b.queries
    assert len(a.queries) == 5
    assert {q.text for q in a.queries} != {q.text for q in c.queries}
    # A term in 30 passages is far above the limit of 3.
    assert all(q.text != "SharedFlagName" for q in a.queries + c.queries)


def test_choose_services_is_seeded_and_stops_at_target(rq: ModuleType) -> None:
    counts = {f"s{i}": 10 for i in range(20)}
    first = rq.choose_services(counts, 35, random.Random(3), ["s7"])
    assert first == rq.choose_services(counts, 35, random.Random(3), ["s7"])
    assert first[0] == "s7"
    assert len(first) == 4  # 40 operations >= 35


def test_docstring_examples(rq: ModuleType) -> None:
    result = doctest.testmod(rq, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_relative_score_fuse_reference(rq: ModuleType) -> None:
    vector = [("a", 0.9), ("b", 0.8), ("c", 0.5)]  # scaled: a 1, b 0.75, c 0
    text = [("c", 9.0), ("d", 5.0), ("a", 1.0)]  # scaled: c 1, d 0.5, a 0
    # a 0.6, b 0.45, c 0.4, d 0.2
    assert rq.relative_score_fuse(vector, text, 0.6, 10) == ["a", "b", "c", "d"]
    # Each list is cut to `depth` before scaling: b and d, the worst of each, tie at 0.
    assert rq.relative_score_fuse(vector, text, 0.6, 2) == ["a", "c", "b", "d"]
    assert rq.relative_score_fuse(vector, [], 0.5, 10) == ["a", "b", "c"]
    assert rq.relative_score_fuse([], text, 0.5, 10) == ["c", "d", "a"]


def _sibling(name: str) -> ModuleType:
    if str(BENCHMARK.parent) not in sys.path:
        sys.path.insert(0, str(BENCHMARK.parent))
    return importlib.import_module(name)


def test_docstring_set_questions_and_passages(rq: ModuleType) -> None:
    ds = _sibling("docstring_set")
    summary, body = ds.split_docstring(
        "Compute the :math:`x` median.\n\nMore words here.\n\nParameters\n----------\n"
        "a : array_like\n    Input.\n\nSee Also\n--------\nmean\n\nExamples\n--------\n>>> f()\n"
    )
    assert summary == "Compute the x median."
    assert body == "More words here. Parameters: a : array_like Input."
    assert ds.question_from_summary(summary) == "How do I calculate the x median?"
    assert ds.question_from_summary("Tests whether x.") == "How do I check whether x?"
    assert ds.question_from_summary("Kaiser window.") is None
    assert ds.question_from_summary("Compute a. Then b.") is None
    words = "alpha " * 70
    docs = [
        ds.Docstring("m.f", "Compute one thing.", words),
        ds.Docstring("m.g", "Compute one thing.", words),  # ambiguous: dropped
        ds.Docstring("m.h", "Return another thing.", words),
        ds.Docstring("m.i", "A window.", words),  # no question, still a passage
    ]
    built = ds.build_docstring_set(docs, n_questions=10, seed=3)
    again = ds.build_docstring_set(list(reversed(docs)), n_questions=10, seed=3)
    assert built.passages == again.passages
    assert built.queries == again.queries
    assert [p.key for p in built.passages] == ["m.f", "m.g", "m.h", "m.i"]
    assert [(q.kind, q.text, q.relevant) for q in built.queries] == [
        ("paraphrase", "How do I get another thing?", frozenset({"m.h"}))
    ]


@pytest.mark.parametrize(
    "name", ["docstring_set", "retrieval_reference", "retrieval_report", "fusion_sweep"]
)
def test_sibling_docstring_examples(rq: ModuleType, name: str) -> None:
    module = _sibling(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name == "fusion_sweep"
