"""The embedded store at scale: exact vs approximate vs numpy vs faiss HNSW, one run per size.

On the data set of ``benchmarks/ann_data.py`` (all-MiniLM-L6-v2 vectors of real passages
plus perturbed copies, 200 held-out queries, a ``shard`` field whose filter keeps 10%),
each system is built in a process of its own, then opened in a fresh one:

* **ours exact**: ``LocalS3VectorsClient(path, exact_search=True)`` (a client without
  that keyword searches exactly anyway);
* **ours default**: ``LocalS3VectorsClient(path)``, approximate above its threshold;
* **numpy exact**: the float32 matrix in memory, cosine by one matrix-vector product;
* **faiss HNSW**: ``IndexHNSWFlat`` (M 32, efSearch 64, inner product on unit vectors).

Ours is loaded through the public API (``put_vectors``, 500 vectors per call, each with
its ``shard``). Figures: build rate (vectors/s, ours including its first query, which
builds whatever is built lazily), p50/p95 of 200 single top-10 queries unfiltered and
filtered, recall@10 against numpy's exact top 10 (both), disk over raw float32 bytes,
close (ours ``close()``; numpy ``np.save``; faiss ``write_index``), open + first query
in a fresh process (numpy ``np.load``; faiss ``read_index``), peak RSS of both processes.
Then the targets, each as a ratio to a baseline measured in the same run, PASS/FAIL.

Usage::

    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/ann_scale.py --sizes 100000 1000000

It measures the ``langchain_s3vectors`` the interpreter imports (its directory is printed
first); to compare branches, check each out in turn (an editable install is found before
``PYTHONPATH``).
"""

from __future__ import annotations

import argparse
import inspect
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from ann_data import (
    CACHE,
    DIM,
    FILTER,
    FILTER_SHARD,
    AnnData,
    K,
    dataset,
    dir_bytes,
    peak_rss_mb,
    recall_at_k,
    spawn_worker,
    timed_queries,
)

BUCKET, INDEX = "bench", "vectors"
BATCH = 500
THREADS = 2
SYSTEMS = ("ours exact", "ours default", "numpy exact", "faiss HNSW")


# -- the four systems, each behind open / build / search / close ------------------------


def request_vectors(start: int, rows: np.ndarray, shards: np.ndarray) -> list[dict[str, Any]]:
    """The ``vectors`` of a PutVectors request for rows ``start, start + 1, ...``."""
    return [
        {"key": str(start + i), "data": {"float32": row.tolist()}, "metadata": {"shard": int(s)}}
        for i, (row, s) in enumerate(zip(rows, shards[start : start + len(rows)], strict=True))
    ]


class Ours:
    def __init__(self, path: Path, *, exact: bool) -> None:
        from langchain_s3vectors import LocalS3VectorsClient  # noqa: PLC0415

        kwargs: dict[str, Any] = {}
        if exact and "exact_search" in inspect.signature(LocalS3VectorsClient).parameters:
            kwargs["exact_search"] = True
        self.client = LocalS3VectorsClient(path, **kwargs)

    def build(self, data: AnnData) -> float:
        c = self.client
        c.create_vector_bucket(vectorBucketName=BUCKET)
        c.create_index(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            dataType="float32",
            dimension=DIM,
            distanceMetric="cosine",
        )
        spent = 0.0
        for start, rows in data.chunks():
            for b in range(0, len(rows), BATCH):
                batch = request_vectors(start + b, rows[b : b + BATCH], data.shards)
                t0 = time.perf_counter()
                c.put_vectors(vectorBucketName=BUCKET, indexName=INDEX, vectors=batch)
                spent += time.perf_counter() - t0
        t0 = time.perf_counter()
        self.search(data.queries[0], filtered=False)
        return spent + time.perf_counter() - t0

    def search(self, q: np.ndarray, *, filtered: bool) -> list[int]:
        extra: dict[str, Any] = {"filter": FILTER} if filtered else {}
        res = self.client.query_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            topK=K,
            queryVector={"float32": q.tolist()},
            **extra,
        )
        return [int(v["key"]) for v in res["vectors"]]

    def close(self) -> None:
        self.client.close()


class Numpy:
    def __init__(self, path: Path, data: AnnData) -> None:
        self.file = path / "base.npy"
        self.matrix = np.empty((0, DIM), np.float32)
        self.mask = data.shards == FILTER_SHARD  # one boolean array per filter

    def build(self, data: AnnData) -> float:
        self.matrix = np.empty((data.n, DIM), np.float32)
        t0 = time.perf_counter()
        for start, rows in data.chunks():
            self.matrix[start : start + len(rows)] = rows
        return time.perf_counter() - t0

    def open(self) -> None:
        self.matrix = np.load(self.file)

    def search(self, q: np.ndarray, *, filtered: bool) -> list[int]:
        scores = self.matrix @ q
        if filtered:
            scores = np.where(self.mask, scores, -np.inf)
        top = np.argpartition(-scores, K)[:K]
        return top[np.argsort(-scores[top])].tolist()

    def close(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        np.save(self.file, self.matrix)


class Faiss:
    def __init__(self, path: Path, data: AnnData) -> None:
        import faiss  # noqa: PLC0415

        faiss.omp_set_num_threads(THREADS)
        self.faiss = faiss
        self.file = path / "hnsw.faiss"
        self.index = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        self.bits = np.packbits(data.shards == FILTER_SHARD, bitorder="little")
        self.selector = faiss.IDSelectorBitmap(data.n, faiss.swig_ptr(self.bits))

    def build(self, data: AnnData) -> float:
        spent = 0.0
        for _, rows in data.chunks():
            t0 = time.perf_counter()
            self.index.add(rows)
            spent += time.perf_counter() - t0
        return spent

    def open(self) -> None:
        self.index = self.faiss.read_index(str(self.file))

    def search(self, q: np.ndarray, *, filtered: bool) -> list[int]:
        sel = {"sel": self.selector} if filtered else {}
        params = self.faiss.SearchParametersHNSW(efSearch=64, **sel)
        return [i for i in self.index.search(q[None, :], K, params=params)[1][0].tolist() if i >= 0]

    def close(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        self.faiss.write_index(self.index, str(self.file))


def make(system: str, path: Path, data: AnnData) -> Any:
    if system.startswith("ours"):
        return Ours(path, exact=system == "ours exact")
    return Numpy(path, data) if system == "numpy exact" else Faiss(path, data)


# -- workers ----------------------------------------------------------------------------


def queries(system: Any, data: AnnData, *, filtered: bool) -> dict[str, float]:
    found, p50, p95 = timed_queries(lambda q: system.search(q, filtered=filtered), data.queries)
    return {
        "p50": p50,
        "p95": p95,
        "recall": recall_at_k(found, data.truth_filtered if filtered else data.truth),
    }


def build_worker(name: str, data: AnnData, path: Path) -> dict[str, Any]:
    system = make(name, path, data)
    build_s = system.build(data)
    out: dict[str, Any] = {"build_rate": data.n / build_s}
    out["plain"] = queries(system, data, filtered=False)
    out["filtered"] = queries(system, data, filtered=True)
    t0 = time.perf_counter()
    system.close()
    out["close_s"] = time.perf_counter() - t0
    out["disk_ratio"] = dir_bytes(path) / data.raw_bytes
    out["rss_build_mb"] = peak_rss_mb()
    if name.startswith("ours"):
        from langchain_s3vectors import LocalS3VectorsClient  # noqa: PLC0415

        out["exact_keyword"] = "exact_search" in inspect.signature(LocalS3VectorsClient).parameters
    return out


def open_worker(name: str, data: AnnData, path: Path) -> dict[str, Any]:
    q = data.queries[0]
    t0 = time.perf_counter()
    if name.startswith("ours"):
        system: Any = Ours(path, exact=name == "ours exact")
    else:
        system = make(name, path, data)
        system.open()
    top = system.search(q, filtered=False)
    return {
        "open_s": time.perf_counter() - t0,
        "rss_open_mb": peak_rss_mb(),
        "first_ok": bool(top[0] == data.truth[0][0]),
    }


def spawn(name: str, phase: str, n: int, path: Path) -> dict[str, Any]:
    return spawn_worker(__file__, "--sizes", name, phase, n, path)


# -- report -----------------------------------------------------------------------------


def table(n: int, results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"{n:,} vectors, 384-d, cosine, top {K}, 200 single queries; filtered: {FILTER} (10%)",
        "",
        (
            "| system | build vec/s | p50 ms | p95 ms | recall@10 | filtered p50 ms "
            "| filtered p95 ms | filtered recall@10 | disk / raw | close s "
            "| open + 1st query s | peak RSS MB build / open |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        p, f = r["plain"], r["filtered"]
        lines.append(
            f"| {name} | {r['build_rate']:,.0f} | {p['p50']:.2f} | {p['p95']:.2f} | {p['recall']:.3f} "
            f"| {f['p50']:.2f} | {f['p95']:.2f} | {f['recall']:.3f} | {r['disk_ratio']:.2f} "
            f"| {r['close_s']:.2f} | {r['open_s']:.2f} | {r['rss_build_mb']:,.0f} / {r['rss_open_mb']:,.0f} |"
        )
    return "\n".join(lines)


def targets(results: dict[str, dict[str, Any]]) -> list[str]:
    ours, fa, npy = (
        results.get("ours default"),
        results.get("faiss HNSW"),
        results.get("numpy exact"),
    )
    if not (ours and fa and npy):
        return ["targets: need ours default, numpy exact and faiss HNSW in the same run"]
    p, f = ours["plain"], ours["filtered"]
    checks = [
        (
            "p50 <= 5x faiss HNSW, recall >= 0.95 and >= faiss",
            f"{p['p50'] / fa['plain']['p50']:.2f}x, recall {p['recall']:.3f} vs {fa['plain']['recall']:.3f}",
            p["p50"] <= 5 * fa["plain"]["p50"] and p["recall"] >= max(0.95, fa["plain"]["recall"]),
        ),
        (
            "filtered p50 <= 10x faiss HNSW, recall >= 0.95",
            f"{f['p50'] / fa['filtered']['p50']:.2f}x, recall {f['recall']:.3f}",
            f["p50"] <= 10 * fa["filtered"]["p50"] and f["recall"] >= 0.95,
        ),
        ("disk <= 1.3x raw float32", f"{ours['disk_ratio']:.2f}x", ours["disk_ratio"] <= 1.3),
        (
            "close <= numpy's np.save",
            f"{ours['close_s']:.2f} s vs {npy['close_s']:.2f} s ({ours['close_s'] / npy['close_s']:.2f}x)",
            ours["close_s"] <= npy["close_s"],
        ),
        (
            "open + first query <= faiss HNSW's",
            f"{ours['open_s']:.2f} s vs {fa['open_s']:.2f} s ({ours['open_s'] / fa['open_s']:.2f}x)",
            ours["open_s"] <= fa["open_s"],
        ),
    ]
    return [f"  {'PASS' if ok else 'FAIL'}  {what}: {got}" for what, got, ok in checks]


def run_size(n: int, systems: list[str]) -> dict[str, dict[str, Any]]:
    dataset(n)  # built once here, read by every worker
    results: dict[str, dict[str, Any]] = {}
    for name in systems:
        path = Path(tempfile.mkdtemp(prefix="ann-scale-", dir=CACHE))
        try:
            print(f"{name}: building {n:,} ...", flush=True)
            results[name] = spawn(name, "build", n, path)
            results[name].update(spawn(name, "open", n, path))
        finally:
            shutil.rmtree(path, ignore_errors=True)
    if "ours exact" in results and not results["ours exact"].get("exact_keyword"):
        print(
            "note: this LocalS3VectorsClient has no exact_search keyword; both 'ours' are its default"
        )
    print()
    print(table(n, results))
    print()
    print(f"targets at {n:,} (ours default against baselines of this run):")
    print("\n".join(targets(results)))
    print(flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=["build", "open"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        data = dataset(args.sizes[0], log=lambda _: None)
        work = build_worker if args.phase == "build" else open_worker
        print(json.dumps(work(args.worker, data, Path(args.path))))
        return
    import langchain_s3vectors  # noqa: PLC0415

    print(f"langchain_s3vectors from {Path(langchain_s3vectors.__file__).parent}")
    for n in args.sizes:
        results = run_size(n, args.systems)
        (CACHE / f"scale-{n}.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
