"""Memory-mapped vector checkpoints of the embedded client (``local/vectorfile.py``).

The service promises exact k-NN results for an index's current contents; how the
embedded client stores its vectors is its own choice (documented in the module). These
tests check that the checkpoint path answers exactly what reading SQLite answers, that
opening does not read the vectors, and that a SIGKILL at any point (real processes, as
in ``test_persistence.py``) leaves each request whole or absent.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from langchain_s3vectors import LocalS3VectorsClient
from langchain_s3vectors.local import vectorfile
from langchain_s3vectors.local.storage import DB_FILENAME

BUCKET, INDEX = "kbase", "docs"
DIM = 16


def _client(path: Path | None, metric: str = "cosine") -> LocalS3VectorsClient:
    c = LocalS3VectorsClient(path)
    c.create_vector_bucket(vectorBucketName=BUCKET)
    c.create_index(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        dataType="float32",
        dimension=DIM,
        distanceMetric=metric,
    )
    return c


def _put(c: LocalS3VectorsClient, keys: list[str], data: np.ndarray, tag: str = "a") -> None:
    for start in range(0, len(keys), 500):
        c.put_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            vectors=[
                {
                    "key": k,
                    "data": {"float32": data[start + j].tolist()},
                    "metadata": {"tag": tag, "n": start + j},
                }
                for j, k in enumerate(keys[start : start + 500])
            ],
        )


def _query(c: LocalS3VectorsClient, q: np.ndarray, **kw: Any) -> list[tuple[str, float]]:
    res = c.query_vectors(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        topK=20,
        queryVector={"float32": q.tolist()},
        returnDistance=True,
        **kw,
    )
    return [(v["key"], v["distance"]) for v in res["vectors"]]


def _brute_force(
    stored: dict[str, np.ndarray], q: np.ndarray, metric: str, k: int = 20
) -> list[str]:
    keys = sorted(stored)
    m = np.stack([stored[k] for k in keys]).astype(np.float64)
    if metric == "cosine":
        d = 1 - (m / np.linalg.norm(m, axis=1, keepdims=True)) @ (q / np.linalg.norm(q))
    else:
        d = np.linalg.norm(m - q, axis=1)
    return [keys[i] for i in np.argsort(d, kind="stable")[:k]]


def _stored(c: LocalS3VectorsClient) -> dict[str, np.ndarray]:
    out = {}
    for page in c.get_paginator("list_vectors").paginate(
        vectorBucketName=BUCKET, indexName=INDEX, returnData=True
    ):
        for v in page["vectors"]:
            out[v["key"]] = np.asarray(v["data"]["float32"], dtype=np.float32)
    return out


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_checkpoint_answers_exactly_what_sqlite_answers(tmp_path: Path, metric: str) -> None:
    rng = np.random.default_rng(1)
    c = _client(tmp_path, metric)
    keys = [f"k{i}" for i in range(1200)]
    _put(c, keys, rng.standard_normal((1200, DIM)).astype(np.float32))
    assert c.checkpoint() == 1
    assert c.checkpoint() == 0  # nothing changed since
    # Writes after the checkpoint: upserts of mapped rows, new rows, deletes.
    _put(c, keys[:50], rng.standard_normal((50, DIM)).astype(np.float32), tag="b")
    _put(c, ["new1", "new2"], rng.standard_normal((2, DIM)).astype(np.float32), tag="b")
    c.delete_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=[*keys[100:140], "new2"])
    c.close()

    mapped = LocalS3VectorsClient(tmp_path)
    (tmp_path / "plain").mkdir()
    plain = LocalS3VectorsClient(None)  # the same data read the classic way
    plain.create_vector_bucket(vectorBucketName=BUCKET)
    plain.create_index(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        dataType="float32",
        dimension=DIM,
        distanceMetric=metric,
    )
    stored = _stored(mapped)
    assert len(stored) == 1200 + 2 - 41
    for start in range(0, len(stored), 500):
        chunk = sorted(stored)[start : start + 500]
        plain.put_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            vectors=[
                {
                    "key": k,
                    "data": {"float32": stored[k].tolist()},
                    "metadata": {"tag": "b" if k in keys[:50] or k == "new1" else "a"},
                }
                for k in chunk
            ],
        )
    for q in rng.standard_normal((5, DIM)).astype(np.float32):
        got = _query(mapped, q)
        assert [k for k, _ in got] == _brute_force(stored, q.astype(np.float64), metric)
        assert [k for k, _ in got] == [k for k, _ in _query(plain, q)]
        assert np.allclose([d for _, d in got], [d for _, d in _query(plain, q)], atol=1e-6)
        flt = {"tag": "b"}
        assert [k for k, _ in _query(mapped, q, filter=flt)] == [
            k for k, _ in _query(plain, q, filter=flt)
        ]
        assert len(_query(mapped, q, filter=flt)) == 20


def test_open_maps_the_checkpoint_instead_of_reading_vectors(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    c = _client(tmp_path)
    _put(c, [f"k{i}" for i in range(1000)], rng.standard_normal((1000, DIM)).astype(np.float32))
    c.checkpoint()
    _put(c, ["late"], np.ones((1, DIM), dtype=np.float32))  # one change since
    c.close()  # below the close threshold: the checkpoint stays as it was

    fresh = LocalS3VectorsClient(tmp_path)
    statements: list[str] = []
    fresh._storage.conn.set_trace_callback(statements.append)
    hits = _query(fresh, np.ones(DIM, dtype=np.float32))
    assert hits[0][0] == "late"
    reads = [s for s in statements if "SELECT key, data FROM vectors" in s]
    # Only the changed key's row is read; the 1,000 checkpointed rows are mapped.
    assert len(reads) == 1
    assert "key IN" in reads[0]


def test_close_checkpoints_large_indexes_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_s3vectors.local import vectorfile as base  # noqa: PLC0415

    monkeypatch.setattr(base, "CHECKPOINT_MIN_VECTORS", 600)
    small, large = tmp_path / "small", tmp_path / "large"
    for path, n in ((small, 500), (large, 700)):
        c = _client(path)
        _put(c, [f"k{i}" for i in range(n)], np.ones((n, DIM), dtype=np.float32))
        c.close()
    assert not (small / "vectors").exists()
    assert len(list((large / "vectors").iterdir())) == 4


def test_checkpoint_overtaken_by_a_write_is_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = _client(tmp_path)
    _put(c, [f"k{i}" for i in range(600)], np.ones((600, DIM), dtype=np.float32))
    other = LocalS3VectorsClient(tmp_path)
    real = vectorfile._write_files

    def write_then_race(*args: Any) -> None:
        real(*args)
        _put(other, ["racer"], np.eye(1, DIM, dtype=np.float32))

    monkeypatch.setattr(vectorfile, "_write_files", write_then_race)
    assert c.checkpoint() == 0
    assert not list((tmp_path / "vectors").iterdir())  # its files were removed
    monkeypatch.setattr(vectorfile, "_write_files", real)
    assert c.checkpoint() == 1
    fresh = LocalS3VectorsClient(tmp_path)
    assert _query(fresh, np.eye(1, DIM, dtype=np.float32)[0])[0][0] == "racer"


def test_missing_checkpoint_files_fall_back_to_sqlite(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, ["a", "b"], np.eye(2, DIM, dtype=np.float32))
    c.checkpoint()
    c.close()
    for f in (tmp_path / "vectors").iterdir():
        f.unlink()
    fresh = LocalS3VectorsClient(tmp_path)
    assert [k for k, _ in _query(fresh, np.eye(1, DIM, dtype=np.float32)[0])] == ["a", "b"]


def test_querying_writes_nothing(tmp_path: Path) -> None:
    c = _client(tmp_path)
    _put(c, [f"k{i}" for i in range(600)], np.ones((600, DIM), dtype=np.float32))
    c.checkpoint()
    c.close()

    def snapshot() -> dict[str, tuple[int, int]]:
        return {
            str(p.relative_to(tmp_path)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(tmp_path.rglob("*"))
            if p.is_file() and not p.name.endswith(("-shm", "-wal"))
        }

    before = snapshot()
    reader = LocalS3VectorsClient(tmp_path)
    _query(reader, np.ones(DIM))
    assert snapshot() == before
    wal = tmp_path / (DB_FILENAME + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_in_memory_store_has_no_files_and_still_searches() -> None:
    c = _client(None)
    _put(c, ["a", "b"], np.eye(2, DIM, dtype=np.float32))
    assert c.checkpoint() == 0
    c.delete_vectors(vectorBucketName=BUCKET, indexName=INDEX, keys=["a"])
    assert [k for k, _ in _query(c, np.ones(DIM))] == ["b"]


CRASHER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from langchain_s3vectors import LocalS3VectorsClient
    path, flag = sys.argv[1], sys.argv[2]
    c = LocalS3VectorsClient(path)
    rng = np.random.default_rng(0)
    for b in range(10_000):
        data = rng.standard_normal((500, 16)).astype(np.float32)
        c.put_vectors(vectorBucketName="kbase", indexName="docs", vectors=[
            {"key": f"b{b}-{i}", "data": {"float32": data[i].tolist()}, "metadata": {"batch": b}}
            for i in range(500)
        ])
        if b % 3 == 1:
            c.delete_vectors(vectorBucketName="kbase", indexName="docs",
                             keys=[f"b{b - 1}-{i}" for i in range(250)])
        c.checkpoint()
        if b == 3:
            open(flag, "w").close()
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.13, 0.31])
def test_sigkill_while_writing_and_checkpointing(
    tmp_path: Path, delay: float, kill_midway: Any
) -> None:
    _client(tmp_path).close()
    kill_midway(CRASHER, tmp_path, delay)
    c = LocalS3VectorsClient(tmp_path)
    stored = _stored(c)
    batches: dict[int, int] = {}
    for key in stored:
        b = int(key[1:].split("-")[0])
        batches[b] = batches.get(b, 0) + 1
    last = max(batches)
    for b, n in batches.items():
        # each PutVectors (500) and DeleteVectors (250 of the batch before) whole or absent
        assert n in (250, 500), (b, n)
        assert n == 500 or (b + 1) % 3 == 1 or b == last
    for q in np.random.default_rng(5).standard_normal((3, DIM)).astype(np.float32):
        assert [k for k, _ in _query(c, q)] == _brute_force(stored, q.astype(np.float64), "cosine")
    assert (
        len(
            c.query_vectors(
                vectorBucketName=BUCKET,
                indexName=INDEX,
                topK=100,
                queryVector={"float32": [1.0] * DIM},
            )["vectors"]
        )
        == 100
    )
    committed = {r[0] for r in c._storage.conn.execute("SELECT stem FROM vector_checkpoints")}
    on_disk = {p.name.split(".")[0] for p in (tmp_path / "vectors").iterdir()}
    assert committed <= on_disk  # a committed checkpoint never lost its files
    assert (tmp_path / DB_FILENAME).exists()


def test_only_a_client_that_wrote_checkpoints_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from langchain_s3vectors.local import vectorfile as base  # noqa: PLC0415

    monkeypatch.setattr(base, "CHECKPOINT_MIN_VECTORS", 1)
    writer = _client(tmp_path)
    _put(writer, ["a", "b"], np.eye(2, DIM, dtype=np.float32))
    reader = LocalS3VectorsClient(tmp_path)
    _query(reader, np.ones(DIM))
    reader.close()  # read only: must not write the store's files
    assert not (tmp_path / "vectors").exists()
    writer.close()
    assert len(list((tmp_path / "vectors").iterdir())) == 4


CHECKPOINTING_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from langchain_s3vectors import LocalS3VectorsClient
    c = LocalS3VectorsClient(sys.argv[1])
    rng = np.random.default_rng(1)
    for b in range(int(sys.argv[2])):
        data = rng.standard_normal((500, 16)).astype(np.float32)
        c.put_vectors(vectorBucketName="kbase", indexName="docs", vectors=[
            {"key": f"b{b}-{i}", "data": {"float32": data[i].tolist()}} for i in range(500)
        ])
        c.checkpoint()
    """
)

MAPPING_READER = textwrap.dedent(
    """
    import sys
    from langchain_s3vectors import LocalS3VectorsClient
    c = LocalS3VectorsClient(sys.argv[1])
    seen = 0
    for _ in range(int(sys.argv[2])):
        res = c.query_vectors(vectorBucketName="kbase", indexName="docs", topK=100,
                              queryVector={"float32": [1.0] * 16})
        keys = [v["key"] for v in res["vectors"]]
        assert len(keys) == len(set(keys)), "a key twice"
        seen = max(seen, len(keys))
    print("ok", seen)
    """
)


@pytest.mark.slow
def test_readers_follow_a_checkpointing_writer(tmp_path: Path) -> None:
    _client(tmp_path).close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    writer = subprocess.Popen(
        [sys.executable, "-c", CHECKPOINTING_WRITER, str(tmp_path), "12"], env=env
    )
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", MAPPING_READER, str(tmp_path), "40"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    assert writer.wait(timeout=120) == 0
    for reader in readers:
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        assert out.startswith("ok")
    c = LocalS3VectorsClient(tmp_path)
    stored = _stored(c)
    assert len(stored) == 12 * 500
    q = np.ones(DIM, dtype=np.float64)
    assert [k for k, _ in _query(c, q.astype(np.float32))] == _brute_force(stored, q, "cosine")
