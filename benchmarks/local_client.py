"""Speed and memory of the embedded S3 Vectors client, each beside its baseline.

Data: 100,000 random 384-d float32 vectors (cosine), each with a small metadata dict
(``category`` one of ten values, so a category filter matches ~10%), 50 random queries,
topK 10. Printed, all measured in this one run:

* query p50 vs. plain numpy exact search (matrix product + argpartition), target <= 1.5x
* filtered query p50 (~10% match) vs. unfiltered p50, target <= 2x
* PutVectors throughput in 500-vector batches, target >= 20,000 vectors/s
* resident memory of a loaded index vs. the raw float32 bytes, target <= 1.5x
  (measured in a fresh process that opens the store and answers one query)
* hybrid search p50 through ``S3VectorsStore.hybrid_search``: the default
  (relative-score fusion in the store over a vector-only and a text-only QueryVectors
  call, 50 candidates each) vs. the service's RRF (``HybridSearchConfig(fusion="rrf")``,
  one call), target <= 1.5x. A second index in the same bucket holds the same
  vectors with a 30-word page content each (words drawn from a 5,000-word Zipf
  vocabulary, full-text searchable), queried with three such words.

The client searches exactly (``exact_search=True``): this benchmark measures the exact
path against numpy; ``benchmarks/ann_scale.py`` measures the approximate one.

Run: ``python benchmarks/local_client.py [--n 100000]``
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
from langchain_core.embeddings import Embeddings

from langchain_s3vectors import HybridSearchConfig, LocalS3VectorsClient, S3VectorsStore

BUCKET, INDEX = "bench", "vectors"


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def memory_probe(path: str, dim: int) -> None:
    """Run in a fresh process: RSS added by opening the store and loading the index."""
    import gc  # noqa: PLC0415

    client = LocalS3VectorsClient(path, exact_search=True)
    q = np.random.default_rng(1).standard_normal(dim).astype(np.float32).tolist()
    client.get_index(vectorBucketName=BUCKET, indexName=INDEX)
    gc.collect()
    before = rss_bytes()
    client.query_vectors(
        vectorBucketName=BUCKET, indexName=INDEX, topK=10, queryVector={"float32": q}
    )
    gc.collect()
    after = rss_bytes()
    print(json.dumps({"rss_delta": after - before}))


class _QueryVectors(Embeddings):
    """The benchmark's query vectors, looked up by query text (no model)."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self._vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vectors[text]


def hybrid_latency(
    client: LocalS3VectorsClient, data: np.ndarray, queries: np.ndarray
) -> tuple[float, float, int]:
    """p50 (ms) of the default hybrid search and of the RRF one, and identical top-1s."""
    rng = np.random.default_rng(2)
    vocab = np.array([f"w{i}" for i in range(5000)])
    weights = 1.0 / np.arange(1, 5001)
    weights /= weights.sum()
    words = vocab[rng.choice(5000, size=(len(data), 30), p=weights)]
    texts = [" ".join(row) for row in words]
    query_texts = [" ".join(vocab[rng.choice(5000, size=3, p=weights)]) for _ in queries]
    emb = _QueryVectors(dict(zip(query_texts, queries.tolist(), strict=True)))
    store = S3VectorsStore(BUCKET, "hybrid", emb, client=client, dimension=data.shape[1])
    store.add_embeddings(texts, data, ids=[f"doc-{i}" for i in range(len(data))])
    rrf = HybridSearchConfig(fusion="rrf")
    store.hybrid_search(query_texts[0], k=10)  # warm up both
    store.hybrid_search(query_texts[0], k=10, config=rrf)
    default: list[float] = []
    service: list[float] = []
    same_top = 0
    for text in query_texts:  # interleaved, as above
        t = time.perf_counter()
        ours = store.hybrid_search(text, k=10)
        default.append(time.perf_counter() - t)
        t = time.perf_counter()
        theirs = store.hybrid_search(text, k=10, config=rrf)
        service.append(time.perf_counter() - t)
        same_top += ours[0][0].id == theirs[0][0].id
    return statistics.median(default) * 1000, statistics.median(service) * 1000, same_top


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--memory-probe", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args.memory_probe, args.dim)
        return

    n, dim = args.n, args.dim
    rng = np.random.default_rng(0)
    data = rng.standard_normal((n, dim)).astype(np.float32)
    queries = rng.standard_normal((args.queries, dim)).astype(np.float32)
    categories = [f"c{i % 10}" for i in range(n)]

    with tempfile.TemporaryDirectory() as tmp:
        client = LocalS3VectorsClient(tmp, exact_search=True)
        client.create_vector_bucket(vectorBucketName=BUCKET)
        client.create_index(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            dataType="float32",
            dimension=dim,
            distanceMetric="cosine",
        )
        # Requests are built before timing: the client is measured, not list building.
        lists = data.tolist()
        requests = [
            [
                {
                    "key": f"vec-{i}",
                    "data": {"float32": lists[i]},
                    "metadata": {"category": categories[i], "n": i},
                }
                for i in range(start, min(start + 500, n))
            ]
            for start in range(0, n, 500)
        ]
        t0 = time.perf_counter()
        for vectors in requests:
            client.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=vectors)
        put_seconds = time.perf_counter() - t0
        put_rate = n / put_seconds

        # Baseline: plain numpy exact cosine search over pre-normalised rows.
        normed = data / np.linalg.norm(data, axis=1, keepdims=True)

        def numpy_search(q: np.ndarray) -> np.ndarray:
            scores = normed @ (q / np.linalg.norm(q))
            top = np.argpartition(-scores, 10)[:10]
            return top[np.argsort(-scores[top])]

        qlists = queries.tolist()
        # warm up (loads nothing for this process: the cache is kept in step with writes)
        client.query_vectors(
            vectorBucketName=BUCKET, indexName=INDEX, topK=10, queryVector={"float32": qlists[0]}
        )
        client.query_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            topK=10,
            queryVector={"float32": qlists[0]},
            filter={"category": "c3"},
        )
        numpy_search(queries[0])

        # Interleaved, so that whatever else the machine does affects all three alike.
        base: list[float] = []
        ours: list[float] = []
        filtered: list[float] = []
        for q_arr, q in zip(queries, qlists, strict=True):
            t = time.perf_counter()
            numpy_search(q_arr)
            base.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.query_vectors(
                vectorBucketName=BUCKET, indexName=INDEX, topK=10, queryVector={"float32": q}
            )
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.query_vectors(
                vectorBucketName=BUCKET,
                indexName=INDEX,
                topK=10,
                queryVector={"float32": q},
                filter={"category": "c3"},
            )
            filtered.append(time.perf_counter() - t)
        # Correctness spot check: same top-10 as numpy.
        got = client.query_vectors(
            vectorBucketName=BUCKET, indexName=INDEX, topK=10, queryVector={"float32": qlists[0]}
        )
        expected = [f"vec-{i}" for i in numpy_search(queries[0])]
        same = [v["key"] for v in got["vectors"]] == expected
        p50_hybrid, p50_rrf, same_top = hybrid_latency(client, data, queries)
        client.close()

        probe = subprocess.run(
            [sys.executable, __file__, "--memory-probe", tmp, "--dim", str(dim)],
            capture_output=True,
            text=True,
            check=True,
        )
        rss_delta = json.loads(probe.stdout.strip().splitlines()[-1])["rss_delta"]

    raw = n * dim * 4
    p50_base = statistics.median(base) * 1000
    p50_ours = statistics.median(ours) * 1000
    p50_filtered = statistics.median(filtered) * 1000
    rows = [
        (
            "query p50 (ms)",
            f"{p50_ours:.2f}",
            f"numpy exact {p50_base:.2f}",
            p50_ours / p50_base,
            1.5,
            "<=",
        ),
        (
            "filtered (~10%) p50 (ms)",
            f"{p50_filtered:.2f}",
            f"unfiltered {p50_ours:.2f}",
            p50_filtered / p50_ours,
            2.0,
            "<=",
        ),
        (
            "PutVectors (vectors/s)",
            f"{put_rate:,.0f}",
            "target 20,000",
            put_rate / 20_000,
            1.0,
            ">=",
        ),
        (
            "index RSS (MB)",
            f"{rss_delta / 1e6:.1f}",
            f"raw float32 {raw / 1e6:.1f}",
            rss_delta / raw,
            1.5,
            "<=",
        ),
        (
            "hybrid default p50 (ms)",
            f"{p50_hybrid:.2f}",
            f"RRF hybrid {p50_rrf:.2f}",
            p50_hybrid / p50_rrf,
            1.5,
            "<=",
        ),
    ]
    print(f"LocalS3VectorsClient, {n:,} x {dim}-d cosine vectors, topK 10, {args.queries} queries")
    print(f"{'figure':<26} {'ours':>10}   {'baseline':<22} {'ratio':>6}  target  ok")
    ok_all = True
    for name, value, baseline, ratio, target, cmp in rows:
        ok = ratio <= target if cmp == "<=" else ratio >= target
        ok_all &= ok
        print(
            f"{name:<26} {value:>10}   {baseline:<22} {ratio:>6.2f}  {cmp} {target:<4} {'yes' if ok else 'NO'}"
        )
    print(f"top-10 identical to numpy exact search: {same}")
    print(f"hybrid: same top result, default vs RRF: {same_top}/{args.queries} queries")
    sys.exit(0 if ok_all and same else 1)


if __name__ == "__main__":
    main()
