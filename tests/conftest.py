"""Shared fixtures.

The ``client`` fixture yields an S3 Vectors client for the conformance suite:

* ``local-memory`` and ``local-disk``: :class:`LocalS3VectorsClient`;
* ``aws``: a real ``boto3.client("s3vectors")`` when ``S3VECTORS_TEST_REGION`` is set
  (tests create and delete their own uniquely named buckets), skipped otherwise.

Tests that need a feature a backend lacks ask for it with a marker, e.g.
``@pytest.mark.needs("query")``; backends declare what they support in ``CAPABILITIES``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from langchain_s3vectors import LocalS3VectorsClient

ALL = frozenset({"query", "limits", "paging", "segments", "text", "persistence", "errors"})
CAPABILITIES: dict[str, frozenset[str]] = {
    "local-memory": ALL - {"persistence"},
    "local-disk": ALL,
    "aws": ALL - {"persistence"},
}
EXTRA_BACKENDS: dict[str, Any] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(*features): backend features a test needs")


def _backends() -> list[str]:
    return ["local-memory", "local-disk", "aws", *EXTRA_BACKENDS]


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
def client(backend: str, tmp_path: Path) -> Iterator[Any]:
    if backend == "local-memory":
        c = LocalS3VectorsClient()
        yield c
        c.close()
    elif backend == "local-disk":
        c = LocalS3VectorsClient(tmp_path / "store")
        yield c
        c.close()
    elif backend == "aws":
        region = os.environ.get("S3VECTORS_TEST_REGION")
        if not region:
            pytest.skip("set S3VECTORS_TEST_REGION (and AWS credentials) to run against real AWS")
        import boto3  # noqa: PLC0415

        yield boto3.client("s3vectors", region_name=region)
    else:
        with EXTRA_BACKENDS[backend]() as c:
            yield c


@pytest.fixture
def bucket(client: Any) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    client.create_vector_bucket(vectorBucketName=name)
    yield name
    try:
        for idx in client.list_indexes(vectorBucketName=name)["indexes"]:
            client.delete_index(vectorBucketName=name, indexName=idx["indexName"])
        client.delete_vector_bucket(vectorBucketName=name)
    except Exception:
        pass
