"""ONNX Runtime embeddings: the default model without PyTorch at query time.

:class:`OnnxEmbeddings` runs a sentence-transformers BERT model (all-MiniLM-L6-v2 by
default) with ONNX Runtime and its own fast tokenizer (``tokenizer.json``, read by the
``tokenizers`` library), then mean-pools the token embeddings over the attention mask
and L2-normalises them, as sentence-transformers does. Importing this module, loading a
cached model and embedding text never import ``torch``.

The ONNX file it runs (``fp32``, or ``int8`` weights) comes from
:mod:`langchain_s3vectors.app.onnx_export`, which exports, quantizes and caches it the
first time; :func:`onnx_embeddings` finds it there (rebuilding it once when ONNX Runtime
cannot load it) and shares one instance per model, variant and cache.

Example:
    >>> from langchain_s3vectors.app.onnx_embeddings import onnx_embeddings
    >>> emb = onnx_embeddings(variant="int8")  # doctest: +SKIP
    >>> len(emb.embed_query("S3 Vectors"))  # doctest: +SKIP
    384
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from langchain_s3vectors.app.onnx_export import (
    INPUT_NAMES,
    ONNX_INSTALL_HINT,
    ModelSource,
    Variant,
    cache_root,
    ensure_onnx_model,
    load_tokenizer,
    pad_tokens,
)
from langchain_s3vectors.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "OnnxEmbeddings",
    "mean_pool_normalise",
    "onnx_available",
    "onnx_embeddings",
]

logger = logging.getLogger(__name__)

# ONNX Runtime's session entry that makes int8 products exact on x86 CPUs whose U8S8
# kernels saturate (kOrtSessionOptionsAvx2PrecisionMode).
_X64_QUANT_PRECISION = "session.x64quantprecision"
# CPU flags (Linux /proc/cpuinfo) of the int8 kernels that never saturate: AVX-512 VNNI
# on a CPU with the AVX-512 subsets ONNX Runtime's AVX-512 kernels use, or AVX-VNNI.
_AVX512_CORE = frozenset({"avx512f", "avx512bw", "avx512dq", "avx512vl"})
_DEFAULT_BATCH_SIZE = 32


def onnx_available() -> bool:
    """Whether ONNX Runtime and ``tokenizers`` are installed (without importing them).

    Example:
        >>> isinstance(onnx_available(), bool)
        True
    """
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "tokenizers"))


def _int8_kernels_may_saturate(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether ONNX Runtime's U8S8 kernels may saturate on this CPU (not known to be VNNI).

    ONNX Runtime computes int8 x int8 products on x86 with ``VPMADDUBSW``, which sums
    pairs in 16 bits and can saturate, unless the CPU has VNNI (``VPDPBUSD``, exact):
    AVX-512 VNNI where its AVX-512 kernels run (F, BW, DQ and VL), or AVX-VNNI on a CPU
    without them; that is the order in which ONNX Runtime's MLAS picks a kernel. The
    answer is ``False`` only where ``/proc/cpuinfo`` shows such a CPU; elsewhere (other
    systems, no file) it is ``True``, which costs speed where it was not needed and
    never changes a vector (see :func:`_session_options`).

    Example:
        >>> isinstance(_int8_kernels_may_saturate(), bool)
        True
    """
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return True
    line = next((x for x in text.splitlines() if x.startswith("flags")), "")
    flags = set(line.partition(":")[2].split())
    if flags >= _AVX512_CORE:
        return "avx512_vnni" not in flags
    return not flags >= {"avx2", "avx_vnni"}


def _session_options(onnxruntime: Any, *, exact_int8: bool) -> Any:
    """ONNX Runtime session options: every graph optimization; exact int8 products if asked.

    ``exact_int8`` sets ``session.x64quantprecision``: on x86, ONNX Runtime then turns
    signed int8 weights with values beyond +-64 unsigned at load time (adding 128 to the
    weights and their zero points, the same products) and runs its U8U8 kernels, which
    widen to 16 bits before multiplying and never saturate. On a VNNI CPU the vectors
    are identical with or without it (both exact), only slower with it; elsewhere than
    x86 ONNX Runtime ignores it.
    """
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if exact_int8:
        options.add_session_config_entry(_X64_QUANT_PRECISION, "1")
    return options


def mean_pool_normalise(token_embeddings: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the unmasked tokens, then L2 normalisation (sentence-transformers' way).

    Example:
        >>> tokens = np.array([[[3.0, 4.0], [9.0, 9.0]]], dtype=np.float32)
        >>> mean_pool_normalise(tokens, np.array([[1, 0]])).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    weights = mask.astype(np.float32)[:, :, None]
    summed = (token_embeddings * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
    return np.asarray(pooled / norms, dtype=np.float32)


class OnnxEmbeddings(Embeddings):
    """A sentence-transformers BERT model on ONNX Runtime, with normalised output.

    Build it with :func:`onnx_embeddings`, which finds or exports the ONNX file.

    Args:
        onnx_path: The ONNX file (inputs ``input_ids``, ``attention_mask``,
            ``token_type_ids``; output the token embeddings).
        model_path: The sentence-transformers model directory (tokenizer and config).
        variant: ``"fp32"`` or ``"int8"``, for display.
        batch_size: Texts per ONNX Runtime call.
        providers: ONNX Runtime execution providers (default: CPU).

    Example:
        >>> emb = onnx_embeddings(variant="int8")  # doctest: +SKIP
        >>> len(emb.embed_query("S3 Vectors"))  # doctest: +SKIP
        384
    """

    def __init__(
        self,
        onnx_path: str | Path,
        model_path: str | Path,
        *,
        variant: Variant = "fp32",
        batch_size: int = _DEFAULT_BATCH_SIZE,
        providers: Sequence[str] | None = None,
    ) -> None:
        """Load the tokenizer and the ONNX Runtime session."""
        try:
            import onnxruntime  # noqa: PLC0415
        except ImportError as exc:
            msg = f"The ONNX backend needs onnxruntime and tokenizers: {ONNX_INSTALL_HINT}."
            raise ConfigurationError(msg) from exc
        if batch_size < 1:
            msg = f"batch_size must be at least 1, not {batch_size}."
            raise ValueError(msg)
        self._source = ModelSource.read(Path(model_path))
        self._tokenizer = load_tokenizer(self._source)
        self._session = onnxruntime.InferenceSession(
            str(onnx_path),
            _session_options(onnxruntime, exact_int8=_int8_kernels_may_saturate()),
            providers=list(providers or ["CPUExecutionProvider"]),
        )
        self.onnx_path = Path(onnx_path)
        self.variant = variant
        self.batch_size = batch_size
        self.dimension = self._source.dimension

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed texts; each vector has unit length."""
        if not texts:
            return []
        return self.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query text."""
        return self.embed_documents([text])[0]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into a ``(len(texts), dimension)`` float32 array.

        Texts are batched longest first, so a batch pads little, and returned in order.
        """
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            ids, mask, types = pad_tokens([encodings[i].ids for i in rows])
            feed = dict(zip(INPUT_NAMES, (ids, mask, types), strict=True))
            (tokens,) = self._session.run(None, feed)
            out[rows] = mean_pool_normalise(tokens, mask)
        return out

    def __repr__(self) -> str:
        """Model directory name and variant."""
        return f"OnnxEmbeddings(model={self._source.name!r}, variant={self.variant!r})"


_CACHE: dict[tuple[str, str, str], OnnxEmbeddings] = {}
_CACHE_LOCK = threading.Lock()


def onnx_embeddings(
    model_name: str | None = None,
    *,
    variant: Variant = "fp32",
    cache_dir: str | Path | None = None,
) -> OnnxEmbeddings:
    """ONNX Runtime embeddings of a local sentence-transformers model, offline.

    Exports (once, with PyTorch) and caches the ONNX file; later calls and later
    processes load it without importing PyTorch. Calls with the same arguments share
    one instance.

    Args:
        model_name: ``None`` or an all-MiniLM-L6-v2 alias for the bundled model, or a
            local model directory.
        variant: ``"fp32"``, or ``"int8"`` for dynamically quantized weights.
        cache_dir: The cache root (default :func:`cache_root`).

    Raises:
        ConfigurationError: ONNX Runtime is missing, the model is not a local
            directory, or the first export needs PyTorch; the message says what to do.
    """
    from langchain_s3vectors.app.models import INSTALL_HINT, resolve_model_path  # noqa: PLC0415

    if not onnx_available():
        msg = f"The ONNX embedding backend needs onnxruntime and tokenizers: {ONNX_INSTALL_HINT}."
        raise ConfigurationError(msg)
    path = resolve_model_path(model_name)
    if not Path(path).is_dir():
        msg = (
            f"The ONNX embedding backend loads local models only, and {path!r} is not a "
            f"directory. For the default model: {INSTALL_HINT}; otherwise point "
            "EMBEDDING_MODEL at a model directory or set EMBEDDING_BACKEND=torch."
        )
        raise ConfigurationError(msg)
    root = str(Path(cache_dir) if cache_dir is not None else cache_root())
    key = (path, variant, root)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        embeddings = _open(path, variant, root)
        _CACHE[key] = embeddings
        return embeddings


def _open(path: str, variant: Variant, root: str) -> OnnxEmbeddings:
    """Load the cached model; rebuild it once when ONNX Runtime cannot load it."""
    onnx_path = ensure_onnx_model(path, variant=variant, cache_dir=root)
    try:
        return OnnxEmbeddings(onnx_path, path, variant=variant)
    except ConfigurationError:
        raise
    except Exception:  # noqa: BLE001 - a file ONNX Runtime rejects is rebuilt once
        logger.warning("ONNX Runtime could not load %s; rebuilding it", onnx_path)
        (onnx_path.parent / "manifest.json").unlink(missing_ok=True)
        onnx_path = ensure_onnx_model(path, variant=variant, cache_dir=root)
    try:
        return OnnxEmbeddings(onnx_path, path, variant=variant)
    except ConfigurationError:
        raise
    except Exception as exc:
        msg = (
            f"ONNX Runtime cannot load {str(onnx_path)!r}, even freshly exported: {exc}. "
            "Upgrade onnxruntime, or set EMBEDDING_BACKEND=torch."
        )
        raise ConfigurationError(msg) from exc
