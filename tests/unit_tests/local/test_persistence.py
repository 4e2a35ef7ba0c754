"""Durability and concurrency of the embedded client's on-disk store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from langchain_s3vectors import LocalS3VectorsClient
from langchain_s3vectors.local.storage import DB_FILENAME

WRITER = textwrap.dedent(
    """
    import sys, random
    from langchain_s3vectors import LocalS3VectorsClient
    path, batches, flag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    c = LocalS3VectorsClient(path)
    rng = random.Random(0)
    for b in range(batches):
        # each request: 500 vectors tagged with its batch number
        c.put_vectors(vectorBucketName="kbase", indexName="docs", vectors=[
            {"key": f"b{b}-{i}", "data": {"float32": [rng.random() + 0.01 for _ in range(64)]},
             "metadata": {"batch": b}}
            for i in range(500)
        ])
        if b == 2:
            open(flag, "w").close()
    """
)

READER = textwrap.dedent(
    """
    import sys
    from langchain_s3vectors import LocalS3VectorsClient
    c = LocalS3VectorsClient(sys.argv[1])
    n = 0
    for _ in range(int(sys.argv[2])):
        res = c.query_vectors(vectorBucketName="kbase", indexName="docs", topK=5,
                              queryVector={"float32": [1.0] * 64}, returnMetadata=True)
        listed = c.list_vectors(vectorBucketName="kbase", indexName="docs", maxResults=1000)
        n += len(res["vectors"]) + len(listed["vectors"])
    print("ok", n)
    """
)


def _prepare(path: Path) -> None:
    c = LocalS3VectorsClient(path)
    c.create_vector_bucket(vectorBucketName="kbase")
    c.create_index(
        vectorBucketName="kbase",
        indexName="docs",
        dataType="float32",
        dimension=64,
        distanceMetric="cosine",
    )
    c.close()


def test_escaping_names_never_touch_the_filesystem(tmp_path: Path) -> None:
    store = tmp_path / "store"
    c = LocalS3VectorsClient(store)
    for name in ("../../evil", "..", "a/../b"):
        with pytest.raises(Exception):  # noqa: B017 - ParamValidationError or ClientError
            c.create_vector_bucket(vectorBucketName=name)
    c.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]
    assert {p.name for p in store.iterdir()} <= {
        DB_FILENAME,
        DB_FILENAME + "-wal",
        DB_FILENAME + "-shm",
    }


def test_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(NotADirectoryError, match="not a directory"):
        LocalS3VectorsClient(f)


@pytest.mark.slow
def test_one_writer_several_readers(tmp_path: Path) -> None:
    _prepare(tmp_path)
    flag = tmp_path / "flag"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "20", str(flag)], env=env
    )
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(tmp_path), "30"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    assert writer.wait(timeout=120) == 0
    for r in readers:
        out, err = r.communicate(timeout=120)
        assert r.returncode == 0, err
        assert out.startswith("ok")
    c = LocalS3VectorsClient(tmp_path)
    keys = set()
    for page in c.get_paginator("list_vectors").paginate(
        vectorBucketName="kbase", indexName="docs"
    ):
        keys |= {v["key"] for v in page["vectors"]}
    assert len(keys) == 20 * 500


@pytest.mark.slow
def test_sigkill_during_ingest_leaves_whole_requests(tmp_path: Path) -> None:
    _prepare(tmp_path)
    flag = tmp_path / "flag"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), "400", str(flag)], env=env
    )
    deadline = time.monotonic() + 60
    while not flag.exists():  # the writer is past its third request
        assert time.monotonic() < deadline, "writer did not start"
        assert writer.poll() is None, "writer exited early"
        time.sleep(0.01)
    time.sleep(0.05 + (os.getpid() % 7) / 100)  # land somewhere inside a request
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    db = sqlite3.connect(tmp_path / DB_FILENAME)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    c = LocalS3VectorsClient(tmp_path)
    counts: dict[int, int] = {}
    for page in c.get_paginator("list_vectors").paginate(
        vectorBucketName="kbase", indexName="docs", returnMetadata=True
    ):
        for v in page["vectors"]:
            counts[v["metadata"]["batch"]] = counts.get(v["metadata"]["batch"], 0) + 1
    assert counts, "nothing was committed before the kill"
    assert set(counts.values()) == {500}, "a request was stored in part"
    assert sorted(counts) == list(range(len(counts))), "requests were committed out of order"
    # and the store still takes writes and answers queries
    c.put_vectors(
        vectorBucketName="kbase",
        indexName="docs",
        vectors=[{"key": "after", "data": {"float32": [1.0] * 64}}],
    )
    res = c.query_vectors(
        vectorBucketName="kbase", indexName="docs", topK=1, queryVector={"float32": [1.0] * 64}
    )
    assert res["vectors"][0]["key"] == "after"
