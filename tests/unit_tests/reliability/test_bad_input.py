"""Bad input is rejected with a message that says what is wrong, before anything is written.

Each case runs twice: against an index that already holds documents (its content must
not change) and as the first write to a fresh store (no bucket or index may appear).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from langchain_s3vectors.base import IndexConfig
from langchain_s3vectors.errors import InvalidFilterError, InvalidInputError, S3VectorsError
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import BUCKET, DIM, INDEX, make_store
from .faults import FaultInjectingClient, snapshot


class TrickEmbedding(Embeddings):
    """Deterministic 32-d embeddings, except for texts that ask for trouble.

    ``NAN`` -> a NaN value, ``INF`` -> an infinite value, ``HUGE`` -> beyond float32,
    ``SHORT`` -> one dimension too few, ``ZERO`` -> the zero vector.
    """

    def __init__(self) -> None:
        self.base = DeterministicFakeEmbedding(size=DIM)

    def _one(self, text: str) -> list[float]:
        vector = self.base.embed_query(text)
        if "NAN" in text:
            vector[3] = math.nan
        if "INF" in text:
            vector[5] = -math.inf
        if "HUGE" in text:
            vector[0] = 1e39
        if "SHORT" in text:
            vector = vector[:-1]
        if "ZERO" in text:
            vector = [0.0] * DIM
        return vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._one(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._one(text)


def _add(**kwargs: Any):
    texts = kwargs.pop("texts", ["fine text"])
    return lambda store: store.add_texts(texts, **kwargs)


def _meta(metadata: Any):
    return lambda store: store.add_texts(["fine text"], [metadata], ids=["m"])


def _search(**kwargs: Any):
    return lambda store: store.similarity_search("fine text", **kwargs)


def _batch_with_bad_700th(bad_text: str, bad_meta: dict[str, Any]):
    texts = [f"document {i}" for i in range(1000)]
    metas: list[dict[str, Any]] = [{"n": i} for i in range(1000)]
    texts[699], metas[699] = bad_text, bad_meta
    ids = [f"batch-{i}" for i in range(1000)]
    return lambda store: store.add_texts(texts, metas, ids=ids)


# (case id, action, fragment of the message)
WRITE_CASES = [
    ("nan-embedding", _add(texts=["a NAN text"]), "is nan"),
    ("inf-embedding", _add(texts=["an INF text"]), "is -inf"),
    ("beyond-float32", _add(texts=["a HUGE value"]), "finite float32"),
    ("wrong-dimension", _add(texts=["fine", "a SHORT one"]), "has 31 dimensions"),
    ("zero-vector-cosine", _add(texts=["ZERO"]), "zero vector"),
    ("id-too-long", _add(ids=["k" * 1025]), "has 1025 characters"),
    ("id-empty", _add(ids=[""]), "has 0 characters"),
    ("id-not-str", _add(ids=[7]), "must be a string"),
    ("ids-count", _add(texts=["a", "b"], ids=["a"]), "one id per text"),
    ("metadatas-count", _add(texts=["a", "b"], metadatas=[{}]), "one per text"),
    ("texts-is-a-string", lambda s: s.add_texts("oops"), "not one string"),
    ("metadata-over-40kb", _add(texts=["x" * 41_000]), "bytes per vector"),
    ("filterable-over-2kb", _meta({"blob": "y" * 2100}), "filterable metadata is"),
    ("too-many-keys", _meta({f"k{i}": i for i in range(50)}), "at most 50"),
    ("metadata-key-too-long", _meta({"k" * 64: 1}), "has 64 characters"),
    ("value-none", _meta({"a": None}), "type None"),
    ("value-nested-dict", _meta({"a": {"b": 1}}), "type dict"),
    ("value-set", _meta({"a": {1, 2}}), "type set"),
    ("value-datetime", _meta({"a": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}), "type datetime"),
    ("value-bytes", _meta({"a": b"raw"}), "type bytes"),
    ("value-nan", _meta({"a": math.nan}), "finite numbers"),
    ("list-of-dicts", _meta({"a": [{"b": 1}]}), "list containing"),
    ("list-with-none", _meta({"a": ["x", None]}), "list containing"),
    ("metadata-not-dict", _meta(["not", "a", "dict"]), "must be a dict"),
    ("reserved-key", _meta({"_page_content": "mine"}), "reserved key '_page_content'"),
    (
        "document-reserved-key",
        lambda s: s.add_documents([Document("t", metadata={"_page_content": 1})], ids=["d"]),
        "reserved key",
    ),
    ("700th-bad-metadata", _batch_with_bad_700th("fine", {"when": {1}}), "document 699"),
    ("700th-nan-embedding", _batch_with_bad_700th("NAN here", {"n": 699}), "document 699"),
    (
        "700th-too-long-id",
        lambda s: s.add_texts(["t"] * 700, ids=[*"a" * 699, "z" * 2000]),
        "document 699",
    ),
]

READ_CASES = [
    ("k-zero", _search(k=0), "k must be a positive integer"),
    ("k-negative", _search(k=-3), "k must be a positive integer"),
    ("k-bool", _search(k=True), "k must be a positive integer"),
    ("k-float", _search(k=2.5), "k must be a positive integer"),
    ("k-str", _search(k="4"), "k must be a positive integer"),
    ("mmr-k-zero", lambda s: s.max_marginal_relevance_search("q", k=0), "k must be"),
    ("filter-unknown-op", _search(filter={"n": {"$like": "x"}}), "unknown operator '$like'"),
    ("filter-unknown-top-op", _search(filter={"$not": {"n": 1}}), "unknown top-level operator"),
    ("filter-gt-string", _search(filter={"n": {"$gt": "abc"}}), "takes a finite number"),
    ("filter-in-empty", _search(filter={"n": {"$in": []}}), "$in"),
    ("filter-in-not-list", _search(filter={"n": {"$in": 3}}), "$in"),
    ("filter-exists-str", _search(filter={"n": {"$exists": "yes"}}), "takes true or false"),
    ("filter-eq-dict", _search(filter={"n": {"$eq": {"a": 1}}}), "'n'"),
    ("filter-and-empty", _search(filter={"$and": []}), "non-empty list"),
    ("filter-empty", _search(filter={}), "empty object"),
    ("filter-non-filterable", _search(filter={"_page_content": "x"}), "_page_content"),
    (
        "retriever-k-zero",
        lambda s: s.as_retriever(search_kwargs={"k": 0}).invoke("fine text"),
        "k must be a positive integer",
    ),
    ("hybrid-empty-query", lambda s: s.hybrid_search("   ", k=2), "must contain some text"),
    ("delete-nothing", lambda s: s.delete(), "never deletes everything"),
    ("delete-one-string", lambda s: s.delete("abc"), "not one string"),
    ("delete-bad-filter", lambda s: s.delete(filter={"n": {"$regex": "."}}), "unknown operator"),
]

CASES = WRITE_CASES + READ_CASES


def _params(cases: list[Any]) -> list[Any]:
    """``(id, action, fragment)`` rows and ``pytest.param`` rows as parametrize values."""
    out = []
    for case in cases:
        if hasattr(case, "marks"):  # a pytest.param row (itself a tuple)
            name, action, fragment = case.values
            out.append(pytest.param(action, fragment, id=name, marks=case.marks))
        else:
            out.append(pytest.param(case[1], case[2], id=case[0]))
    return out


@pytest.fixture
def seeded_client():
    client = LocalS3VectorsClient()
    store = make_store(client, embedding=TrickEmbedding())
    store.add_texts(["first", "second", "third"], [{"n": 1}, {"n": 2}, {"n": 3}], ids=list("abc"))
    yield client
    client.close()


@pytest.mark.parametrize(("action", "fragment"), _params(CASES))
def test_rejected_and_index_unchanged(seeded_client, action, fragment):
    before = snapshot(seeded_client, BUCKET, INDEX)
    recorder = FaultInjectingClient(seeded_client)
    store = make_store(recorder, embedding=TrickEmbedding())
    with pytest.raises((InvalidInputError, ValueError)) as info:
        action(store)
    assert isinstance(info.value, S3VectorsError)
    assert fragment in str(info.value)
    assert snapshot(seeded_client, BUCKET, INDEX) == before
    writes = {"put_vectors", "delete_vectors", "create_index", "create_vector_bucket"}
    assert not writes & set(recorder.calls)


@pytest.mark.parametrize(("action", "fragment"), _params(WRITE_CASES))
def test_first_write_creates_nothing(local, action, fragment):
    recorder = FaultInjectingClient(local)
    store = make_store(recorder, embedding=TrickEmbedding())
    with pytest.raises(InvalidInputError) as info:
        action(store)
    assert fragment in str(info.value)
    assert local.list_vector_buckets()["vectorBuckets"] == []
    assert set(recorder.calls) <= {"get_index"}


def test_filter_errors_are_typed(seeded_client):
    store = make_store(seeded_client)
    with pytest.raises(InvalidFilterError):
        store.similarity_search("q", filter={"n": {"$like": 1}})


def test_zero_vector_is_fine_in_a_euclidean_index(local):
    euclidean = IndexConfig(distance_metric="euclidean")
    store = make_store(local, embedding=TrickEmbedding(), index_config=euclidean)
    store.add_texts(["ZERO"], ids=["z"])
    assert snapshot(local, BUCKET, INDEX)["z"][0] == [0.0] * DIM


def test_k_above_top_k_pages_on_a_paging_endpoint(seeded_client):
    store = make_store(seeded_client)
    store.add_texts([f"more {i}" for i in range(120)])
    assert len(store.similarity_search("q", k=150)) == 123
    assert len(store.similarity_search("q", k=10_000)) == 123
    with pytest.raises(InvalidInputError, match="topK <= 10000"):
        store.similarity_search("q", k=10**6)


BAD_NAMES = [
    "ab",
    "a" * 64,
    "UPPER",
    "under_score",
    "-lead",
    "trail-",
    "../x",
    "..",
    "a/b",
    "x y",
    "",
]


@pytest.mark.parametrize("name", BAD_NAMES)
@pytest.mark.parametrize("kind", ["vector_bucket_name", "index_name"])
def test_invalid_names_rejected_before_any_request(local, kind, name):
    recorder = FaultInjectingClient(local)
    with pytest.raises(InvalidInputError, match="is not a valid S3 Vectors name"):
        make_store(recorder, **{kind: name})
    assert recorder.calls == {}


def test_bucket_name_with_dots_rejected_before_any_request(local):
    """S3 User Guide, "Vector bucket naming rules": no dots (index names may have them)."""
    recorder = FaultInjectingClient(local)
    with pytest.raises(InvalidInputError, match="no dots"):
        make_store(recorder, vector_bucket_name="kb.example")
    assert recorder.calls == {}
    make_store(recorder, vector_bucket_name="kb-example", index_name="docs.v2")


@pytest.mark.parametrize("name", ["../x", "../../etc", "..", "a/../../b", "/abs"])
def test_names_cannot_escape_the_local_store_directory(tmp_path, name):
    root = tmp_path / "store"
    client = LocalS3VectorsClient(path=root)
    # botocore's parameter validation (too short) or the service's ValidationException.
    with pytest.raises((ClientError, ParamValidationError), match=r"(?i)name"):
        client.create_vector_bucket(vectorBucketName=name)
    client.create_vector_bucket(vectorBucketName="kb-ok")
    with pytest.raises((ClientError, ParamValidationError), match=r"(?i)name"):
        client.create_index(
            vectorBucketName="kb-ok",
            indexName=name,
            dataType="float32",
            dimension=2,
            distanceMetric="cosine",
        )
    client.close()
    assert [p.name for p in tmp_path.iterdir()] == ["store"]
    reopened = LocalS3VectorsClient(path=root)
    names = [b["vectorBucketName"] for b in reopened.list_vector_buckets()["vectorBuckets"]]
    reopened.close()
    assert names == ["kb-ok"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"distance_metric": "dot"}, "not supported"),
        ({"text_search_language": "xx"}, "not supported"),
        ({"non_filterable_metadata_keys": [f"k{i}" for i in range(10)]}, "allows 10"),
    ],
)
def test_bad_store_options(local, kwargs, fragment):
    emb = DeterministicFakeEmbedding(size=DIM)
    with pytest.raises(InvalidInputError, match=fragment):
        S3VectorsStore(BUCKET, INDEX, emb, client=local, index_config=IndexConfig(**kwargs))


def test_keys_the_index_declares_non_filterable_are_not_counted(local):
    creator = make_store(local, index_config=IndexConfig(non_filterable_metadata_keys=["body"]))
    creator.add_texts(["a"], [{"body": "x" * 3000}], ids=["a"])
    later = make_store(local)  # opens the same index without repeating its options
    later.add_texts(["b"], [{"body": "y" * 3000}], ids=["b"])
    assert sorted(snapshot(local, BUCKET, INDEX)) == ["a", "b"]
