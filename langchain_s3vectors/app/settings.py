"""Configuration from the environment and a ``.env`` file.

:class:`S3VectorsSettings` reads these variables (see ``env.example``):

==============================  ==========================================================
``S3VECTORS_BACKEND``           ``aws`` (default) or ``local`` (the embedded client)
``S3VECTORS_LOCAL_PATH``        directory of the local backend (default ``.s3vectors``)
``S3VECTORS_LOCAL_READ_ONLY``   open the local store read-only (``true``/``false``)
``AWS_REGION``                  region of the S3 Vectors bucket (``AWS_DEFAULT_REGION`` too)
``AWS_PROFILE``                 named profile from ``~/.aws/config``
``AWS_ACCESS_KEY_ID`` ...       static credentials (secret parts are never printed)
``AWS_ENDPOINT_URL_S3VECTORS``  custom endpoint (``S3VECTORS_ENDPOINT_URL`` too)
``S3_VECTOR_BUCKET_NAME``       vector bucket (required for ``aws``)
``S3_VECTOR_INDEX_NAME``        vector index (default ``documents``)
``VECTOR_DIMENSION``            expected dimension, checked against the model
``EMBEDDING_MODEL``             sentence-transformers model (default all-MiniLM-L6-v2)
``EMBEDDING_BACKEND``           ``torch``, ``onnx`` or ``onnx-int8`` (default: see below)
``TEXT_SEARCH_LANGUAGE``        full-text language of a new index (``en`` default, ``none``)
``ALLOW_EMBEDDING_CHANGE``      accept an index built with another model (``true``/``false``)
==============================  ==========================================================

``EMBEDDING_BACKEND`` unset runs the bundled all-MiniLM-L6-v2 on ONNX Runtime when the
``onnx`` extra is installed, and on PyTorch otherwise
(:func:`~langchain_s3vectors.app.embeddings.resolve_backend`).

The backend is a deliberate choice: with ``S3VECTORS_BACKEND=aws`` (the default),
missing region or credentials are an error, never a quiet switch to the local
backend. The local backend is used only when asked for.

Example:
    >>> import os
    >>> settings = S3VectorsSettings(S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH="/tmp/kb")
    >>> settings.backend, settings.index_name
    ('local', 'documents')
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from langchain_s3vectors import limits
from langchain_s3vectors.app.embeddings import (
    DEFAULT_MODEL_NAME,
    LazyEmbeddings,
    check_backend,
    default_embeddings,
    embedding_dimension,
    identity_for,
    known_dimension,
)
from langchain_s3vectors.errors import (
    ConfigurationError,
    CredentialsError,
    DimensionMismatchError,
)

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.searcher import S3VectorsSearcher
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "DEFAULT_INDEX_NAME",
    "S3VectorsSettings",
    "build_store",
    "settings_error_message",
    "store_from_env",
]

#: Index used when ``S3_VECTOR_INDEX_NAME`` is not set.
DEFAULT_INDEX_NAME = "documents"
#: Bucket used by the local backend when ``S3_VECTOR_BUCKET_NAME`` is not set.
DEFAULT_LOCAL_BUCKET = "local"

SearcherT = TypeVar("SearcherT", bound="S3VectorsSearcher")


class S3VectorsSettings(BaseSettings):
    """Settings read from environment variables and ``.env``.

    Field names are snake case; pass values by their environment names
    (``S3VectorsSettings(AWS_REGION="us-east-1")``) or field names.

    Example:
        >>> s = S3VectorsSettings(
        ...     S3VECTORS_BACKEND="aws", AWS_REGION="us-east-1",
        ...     S3_VECTOR_BUCKET_NAME="kb", AWS_SECRET_ACCESS_KEY="hush",
        ... )
        >>> "hush" in repr(s)
        False
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        case_sensitive=False,
    )

    backend: Literal["aws", "local"] = Field(
        default="aws", validation_alias=AliasChoices("S3VECTORS_BACKEND", "backend")
    )
    local_path: Path = Field(
        default=Path(".s3vectors"),
        validation_alias=AliasChoices("S3VECTORS_LOCAL_PATH", "local_path"),
    )
    local_read_only: bool = Field(
        default=False,
        validation_alias=AliasChoices("S3VECTORS_LOCAL_READ_ONLY", "local_read_only"),
    )
    region: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION", "region")
    )
    profile: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_PROFILE", "profile")
    )
    endpoint_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "AWS_ENDPOINT_URL_S3VECTORS", "S3VECTORS_ENDPOINT_URL", "endpoint_url"
        ),
    )
    access_key_id: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_ACCESS_KEY_ID", "access_key_id")
    )
    secret_access_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
        repr=False,
    )
    session_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("AWS_SESSION_TOKEN", "session_token"),
        repr=False,
    )
    bucket_name: str | None = Field(
        default=None, validation_alias=AliasChoices("S3_VECTOR_BUCKET_NAME", "bucket_name")
    )
    index_name: str = Field(
        default=DEFAULT_INDEX_NAME,
        validation_alias=AliasChoices("S3_VECTOR_INDEX_NAME", "index_name"),
    )
    vector_dimension: int | None = Field(
        default=None,
        ge=1,
        le=4096,
        validation_alias=AliasChoices("VECTOR_DIMENSION", "vector_dimension"),
    )
    embedding_model: str = Field(
        default=DEFAULT_MODEL_NAME,
        validation_alias=AliasChoices("EMBEDDING_MODEL", "embedding_model"),
    )

    embedding_backend: str | None = Field(
        default=None,
        validation_alias=AliasChoices("EMBEDDING_BACKEND", "embedding_backend"),
    )

    text_search_language: str | None = Field(
        default="en",
        validation_alias=AliasChoices("TEXT_SEARCH_LANGUAGE", "text_search_language"),
    )
    allow_embedding_change: bool = Field(
        default=False,
        validation_alias=AliasChoices("ALLOW_EMBEDDING_CHANGE", "allow_embedding_change"),
    )

    @field_validator("text_search_language", mode="before")
    @classmethod
    def _check_text_search_language(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower() or "en"
            if value == "none":
                return None
            if value not in limits.TEXT_SEARCH_LANGUAGES:
                msg = (
                    f"TEXT_SEARCH_LANGUAGE must be one of "
                    f"{', '.join(limits.TEXT_SEARCH_LANGUAGES)} (or none: no full-text "
                    f"search), not {value!r}."
                )
                raise ValueError(msg)
        return value

    @field_validator("embedding_backend", mode="before")
    @classmethod
    def _check_embedding_backend(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return check_backend(value)
            except ConfigurationError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("backend", mode="before")
    @classmethod
    def _normalise_backend(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value not in {"aws", "local"}:
                msg = f"S3VECTORS_BACKEND must be 'aws' or 'local', not {value!r}."
                raise ValueError(msg)
        return value

    @field_validator(
        "region", "profile", "endpoint_url", "access_key_id", "bucket_name", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("allow_embedding_change", mode="before")
    @classmethod
    def _empty_is_false(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return False
        return value

    @field_validator("vector_dimension", mode="before")
    @classmethod
    def _empty_dimension_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def effective_bucket_name(self) -> str:
        """The bucket name, defaulting to ``local`` on the local backend.

        Raises:
            ConfigurationError: On the ``aws`` backend with no bucket name.
        """
        if self.bucket_name:
            return self.bucket_name
        if self.backend == "local":
            return DEFAULT_LOCAL_BUCKET
        msg = (
            "S3_VECTOR_BUCKET_NAME is not set. Set it to your vector bucket's name, or "
            "choose the embedded backend with S3VECTORS_BACKEND=local."
        )
        raise ConfigurationError(msg)


def _check_dimension(settings: S3VectorsSettings, embedding: Embeddings) -> None:
    expected = settings.vector_dimension
    if expected is None:
        return
    if isinstance(embedding, LazyEmbeddings) and embedding.dimension is None:
        return  # checked when the model loads
    actual = embedding_dimension(embedding)
    if actual != expected:
        msg = (
            f"VECTOR_DIMENSION={expected} but the embedding model "
            f"({settings.embedding_model}) produces {actual}-dimensional vectors. Set "
            f"VECTOR_DIMENSION={actual}, or choose a model with {expected} dimensions."
        )
        raise DimensionMismatchError(msg)


def settings_embeddings(settings: S3VectorsSettings) -> Embeddings:
    """The embeddings the settings describe, loaded on first use.

    Example:
        >>> emb = settings_embeddings(S3VectorsSettings(EMBEDDING_MODEL="all-MiniLM-L6-v2"))
        >>> emb.loaded, emb.dimension
        (False, 384)
    """
    name = settings.embedding_model
    hint = known_dimension(name)
    backend = settings.embedding_backend
    dimension = hint or settings.vector_dimension
    return LazyEmbeddings(
        lambda: default_embeddings(name, backend=backend),
        dimension=dimension,
        identity=identity_for(name, dimension),
    )


def boto3_session(settings: S3VectorsSettings) -> Any:
    """A ``boto3.Session`` from the settings' profile, region and credentials.

    Raises:
        ConfigurationError: ``AWS_PROFILE`` names a profile that does not exist.
    """
    import boto3  # noqa: PLC0415
    from botocore.exceptions import ProfileNotFound  # noqa: PLC0415

    session_kwargs: dict[str, Any] = {}
    if settings.profile:
        session_kwargs["profile_name"] = settings.profile
    if settings.region:
        session_kwargs["region_name"] = settings.region
    if settings.access_key_id and settings.secret_access_key:
        session_kwargs["aws_access_key_id"] = settings.access_key_id
        session_kwargs["aws_secret_access_key"] = settings.secret_access_key.get_secret_value()
        if settings.session_token:
            session_kwargs["aws_session_token"] = settings.session_token.get_secret_value()
    try:
        return boto3.Session(**session_kwargs)
    except ProfileNotFound as exc:
        msg = f"AWS_PROFILE={settings.profile!r} is not in ~/.aws/config: {exc}."
        raise ConfigurationError(msg) from exc


def _aws_session(settings: S3VectorsSettings) -> Any:
    """The boto3 session for the ``aws`` backend, with region and credentials checked."""
    session = boto3_session(settings)
    if not session.region_name:
        msg = (
            "S3VECTORS_BACKEND=aws needs a region: set AWS_REGION (e.g. us-east-1). "
            "For the embedded backend set S3VECTORS_BACKEND=local instead."
        )
        raise ConfigurationError(msg)
    if session.get_credentials() is None:
        msg = (
            "S3VECTORS_BACKEND=aws but no AWS credentials were found. Set "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or run 'aws configure'. "
            "For the embedded backend set S3VECTORS_BACKEND=local instead."
        )
        raise CredentialsError(msg)
    return session


@overload
def build_store(
    settings: S3VectorsSettings,
    *,
    embedding: Embeddings | None = None,
    store_cls: None = None,
    **store_kwargs: Any,
) -> S3VectorsStore: ...


@overload
def build_store(
    settings: S3VectorsSettings,
    *,
    embedding: Embeddings | None = None,
    store_cls: type[SearcherT],
    **store_kwargs: Any,
) -> SearcherT: ...


def build_store(
    settings: S3VectorsSettings,
    *,
    embedding: Embeddings | None = None,
    store_cls: type[S3VectorsSearcher] | None = None,
    **store_kwargs: Any,
) -> S3VectorsSearcher:
    """Build the store the settings describe.

    Args:
        settings: The settings.
        embedding: Embeddings to use; default: ``EMBEDDING_MODEL``, loaded on first use.
        store_cls: The class to build: :class:`S3VectorsStore` (the default) or a
            subclass, or :class:`~langchain_s3vectors.searcher.S3VectorsSearcher` for a
            process that only searches (it starts faster).
        **store_kwargs: Extra keyword arguments for :class:`S3VectorsStore`.

    Returns:
        A store on the embedded client (``local``) or on boto3 (``aws``).

    Raises:
        ConfigurationError: Region, bucket or credentials missing on ``aws``.
        DimensionMismatchError: ``VECTOR_DIMENSION`` disagrees with the model.

    Example:
        >>> s = S3VectorsSettings(S3VECTORS_BACKEND="local", S3VECTORS_LOCAL_PATH="/tmp/kb")
        >>> store = build_store(s)  # doctest: +SKIP
    """
    if store_cls is None:
        from langchain_s3vectors.vectorstores import S3VectorsStore  # noqa: PLC0415

        store_cls = S3VectorsStore
    cls = store_cls
    emb = embedding if embedding is not None else settings_embeddings(settings)
    _check_dimension(settings, emb)
    store_kwargs = _with_settings(settings, emb, store_kwargs)
    bucket = settings.effective_bucket_name
    if settings.backend == "local":
        return cls.local(
            settings.local_path,
            emb,
            vector_bucket_name=bucket,
            index_name=settings.index_name,
            read_only=settings.local_read_only,
            **store_kwargs,
        )
    # The store builds the boto3 client itself (retry mode, connection pool, fast path).
    session = _aws_session(settings)
    return cls.from_aws(
        bucket,
        settings.index_name,
        emb,
        session=session,
        region_name=session.region_name,
        endpoint_url=settings.endpoint_url,
        **store_kwargs,
    )


def _with_settings(
    settings: S3VectorsSettings, embedding: Embeddings, store_kwargs: dict[str, Any]
) -> dict[str, Any]:
    """``store_kwargs``, with what the settings say wherever the caller said nothing."""
    from langchain_s3vectors.base import IndexConfig  # noqa: PLC0415

    kwargs = dict(store_kwargs)
    if "dimension" not in kwargs:
        hint = embedding.dimension if isinstance(embedding, LazyEmbeddings) else None
        kwargs["dimension"] = settings.vector_dimension or hint
    if "index_config" not in kwargs:
        kwargs["index_config"] = IndexConfig(text_search_language=settings.text_search_language)
    kwargs.setdefault("allow_embedding_change", settings.allow_embedding_change)
    return kwargs


def store_from_env(
    store_cls: type[S3VectorsStore] | None = None,
    /,
    *,
    embedding: Embeddings | None = None,
    _env_file: str | Path | None = ".env",
    **overrides: Any,
) -> S3VectorsStore:
    """Build a store from the environment (and ``.env``), with overrides.

    Also usable as a classmethod (``S3VectorsStore.from_env = classmethod(store_from_env)``):
    the class it is called on is then the class built.

    Args:
        store_cls: The store class to build (default :class:`S3VectorsStore`).
        embedding: Embeddings to use instead of ``EMBEDDING_MODEL``.
        _env_file: The dotenv file to read (``None``: none).
        **overrides: Settings by environment or field name, e.g. ``S3VECTORS_BACKEND="local"``;
            anything that is not a setting is passed to :class:`S3VectorsStore`.

    Example:
        >>> store = store_from_env(S3VECTORS_BACKEND="local")  # doctest: +SKIP
    """
    setting_names = _setting_names()
    settings_values = {
        setting_names[k.lower()]: v for k, v in overrides.items() if k.lower() in setting_names
    }
    store_kwargs = {k: v for k, v in overrides.items() if k.lower() not in setting_names}
    settings = S3VectorsSettings(_env_file=_env_file, **settings_values)  # type: ignore[call-arg]
    return build_store(settings, embedding=embedding, store_cls=store_cls, **store_kwargs)


def settings_error_message(exc: ValidationError) -> str:
    """Invalid settings in one line: ``invalid settings: NAME: why; NAME: why``.

    Example:
        >>> try:
        ...     S3VectorsSettings(EMBEDDING_BACKEND="fake", _env_file=None)
        ... except ValidationError as exc:
        ...     print(settings_error_message(exc)[:46])
        invalid settings: EMBEDDING_BACKEND: Value err
    """
    problems = "; ".join(
        f"{'.'.join(str(part) for part in err['loc'])}: {err['msg']}" for err in exc.errors()
    )
    return " ".join(f"invalid settings: {problems}".split())


def _setting_names() -> dict[str, str]:
    """Every accepted spelling of a setting (lower case) -> its field name."""
    names: dict[str, str] = {}
    for name, field in S3VectorsSettings.model_fields.items():
        names[name] = name
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update({str(choice).lower(): name for choice in alias.choices})
    return names
