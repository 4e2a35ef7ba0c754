"""Shared fixtures.

The ``client`` fixture yields an S3 Vectors client for the conformance suite:

* ``local-memory`` and ``local-disk``: :class:`LocalS3VectorsClient`;
* ``mock``: ``boto3.client("s3vectors")`` under :class:`~langchain_s3vectors.testing.mock_s3vectors`,
  answered in process through the served wire protocol (no socket);
* ``moto-server``: boto3 against moto's HTTP server on 127.0.0.1, for the operations
  moto implements (buckets, indexes, put/get/list/delete);
* ``aws``: a real ``boto3.client("s3vectors")`` when ``S3VECTORS_TEST_BUCKET`` names an
  existing vector bucket (region from ``AWS_REGION``); tests create and delete their own
  indexes in it and never delete the bucket. Skipped otherwise.

Tests that need a feature a backend lacks ask for it with a marker, e.g.
``@pytest.mark.needs("query")``; backends declare what they support in ``CAPABILITIES``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_s3vectors import LocalS3VectorsClient

ALL = frozenset(
    {
        "query",
        "limits",
        "paging",
        "segments",
        "text",
        "persistence",
        "errors",
        "float32",
        "index-shape",
        "index-mode",
    }
)
CAPABILITIES: dict[str, frozenset[str]] = {
    "local-memory": ALL - {"persistence"},
    "local-disk": ALL,
    # The mock serves an in-memory store: it can do what local-memory can.
    "mock": ALL - {"persistence"},
    "aws": ALL - {"persistence", "bucket-lifecycle"},
    # moto implements the wire format of buckets, indexes and put/get/list/delete only.
    "moto-server": frozenset(),
}
EXTRA_BACKENDS: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*features): backend features a test needs")


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cache directory for the whole run: the ONNX model is exported once, never into ~/.cache.

    Subprocesses inherit it through the environment.
    """
    from langchain_s3vectors.app.onnx_export import CACHE_DIR_ENV  # noqa: PLC0415

    path = tmp_path_factory.mktemp("model-cache")
    before = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(CACHE_DIR_ENV, None)
    else:
        os.environ[CACHE_DIR_ENV] = before


def _backends() -> list[str]:
    return ["local-memory", "local-disk", "mock", "moto-server", "aws", *EXTRA_BACKENDS]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's HTTP server on loopback (never the in-process mock: it leaks queries)."""
    server_mod = pytest.importorskip("moto.server")
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=_backends())
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    marker = request.node.get_closest_marker("needs")
    if marker is not None:
        missing = set(marker.args) - CAPABILITIES.get(name, ALL)
        if missing:
            pytest.skip(f"{name} backend does not implement {sorted(missing)}")
    return name


@pytest.fixture
def client(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    if backend == "local-memory":
        c = LocalS3VectorsClient()
        yield c
        c.close()
    elif backend == "local-disk":
        c = LocalS3VectorsClient(tmp_path / "store")
        yield c
        c.close()
    elif backend == "mock":
        import boto3  # noqa: PLC0415

        from langchain_s3vectors.testing import mock_s3vectors  # noqa: PLC0415

        with mock_s3vectors():
            yield boto3.client("s3vectors", region_name="us-east-1")
    elif backend == "moto-server":
        import boto3  # noqa: PLC0415

        endpoint = request.getfixturevalue("moto_endpoint")
        yield boto3.client(
            "s3vectors",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
    elif backend == "aws":
        if not os.environ.get("S3VECTORS_TEST_BUCKET"):
            pytest.skip("set S3VECTORS_TEST_BUCKET (and AWS credentials) to run against AWS")
        import boto3  # noqa: PLC0415

        yield boto3.client("s3vectors", region_name=os.environ.get("AWS_REGION", "us-east-1"))
    else:
        with EXTRA_BACKENDS[backend]() as c:
            yield c


@pytest.fixture
def bucket(client: Any, backend: str) -> Iterator[str]:
    if backend == "aws":
        name = os.environ["S3VECTORS_TEST_BUCKET"]
        before = {i["indexName"] for i in client.list_indexes(vectorBucketName=name)["indexes"]}
        yield name
        for idx in client.list_indexes(vectorBucketName=name)["indexes"]:
            if idx["indexName"] not in before:
                client.delete_index(vectorBucketName=name, indexName=idx["indexName"])
        return
    name = f"test-{uuid.uuid4().hex[:12]}"
    client.create_vector_bucket(vectorBucketName=name)
    yield name
    try:
        for idx in client.list_indexes(vectorBucketName=name)["indexes"]:
            client.delete_index(vectorBucketName=name, indexName=idx["indexName"])
        client.delete_vector_bucket(vectorBucketName=name)
    except Exception:
        pass


@pytest.fixture
def kill_midway() -> Any:
    """Run a writer script until it has made ``flag``, wait ``delay`` s, then SIGKILL it.

    The script gets the store's directory and the flag's path as its two arguments;
    tests then check that every request it made is whole or absent.
    """

    def run(script: str, store: Path, delay: float) -> None:
        flag = store / "flag"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        writer = subprocess.Popen([sys.executable, "-c", script, str(store), str(flag)], env=env)
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert time.monotonic() < deadline, "writer did not start"
            assert writer.poll() is None, "writer exited early"
            time.sleep(0.01)
        time.sleep(delay + (os.getpid() % 5) / 100)
        writer.send_signal(signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL

    return run
