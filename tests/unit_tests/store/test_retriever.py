"""S3VectorsRetriever: every search type, sync and async, in chains and tools."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.tools import create_retriever_tool

from langchain_s3vectors.retrievers import S3VectorsRetriever
from langchain_s3vectors.vectorstores import S3VectorsStore

DOCS = [
    Document("apple banana", metadata={"kind": "fruit"}),
    Document("apple apple", metadata={"kind": "fruit"}),
    Document("cherry apple", metadata={"kind": "fruit"}),
    Document("dog cat", metadata={"kind": "animal"}),
]


@pytest.fixture
def store(vocab):
    s = S3VectorsStore.local(None, vocab)
    s.add_documents(DOCS, ids=["a", "b", "c", "d"])
    return s


@pytest.mark.parametrize(
    ("search_type", "search_kwargs", "expected"),
    [
        ("similarity", {"k": 1}, ["b"]),
        ("similarity", {"k": 2, "filter": {"kind": "animal"}}, ["d"]),
        ("similarity_score_threshold", {"score_threshold": 0.9, "k": 4}, ["b"]),
        ("mmr", {"k": 2, "fetch_k": 4, "lambda_mult": 0.5}, None),
        ("fulltext", {"k": 4}, ["c"]),
        ("hybrid", {"k": 1}, ["c"]),
    ],
)
async def test_search_types(store, search_type, search_kwargs, expected):
    retriever = store.as_retriever(search_type=search_type, search_kwargs=search_kwargs)
    assert isinstance(retriever, S3VectorsRetriever)
    query = "cherry" if search_type in ("fulltext", "hybrid") else "apple"
    if search_type == "similarity" and "filter" in search_kwargs:
        query = "dog"
    docs = retriever.invoke(query)
    adocs = await retriever.ainvoke(query)
    assert [d.id for d in docs] == [d.id for d in adocs]
    if expected is None:
        assert len(docs) == 2
        assert len({d.page_content for d in docs}) == 2
    else:
        assert [d.id for d in docs] == expected


def test_text_score_threshold_and_unknown_type(store):
    high = store.as_retriever(search_type="fulltext", search_kwargs={"score_threshold": 1e9})
    assert high.invoke("cherry") == []
    with pytest.raises(ValueError, match="search_type"):
        store.as_retriever(search_type="magic")


def test_retriever_in_lcel_chain(store):
    retriever = store.as_retriever(search_kwargs={"k": 1})
    chain = {
        "context": retriever | RunnableLambda(lambda docs: docs[0].page_content),
        "question": RunnablePassthrough(),
    } | RunnableLambda(lambda x: f"{x['question']} -> {x['context']}")
    assert chain.invoke("dog") == "dog -> dog cat"


def test_retriever_as_tool(store):
    tool = create_retriever_tool(
        store.as_retriever(search_type="hybrid", search_kwargs={"k": 1}),
        "search_docs",
        "Search the documents.",
    )
    assert tool.name == "search_docs"
    assert "cherry apple" in tool.invoke({"query": "cherry"})
