"""Fixtures for tests over real HTTP on loopback.

Everything in this directory talks to :mod:`langchain_s3vectors.server` through real
clients (boto3, the AWS CLI). The ``backend``/``client`` fixtures of ``tests/conftest.py``
are overridden here so that the conformance suite, re-run from this directory, goes
through the server: ``client`` is a ``boto3.client("s3vectors", endpoint_url=...)``
pointed at a server in a background thread, serving a fresh in-memory store.

Every test here runs twice: against an open server (any credentials) and against one
that checks AWS Signature Version 4 (``auth_mode`` ``"sigv4"``), with ``sdk_credentials``
the key that server accepts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import ServerCredentials, serve_in_thread

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


#: The key a checking server accepts (one secret per test session).
SIGV4_CREDENTIALS = ServerCredentials("AKIDLOCALTEST", secrets.token_hex(20))


def sdk_credentials_for(mode: str) -> dict[str, str]:
    """The ``aws_access_key_id`` / ``aws_secret_access_key`` a client uses in ``mode``."""
    if mode == "sigv4":
        return {
            "aws_access_key_id": SIGV4_CREDENTIALS.access_key_id,
            "aws_secret_access_key": SIGV4_CREDENTIALS.secret_access_key,
        }
    return {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture(scope="session", params=["open", "sigv4"])
def auth_mode(request: pytest.FixtureRequest) -> str:
    """``"open"``: any credentials; ``"sigv4"``: only ``SIGV4_CREDENTIALS`` signatures."""
    return str(request.param)


@pytest.fixture(scope="session")
def sdk_credentials(auth_mode: str) -> dict[str, str]:
    """The credentials every SDK under test uses, as boto3 keyword arguments."""
    return sdk_credentials_for(auth_mode)


@pytest.fixture(scope="session")
def _session_server(auth_mode: str) -> Iterator[tuple[str, SwappableStore]]:
    proxy = SwappableStore()
    credentials = SIGV4_CREDENTIALS if auth_mode == "sigv4" else None
    with serve_in_thread(proxy, credentials=credentials) as url:
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
def client(backend: str, server_url: str, sdk_credentials: dict[str, str]) -> Any:
    return boto3.client(
        "s3vectors", endpoint_url=server_url, region_name="us-east-1", **sdk_credentials
    )
