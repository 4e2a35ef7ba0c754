"""Open + first query of a persistent embedded store, against numpy loading a ``.npy``.

Builds a store of N random 384-d vectors (cosine) with ``LocalS3VectorsClient``, closes
it (which writes the memory-mapped vector checkpoint), and saves the same unit-length
matrix as a ``.npy`` file. Then, each in a fresh process (imports excluded, page cache
warm, median of ``--repeat`` runs), it times:

* **numpy** (baseline): ``np.load`` of the ``.npy`` + one exact top-10 cosine query;
* **store**: ``LocalS3VectorsClient(path, exact_search=True)`` + the first
  ``query_vectors`` (topK 10), with the checkpoint mapped (exact search, as numpy's;
  ``benchmarks/ann_scale.py`` times the approximate index's open);
* **store, SQLite only**: the same with the checkpoint files moved away, i.e. every
  vector read out of SQLite first (the path before checkpoints existed).

It prints each time, its ratio to numpy's (target: store <= 2x) and whether the store's
top 10 equals numpy's.

Run:
    python benchmarks/open_first_query.py                 # 100,000 vectors (~1 min)
    python benchmarks/open_first_query.py --n 1000000     # 1M (several minutes, ~4 GB disk)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from langchain_s3vectors import LocalS3VectorsClient

BUCKET, INDEX, DIM = "bench", "vectors", 384
CHUNK = 50_000

PROBE = """
import json, sys, time
import numpy as np
mode, path, npy, q = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
from langchain_s3vectors import LocalS3VectorsClient
query = np.asarray(q, dtype=np.float32)
t0 = time.perf_counter()
if mode == "numpy":
    matrix = np.load(npy)
    scores = matrix @ (query / np.linalg.norm(query))
    top = np.argpartition(-scores, 10)[:10]
    keys = [f"v{i}" for i in top[np.argsort(-scores[top])]]
else:
    client = LocalS3VectorsClient(path, exact_search=True)
    res = client.query_vectors(vectorBucketName="bench", indexName="vectors", topK=10,
                               queryVector={"float32": q})
    keys = [v["key"] for v in res["vectors"]]
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "keys": keys}))
"""


def chunks(n: int) -> list[tuple[int, np.ndarray]]:
    """The data, generated chunk by chunk (the same for the store and the .npy)."""
    out = []
    for start in range(0, n, CHUNK):
        rng = np.random.default_rng(start)
        out.append((start, rng.standard_normal((min(CHUNK, n - start), DIM)).astype(np.float32)))
    return out


def build(path: Path, npy: Path, n: int) -> tuple[float, float]:
    client = LocalS3VectorsClient(path, exact_search=True)
    client.create_vector_bucket(vectorBucketName=BUCKET)
    client.create_index(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        dataType="float32",
        dimension=DIM,
        distanceMetric="cosine",
    )
    matrix = np.lib.format.open_memmap(npy, mode="w+", dtype=np.float32, shape=(n, DIM))
    t0 = time.perf_counter()
    for start in range(0, n, CHUNK):
        rng = np.random.default_rng(start)
        data = rng.standard_normal((min(CHUNK, n - start), DIM)).astype(np.float32)
        matrix[start : start + len(data)] = data / np.linalg.norm(data, axis=1, keepdims=True)
        lists = data.tolist()
        for offset in range(0, len(lists), 500):
            client.put_vectors(
                vectorBucketName=BUCKET,
                indexName=INDEX,
                vectors=[
                    {"key": f"v{start + offset + j}", "data": {"float32": row}}
                    for j, row in enumerate(lists[offset : offset + 500])
                ],
            )
    put_seconds = time.perf_counter() - t0
    matrix.flush()
    del matrix
    t0 = time.perf_counter()
    client.close()  # writes the checkpoint
    return put_seconds, time.perf_counter() - t0


def probe(mode: str, path: Path, npy: Path, query: list[float]) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(path), str(npy), json.dumps(query)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-sqlite", action="store_true", help="skip the SQLite-only runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, npy = Path(tmp) / "store", Path(tmp) / "matrix.npy"
        put_seconds, checkpoint_seconds = build(path, npy, args.n)
        print(
            f"built {args.n:,} vectors: PutVectors {args.n / put_seconds:,.0f} vectors/s, "
            f"checkpoint on close {checkpoint_seconds:.2f}s"
        )
        query = np.random.default_rng(99).standard_normal(DIM).astype(np.float32).tolist()
        modes = ["numpy", "store"] + ([] if args.skip_sqlite else ["sqlite"])
        times: dict[str, list[float]] = {m: [] for m in modes}
        answers: dict[str, object] = {}
        probe("numpy", path, npy, query)  # warm the page cache for both files
        probe("store", path, npy, query)
        for _ in range(args.repeat):
            for mode in modes:
                if mode == "sqlite":
                    (path / "vectors").rename(path / "vectors.off")
                try:
                    result = probe(mode, path, npy, query)
                finally:
                    if mode == "sqlite":
                        (path / "vectors.off").rename(path / "vectors")
                times[mode].append(float(result["seconds"]))  # type: ignore[arg-type]
                answers[mode] = result["keys"]
        base = statistics.median(times["numpy"])
        print(f"\nopen + first query, {args.n:,} x {DIM} (median of {args.repeat}, warm cache)")
        print(f"{'path':<28}{'seconds':>10}{'x numpy':>10}  same top 10")
        labels = {
            "numpy": "numpy .npy load + query",
            "store": "store (mapped checkpoint)",
            "sqlite": "store (SQLite only)",
        }
        for mode in modes:
            median = statistics.median(times[mode])
            same = answers[mode] == answers["numpy"]
            print(f"{labels[mode]:<28}{median:>10.3f}{median / base:>10.2f}  {same}")
        ratio = statistics.median(times["store"]) / base
        print(
            f"\ntarget store <= 2.00x numpy: {'met' if ratio <= 2.0 else 'NOT met'} ({ratio:.2f}x)"
        )


if __name__ == "__main__":
    main()
