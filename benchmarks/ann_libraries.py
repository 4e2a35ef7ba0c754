"""Approximate nearest-neighbour libraries side by side, to choose the embedded index's.

On the data set of ``benchmarks/ann_data.py`` (all-MiniLM-L6-v2 vectors of real passages
plus perturbed copies, 200 held-out queries, a 10% ``shard`` filter), each library
configuration in a process of its own:

* **build**: vectors/s added on 2 threads, in chunks of 50,000;
* **search**, at several ``ef`` (search expansion): recall@10 against numpy's exact
  cosine top 10, and single-query p50/p95 latency over the 200 queries;
* **filtered search** (10% of the vectors pass): the library's own filter where it has
  one (faiss: an ``IDSelectorBitmap`` in ``SearchParametersHNSW``); otherwise
  (usearch's Python API has none) over-fetch then filter: ask for 20x ``k`` and keep the
  matches, asking for 4x more until ``k`` pass;
* **saved size** over the raw float32 bytes;
* **load + first query** in a fresh process, memory-mapped where the library can
  (usearch ``Index.restore(view=True)``; faiss ``IO_FLAG_MMAP_IFC``), and the same
  fully read.

hnswlib is measured only if importable (it ships only an sdist on PyPI).

Usage::

    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/ann_libraries.py --n 100000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from ann_data import (
    DIM,
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

THREADS = 2
EFS = (64, 128, 256)
OVERFETCH = 20

#: name -> (library, parameters)
CONFIGS: dict[str, tuple[str, dict[str, Any]]] = {
    "usearch (defaults)": ("usearch", {}),
    "usearch f32": ("usearch", {"dtype": "f32"}),
    "usearch M32 f32": ("usearch", {"connectivity": 32, "dtype": "f32"}),
    "usearch M32 f32 efC40": ("usearch", {"connectivity": 32, "dtype": "f32", "expansion_add": 40}),
    "faiss HNSW M32": ("faiss", {"M": 32}),
    "hnswlib M32": ("hnswlib", {"M": 32}),
}


# -- one library, behind the same four calls -------------------------------------------


class Usearch:
    def __init__(self, params: dict[str, Any]) -> None:
        from usearch.index import Index  # noqa: PLC0415

        self.index = Index(ndim=DIM, metric="cos", **params)

    def add(self, start: int, rows: np.ndarray) -> None:
        self.index.add(np.arange(start, start + len(rows)), rows, threads=THREADS)

    def set_ef(self, ef: int) -> None:
        self.index.expansion_search = ef

    def search(self, q: np.ndarray, k: int) -> list[int]:
        return self.index.search(q, k).keys.tolist()

    def search_filtered(self, q: np.ndarray, allowed: np.ndarray) -> list[int]:
        count = K * OVERFETCH
        while True:
            keys = self.index.search(q, count).keys
            kept = keys[allowed[keys]]
            if len(kept) >= K or count >= self.index.size:
                return kept[:K].tolist()
            count *= 4

    def save(self, path: Path) -> None:
        self.index.save(str(path))

    @staticmethod
    def load(path: Path, *, mmap: bool) -> Any:
        from usearch.index import Index  # noqa: PLC0415

        obj = Usearch.__new__(Usearch)
        obj.index = Index.restore(str(path), view=mmap)
        return obj

    def describe(self) -> str:
        i = self.index
        return f"M={i.connectivity}, efConstruction={i.expansion_add}, dtype={str(i.dtype).rsplit('.', 1)[-1].lower()}"


class Faiss:
    def __init__(self, params: dict[str, Any]) -> None:
        import faiss  # noqa: PLC0415

        faiss.omp_set_num_threads(THREADS)
        self.faiss = faiss
        self.index = faiss.IndexHNSWFlat(DIM, params["M"], faiss.METRIC_INNER_PRODUCT)
        self.ef = 64
        self.bitmap: Any = None

    def add(self, start: int, rows: np.ndarray) -> None:
        del start
        self.index.add(np.ascontiguousarray(rows))

    def set_ef(self, ef: int) -> None:
        self.ef = ef

    def search(self, q: np.ndarray, k: int) -> list[int]:
        params = self.faiss.SearchParametersHNSW(efSearch=self.ef)
        return self.index.search(q[None, :], k, params=params)[1][0].tolist()

    def search_filtered(self, q: np.ndarray, allowed: np.ndarray) -> list[int]:
        if self.bitmap is None:  # built once per filter, as a store would keep it
            self.bits = np.packbits(allowed, bitorder="little")
            self.bitmap = self.faiss.IDSelectorBitmap(len(allowed), self.faiss.swig_ptr(self.bits))
        params = self.faiss.SearchParametersHNSW(efSearch=self.ef, sel=self.bitmap)
        return [i for i in self.index.search(q[None, :], K, params=params)[1][0].tolist() if i >= 0]

    def save(self, path: Path) -> None:
        self.faiss.write_index(self.index, str(path))

    @staticmethod
    def load(path: Path, *, mmap: bool) -> Any:
        import faiss  # noqa: PLC0415

        faiss.omp_set_num_threads(THREADS)
        obj = Faiss.__new__(Faiss)
        obj.faiss, obj.ef, obj.bitmap = faiss, 64, None
        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        obj.index = faiss.read_index(str(path), flags)
        return obj

    def describe(self) -> str:
        return f"M={self.index.hnsw.nb_neighbors(1)}, efConstruction={self.index.hnsw.efConstruction}, float32"


class Hnswlib:
    def __init__(self, params: dict[str, Any]) -> None:
        import hnswlib  # noqa: PLC0415

        self.index = hnswlib.Index(space="cosine", dim=DIM)
        self.params = params
        self.capacity = 0

    def add(self, start: int, rows: np.ndarray) -> None:
        if self.capacity == 0:
            self.capacity = 1  # resized below
            self.index.init_index(max_elements=len(rows), M=self.params["M"])
        self.index.resize_index(start + len(rows))
        self.index.add_items(rows, np.arange(start, start + len(rows)), num_threads=THREADS)

    def set_ef(self, ef: int) -> None:
        self.index.set_ef(ef)

    def search(self, q: np.ndarray, k: int) -> list[int]:
        return self.index.knn_query(q, k, num_threads=1)[0][0].tolist()

    def search_filtered(self, q: np.ndarray, allowed: np.ndarray) -> list[int]:
        labels = self.index.knn_query(q, K, num_threads=1, filter=lambda i: bool(allowed[i]))[0]
        return labels[0].tolist()

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))

    @staticmethod
    def load(path: Path, *, mmap: bool) -> Any:
        del mmap  # hnswlib always reads the whole file
        import hnswlib  # noqa: PLC0415

        obj = Hnswlib.__new__(Hnswlib)
        obj.index = hnswlib.Index(space="cosine", dim=DIM)
        obj.index.load_index(str(path))
        return obj

    def describe(self) -> str:
        return f"M={self.index.M}, efConstruction={self.index.ef_construction}, float32"


LIBRARIES: dict[str, Any] = {"usearch": Usearch, "faiss": Faiss, "hnswlib": Hnswlib}


# -- workers ----------------------------------------------------------------------------


def build_worker(name: str, data: AnnData, path: Path) -> dict[str, Any]:
    lib, params = CONFIGS[name]
    index = LIBRARIES[lib](params)
    spent = 0.0
    for start, rows in data.chunks():
        t0 = time.perf_counter()
        index.add(start, rows)
        spent += time.perf_counter() - t0
    out: dict[str, Any] = {"build_rate": data.n / spent, "params": index.describe(), "ef": {}}
    allowed = data.shards == FILTER_SHARD
    for ef in EFS:
        index.set_ef(ef)
        found, p50, p95 = timed_queries(lambda q: index.search(q, K), data.queries)
        found_f, p50_f, p95_f = timed_queries(
            lambda q: index.search_filtered(q, allowed), data.queries
        )
        out["ef"][ef] = {
            "recall": recall_at_k(found, data.truth),
            "p50": p50,
            "p95": p95,
            "recall_f": recall_at_k(found_f, data.truth_filtered),
            "p50_f": p50_f,
            "p95_f": p95_f,
        }
    index.set_ef(EFS[0])
    t0 = time.perf_counter()
    index.save(path)
    out["save_s"] = time.perf_counter() - t0
    out["size_ratio"] = dir_bytes(path) / data.raw_bytes
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def load_worker(name: str, data: AnnData, path: Path, *, mmap: bool) -> dict[str, Any]:
    lib, _ = CONFIGS[name]
    q = data.queries[0]
    t0 = time.perf_counter()
    try:
        index = LIBRARIES[lib].load(path, mmap=mmap)
    except RuntimeError as exc:  # the library cannot map this index type
        return {"load_s": None, "error": str(exc).splitlines()[0][:120]}
    loaded = time.perf_counter() - t0
    index.set_ef(EFS[0])
    top = index.search(q, K)
    total = time.perf_counter() - t0
    return {"load_s": loaded, "load_query_s": total, "same": top[:K] == data.truth[0][:K].tolist()}


def run_worker(args: argparse.Namespace) -> None:
    data = dataset(args.n, log=lambda _: None)
    path = Path(args.path)
    if args.phase == "build":
        result = build_worker(args.worker, data, path)
    else:
        result = load_worker(args.worker, data, path, mmap=args.phase == "mmap")
    print(json.dumps(result))


def spawn(name: str, phase: str, n: int, path: Path) -> dict[str, Any]:
    return spawn_worker(__file__, "--n", name, phase, n, path)


# -- report -----------------------------------------------------------------------------


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def table(n: int, results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"{n:,} vectors, 384-d, cosine, top {K}; single-query latency; filter keeps 10%",
        "",
        "| library | ef | recall@10 | p50 ms | p95 ms | filtered recall | filtered p50 ms |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        for ef, e in r["ef"].items():
            lines.append(
                f"| {name} | {ef} | {e['recall']:.3f} | {e['p50']:.3f} | {e['p95']:.3f} "
                f"| {e['recall_f']:.3f} | {e['p50_f']:.3f} |"
            )
    lines += [
        "",
        (
            "| library | parameters | build vectors/s (2 threads) | save s | saved / raw float32 "
            "| mmap load + 1st query s | full load + 1st query s | peak RSS MB (build) |"
        ),
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        mm, full = r["mmap"], r["full"]
        mmap_s = (
            fmt(mm.get("load_query_s"), ".3f")
            if name.startswith(("usearch", "faiss"))
            else "no mmap"
        )
        lines.append(
            f"| {name} | {r['params']} | {r['build_rate']:,.0f} | {r['save_s']:.2f} "
            f"| {r['size_ratio']:.2f} | {mmap_s} | {fmt(full.get('load_query_s'), '.3f')} "
            f"| {r['peak_rss_mb']:,.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--only", nargs="+", choices=list(CONFIGS), help="configurations to run")
    parser.add_argument("--worker", choices=list(CONFIGS), help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=["build", "mmap", "full"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args)
        return
    data = dataset(args.n)
    for note in data.notes:
        print(f"  {note}")
    results: dict[str, dict[str, Any]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="ann-libraries-"))
    try:
        for name in args.only or list(CONFIGS):
            lib = CONFIGS[name][0]
            if importlib.util.find_spec(lib) is None:
                print(f"{name}: skipped, {lib} is not installed")
                continue
            print(f"{name}: building {args.n:,} ...", flush=True)
            path = tmp / f"{lib}.index"
            results[name] = spawn(name, "build", args.n, path)
            results[name]["mmap"] = spawn(name, "mmap", args.n, path)
            results[name]["full"] = spawn(name, "full", args.n, path)
            path.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(table(args.n, results))
    for name, r in results.items():
        if r["mmap"].get("error"):
            print(f"{name}: memory-mapped load refused: {r['mmap']['error']}")
    out = Path(data.base_path).parent / f"libraries-{args.n}.json"
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
