"""Embedding backends: cold CLI query, embedding speed, agreement and retrieval quality.

Every figure is printed beside its baseline measured in the same run:

(a) ``s3vectors-rag query`` wall time from process start (a fresh process per call,
    interpreter start-up included) on a 100,000-vector local store, per embedding
    backend, against ``EMBEDDING_BACKEND=torch`` (the path before the ONNX backend);
    target <= 0.2x. The store's share is shown too: a fresh process that opens the same
    store and runs one query with a precomputed vector, no model at all.
(b) embedding throughput (chunks/s) of each backend's ``embed_documents`` on ~1,000
    character chunks of real text, against raw ``SentenceTransformer.encode`` on the
    very same chunks; target >= 2x for the default backend.
(c) cosine agreement of each backend's vectors with PyTorch's on those chunks.
(d) MRR@10 of similarity search per backend from ``benchmarks/retrieval_quality.py``
    (run once per backend in a subprocess, ~5 minutes of CPU each the first time;
    passage vectors are kept in ``benchmarks/.cache`` for reruns); target: within 0.005
    of torch on both query kinds.

The 100k store is built once from "real-ish" vectors, cached in ``benchmarks/.cache``:
real MiniLM vectors of 400 chunks of botocore's API documentation, each mixed with
another and with noise, normalised. ONNX models are cached in ``benchmarks/.cache/models``.

Usage::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/embedding_backends.py
        [--vectors 100000] [--runs 3] [--chunks 192] [--skip-cold] [--skip-mrr]

``--skip-cold`` leaves out (a) and the 100k store it needs; ``--skip-mrr`` leaves out (d).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import botocore.session
import numpy as np
from sentence_transformers import SentenceTransformer

from langchain_s3vectors.app.embeddings import (
    DEFAULT_ONNX_BACKEND,
    default_embeddings,
    resolve_model_path,
)
from langchain_s3vectors.app.models import progress_bars
from langchain_s3vectors.vectorstores import S3VectorsStore

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
BACKENDS = ("torch", "onnx", "onnx-int8")
QUERY = "How do I create a vector index?"
CHUNK_CHARS = 1000


def botocore_texts(limit: int) -> list[str]:
    """Real text: the documentation of botocore's API operations, ~1,000-character chunks."""
    session = botocore.session.get_session()
    out: list[str] = []
    for service in sorted(session.get_available_services()):
        model = session.get_service_model(service)
        for name in model.operation_names:
            doc = re.sub(r"<[^>]+>", " ", model.operation_model(name).documentation or "")
            doc = " ".join(doc.split())
            if len(doc) >= CHUNK_CHARS // 2:
                out.append(doc[:CHUNK_CHARS])
            if len(out) >= limit:
                return out
    return out


def build_store(path: Path, n: int) -> None:
    """A local store of ``n`` real-ish MiniLM vectors (cached across runs)."""
    marker = path / f"built-{n}"
    if marker.exists():
        return
    texts = botocore_texts(400)
    base = np.asarray(default_embeddings(backend="onnx").embed_documents(texts), np.float32)
    rng = np.random.default_rng(15)
    a, b = rng.integers(0, len(base), n), rng.integers(0, len(base), n)
    mix = rng.uniform(0.5, 1.0, (n, 1)).astype(np.float32)
    vectors = mix * base[a] + (1 - mix) * base[b]
    vectors += rng.normal(0, 0.02, vectors.shape).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = S3VectorsStore.local(path, None)
    start = time.perf_counter()
    step = 10_000
    for i in range(0, n, step):
        rows = range(i, min(i + step, n))
        store.add_embeddings(
            [texts[a[j]][:300] for j in rows],
            vectors[i : i + step].tolist(),
            [{"source": f"doc-{j % 997}.md"} for j in rows],
            ids=[f"doc-{j}" for j in rows],
        )
    store.client.close()
    marker.touch()
    print(f"built a {n}-vector store in {time.perf_counter() - start:.1f}s at {path}")


def timed_process(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


OPEN_AND_QUERY = """
import sys, json
from langchain_s3vectors import LocalS3VectorsClient
client = LocalS3VectorsClient(sys.argv[1])
vector = json.loads(sys.argv[2])
client.query_vectors(vectorBucketName="local", indexName="documents", topK=10,
                     queryVector={"float32": vector}, returnMetadata=True)
"""


def cold_query(store: Path, runs: int) -> None:
    print(
        "\n(a) s3vectors-rag query, process start to printed results "
        f"({runs} runs each, median; 100k-vector store)"
    )
    cli = str(Path(sys.executable).with_name("s3vectors-rag"))
    base_env = {**os.environ, "HF_HUB_OFFLINE": "1", "S3VECTORS_CACHE_DIR": str(CACHE / "models")}
    command = [cli, "--local", str(store), "query", QUERY, "-k", "10", "--json"]
    envs = {b: {**base_env, "EMBEDDING_BACKEND": b} for b in BACKENDS}
    envs["default"] = {k: v for k, v in base_env.items() if k != "EMBEDDING_BACKEND"}
    for env in envs.values():  # warm-up: exports ONNX models if needed, fills the page cache
        timed_process(command, env)
    times: dict[str, list[float]] = {name: [] for name in envs}
    for _ in range(runs):
        for name, env in envs.items():
            times[name].append(timed_process(command, env))
    vector = json.dumps(default_embeddings(backend="onnx").embed_query(QUERY))
    store_only = [
        timed_process([sys.executable, "-c", OPEN_AND_QUERY, str(store), vector], base_env)
        for _ in range(runs)
    ]
    baseline = statistics.median(times["torch"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<10} {median:6.2f}s  ({median / baseline:.2f}x torch)  runs {values}")
    median = statistics.median(store_only)
    print(f"  store only {median:6.2f}s  (open + query with a precomputed vector, no model)")


def embedding_speed(n_chunks: int, runs: int) -> None:
    texts = botocore_texts(n_chunks)
    mean_chars = sum(map(len, texts)) / len(texts)
    print(f"\n(b) embedding {len(texts)} chunks of real text ({mean_chars:.0f} chars on average)")
    with progress_bars(enabled=False):
        encoder = SentenceTransformer(resolve_model_path(), device="cpu")
    models = {b: default_embeddings(backend=b) for b in BACKENDS if b != "torch"}
    encoder.encode(texts[:8])
    for model in models.values():
        model.embed_documents(texts[:8])
    rates: dict[str, list[float]] = {"SentenceTransformer.encode": [], **{b: [] for b in models}}
    reference = None
    vectors: dict[str, np.ndarray] = {}
    for _ in range(runs):
        start = time.perf_counter()
        reference = encoder.encode(texts, batch_size=32, normalize_embeddings=True)
        rates["SentenceTransformer.encode"].append(len(texts) / (time.perf_counter() - start))
        for name, model in models.items():
            start = time.perf_counter()
            vectors[name] = np.asarray(model.embed_documents(texts), np.float32)
            rates[name].append(len(texts) / (time.perf_counter() - start))
    baseline = statistics.median(rates["SentenceTransformer.encode"])
    for name, values in rates.items():
        median = statistics.median(values)
        mark = "  <- default" if name == DEFAULT_ONNX_BACKEND else ""
        print(f"  {name:<27} {median:6.2f} chunks/s  ({median / baseline:.2f}x encode){mark}")
    print("\n(c) cosine with PyTorch's vectors, per chunk")
    for name, values in vectors.items():
        cos = np.sum(values * reference, axis=1)
        print(f"  {name:<10} min {cos.min():.5f}  mean {cos.mean():.5f}  max {cos.max():.5f}")


def mrr(*, skip: bool) -> None:
    print("\n(d) MRR@10 of similarity search, benchmarks/retrieval_quality.py, per backend")
    if skip:
        print("  skipped (--skip-mrr)")
        return
    results: dict[str, dict[str, float]] = {}
    for backend in BACKENDS:
        output = CACHE / f"retrieval_quality-{backend}.md"
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "S3VECTORS_CACHE_DIR": str(CACHE / "models")}
        subprocess.run(
            [
                sys.executable,
                str(HERE / "retrieval_quality.py"),
                "--backend",
                backend,
                "--embedding-cache",
                str(CACHE / "embeddings"),
                "--output",
                str(output),
            ],
            env=env,
            check=False,
            capture_output=True,
        )
        results[backend] = similarity_mrr(output.read_text(encoding="utf-8"))
    for backend, by_kind in results.items():
        gaps = {k: v - results["torch"][k] for k, v in by_kind.items()}
        verdict = "PASS" if all(abs(g) <= 0.005 for g in gaps.values()) else "FAIL"
        cells = ", ".join(f"{k} {v:.3f} ({gaps[k]:+.3f})" for k, v in by_kind.items())
        print(f"  {backend:<10} {cells}  within 0.005 of torch: {verdict}")


def similarity_mrr(report: str) -> dict[str, float]:
    """MRR@10 of the store's similarity rows, per query kind, from a report."""
    values = re.findall(r"\| similarity \| S3VectorsStore \(similarity\) \| ([0-9.]+) \|", report)
    return dict(zip(("question", "term"), map(float, values), strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=192)
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-mrr", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("S3VECTORS_CACHE_DIR", str(CACHE / "models"))
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    if not args.skip_cold:
        store = CACHE / f"store-{args.vectors}"
        build_store(store, args.vectors)
        cold_query(store, args.runs)
    embedding_speed(args.chunks, args.runs)
    mrr(skip=args.skip_mrr)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
