"""Bulk writes of precomputed vectors through the store, on the embedded backend.

N precomputed random 384-d vectors (the model is not measured: a fake embedding returns
the precomputed list of each text, built before timing), each in a fresh process:

* **baseline**: the embedded client's own PutVectors rate (requests of 500 prebuilt
  before timing, as ``benchmarks/local_client.py`` measures it) into the same index the
  store writes to: created by the store, so with full-text search on the page content,
  which the embedded client indexes on every write, and holding the same one vector;
* ``S3VectorsStore.local(...).add_texts(texts, metadatas)`` end to end (embedding,
  checks, records, batching, writes);
* ``S3VectorsStore.local(...).add_embeddings(texts, matrix)`` with the numpy matrix.

Each is timed after a ``gc.collect()``, so that no path pays for collecting the objects
the benchmark itself built. For each it prints vectors/s, the ratio to the baseline (target >= 0.5x) and the peak
RSS the call added (Linux ``VmHWM``, reset just before the call) against the raw float32
bytes of the vectors (target <= 3x). Against an endpoint that enforces the write cap,
run ``benchmarks/write_throughput.py``.

Run:
    python benchmarks/bulk_add.py              # 100,000 vectors
    python benchmarks/bulk_add.py --n 20000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PROBE = r"""
import gc, json, sys, tempfile, time
from pathlib import Path
import numpy as np
from langchain_core.embeddings import Embeddings
from langchain_s3vectors import S3VectorsStore

mode, n, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
matrix = np.random.default_rng(0).standard_normal((n, dim)).astype(np.float32)
texts = [f"chunk {i}" for i in range(n)]
metadatas = [{"source": f"doc{i // 100}.md", "n": i} for i in range(n)]
ids = [f"id{i}" for i in range(n)]


class Rows(Embeddings):
    # Precomputed: the lists exist before the call (as in write_throughput.py).
    def __init__(self):
        self.table = dict(zip(texts, matrix.tolist()))

    def embed_documents(self, batch):
        return [self.table[t] for t in batch]

    def embed_query(self, text):
        return matrix[0].tolist()


def status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


with tempfile.TemporaryDirectory() as tmp:
    emb = Rows() if mode == "add_texts" else None
    if mode == "client":
        # The very index the store writes to (full-text search on the page content, which
        # the embedded client indexes on every write), in the same state (one vector).
        store = S3VectorsStore.local(tmp, None)
        store.add_embeddings(texts[:1], matrix[:1], metadatas[:1], ids=ids[:1])
        client = store.client
        lists = matrix.tolist()
        requests = [[{"key": ids[i], "data": {"float32": lists[i]},
                      "metadata": {**metadatas[i], "_page_content": texts[i]}}
                     for i in range(s, min(s + 500, n))] for s in range(0, n, 500)]
        gc.collect()  # setup's objects are not the measured call's to collect
        Path("/proc/self/clear_refs").write_text("5")
        before = status("VmRSS")
        t0 = time.perf_counter()
        for vectors in requests:
            client.put_vectors(vectorBucketName=store.vector_bucket_name,
                               indexName=store.index_name, vectors=vectors)
    else:
        store = S3VectorsStore.local(tmp, emb)
        store.add_embeddings(texts[:1], matrix[:1], metadatas[:1], ids=ids[:1])  # the index
        gc.collect()  # as for the baseline
        Path("/proc/self/clear_refs").write_text("5")
        before = status("VmRSS")
        t0 = time.perf_counter()
        if mode == "add_texts":
            store.add_texts(texts, metadatas, ids=ids)
        else:
            store.add_embeddings(texts, matrix, metadatas, ids=ids)
    seconds = time.perf_counter() - t0
    peak = status("VmHWM") - before
print(json.dumps({"seconds": seconds, "peak_added": peak}))
"""


def run(mode: str, n: int, dim: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(n), str(dim)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    args = parser.parse_args()
    raw = args.n * args.dim * 4
    rows = [
        ("client", "LocalS3VectorsClient.put_vectors (baseline)"),
        ("add_texts", "store.add_texts"),
        ("add_embeddings", "store.add_embeddings (numpy)"),
    ]
    results = {mode: run(mode, args.n, args.dim) for mode, _ in rows}
    base = args.n / results["client"]["seconds"]
    print(f"{args.n:,} precomputed {args.dim}-d vectors, embedded backend")
    print(f"raw float32 bytes: {raw / 1e6:.1f} MB")
    print(f"{'path':<46}{'vectors/s':>11}{'x baseline':>12}{'peak MB':>10}{'x raw':>7}")
    for mode, label in rows:
        rate = args.n / results[mode]["seconds"]
        peak = results[mode]["peak_added"]
        print(f"{label:<46}{rate:>11,.0f}{rate / base:>12.2f}{peak / 1e6:>10.1f}{peak / raw:>7.2f}")
    rate = args.n / results["add_texts"]["seconds"]
    peak = results["add_texts"]["peak_added"]
    print(
        f"\ntargets for add_texts: >= 0.5x PutVectors ({rate / base:.2f}x: "
        f"{'met' if rate / base >= 0.5 else 'NOT met'}), peak <= 3x raw "
        f"({peak / raw:.2f}x: {'met' if peak <= 3 * raw else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
