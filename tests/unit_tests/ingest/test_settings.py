"""Settings from the environment and .env; building the store; no silent fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from pydantic import ValidationError

from langchain_s3vectors.app.embeddings import LazyEmbeddings
from langchain_s3vectors.app.settings import S3VectorsSettings, build_store, store_from_env
from langchain_s3vectors.errors import (
    ConfigurationError,
    CredentialsError,
    DimensionMismatchError,
)
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.vectorstores import S3VectorsStore

pytestmark = pytest.mark.usefixtures("clean_env")


def test_defaults() -> None:
    settings = S3VectorsSettings()
    assert settings.backend == "aws"
    assert settings.local_path == Path(".s3vectors")
    assert settings.index_name == "documents"
    assert settings.embedding_model == "all-MiniLM-L6-v2"
    assert settings.vector_dimension is None


def test_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3VECTORS_BACKEND", "AWS")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    monkeypatch.setenv("S3_VECTOR_BUCKET_NAME", "kb")
    monkeypatch.setenv("S3_VECTOR_INDEX_NAME", "docs")
    monkeypatch.setenv("VECTOR_DIMENSION", "384")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3VECTORS", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    settings = S3VectorsSettings()
    assert settings.backend == "aws"
    assert (settings.region, settings.bucket_name, settings.index_name) == (
        "eu-central-1",
        "kb",
        "docs",
    )
    assert settings.vector_dimension == 384
    assert settings.endpoint_url == "http://127.0.0.1:9000"
    assert settings.profile == "dev"


def test_alternative_endpoint_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3VECTORS_ENDPOINT_URL", "http://localhost:8000")
    assert S3VectorsSettings().endpoint_url == "http://localhost:8000"


def test_reads_dotenv_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text(
        "S3VECTORS_BACKEND=local\nS3VECTORS_LOCAL_PATH=./vectors\n"
        "S3_VECTOR_INDEX_NAME=from-dotenv\nEMBEDDING_MODEL=all-MiniLM-L6-v2\n"
        "AWS_SECRET_ACCESS_KEY=super-secret-value\n"
    )
    settings = S3VectorsSettings()
    assert settings.backend == "local"
    assert settings.local_path == Path("vectors")
    assert settings.index_name == "from-dotenv"
    # The environment wins over .env.
    monkeypatch.setenv("S3_VECTOR_INDEX_NAME", "from-env")
    assert S3VectorsSettings().index_name == "from-env"


def test_secrets_never_in_repr() -> None:
    settings = S3VectorsSettings(
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="super-secret-value",
        AWS_SESSION_TOKEN="token-value",
    )
    assert "super-secret-value" not in repr(settings)
    assert "super-secret-value" not in str(settings)
    assert "token-value" not in repr(settings)
    assert settings.secret_access_key is not None
    assert settings.secret_access_key.get_secret_value() == "super-secret-value"


def test_bad_backend_and_dimension_are_rejected() -> None:
    with pytest.raises(ValidationError, match="'aws' or 'local'"):
        S3VectorsSettings(S3VECTORS_BACKEND="cloud")
    with pytest.raises(ValidationError):
        S3VectorsSettings(VECTOR_DIMENSION="0")


def test_local_store(clean_env: Path) -> None:
    settings = S3VectorsSettings(S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH="kb")
    store = build_store(settings, embedding=DeterministicFakeEmbedding(size=8))
    assert isinstance(store.client, LocalS3VectorsClient)
    assert (store.vector_bucket_name, store.index_name) == ("local", "documents")
    store.add_texts(["hello"], ids=["a"])
    assert [d.id for d in store.get_by_ids(["a"])] == ["a"]
    assert (clean_env / "kb").exists()


def test_default_embedding_is_lazy_and_dimension_known() -> None:
    store = build_store(S3VectorsSettings(S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH="kb"))
    assert isinstance(store.embeddings, LazyEmbeddings)
    assert not store.embeddings.loaded
    assert store.dimension == 384


def test_vector_dimension_disagreeing_with_model() -> None:
    settings = S3VectorsSettings(
        S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH="kb", VECTOR_DIMENSION="768"
    )
    with pytest.raises(DimensionMismatchError, match=r"VECTOR_DIMENSION=768.*384"):
        build_store(settings)
    with pytest.raises(DimensionMismatchError, match="VECTOR_DIMENSION=768"):
        build_store(settings, embedding=DeterministicFakeEmbedding(size=16))
    ok = S3VectorsSettings(
        S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH="kb", VECTOR_DIMENSION="16"
    )
    assert build_store(ok, embedding=DeterministicFakeEmbedding(size=16)).dimension == 16


def test_aws_without_region_is_an_error_not_local(clean_env: Path) -> None:
    settings = S3VectorsSettings(S3_VECTOR_BUCKET_NAME="my-kb")
    with pytest.raises(ConfigurationError, match="AWS_REGION"):
        build_store(settings, embedding=DeterministicFakeEmbedding(size=8))
    assert not (clean_env / ".s3vectors").exists()


def test_aws_without_credentials_is_an_error_not_local(clean_env: Path) -> None:
    settings = S3VectorsSettings(AWS_REGION="us-east-1", S3_VECTOR_BUCKET_NAME="my-kb")
    with pytest.raises(CredentialsError, match="no AWS credentials"):
        build_store(settings, embedding=DeterministicFakeEmbedding(size=8))
    assert not (clean_env / ".s3vectors").exists()


def test_aws_without_bucket_is_an_error() -> None:
    settings = S3VectorsSettings(AWS_REGION="us-east-1")
    with pytest.raises(ConfigurationError, match="S3_VECTOR_BUCKET_NAME"):
        build_store(settings, embedding=DeterministicFakeEmbedding(size=8))


def test_aws_store_uses_boto3_with_settings() -> None:
    settings = S3VectorsSettings(
        AWS_REGION="eu-west-1",
        S3_VECTOR_BUCKET_NAME="my-kb",
        AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_ENDPOINT_URL_S3VECTORS="http://127.0.0.1:9",
    )
    store = build_store(settings, embedding=DeterministicFakeEmbedding(size=8))
    assert store.client.meta.region_name == "eu-west-1"
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert store.vector_bucket_name == "my-kb"


def test_store_from_env_with_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3VECTORS_BACKEND", "local")
    monkeypatch.setenv("S3VECTORS_LOCAL_PATH", "kb")
    store = store_from_env(
        embedding=DeterministicFakeEmbedding(size=8),
        s3_vector_index_name="notes",
        text_search_language=None,
    )
    assert store.index_name == "notes"
    assert store.text_search_language is None


def test_env_example_documents_every_setting(clean_env: Path) -> None:
    example = Path(__file__).resolve().parents[3] / "env.example"
    text = example.read_text()
    for field in S3VectorsSettings.model_fields.values():
        names = [str(c) for c in field.validation_alias.choices if str(c).isupper()]  # type: ignore[union-attr]
        assert any(f"{name}=" in text for name in names), names
    (clean_env / ".env").write_text(text)
    settings = S3VectorsSettings()
    assert settings.backend == "local"
    assert settings.vector_dimension == 384


def test_store_from_env_as_a_classmethod(monkeypatch: pytest.MonkeyPatch) -> None:
    class MyStore(S3VectorsStore):
        from_env = classmethod(store_from_env)

    monkeypatch.setenv("S3VECTORS_BACKEND", "local")
    monkeypatch.setenv("S3VECTORS_LOCAL_PATH", "kb")
    store = MyStore.from_env(embedding=DeterministicFakeEmbedding(size=8))
    assert type(store) is MyStore


def test_store_from_env_builds_a_local_store_and_refuses_aws_without_a_bucket(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("S3_VECTOR_BUCKET_NAME", raising=False)
    store = store_from_env(
        embedding=DeterministicFakeEmbedding(size=8),
        _env_file=None,
        S3VECTORS_BACKEND="local",
        S3VECTORS_LOCAL_PATH=str(tmp_path / "store"),
    )
    assert type(store) is S3VectorsStore
    assert isinstance(store.client, LocalS3VectorsClient)
    store.add_texts(["hello"], ids=["a"])
    assert store.get_by_ids(["a"])[0].page_content == "hello"
    with pytest.raises(ConfigurationError, match="S3_VECTOR_BUCKET_NAME"):
        store_from_env(_env_file=None, S3VECTORS_BACKEND="aws", AWS_REGION="us-east-1")


def test_aws_backend_store_builds_its_own_client(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    store = store_from_env(
        embedding=DeterministicFakeEmbedding(size=8),
        _env_file=None,
        S3VECTORS_BACKEND="aws",
        AWS_REGION="eu-west-1",
        S3_VECTOR_BUCKET_NAME="kb-test",
        S3VECTORS_ENDPOINT_URL="http://127.0.0.1:9",
    )
    meta = store.client.meta
    assert (meta.region_name, meta.endpoint_url) == ("eu-west-1", "http://127.0.0.1:9")
    assert meta.config.retries["mode"] == "standard"  # the store's client settings apply
