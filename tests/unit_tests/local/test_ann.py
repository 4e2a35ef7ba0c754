"""The approximate index of large embedded indexes (``local/ann.py``).

The S3 User Guide documents what a query returns (the ``topK`` nearest vectors that
pass the filter, in pages) but no search algorithm; the embedded client answers exactly
below ``ann.ANN_MIN_VECTORS`` and through an HNSW graph from there on (its own choice,
written down in the module). These tests lower the thresholds so that a few thousand
vectors exercise the graph, and check what a user would: recall against exact search,
the same distances as exact search, a write seen by the next query, filters that never
return fewer results than exact search, stable pages, a checkpoint that stores the
rows once and reopens mapped, and each request whole or absent after a SIGKILL.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from langchain_s3vectors import LocalS3VectorsClient
from langchain_s3vectors.local import ann, vectorfile
from langchain_s3vectors.testing import seed

pytest.importorskip("usearch", reason="the ann extra (usearch) is not installed")

BUCKET, INDEX = "kbase", "docs"
DIM = 16
N = 3000


@pytest.fixture(autouse=True)
def _small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ann, "ANN_MIN_VECTORS", 1000)
    monkeypatch.setattr(ann, "TAIL_MAX", 128)
    monkeypatch.setattr(ann, "EXACT_SUBSET_MAX", 200)
    monkeypatch.setattr(vectorfile, "CHECKPOINT_MIN_VECTORS", 1)


def _data(n: int = N, seed: int = 0) -> np.ndarray:
    """Clustered vectors, as embeddings are."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM))
    rows = centres[rng.integers(0, 40, n)] + 0.4 * rng.standard_normal((n, DIM))
    return rows.astype(np.float32)


def _client(path: Path | None, metric: str = "cosine", **kw: Any) -> LocalS3VectorsClient:
    c = LocalS3VectorsClient(path, **kw)
    seed(c, BUCKET, INDEX, dimension=DIM, distance_metric=metric)
    return c


def _put(c: LocalS3VectorsClient, data: np.ndarray, start: int = 0) -> None:
    seed(
        c,
        BUCKET,
        INDEX,
        {
            f"k{start + i}": (
                row.tolist(),
                {"shard": (start + i) % 10, "small": (start + i) % 100 == 0},
            )
            for i, row in enumerate(data)
        },
    )


def _query(
    c: LocalS3VectorsClient, q: np.ndarray, top_k: int = 10, **kw: Any
) -> list[tuple[str, float]]:
    res = c.query_vectors(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        topK=top_k,
        queryVector={"float32": q.tolist()},
        returnDistance=True,
        **kw,
    )
    return [(v["key"], v["distance"]) for v in res["vectors"]]


def _graph_size(c: LocalS3VectorsClient) -> int:
    cache = c._caches.opened(1)
    return 0 if cache is None or cache.graph is None else cache.graph.size


def _compare(
    approx: LocalS3VectorsClient, exact: LocalS3VectorsClient, queries: np.ndarray, **kw: Any
) -> float:
    """Recall@k of ``approx`` against ``exact``; shared keys have the same distances.

    (To float32 rounding: an index with a graph keeps its rows as written and divides
    by their norms, where the exact path scales them to unit length first.)
    """
    hits = total = 0
    for q in queries:
        got, want = _query(approx, q, **kw), _query(exact, q, **kw)
        assert len(got) == len(want)  # never fewer results than exact search
        assert [d for _, d in got] == sorted(d for _, d in got)
        exact_distance = dict(want)
        for key, distance in got:
            if key in exact_distance:
                assert distance == pytest.approx(exact_distance[key], abs=1e-6)
        hits += len({k for k, _ in got} & set(exact_distance))
        total += len(want)
    return hits / total


def _assert_same(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    """The same keys in the same order, the same distances to float32 rounding."""
    assert [k for k, _ in got] == [k for k, _ in want]
    assert [d for _, d in got] == pytest.approx([d for _, d in want], abs=1e-6)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_large_index_is_searched_through_the_graph_with_exact_distances(
    tmp_path: Path, metric: str
) -> None:
    data = _data()
    approx = _client(tmp_path, metric)
    _put(approx, data)
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    queries = _data(50, seed=9)
    assert _compare(approx, exact, queries) >= 0.95
    assert _graph_size(approx) >= N - ann.TAIL_MAX
    assert _graph_size(exact) == 0  # exact on request: no graph at all


def test_small_index_answers_exactly_without_a_graph(tmp_path: Path) -> None:
    data = _data(900)
    approx = _client(tmp_path)
    _put(approx, data)
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    for q in _data(20, seed=3):
        assert _query(approx, q) == _query(exact, q)
    assert _graph_size(approx) == 0


def test_a_write_is_seen_by_the_next_query(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    far = np.full(DIM, 7.0, dtype=np.float32)
    far[0] = -9.0
    _put(c, far[None, :], start=N)  # in the exact tail
    assert _query(c, far)[0][0] == f"k{N}"
    c.put_vectors(  # overwrite a row the graph holds: the new vector counts, the old not
        vectorBucketName=BUCKET,
        indexName=INDEX,
        vectors=[{"key": "k5", "data": {"float32": (-far).tolist()}}],
    )
    assert _query(c, -far)[0][0] == "k5"
    old = _data()[5]
    assert "k5" not in [k for k, _ in _query(c, old, top_k=50)]
    c.delete_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=["k7", f"k{N}"])
    found = [k for k, _ in _query(c, _data()[7], top_k=100)]
    assert "k7" not in found
    assert f"k{N}" not in [k for k, _ in _query(c, far)]


def test_many_writes_grow_the_graph(tmp_path: Path) -> None:
    c = _client(tmp_path)
    data = _data(N + 1000)
    _put(c, data[:N])
    before = _graph_size(c)
    _put(c, data[N:], start=N)
    assert _graph_size(c) >= before + 1000 - ann.TAIL_MAX
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    assert _compare(c, exact, _data(30, seed=4)) >= 0.95


def test_filters_keep_their_recall(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    queries = _data(30, seed=5)
    # a 10% filter: through the graph, over-fetched
    assert _compare(c, exact, queries, filter={"shard": 3}) >= 0.95
    # a 1% filter (30 rows, under EXACT_SUBSET_MAX): exact over the matching rows
    for q in queries:
        got = _query(c, q, filter={"small": True})
        _assert_same(got, _query(exact, q, filter={"small": True}))
        assert len(got) == 10


def test_large_top_k_and_pages(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    q = _data(1, seed=6)[0]
    # more candidates than MAX_CANDIDATES: exact
    _assert_same(_query(c, q, top_k=2500), _query(exact, q, top_k=2500))
    keys = _all_pages(c, q, 250)
    assert len(keys) == 250
    assert len(set(keys)) == 250  # the pages are cut from one ranking
    assert len(set(keys) & set(_all_pages(exact, q, 250))) >= 0.95 * 250


def _all_pages(c: LocalS3VectorsClient, q: np.ndarray, top_k: int) -> list[str]:
    keys: list[str] = []
    token = None
    while True:
        extra = {"nextToken": token} if token else {}
        res = c.query_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            topK=top_k,
            queryVector={"float32": q.tolist()},
            **extra,
        )
        keys += [v["key"] for v in res["vectors"]]
        token = res.get("nextToken")
        if not token:
            return keys


def test_checkpoint_stores_rows_once_and_reopens_mapped(tmp_path: Path) -> None:
    data = _data()
    c = _client(tmp_path)
    _put(c, data)
    c.delete_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=["k1", "k2"])
    queries = _data(20, seed=8)
    before = [_query(c, q) for q in queries]
    c.close()
    files = sorted(p.suffix for p in (tmp_path / "vectors").iterdir())
    assert files == [".bin", ".npy", ".npy", ".usearch"]  # no separate .rows.npy
    graph_file = next((tmp_path / "vectors").glob("*.usearch"))
    rows = ann.map_rows(graph_file, N, DIM)  # the graph file's vector block: the rows
    assert rows is not None
    assert np.array_equal(rows, data)  # as written: the only copy of the vectors

    reopened = LocalS3VectorsClient(tmp_path)
    assert [_query(reopened, q) for q in queries] == before
    cache = reopened._caches.opened(1)
    assert cache is not None
    assert cache.graph is not None
    assert isinstance(cache.base, np.memmap)  # mapped, not read
    assert cache.dead == 2
    got = reopened.get_vectors(
        vectorBucketName=BUCKET, indexName=INDEX, keys=["k3", "k1"], returnData=True
    )["vectors"]
    assert [(v["key"], v["data"]["float32"]) for v in got] == [("k3", data[3].tolist())]
    # an exact client reads the same files without a graph
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    assert _compare(reopened, exact, queries) >= 0.95
    exact_cache = exact._caches.opened(1)
    assert exact_cache is not None
    assert exact_cache.graph is None
    assert exact_cache.base_count == N


def test_writes_after_reopening_a_mapped_graph(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    c.close()
    again = LocalS3VectorsClient(tmp_path)
    more = _data(500, seed=11)
    _put(again, more, start=N)  # grows the mapped graph: copied into memory first
    assert _graph_size(again) >= N + 500 - ann.TAIL_MAX
    assert _query(again, more[17])[0][0] == f"k{N + 17}"
    again.close()
    third = LocalS3VectorsClient(tmp_path)
    assert _query(third, more[17])[0][0] == f"k{N + 17}"
    assert _graph_size(third) == N + 500


def test_without_the_library_everything_is_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    c.close()  # a graph checkpoint
    monkeypatch.setattr(ann, "available", lambda: False)
    plain = LocalS3VectorsClient(tmp_path)
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    for q in _data(10, seed=12):
        assert _query(plain, q) == _query(exact, q)
    assert _graph_size(plain) == 0


CRASHER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from langchain_s3vectors import LocalS3VectorsClient
    from langchain_s3vectors.local import ann
    ann.ANN_MIN_VECTORS, ann.TAIL_MAX = 1000, 128
    path, flag = sys.argv[1], sys.argv[2]
    c = LocalS3VectorsClient(path)
    rng = np.random.default_rng(0)
    for b in range(10_000):
        data = rng.standard_normal((500, 16)).astype(np.float32)
        c.put_vectors(vectorBucketName="kbase", indexName="docs", vectors=[
            {"key": f"b{b}-{i}", "data": {"float32": data[i].tolist()}} for i in range(500)
        ])
        if b % 3 == 1:
            c.delete_vectors(vectorBucketName="kbase", indexName="docs",
                             keys=[f"b{b - 1}-{i}" for i in range(250)])
        c.checkpoint()  # a graph checkpoint, releasing the vectors' data from SQLite
        if b == 4:
            open(flag, "w").close()
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.21])
def test_sigkill_while_growing_and_saving_the_graph(
    tmp_path: Path, delay: float, kill_midway: Any
) -> None:
    _client(tmp_path).close()
    kill_midway(CRASHER, tmp_path, delay)
    c = LocalS3VectorsClient(tmp_path)
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    listed = [
        v["key"]
        for page in exact.get_paginator("list_vectors").paginate(
            vectorBucketName=BUCKET, indexName=INDEX
        )
        for v in page["vectors"]
    ]
    batches: dict[int, int] = {}
    for key in listed:
        batch = int(key[1:].split("-")[0])
        batches[batch] = batches.get(batch, 0) + 1
    assert set(batches.values()) <= {250, 500}  # each request whole or absent
    stored = set(listed)
    for q in np.random.default_rng(5).standard_normal((5, DIM)).astype(np.float32):
        found = [k for k, _ in _query(c, q, top_k=20)]
        assert set(found) <= stored  # nothing deleted or uncommitted comes back
        assert len(found) == 20
    committed = {r[0] for r in c._storage.conn.execute("SELECT stem FROM vector_checkpoints")}
    on_disk = {p.name.split(".")[0] for p in (tmp_path / "vectors").iterdir()}
    assert committed <= on_disk


def _with_data(c: LocalS3VectorsClient) -> int:
    row = c._storage.conn.execute("SELECT COUNT(*) FROM vectors WHERE data IS NOT NULL")
    return int(row.fetchone()[0])


def test_vectors_are_stored_once_after_a_checkpoint(tmp_path: Path) -> None:
    data = _data()
    c = _client(tmp_path)
    _put(c, data)
    c.close()
    reopened = LocalS3VectorsClient(tmp_path)
    assert _with_data(reopened) == 0  # the graph file holds the only copy
    free = reopened._storage.conn.execute("PRAGMA freelist_count").fetchone()[0]
    assert free == 0  # the released pages went back to the file system
    got = reopened.get_vectors(
        vectorBucketName=BUCKET, indexName=INDEX, keys=["k3", "k2999"], returnData=True
    )["vectors"]
    assert {v["key"]: v["data"]["float32"] for v in got} == {
        "k3": data[3].tolist(),
        "k2999": data[2999].tolist(),
    }
    listed = {
        v["key"]: v["data"]["float32"]
        for page in reopened.get_paginator("list_vectors").paginate(
            vectorBucketName=BUCKET, indexName=INDEX, returnData=True
        )
        for v in page["vectors"]
    }
    assert listed == {f"k{i}": data[i].tolist() for i in range(N)}

    new = np.full(DIM, 0.5, dtype=np.float32)
    reopened.put_vectors(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        vectors=[{"key": "k3", "data": {"float32": new.tolist()}}],
    )
    reopened.close()  # one change: left in SQLite, no rewrite of the index
    third = LocalS3VectorsClient(tmp_path)
    assert _with_data(third) == 1
    got = third.get_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=["k3"], returnData=True)
    assert got["vectors"][0]["data"]["float32"] == new.tolist()
    assert _query(third, new)[0][0] == "k3"
    assert third.checkpoint() == 1  # on request, whatever the number of changes
    assert _with_data(third) == 0
    got = third.get_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=["k3"], returnData=True)
    assert got["vectors"][0]["data"]["float32"] == new.tolist()


def test_an_exact_client_writes_beside_a_graph_checkpoint(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    c.close()
    exact = LocalS3VectorsClient(tmp_path, exact_search=True)
    more = _data(20, seed=13)
    _put(exact, more, start=N)
    assert exact.checkpoint() == 0  # it has no graph to save: the writes stay in SQLite
    exact.close()
    assert not list((tmp_path / "vectors").glob("*.rows.npy"))
    reader = LocalS3VectorsClient(tmp_path)
    assert _query(reader, more[4])[0][0] == f"k{N + 4}"
    got = reader.get_vectors(
        vectorBucketName=BUCKET, indexName=INDEX, keys=[f"k{N + 4}", "k4"], returnData=True
    )["vectors"]
    assert {v["key"]: v["data"]["float32"] for v in got} == {
        f"k{N + 4}": more[4].tolist(),
        "k4": _data()[4].tolist(),
    }


def test_a_lost_vector_file_is_reported(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    c.close()
    assert LocalS3VectorsClient(tmp_path).check_integrity() == []
    graph_file = next((tmp_path / "vectors").glob("*.usearch"))
    graph_file.unlink()
    problems = LocalS3VectorsClient(tmp_path).check_integrity()
    assert len(problems) == 1
    assert graph_file.name in problems[0]
    assert f"only copy of {N} vectors" in problems[0]


def test_a_mapped_graph_grows_after_its_file_is_replaced(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, _data())
    c.close()
    again = LocalS3VectorsClient(tmp_path)
    assert _query(again, _data()[8])[0][0] == "k8"  # maps the graph
    for path in (tmp_path / "vectors").iterdir():  # e.g. another writer's newer checkpoint
        path.unlink()
    more = _data(500, seed=14)
    _put(again, more, start=N)  # the graph grows from its mapping, not from the file
    assert _query(again, more[3])[0][0] == f"k{N + 3}"
    assert _query(again, _data()[8])[0][0] == "k8"
