"""S3VectorsStore behaviour against the embedded local S3 Vectors and a test double."""

from __future__ import annotations

import copy
import warnings

import pytest
from botocore.exceptions import ParamValidationError
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors.base import BatchingConfig, IndexConfig
from langchain_s3vectors.errors import (
    ConfigurationError,
    DimensionMismatchError,
    InvalidFilterError,
    InvalidInputError,
    ResourceNotFoundError,
    TextSearchNotEnabledError,
)
from langchain_s3vectors.execution import RateLimiter, RetryPolicy
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.vectorstores import (
    S3VectorsStore,
    cosine_relevance_score,
    euclidean_relevance_score,
)

from .conftest import VocabEmbedding

DOCS = [
    Document("apple banana", metadata={"kind": "fruit", "n": 1}),
    Document("cherry apple", metadata={"kind": "fruit", "n": 2}),
    Document("dog cat", metadata={"kind": "animal", "n": 3}),
    Document("fish red", metadata={"kind": "animal", "n": 4}),
]


@pytest.fixture
def store(vocab):
    s = S3VectorsStore.local(None, vocab)
    yield s
    s.client.close()


def _count(store: S3VectorsStore) -> int:
    return sum(1 for _ in store.iter_records(return_metadata=False))


def test_add_get_keeps_order_and_skips_missing(store):
    ids = store.add_documents(DOCS, ids=["a", "b", "c", "d"])
    assert ids == ["a", "b", "c", "d"]
    got = store.get_by_ids(["d", "missing", "a"])
    assert [d.id for d in got] == ["d", "a"]
    assert got[0] == Document("fish red", metadata={"kind": "animal", "n": 4}, id="d")
    assert store.dimension == 9


def test_generated_ids_and_inputs_not_mutated(store):
    docs = copy.deepcopy(DOCS)
    ids = store.add_documents(docs)
    assert len(set(ids)) == 4
    assert docs == DOCS
    assert all(d.id is None for d in docs)


def test_metadata_type_round_trip_and_large_page_content(store):
    meta = {"i": 7, "f": 0.25, "one": 1.0, "neg": -3, "b": True, "s": "é", "l": ["x", 2, 3.5]}
    text = "apple " * 5000  # 30 KB, far beyond the 2 KB filterable budget
    assert len(text.encode()) == 30000
    store.add_texts([text], [meta], ids=["big"])
    (doc,) = store.get_by_ids(["big"])
    assert doc.page_content == text
    assert doc.metadata == meta
    assert [type(doc.metadata[k]) for k in ("i", "f", "one", "b")] == [int, float, float, bool]
    (hit,) = store.similarity_search("apple", k=1)
    assert hit.metadata == meta


@pytest.mark.parametrize(
    ("texts", "metas", "ids", "needle"),
    [
        (["apple", "dog"], [{}, {"x": {"nested": 1}}], None, "document 1"),
        (["apple"], [{"x": None}], None, "'x'"),
        (["apple"], [{"_page_content": "no"}], None, "reserved key"),
        (["apple"], [{"big": "y" * 3000}], None, "non_filterable_metadata_keys"),
        (["apple"], None, ["k" * 1025], "1..1024"),
        (["apple", "dog"], None, ["a"], "2 texts but 1 ids"),
        (["x" * (41 * 1024)], None, None, "40960"),
    ],
)
def test_bad_input_rejected_with_nothing_written(vocab, texts, metas, ids, needle):
    client = LocalS3VectorsClient()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    store.add_texts(["apple"], ids=["seed"])  # an existing index with one vector
    calls_before = vocab.calls
    with pytest.raises(InvalidInputError, match=needle):
        store.add_texts(texts, metas, ids=ids)
    assert vocab.calls == calls_before  # rejected before even embedding
    assert [r["key"] for r in store.iter_records()] == ["seed"]


def test_bad_input_on_fresh_store_creates_nothing(vocab):
    client = LocalS3VectorsClient()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    with pytest.raises(InvalidInputError):
        store.add_texts(["a", "b"], [{}, {"n": float("nan")}])
    assert client.list_vector_buckets()["vectorBuckets"] == []


def test_zero_vector_rejected_in_cosine_index(store):
    with pytest.raises(InvalidInputError, match="zero vector"):
        store.add_embeddings(["a", "b"], [[1.0] * 9, [0.0] * 9], ids=["a", "b"])
    assert store.get_by_ids(["a"]) == []


def test_missing_index_behaves_as_empty(vocab):
    store = S3VectorsStore("kb-missing", "nothing", vocab, client=LocalS3VectorsClient())
    assert store.similarity_search("apple") == []
    assert store.similarity_search_with_relevance_scores("apple") == []
    assert store.max_marginal_relevance_search("apple") == []
    assert store.get_by_ids(["a"]) == []
    assert store.delete(["a"]) is True
    assert store.delete(filter={"kind": "fruit"}) is True
    store.clear()
    assert list(store.iter_records()) == []
    assert store.index_info() is None
    assert store.fulltext_search("apple") == []
    assert store.hybrid_search("apple") == []
    assert store.client.list_vector_buckets()["vectorBuckets"] == []  # reads created nothing


def test_create_if_missing_false(vocab):
    store = S3VectorsStore(
        "kb-missing", "nothing", vocab, client=LocalS3VectorsClient(), create_if_missing=False
    )
    with pytest.raises(ResourceNotFoundError, match="create_if_missing=False"):
        store.add_texts(["apple"])


def test_index_is_created_with_page_content_non_filterable_and_searchable(store):
    store.ensure_index()
    info = store.index_info()
    assert info is not None
    config = info["metadataConfiguration"]
    assert "_page_content" in config["nonFilterableMetadataKeys"]
    assert config["textSearchConfigurations"][0]["metadataKey"] == "_page_content"
    assert config["textSearchConfigurations"][0]["language"] == "en"
    assert info["dimension"] == 9
    assert info["distanceMetric"] == "cosine"


def test_delete_without_ids_or_filter_drops_nothing(store):
    store.add_documents(DOCS, ids=["a", "b", "c", "d"])
    with pytest.raises(InvalidInputError, match="clear"):
        store.delete()
    with pytest.raises(InvalidInputError):
        store.delete(None)
    assert _count(store) == 4
    assert store.index_info() is not None


def test_delete_by_ids_filter_and_clear(store):
    store.add_documents(DOCS, ids=["a", "b", "c", "d"])
    store.delete(["a", "zzz"])
    assert _count(store) == 3
    store.delete(filter={"kind": "animal", "n": {"$gte": 4}})
    assert sorted(r["key"] for r in store.iter_records()) == ["b", "c"]
    store.delete(["b", "c"], filter={"kind": "fruit"})  # only ids that match
    assert [r["key"] for r in store.iter_records()] == ["c"]
    store.clear()
    assert _count(store) == 0
    assert store.index_info() is not None  # the index is kept


def test_dimension_mismatch_raised_before_writing(vocab):
    client = LocalS3VectorsClient()
    S3VectorsStore("kb-test", "docs", vocab, client=client).add_texts(["apple"], ids=["a"])
    other = S3VectorsStore("kb-test", "docs", DeterministicFakeEmbedding(size=4), client=client)
    with pytest.raises(DimensionMismatchError, match="dimension 9 but the embeddings have 4"):
        other.add_texts(["dog"], ids=["b"])
    keys = [
        r["key"]
        for r in client.list_vectors(vectorBucketName="kb-test", indexName="docs")["vectors"]
    ]
    assert keys == ["a"]
    with pytest.raises(DimensionMismatchError):
        other.similarity_search("dog")
    # A store that already knows the index checks before writing too.
    with pytest.raises(DimensionMismatchError):
        other.add_embeddings(["x"], [[1.0] * 4], ids=["x"])
    assert other.get_by_ids(["b", "x"]) == []


def test_metric_mismatch_with_explicit_metric(vocab):
    client = LocalS3VectorsClient()
    S3VectorsStore("kb-test", "docs", vocab, client=client).add_texts(["apple"])
    euclidean = IndexConfig(distance_metric="euclidean")
    explicit = S3VectorsStore("kb-test", "docs", vocab, client=client, index_config=euclidean)
    with pytest.raises(InvalidInputError, match="distance_metric='cosine'"):
        explicit.add_texts(["dog"])
    adopt = S3VectorsStore("kb-test", "docs", vocab, client=client)  # None: adopt the index's
    adopt.add_texts(["dog"])
    assert adopt.distance_metric == "cosine"


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("normalize", [True, False])
def test_relevance_scores_in_unit_range(metric, normalize, faulty):
    emb = VocabEmbedding(normalize=normalize)
    store = S3VectorsStore.local(None, emb, index_config=IndexConfig(distance_metric=metric))
    texts = ["apple", "apple apple banana", "dog", "cat fish", "red blue", "zebra", "apple dog"]
    store.add_texts(texts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # LangChain warns on scores outside [0, 1]
        pairs = store.similarity_search_with_relevance_scores("apple", k=len(texts))
    scores = [s for _, s in pairs]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert pairs[0][0].page_content == "apple"
    assert scores[0] == pytest.approx(1.0, abs=1e-5)
    if normalize:
        # Orthogonal unit vectors score 0.5 under both metrics.
        dog = next(s for d, s in pairs if d.page_content == "dog")
        assert dog == pytest.approx(0.5, abs=1e-5)
    store.client.close()


def test_relevance_functions():
    assert cosine_relevance_score(0) == 1.0
    assert cosine_relevance_score(2) == 0.0
    assert cosine_relevance_score(2.5) == 0.0
    assert euclidean_relevance_score(0) == 1.0
    assert euclidean_relevance_score(2) == 0.0
    assert euclidean_relevance_score(2**0.5) == pytest.approx(0.5)
    assert euclidean_relevance_score(7) == 0.0


def test_custom_relevance_fn(vocab):
    store = S3VectorsStore.local(None, vocab, relevance_score_fn=lambda d: 1 / (1 + d))
    store.add_texts(["apple", "dog"])
    pairs = store.similarity_search_with_relevance_scores("apple", k=2)
    assert pairs[0][1] == pytest.approx(1.0, abs=1e-5)
    assert pairs[1][1] == pytest.approx(0.5, abs=1e-5)


def test_scores_are_distances(store):
    store.add_texts(["apple", "dog"], ids=["a", "d"])
    pairs = store.similarity_search_with_score("apple", k=2)
    assert [d.id for d, _ in pairs] == ["a", "d"]
    assert pairs[0][1] == pytest.approx(0.0, abs=1e-5)
    assert pairs[1][1] == pytest.approx(1.0, abs=1e-5)


def test_filters_validated_and_sent_as_explicit_and(vocab, faulty):
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    store.add_documents(DOCS, ids=["a", "b", "c", "d"])
    docs = store.similarity_search("apple", k=4, filter={"kind": "fruit", "n": {"$gt": 1}})
    assert [d.id for d in docs] == ["b"]
    sent = client.requests("query_vectors")[-1]["filter"]
    assert sent == {"$and": [{"kind": {"$eq": "fruit"}}, {"n": {"$gt": 1}}]}
    before = client.count("query_vectors")
    with pytest.raises(InvalidFilterError, match=r"\$gt on key 'n'"):
        store.similarity_search("apple", filter={"n": {"$gt": "1"}})
    with pytest.raises(InvalidFilterError, match="_page_content"):
        store.similarity_search("apple", filter={"_page_content": "x"})
    with pytest.raises(InvalidFilterError, match=r"\$regex"):
        store.similarity_search("apple", filter={"kind": {"$regex": "f.*"}})
    assert client.count("query_vectors") == before  # nothing sent


def test_k_validation_and_large_k(vocab, faulty):
    """The store sends topK=k, the total, and follows nextToken with the same topK.

    S3 User Guide, "Querying vectors": continue "with the same queryVector, topK, and
    filter parameters ... until nextToken is no longer present".
    """
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    with pytest.raises(InvalidInputError, match="positive integer"):
        store.similarity_search("apple", k=0)
    before = client.count("query_vectors")
    with pytest.raises(InvalidInputError, match=r"k=10001 is more than .*topK <= 10000"):
        store.similarity_search("apple", k=10_001)
    assert client.count("query_vectors") == before  # refused before anything is sent
    store.add_texts([f"apple {i}" for i in range(250)])
    assert len(store.similarity_search("apple", k=100)) == 100
    assert client.requests("query_vectors")[-1]["topK"] == 100
    docs = store.similarity_search("apple", k=220)
    assert len({d.id for d in docs}) == 220
    sent = client.requests("query_vectors")[-3:]
    assert [r["topK"] for r in sent] == [220, 220, 220]
    assert ["nextToken" in r for r in sent] == [False, True, True]


class _PagingClient:
    """A client whose QueryVectors pages with nextToken (as some endpoints may)."""

    def __init__(self, inner: LocalS3VectorsClient) -> None:
        self.inner = inner
        self.pages = 0

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def query_vectors(self, **kwargs):
        token = int(kwargs.pop("nextToken", "0"))
        self.pages += 1
        full = self.inner.query_vectors(**{**kwargs, "topK": 100})
        page = full["vectors"][token : token + 40]
        out = {"vectors": page, "distanceMetric": full["distanceMetric"]}
        if token + 40 < len(full["vectors"]):
            out["nextToken"] = str(token + 40)
        return out


def test_large_k_follows_next_token(vocab):
    client = _PagingClient(LocalS3VectorsClient())
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    store.add_texts([f"apple {i}" for i in range(90)])
    docs = store.similarity_search("apple", k=90)
    assert len({d.id for d in docs}) == 90
    assert client.pages == 3


def test_mmr_uses_vectors_and_diversifies(vocab, faulty):
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    store.add_texts(["apple", "apple", "apple banana", "apple dog"], ids=["1", "2", "3", "4"])
    docs = store.max_marginal_relevance_search("apple", k=2, fetch_k=4, lambda_mult=0.1)
    assert docs[0].page_content == "apple"
    assert docs[1].page_content != "apple"  # the duplicate is not picked second
    assert any(r.get("returnData") for r in client.requests("get_vectors"))


def test_fulltext_and_hybrid(store):
    store.add_documents(DOCS, ids=["a", "b", "c", "d"])
    hits = store.fulltext_search("cherry", k=4)
    assert [d.id for d, _ in hits] == ["b"]
    assert hits[0][1] > 0
    hybrid = store.hybrid_search("apple cherry", k=4)
    assert hybrid[0][0].id == "b"
    # Relative-score fusion (the default): weighted sums of scores scaled to [0, 1].
    assert all(0.0 <= score <= 1.0 for _, score in hybrid)
    assert [s for _, s in hybrid] == sorted((s for _, s in hybrid), reverse=True)
    rrf = store.hybrid_search("apple cherry", k=4, config={"fusion": "rrf"})
    assert rrf[0][0].id == "b"
    assert all(score > 0 for _, score in rrf)  # every RRF result is in some ranking
    filtered = store.fulltext_search("apple", k=4, filter={"n": 1})
    assert [d.id for d, _ in filtered] == ["a"]
    with pytest.raises(InvalidInputError):
        store.fulltext_search("   ")


def test_text_search_disabled_then_enabled(vocab):
    store = S3VectorsStore.local(None, vocab, index_config=IndexConfig(text_search_language=None))
    store.add_documents(DOCS, ids=["a", "b", "c", "d"])
    assert (
        "textSearchConfigurations"
        not in (store.index_info() or {}).get("metadataConfiguration", {})
        or not store.index_info()["metadataConfiguration"]["textSearchConfigurations"]
    )
    with pytest.raises(TextSearchNotEnabledError, match="enable_text_search"):
        store.fulltext_search("cherry")
    with pytest.raises(TextSearchNotEnabledError):
        store.hybrid_search("cherry")
    store.enable_text_search(language="en")
    store.enable_text_search(language="en")  # idempotent
    assert [d.id for d, _ in store.fulltext_search("cherry")] == ["b"]


class _OldClient:
    """A client from before full-text search: rejects textSearchConfigurations."""

    def __init__(self, inner: LocalS3VectorsClient) -> None:
        self.inner = inner

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def create_index(self, **kwargs):
        if "textSearchConfigurations" in kwargs.get("metadataConfiguration", {}):
            raise ParamValidationError(
                report='Unknown parameter in metadataConfiguration: "textSearchConfigurations"'
            )
        return self.inner.create_index(**kwargs)


def test_old_client_falls_back_to_no_text_search(vocab):
    store = S3VectorsStore("kb-test", "docs", vocab, client=_OldClient(LocalS3VectorsClient()))
    store.add_texts(["apple"], ids=["a"])
    assert store.get_by_ids(["a"])[0].page_content == "apple"
    with pytest.raises(TextSearchNotEnabledError):
        store.fulltext_search("apple")


def test_repr_and_construction_checks(vocab):
    store = S3VectorsStore.from_aws(
        "kb-test", "docs", vocab, region_name="us-east-1", endpoint_url="http://127.0.0.1:9"
    )
    assert repr(store) == "S3VectorsStore(vector_bucket_name='kb-test', index_name='docs')"
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store.client.meta.config.retries["mode"] == "standard"
    with pytest.raises(InvalidInputError, match="vector_bucket_name"):
        S3VectorsStore("KB_bad", "docs", vocab, client=object())
    with pytest.raises(InvalidInputError, match="distance_metric"):
        IndexConfig(distance_metric="dot")
    with pytest.raises(InvalidInputError, match="text_search_language"):
        IndexConfig(text_search_language="xx")
    with pytest.raises(InvalidInputError, match="non-filterable"):
        IndexConfig(non_filterable_metadata_keys=list("abcdefghij"))
    with pytest.raises(InvalidInputError, match="max_concurrency"):
        BatchingConfig(max_concurrency=0)
    with pytest.raises(InvalidInputError, match="max_retries"):
        BatchingConfig(max_retries=-1)


def test_batching_settings_reach_the_runner_and_the_client(vocab):
    limiter = RateLimiter(requests_per_second=5, vectors_per_second=10)
    store = S3VectorsStore.from_aws(
        "kb-test",
        "docs",
        vocab,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        batching=BatchingConfig(max_concurrency=12, max_retries=2, rate_limiter=limiter),
    )
    assert store.runner.max_concurrency == 12
    assert store.runner.retry.max_retries == 2
    assert store.rate_limiter is limiter
    assert store.client.meta.config.max_pool_connections == 24
    policy = RetryPolicy(max_retries=5, base_delay=0.001)
    local = S3VectorsStore.local(None, vocab, batching=BatchingConfig(retry_policy=policy))
    assert local.runner.retry is policy  # the policy wins over max_retries
    assert local.rate_limiter is None  # the embedded client has no write cap


def test_index_settings_shape_a_new_index(vocab):
    layout = IndexConfig(
        distance_metric="euclidean",
        page_content_key="body",
        non_filterable_metadata_keys=["raw", "raw", "body"],
        text_search_language="fr",
    )
    assert layout.non_filterable_metadata_keys == ("raw",)  # once, page content apart
    store = S3VectorsStore.local(None, vocab, index_config=layout)
    store.add_texts(["apple"], [{"raw": "r" * 3000}], ids=["a"])
    info = store.index_info()
    assert info["distanceMetric"] == "euclidean"
    config = info["metadataConfiguration"]
    assert sorted(config["nonFilterableMetadataKeys"]) == ["body", "raw"]
    assert store.page_content_key == "body"
    assert store.text_search_language == "fr"


def test_no_embedding_store_works_with_vectors():
    store = S3VectorsStore.local(None, None)
    store.add_embeddings(["a"], [[1.0, 0.0]], [{"x": 1}], ids=["a"])
    assert store.similarity_search_by_vector([1.0, 0.0], k=1)[0].metadata == {"x": 1}
    with pytest.raises(ConfigurationError, match="embedding"):
        store.similarity_search("a")


def test_duplicate_ids_in_one_call_are_refused_before_writing(store):
    # S3 Vectors' PutVectors upserts by key, so a repeated id would silently keep only
    # the last text; the store refuses the call instead, and nothing is written.
    with pytest.raises(InvalidInputError, match="'same' is given for documents 0 and 1"):
        store.add_texts(["apple", "dog"], ids=["same", "same"])
    assert store.get_by_ids(["same"]) == []


def test_from_texts_and_non_filterable_keys(vocab):
    store = S3VectorsStore.from_texts(
        ["apple"],
        vocab,
        [{"notes": "n" * 5000, "kind": "fruit"}],
        ids=["a"],
        vector_bucket_name="kb-test",
        index_name="docs",
        client=LocalS3VectorsClient(),
        index_config=IndexConfig(non_filterable_metadata_keys=["notes"]),
    )
    assert store.get_by_ids(["a"])[0].metadata["notes"] == "n" * 5000
    with pytest.raises(InvalidFilterError, match="notes"):
        store.similarity_search("apple", filter={"notes": "x"})
    with pytest.raises(InvalidInputError, match="vector_bucket_name"):
        S3VectorsStore.from_texts(["a"], vocab)


def test_persistent_local_store(tmp_path, vocab):
    first = S3VectorsStore.local(tmp_path, vocab)
    first.add_texts(["apple"], [{"n": 1}], ids=["a"])
    first.client.close()
    second = S3VectorsStore.local(tmp_path, vocab)
    assert second.get_by_ids(["a"])[0].metadata == {"n": 1}
    second.client.close()


def test_iter_records_segments(store):
    store.add_texts([f"apple {i}" for i in range(30)])
    keys = [r["key"] for r in store.iter_records(segment_count=4)]
    assert len(keys) == len(set(keys)) == 30
    with pytest.raises(InvalidInputError):
        list(store.iter_records(segment_count=17))


# -- async twins ----------------------------------------------------------------------


async def test_async_round_trip(vocab):
    store = await S3VectorsStore.afrom_texts(
        ["apple", "dog cat", "cherry"],
        vocab,
        [{"n": 1}, {"n": 2}, {"n": 3}],
        ids=["a", "b", "c"],
        vector_bucket_name="kb-test",
        index_name="docs",
        client=LocalS3VectorsClient(),
    )
    assert [d.id for d in await store.aget_by_ids(["c", "x", "a"])] == ["c", "a"]
    assert (await store.asimilarity_search("apple", k=1))[0].id == "a"
    assert (await store.asimilarity_search("apple", k=3, filter={"n": {"$gte": 2}}))[0].id in {
        "b",
        "c",
    }
    pairs = await store.asimilarity_search_with_relevance_scores("dog", k=3)
    assert pairs[0][0].id == "b"
    assert all(0 <= s <= 1 for _, s in pairs)
    assert len(await store.amax_marginal_relevance_search("apple", k=2, fetch_k=3)) == 2
    assert (await store.afulltext_search("cherry"))[0][0].id == "c"
    assert (await store.ahybrid_search("cherry"))[0][0].id == "c"
    await store.adelete(filter={"n": 2})
    assert [r["key"] async for r in store.aiter_records()] != []
    assert sorted([r["key"] async for r in store.aiter_records()]) == ["a", "c"]
    with pytest.raises(InvalidInputError):
        await store.adelete()
    await store.aclear()
    assert [r async for r in store.aiter_records()] == []
    assert await store.aindex_info() is not None
    await store.aensure_index()


async def test_async_bad_input_nothing_written(vocab):
    store = S3VectorsStore.local(None, vocab)
    await store.aadd_texts(["apple"], ids=["seed"])
    with pytest.raises(InvalidInputError, match="document 1"):
        await store.aadd_texts(["a", "b"], [{}, {"bad": {"x": 1}}])
    assert [r["key"] for r in store.iter_records()] == ["seed"]


def test_filter_pre_flight_knows_starts_with_and_the_constraint_limit(vocab, faulty):
    """``$startsWith`` passes the store's pre-flight; over 100 constraints does not, and
    nothing is sent (S3 User Guide, "Metadata filtering": at most 100 per query)."""
    client = faulty()
    store = S3VectorsStore("kb-test", "docs", vocab, client=client)
    store.add_texts(
        ["apple pie", "apple tart", "dog"],
        metadatas=[{"path": "docs/a"}, {"path": "src/b"}, {"path": "docs/c"}],
    )
    found = store.similarity_search("apple", k=3, filter={"path": {"$startsWith": "docs/"}})
    assert sorted(d.metadata["path"] for d in found) == ["docs/a", "docs/c"]
    before = client.count("query_vectors")
    with pytest.raises(InvalidFilterError, match="101 constraints"):
        store.similarity_search("apple", filter={"$or": [{"n": i} for i in range(101)]})
    with pytest.raises(InvalidFilterError, match=r"\$startsWith on key 'path' takes a non-empty"):
        store.similarity_search("apple", filter={"path": {"$startsWith": ""}})
    assert client.count("query_vectors") == before


@pytest.mark.parametrize(
    "keyword", ["region_name", "endpoint_url", "profile_name", "session", "client_config"]
)
def test_the_constructor_takes_a_client_not_its_settings(vocab, keyword):
    # Client settings go to from_aws (or create_client); the constructor takes a client.
    with pytest.raises(TypeError, match=keyword):
        S3VectorsStore("kb-test", "docs", vocab, **{keyword: None})
    assert not hasattr(S3VectorsStore, "from_env")


def test_the_store_is_built_on_a_public_index(store):
    from langchain_s3vectors.index import S3VectorsIndex  # noqa: PLC0415

    assert isinstance(store.index, S3VectorsIndex)
    assert store.index.client is store.client
    store.add_texts(["apple", "dog"], ids=["a", "d"])
    assert sorted(r["key"] for r in store.index.iter_records()) == ["a", "d"]
    assert set(store.index.get(["a", "zzz"])) == {"a"}
