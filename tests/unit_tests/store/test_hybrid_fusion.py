"""Hybrid search fusion: relative-score fusion (the default) and the service's RRF.

The fusion runs in the store over what QueryVectors returns, so these tests check
both the arithmetic (:mod:`langchain_s3vectors.search`) and what the store asks the
S3 Vectors API for (through a recording client around the embedded one).
"""

from __future__ import annotations

import asyncio
import math

import pytest
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import HybridSearchConfig, IndexConfig, S3VectorsStore
from langchain_s3vectors.errors import (
    InvalidFilterError,
    InvalidInputError,
    TextSearchNotEnabledError,
)
from langchain_s3vectors.limits import MAX_FILTER_CONSTRAINTS, QUERY_PAGE_SIZE
from langchain_s3vectors.search import (
    DEFAULT_FETCH_K,
    DEFAULT_VECTOR_WEIGHT,
    fuse_results,
    hybrid_config,
    relative_score_fusion,
)

from .conftest import FaultyClient, VocabEmbedding

DOCS = [
    Document("apple banana", metadata={"kind": "fruit", "n": 1}),
    Document("cherry apple", metadata={"kind": "fruit", "n": 2}),
    Document("dog cat", metadata={"kind": "animal", "n": 3}),
    Document("fish red", metadata={"kind": "animal", "n": 4}),
    Document("apple apple apple", metadata={"kind": "fruit", "n": 5}),
    Document("blue fish and a red dog", metadata={"kind": "animal", "n": 6}),
]
IDS = ["a", "b", "c", "d", "e", "f"]


def _ids(hits: list[tuple[Document, float]]) -> list[str | None]:
    return [doc.id for doc, _ in hits]


@pytest.fixture
def recorded(faulty) -> tuple[S3VectorsStore, FaultyClient]:
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", VocabEmbedding(), client=client)
    store.add_documents(DOCS, ids=IDS)
    client.calls.clear()
    return store, client


# -- the arithmetic --------------------------------------------------------------------


def test_relative_score_fusion_is_a_weighted_sum_of_min_max_scaled_scores() -> None:
    vector = [("a", -0.1), ("b", -0.2), ("c", -0.5)]  # scaled: a 1, b 0.75, c 0
    text = [("c", 9.0), ("d", 5.0), ("a", 1.0)]  # scaled: c 1, d 0.5, a 0
    fused = dict(relative_score_fusion(vector, text, 0.6))
    assert fused["a"] == pytest.approx(0.6)
    assert fused["b"] == pytest.approx(0.6 * 0.75)
    assert fused["c"] == pytest.approx(0.4)
    assert fused["d"] == pytest.approx(0.4 * 0.5)
    assert [k for k, _ in relative_score_fusion(vector, text, 0.6)] == ["a", "b", "c", "d"]
    # The weight's extremes rank by one method over the union of both lists.
    assert [k for k, _ in relative_score_fusion(vector, text, 1.0)][:3] == ["a", "b", "c"]
    assert [k for k, _ in relative_score_fusion(vector, text, 0.0)][:3] == ["c", "d", "a"]


def test_relative_score_fusion_corner_cases() -> None:
    vector = [("x", -0.3), ("y", -0.3), ("z", -0.9)]
    # No matching term: the vector ranking, scores scaled by the weight.
    assert relative_score_fusion(vector, [], 0.7) == [("x", 0.7), ("y", 0.7), ("z", 0.0)]
    # No vector candidate: the BM25 ranking.
    text = [("q", 4.0), ("p", 2.0), ("r", 1.0)]
    assert [k for k, _ in relative_score_fusion([], text, 0.7)] == ["q", "p", "r"]
    # One candidate, or equal scores: the best of that method (1).
    assert relative_score_fusion([], [("only", 0.2)], 0.25) == [("only", 0.75)]
    assert relative_score_fusion([], [], 0.5) == []


def test_relative_score_fusion_breaks_ties_deterministically() -> None:
    # b and c tie at 0.5: b is ahead in the vector ranking; d and e tie at 0 and are
    # in no vector list: d is ahead in the text ranking; f and g tie everywhere: key.
    vector = [("b", -0.1), ("a", -0.5), ("c", -0.9)]
    text = [("c", 3.0), ("b", 2.0), ("d", 1.0), ("e", 1.0)]
    once = relative_score_fusion(vector, text, 0.5)
    assert [k for k, _ in once] == ["b", "c", "a", "d", "e"]
    assert relative_score_fusion(vector, text, 0.5) == once
    assert [k for k, _ in relative_score_fusion([], [("g", 1.0), ("f", 1.0)], 0.5)] == ["g", "f"]
    tied = relative_score_fusion([("g", 1.0), ("f", 1.0)], [("f", 1.0), ("g", 1.0)], 0.5)
    assert [k for k, _ in tied] == ["g", "f"]  # equal sums: the vector rank decides


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"fusion": "weighted"}, "fusion='weighted' is unknown; use 'relative_score' or 'rrf'"),
        ({"vector_weight": 1.5}, "vector_weight=1.5 is not a number in [0, 1]"),
        ({"vector_weight": -0.1}, "vector_weight=-0.1 is not a number in [0, 1]"),
        ({"vector_weight": math.nan}, "vector_weight=nan is not a number"),
        ({"vector_weight": "0.5"}, "vector_weight='0.5' is not a number"),
        ({"vector_weight": True}, "vector_weight=True is not a number"),
        ({"alpha": 0.5}, "is not a hybrid search config; pass HybridSearchConfig"),
    ],
)
def test_bad_config_is_one_clear_line(config, message) -> None:
    with pytest.raises(InvalidInputError) as exc:
        hybrid_config(config)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_config_defaults_and_dict_form() -> None:
    assert HybridSearchConfig() == HybridSearchConfig("relative_score", DEFAULT_VECTOR_WEIGHT)
    assert 0.0 < DEFAULT_VECTOR_WEIGHT < 1.0
    assert hybrid_config({"fusion": "rrf"}) == HybridSearchConfig(fusion="rrf")
    assert hybrid_config({"vector_weight": 0}).vector_weight == 0


# -- what the store asks the API for ------------------------------------------------------


def test_default_is_one_hybrid_query_re_ranked_in_the_store(recorded) -> None:
    store, client = recorded
    hits = store.hybrid_search("apple dog", k=3)
    (request,) = client.requests("query_vectors")
    assert "queryVector" in request
    assert "queryTexts" in request
    assert request["returnScores"]
    assert request["topK"] == DEFAULT_FETCH_K
    # The scores are the fusion of what the service returned, recomputed here.
    service = client.inner.query_vectors(**request)["vectors"]
    vector = sorted(
        ((r["key"], -r["scores"]["vectorDistance"]) for r in service), key=lambda p: -p[1]
    )
    text = sorted(
        (
            (r["key"], r["scores"]["bm25Scores"][0]["score"])
            for r in service
            if r["scores"]["bm25Scores"]
        ),
        key=lambda p: -p[1],
    )
    expected = relative_score_fusion(vector, text, DEFAULT_VECTOR_WEIGHT)[:3]
    assert [(d.id, s) for d, s in hits] == expected
    assert len(hits) == 3
    assert all(0.0 <= s <= 1.0 for _, s in hits)


def test_rrf_is_todays_single_hybrid_query(recorded) -> None:
    store, client = recorded
    hits = store.hybrid_search("apple dog", k=3, config=HybridSearchConfig(fusion="rrf"))
    (request,) = client.requests("query_vectors")
    assert request["topK"] == 3
    assert "queryVector" in request
    assert "queryTexts" in request
    assert request["returnScores"]
    service = client.inner.query_vectors(**request)["vectors"]
    assert _ids(hits) == [r["key"] for r in service]
    assert [s for _, s in hits] == [r["scores"]["fused"] for r in service]


def test_fetch_k_is_the_number_of_candidates_re_ranked(recorded) -> None:
    store, client = recorded
    assert len(store.hybrid_search("apple", k=2, fetch_k=3)) == 2
    assert [r["topK"] for r in client.requests("query_vectors")] == [3]
    client.calls.clear()
    store.hybrid_search("apple", k=4, fetch_k=1)  # never fewer than k
    assert [r["topK"] for r in client.requests("query_vectors")] == [4]


def test_candidates_past_one_page_are_followed(faulty) -> None:
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", DeterministicFakeEmbedding(size=16), client=client)
    n = QUERY_PAGE_SIZE + 20
    # Random vectors and BM25 scores by length: two different orders, whose best 100
    # each (the service fuses that deep) cover more than one page.
    texts = [f"apple {'pad ' * (i % 9)}{i}" for i in range(n)]
    store.add_texts(texts, ids=[f"k{i:03d}" for i in range(n)])
    client.calls.clear()
    hits = store.hybrid_search("apple", k=n, fetch_k=n)
    assert QUERY_PAGE_SIZE < len(hits) <= n
    assert len({doc.id for doc, _ in hits}) == len(hits)
    queries = client.requests("query_vectors")
    assert len(queries) == 2  # two pages of one query
    assert "nextToken" in queries[1]


def test_filter_applies_to_both_methods(recorded) -> None:
    store, client = recorded
    hits = store.hybrid_search("apple dog", k=6, filter={"kind": "animal"})
    assert set(_ids(hits)) <= {"c", "d", "f"}
    assert _ids(hits)[0] in {"c", "f"}
    assert all(q["filter"] == {"kind": {"$eq": "animal"}} for q in client.requests("query_vectors"))
    assert store.hybrid_search("apple", k=3, filter={"kind": "mineral"}) == []


def test_bad_input_is_refused_before_any_query(recorded) -> None:
    store, client = recorded
    too_many = {"$and": [{"n": i} for i in range(MAX_FILTER_CONSTRAINTS + 1)]}
    with pytest.raises(InvalidFilterError):
        store.hybrid_search("apple", filter=too_many)
    with pytest.raises(InvalidInputError, match="fetch_k must be a positive integer"):
        store.hybrid_search("apple", fetch_k=0)
    with pytest.raises(InvalidInputError, match="vector_weight"):
        store.hybrid_search("apple", config={"vector_weight": 3})
    with pytest.raises(InvalidInputError):
        store.hybrid_search("   ")
    assert client.count("query_vectors") == 0


def test_no_text_search_raises_for_both_fusions(vocab) -> None:
    store = S3VectorsStore.local(None, vocab, index_config=IndexConfig(text_search_language=None))
    store.add_documents(DOCS, ids=IDS)
    for config in (None, HybridSearchConfig(fusion="rrf")):
        with pytest.raises(TextSearchNotEnabledError, match="enable_text_search"):
            store.hybrid_search("apple", config=config)


def test_missing_index_is_empty(vocab) -> None:
    store = S3VectorsStore.local(None, vocab)
    assert store.hybrid_search("apple") == []
    assert asyncio.run(store.ahybrid_search("apple")) == []


def test_no_matching_term_gives_the_vector_ranking() -> None:
    store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=16))
    store.add_documents(DOCS, ids=IDS)
    assert store.fulltext_search("zebra okapi", k=6) == []
    hybrid = store.hybrid_search("zebra okapi", k=6)
    vector = store.similarity_search_with_score("zebra okapi", k=6)
    assert _ids(hybrid) == _ids(vector)
    assert len({d for _, d in vector}) == 6  # distinct distances: a real ranking
    assert hybrid[0][1] == pytest.approx(DEFAULT_VECTOR_WEIGHT)


def test_vector_finding_nothing_gives_the_bm25_ranking(recorded) -> None:
    store, _ = recorded
    # A service answer where the vector search found none of the candidates (no
    # vectorDistance): the text-only answer is exactly that.
    by_text = store.client.inner.query_vectors(
        vectorBucketName="kb-test",
        indexName="docs",
        topK=10,
        queryTexts=[{"text": "apple", "metadataKey": store.page_content_key}],
        returnMetadata=True,
        returnScores=True,
    )["vectors"]
    assert all("vectorDistance" not in r["scores"] for r in by_text)
    fused = fuse_results(by_text, store._codec(), DEFAULT_VECTOR_WEIGHT, 10)
    assert _ids(fused) == _ids(store.fulltext_search("apple", k=10))
    assert fused[0][1] == pytest.approx(1 - DEFAULT_VECTOR_WEIGHT)


def test_sync_and_async_agree_for_both_fusions(recorded) -> None:
    store, _ = recorded

    async def run(config):
        return await store.ahybrid_search("apple dog fish", k=5, config=config)

    for config in (None, HybridSearchConfig(fusion="rrf"), HybridSearchConfig(vector_weight=0.2)):
        sync = store.hybrid_search("apple dog fish", k=5, config=config)
        assert [(d.id, s) for d, s in asyncio.run(run(config))] == [(d.id, s) for d, s in sync]


def test_retriever_takes_the_config_and_fetch_k(recorded) -> None:
    store, client = recorded
    rrf = HybridSearchConfig(fusion="rrf")
    retriever = store.as_retriever(
        search_type="hybrid", search_kwargs={"k": 2, "config": rrf, "fetch_k": 30}
    )
    docs = retriever.invoke("apple dog")
    assert [d.id for d in docs] == _ids(store.hybrid_search("apple dog", k=2, config=rrf))
    client.calls.clear()
    default = store.as_retriever(search_type="hybrid", search_kwargs={"k": 2, "fetch_k": 30})
    docs = asyncio.run(default.ainvoke("apple dog"))
    assert [r["topK"] for r in client.requests("query_vectors")] == [30]
    assert [d.id for d in docs] == _ids(store.hybrid_search("apple dog", k=2, fetch_k=30))
    # fulltext takes neither: a config in search_kwargs does not reach it.
    fulltext = store.as_retriever(search_type="fulltext", search_kwargs={"config": rrf})
    assert [d.id for d in fulltext.invoke("cherry")] == ["b"]
