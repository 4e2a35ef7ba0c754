"""Host the app in a process: uvicorn in the foreground, a background thread, or a CLI.

:func:`run` serves until interrupted (on a port, or on a socket a parent process
bound), :func:`serve_in_thread` serves for the length of a ``with`` block, and
:func:`main` is ``python -m langchain_s3vectors.server``. There is no authentication:
anything but loopback logs a loud warning (:func:`warn_if_exposed`).

Example:
    >>> is_loopback("::1"), is_loopback("localhost"), is_loopback("example.org")
    (True, True, False)
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.server.app import create_app
from langchain_s3vectors.server.throttle import WRITE_CAPS_MODES

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

__all__ = ["is_loopback", "main", "run", "serve_in_thread", "warn_if_exposed"]

logger = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    """Tell whether ``host`` only accepts connections from this machine.

    Example:
        >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0")
        (True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_exposed(host: str) -> None:
    """Log a loud warning when the unauthenticated server listens beyond loopback."""
    if not is_loopback(host):
        logger.warning(
            "!!! The S3 Vectors server on %s is UNAUTHENTICATED: anyone who can reach "
            "this address can read, overwrite and delete every vector. Bind to 127.0.0.1 "
            "unless the network is private. !!!",
            host,
        )


def run(
    path: str | Path | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    latency_ms: float = 0.0,
    enforce_write_caps: bool = False,
    write_caps_mode: str = "token-bucket",
    fd: int | None = None,
    log_level: str = "warning",
    region_name: str = "us-east-1",
    access_log: bool = False,
) -> None:
    """Serve the store at ``path`` with uvicorn until interrupted.

    Args:
        path: Store directory, or ``None`` for an in-memory store.
        host: Interface to bind; anything but loopback logs a loud warning, since
            there is no authentication.
        port: TCP port.
        latency_ms: Delay added to every request.
        enforce_write_caps: Enforce the per-index write caps (429 beyond them).
        write_caps_mode: ``"token-bucket"`` or ``"sliding-window"``.
        fd: An already bound, listening socket's file descriptor to serve on instead
            of binding ``host``/``port`` (lets a parent process pick the port).
        log_level: uvicorn's log level (``"info"`` also logs where it listens).
        region_name: The region of the store at ``path``.
        access_log: Log one line per request (needs ``log_level="info"``).

    Example:
        >>> run("./vectors", port=8000)  # doctest: +SKIP
    """
    import uvicorn  # noqa: PLC0415

    warn_if_exposed(host)
    app = create_app(
        path,
        latency_ms=latency_ms,
        enforce_write_caps=enforce_write_caps,
        write_caps_mode=write_caps_mode,
        region_name=region_name,
    )
    if fd is not None:
        sock = socket.socket(fileno=fd)
        config = uvicorn.Config(app, log_level=log_level, access_log=access_log)
        uvicorn.Server(config).run(sockets=[sock])
        return
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)


@contextmanager
def serve_in_thread(
    path_or_client: str | Path | Any | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    latency_ms: float = 0.0,
    enforce_write_caps: bool = False,
    write_requests_per_second: int = limits.MAX_WRITE_REQUESTS_PER_SECOND,
    write_vectors_per_second: int = limits.MAX_WRITE_VECTORS_PER_SECOND,
    write_caps_mode: str = "token-bucket",
) -> Iterator[str]:
    """Serve a store from a background thread for the duration of a ``with`` block.

    The listening socket is bound before the block starts, so requests made at once
    wait in the socket's backlog instead of failing: no readiness polling is needed.

    Args:
        path_or_client: As in :func:`create_app`.
        host: Interface to bind (loopback by default).
        port: TCP port; ``0`` picks a free one.
        latency_ms: Delay added to every request.
        enforce_write_caps: Enforce the per-index write caps (429 beyond them).
        write_requests_per_second: Write requests per index and second.
        write_vectors_per_second: Vectors written or deleted per index and second.
        write_caps_mode: ``"token-bucket"`` or ``"sliding-window"``.

    Yields:
        The endpoint URL, e.g. ``"http://127.0.0.1:54321"``.

    Example:
        >>> import boto3
        >>> with serve_in_thread(None) as url:
        ...     client = boto3.client(
        ...         "s3vectors",
        ...         endpoint_url=url,
        ...         region_name="us-east-1",
        ...         aws_access_key_id="test",
        ...         aws_secret_access_key="test",
        ...     )
        ...     client.list_vector_buckets()["vectorBuckets"]
        []
    """
    import uvicorn  # noqa: PLC0415

    warn_if_exposed(host)
    app = create_app(
        path_or_client,
        latency_ms=latency_ms,
        enforce_write_caps=enforce_write_caps,
        write_requests_per_second=write_requests_per_second,
        write_vectors_per_second=write_vectors_per_second,
        write_caps_mode=write_caps_mode,
    )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="s3vectors-server", daemon=True
    )
    thread.start()
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    try:
        yield f"http://{url_host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: ``python -m langchain_s3vectors.server``.

    Example:
        >>> main(["--path", "./vectors", "--port", "8000"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(
        prog="python -m langchain_s3vectors.server",
        description="Serve a local S3 Vectors store over the S3 Vectors HTTP protocol "
        "(no authentication: keep it on loopback).",
    )
    parser.add_argument("--path", default=None, help="store directory (default: in memory)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fd", type=int, default=None, help="serve on this listening socket")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--enforce-write-caps", action="store_true")
    parser.add_argument("--write-caps-mode", choices=WRITE_CAPS_MODES, default="token-bucket")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--region", default="us-east-1", help="region of the store at --path (default: us-east-1)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    run(
        args.path,
        args.host,
        args.port,
        latency_ms=args.latency_ms,
        enforce_write_caps=args.enforce_write_caps,
        write_caps_mode=args.write_caps_mode,
        fd=args.fd,
        log_level=args.log_level,
        region_name=args.region,
    )
