"""``S3VectorsSearcher``: the store's search without LangChain's VectorStore base class.

The searcher and the store share one implementation (the store derives from the
searcher), so these tests pin what the split must keep: the same hits in every mode,
LangChain's relevance-score contract (``score_threshold``, the [0, 1] warning), and a
process that builds a searcher never importing LangChain's ``VectorStore`` module.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import IndexConfig, S3VectorsStore
from langchain_s3vectors import searcher as searcher_module
from langchain_s3vectors.base import S3VectorsStoreBase
from langchain_s3vectors.errors import InvalidFilterError
from langchain_s3vectors.identity import EmbeddingIdentity
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.searcher import S3VectorsSearcher

TEXTS = [
    "S3 Vectors stores vectors in indexes inside vector buckets.",
    "LangChain retrievers return documents for a query.",
    "Hybrid search fuses vector and full-text rankings.",
    "A vector bucket holds up to ten thousand indexes.",
]


@pytest.fixture
def pair() -> tuple[S3VectorsStore, S3VectorsSearcher]:
    emb = DeterministicFakeEmbedding(size=16)
    client = LocalS3VectorsClient()
    store = S3VectorsStore("kbase", "docs", emb, client=client)
    store.add_texts(TEXTS, metadatas=[{"n": i} for i in range(len(TEXTS))], ids=list("abcd"))
    return store, S3VectorsSearcher("kbase", "docs", emb, client=client)


def _ids(hits: list) -> list[str | None]:
    return [(hit[0] if isinstance(hit, tuple) else hit).id for hit in hits]


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("similarity_search", {}),
        ("similarity_search_with_score", {}),
        ("similarity_search_with_relevance_scores", {}),
        ("max_marginal_relevance_search", {"fetch_k": 4}),
        ("fulltext_search", {}),
        ("hybrid_search", {}),
        ("similarity_search", {"filter": {"n": {"$gte": 2}}}),
    ],
)
def test_searcher_and_store_return_the_same_hits(pair, method: str, kwargs: dict) -> None:
    store, searcher = pair
    expected = getattr(store, method)("vector buckets", k=3, **kwargs)
    got = getattr(searcher, method)("vector buckets", k=3, **kwargs)
    assert _ids(got) == _ids(expected)
    assert _ids(got)  # the index is not empty: a real comparison
    if expected and isinstance(expected[0], tuple):
        assert [s for _, s in got] == [s for _, s in expected]


def test_async_searches_match_the_sync_ones(pair) -> None:
    _, searcher = pair

    async def run() -> tuple[list, list]:
        return (
            await searcher.asimilarity_search_with_relevance_scores("vector buckets", k=2),
            await searcher.ahybrid_search("vector buckets", k=2),
        )

    relevance, hybrid = asyncio.run(run())
    assert relevance == searcher.similarity_search_with_relevance_scores("vector buckets", k=2)
    assert _ids(hybrid) == _ids(searcher.hybrid_search("vector buckets", k=2))


def test_score_threshold_keeps_langchains_contract(pair) -> None:
    """``VectorStore.similarity_search_with_relevance_scores`` semantics (langchain-core)."""
    store, searcher = pair
    scores = [s for _, s in searcher.similarity_search_with_relevance_scores("x", k=4)]
    cut = sorted(scores)[2]
    for target in (store, searcher):
        kept = target.similarity_search_with_relevance_scores("x", k=4, score_threshold=cut)
        assert [s for _, s in kept] == [s for s in scores if s >= cut]
        assert len(kept) == 2
    retriever = store.as_retriever(
        search_type="similarity_score_threshold", search_kwargs={"score_threshold": 2.0}
    )
    assert retriever.invoke("x") == []


def test_out_of_range_relevance_warns_as_langchain_does() -> None:
    emb = DeterministicFakeEmbedding(size=8)
    searcher = S3VectorsStore.local(None, emb, relevance_score_fn=lambda d: 5.0 + d)
    searcher.add_texts(["a", "b"])
    with pytest.warns(UserWarning, match="between 0 and 1"):
        searcher.similarity_search_with_relevance_scores("a", k=2)


def test_searcher_cannot_add_and_is_not_a_langchain_vectorstore() -> None:
    searcher = S3VectorsSearcher.local(None, DeterministicFakeEmbedding(size=8))
    assert not hasattr(searcher, "add_texts")
    assert not hasattr(searcher, "as_retriever")
    assert "VectorStore" not in [c.__name__ for c in type(searcher).__mro__]
    assert searcher.similarity_search("anything", k=1) == []  # a missing index is empty


def test_building_a_searcher_never_imports_langchains_vectorstore(tmp_path) -> None:
    code = (
        "import json, sys\n"
        "from langchain_core.embeddings import DeterministicFakeEmbedding\n"
        "from langchain_s3vectors.searcher import S3VectorsSearcher\n"
        f"s = S3VectorsSearcher.local({str(tmp_path)!r}, DeterministicFakeEmbedding(size=8))\n"
        "hits = s.similarity_search('x', k=1)\n"
        "print(json.dumps([len(hits), 'langchain_core.vectorstores.base' in sys.modules,"
        " 'langsmith' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout) == [0, False, False]


@pytest.mark.parametrize("cls", [S3VectorsStoreBase, S3VectorsSearcher])
def test_the_base_and_the_searcher_change_nothing(cls: type) -> None:
    # The base is bound to one index (get, list); the searcher adds reads only.
    for name in ("add_texts", "add_embeddings", "delete", "adelete", "clear", "aclear"):
        assert not hasattr(cls, name), name
    for name in ("get_by_ids", "aget_by_ids", "iter_records", "index_info", "ensure_index"):
        assert hasattr(cls, name), name
    for name in ("delete", "adelete", "clear", "aclear", "add_texts", "as_retriever"):
        assert hasattr(S3VectorsStore, name), name


SEARCHES = [
    ("similarity_search", {}),
    ("similarity_search_with_relevance_scores", {}),
    ("max_marginal_relevance_search", {"fetch_k": 3}),
    ("fulltext_search", {}),
    ("hybrid_search", {}),
]


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("method", "extra"), SEARCHES, ids=[m for m, _ in SEARCHES])
def test_a_search_builds_its_query_request_once(
    pair, monkeypatch: pytest.MonkeyPatch, method: str, extra: dict, use_async: bool
) -> None:
    _, searcher = pair
    built = []
    real = searcher_module.query_request

    def counting(*args: object, **kwargs: object) -> dict:
        built.append(kwargs)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(searcher_module, "query_request", counting)
    call = getattr(searcher, f"a{method}" if use_async else method)
    result = call("vectors", k=2, filter={"n": {"$gte": 0}}, **extra)
    hits = asyncio.run(result) if use_async else result
    assert hits
    assert len(built) == 1, built


def test_a_filter_on_a_key_the_index_declares_non_filterable_is_refused_before_sending() -> None:
    # The store below declares no extra key, but the index it opens does: once the
    # index is seen (the embedding identity check reads it before the query is sent),
    # the filter is refused in one line rather than sent and rejected by the service.
    client, emb = LocalS3VectorsClient(), DeterministicFakeEmbedding(size=8)
    layout = IndexConfig(non_filterable_metadata_keys=["notes"])
    kwargs = {"client": client, "embedding_identity": EmbeddingIdentity("model-a")}
    creator = S3VectorsStore("kbase", "docs", emb, index_config=layout, **kwargs)
    creator.add_texts(["x"], [{"notes": "n"}], ids=["a"])
    searcher = S3VectorsSearcher("kbase", "docs", emb, **kwargs)
    for method in ("similarity_search", "max_marginal_relevance_search", "hybrid_search"):
        with pytest.raises(InvalidFilterError, match="'notes' is non-filterable"):
            getattr(searcher, method)("x", filter={"notes": "n"})
