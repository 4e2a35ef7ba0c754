"""The server's connections: Nagle's algorithm is off on every accepted socket.

A response goes out as headers, then body. With Nagle's algorithm on, the body waits
until the client acknowledges the headers, and the client delays that ACK (40 ms on
Linux): every call took ~45 ms over loopback. asyncio turns Nagle off only on
connections accepted from a socket whose protocol is ``IPPROTO_TCP``, and
``socket.socket(AF_INET, SOCK_STREAM)`` leaves the protocol ``0``. The fix is asserted on
the socket option of the server's own connections (open, SigV4 and TLS), not on
timings; ``benchmarks/http_overhead.py`` prints the latency.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from langchain_s3vectors.server import ServerCredentials, serve_in_thread
from langchain_s3vectors.server.hosting import listening_socket

from .tls import self_signed_certificate

KEY_ID, SECRET = "AKIDCONNECTIONS", "connections-secret"


def served_connections(port: int) -> list[Any]:
    """The server-side sockets of the open connections to ``port`` in this process."""
    found: dict[int, Any] = {}
    for obj in gc.get_objects():
        if not isinstance(obj, asyncio.Transport):
            continue
        sock = obj.get_extra_info("socket")
        if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            continue
        try:
            if sock.getsockname()[1] == port and sock.getpeername():
                found[sock.fileno()] = sock
        except OSError:  # closed meanwhile
            continue
    return list(found.values())


def nodelay(sock: Any) -> int:
    return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


@pytest.fixture(params=["open", "sigv4", "tls"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """An endpoint URL and the boto3 client options that reach it."""
    options: dict[str, Any] = {}
    serve: dict[str, Any] = {}
    if request.param != "open":
        serve["credentials"] = ServerCredentials(KEY_ID, SECRET)
    if request.param == "tls":
        cert, key = self_signed_certificate(tmp_path)
        serve.update(tls_cert=cert, tls_key=key)
        options["verify"] = str(cert)
    with serve_in_thread(None, **serve) as url:
        yield url, options


def test_every_served_connection_has_nagle_off(served: tuple[str, dict[str, Any]]) -> None:
    url, options = served
    port = urlsplit(url).port
    assert port is not None
    clients = [
        boto3.client(
            "s3vectors",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            **options,
        )
        for _ in range(2)
    ]
    for client in clients:  # two connections, each kept open by its client's pool
        assert client.list_vector_buckets()["vectorBuckets"] == []
    connections = served_connections(port)
    assert len(connections) >= len(clients)
    assert [nodelay(sock) for sock in connections] == [1] * len(connections)
    for client in clients:
        client.close()


def test_a_hand_made_connection_has_nagle_off() -> None:
    with serve_in_thread(None) as url:
        host, port = urlsplit(url).hostname, urlsplit(url).port
        assert host is not None
        assert port is not None
        with socket.create_connection((host, port)) as raw:
            raw.sendall(
                b"POST /ListVectorBuckets HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
            )
            assert raw.recv(4096).startswith(b"HTTP/1.1 200")
            connections = served_connections(port)
            assert len(connections) == 1
            assert nodelay(connections[0]) == 1


def test_the_listening_socket_names_its_protocol() -> None:
    with listening_socket("127.0.0.1", 0, socket.AF_INET) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] > 0
