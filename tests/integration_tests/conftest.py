"""Fixtures for tests over real HTTP on loopback.

Everything in this directory talks to :mod:`langchain_s3vectors.server` through real
clients (boto3, the AWS CLI). The ``backend``/``client`` fixtures of ``tests/conftest.py``
are overridden here so that the conformance suite, re-run from this directory, goes
through the server: ``client`` is a ``boto3.client("s3vectors", endpoint_url=...)``
pointed at a server in a background thread, serving a fresh in-memory store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread

#: What the HTTP backend supports when ``tests/conftest.py`` declares nothing.
FALLBACK_CAPABILITIES = frozenset({"query", "limits", "paging", "segments", "text", "errors"})


def http_capabilities(config: pytest.Config) -> frozenset[str]:
    """The server serves an in-memory store: it can do what ``local-memory`` can."""
    for plugin in config.pluginmanager.get_plugins():
        capabilities = getattr(plugin, "CAPABILITIES", None)
        if isinstance(capabilities, dict) and "local-memory" in capabilities:
            return frozenset(capabilities["local-memory"])
    return FALLBACK_CAPABILITIES


class SwappableStore:
    """Forwards every call to ``target``: one server for the session, a fresh store per test."""

    def __init__(self) -> None:
        self.target: LocalS3VectorsClient | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


@pytest.fixture(scope="session")
def _session_server() -> Iterator[tuple[str, SwappableStore]]:
    proxy = SwappableStore()
    with serve_in_thread(proxy) as url:
        yield url, proxy


@pytest.fixture
def store(_session_server: tuple[str, SwappableStore]) -> Iterator[LocalS3VectorsClient]:
    """The in-memory store behind ``server_url`` for this test."""
    _, proxy = _session_server
    with LocalS3VectorsClient() as local:
        proxy.target = local
        yield local
        proxy.target = None


@pytest.fixture
def server_url(_session_server: tuple[str, SwappableStore], store: LocalS3VectorsClient) -> str:
    """Endpoint URL of the server, serving ``store``."""
    return _session_server[0]


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    marker = request.node.get_closest_marker("needs")
    if marker is not None:
        missing = set(marker.args) - http_capabilities(request.config)
        if missing:
            pytest.skip(f"the HTTP backend does not implement {sorted(missing)}")
    return "http"


@pytest.fixture
def client(backend: str, server_url: str) -> Any:
    return boto3.client(
        "s3vectors",
        endpoint_url=server_url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
