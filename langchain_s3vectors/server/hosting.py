"""Host the app in a process: uvicorn in the foreground, a background thread, or a CLI.

:func:`run` serves until interrupted (on a port, or on a socket a parent process
bound), :func:`serve_in_thread` serves for the length of a ``with`` block, and
:func:`main` is ``python -m langchain_s3vectors.server``.

Given :class:`~langchain_s3vectors.server.sigv4.ServerCredentials`, the server accepts
only requests signed with them (AWS Signature Version 4). Without them it is open, and
it then refuses to listen beyond loopback unless told ``allow_open_non_loopback``
(:func:`refuse_open_exposure`). ``tls_cert`` and ``tls_key`` serve ``https://``.

Example:
    >>> is_loopback("::1"), is_loopback("localhost"), is_loopback("example.org")
    (True, True, False)
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import socket
import ssl
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.server.app import create_app
from langchain_s3vectors.server.sigv4 import ACCESS_KEY_ENV, SECRET_KEY_ENV, ServerCredentials
from langchain_s3vectors.server.throttle import WRITE_CAPS_MODES

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

__all__ = [
    "check_tls",
    "is_loopback",
    "listening_socket",
    "main",
    "refuse_open_exposure",
    "run",
    "serve_in_thread",
    "warn_if_exposed",
]

logger = logging.getLogger(__name__)
#: How long a stopping TLS server waits for its clients to close their connections.
TLS_SHUTDOWN_SECONDS = 5


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


def refuse_open_exposure(host: str, *, authenticated: bool, allow_open: bool) -> None:
    """Refuse to serve without credentials beyond loopback, unless told so.

    Args:
        host: The interface the server listens on.
        authenticated: Whether requests must be signed (credentials are given).
        allow_open: Serve an open server on ``host`` all the same.

    Raises:
        ValueError: One line saying why and what to do.

    Example:
        >>> refuse_open_exposure("127.0.0.1", authenticated=False, allow_open=False)
        >>> refuse_open_exposure("0.0.0.0", authenticated=True, allow_open=False)
    """
    if authenticated or allow_open or is_loopback(host):
        return
    msg = (
        f"refusing to serve without authentication on {host}: anyone who can reach it "
        f"could read, overwrite and delete every vector; set {ACCESS_KEY_ENV} and "
        f"{SECRET_KEY_ENV} (or --access-key-id/--secret-access-key), bind 127.0.0.1, or "
        "pass --allow-open-non-loopback if the network is private"
    )
    raise ValueError(msg)


def warn_if_exposed(host: str, *, authenticated: bool = False, tls: bool = False) -> None:
    """Log a loud warning when the server listens beyond loopback without full protection.

    Open: anyone can change every vector. Signed but plain HTTP: callers are checked,
    but vectors and metadata cross the network in clear text.
    """
    if is_loopback(host):
        return
    if not authenticated:
        logger.warning(
            "!!! The S3 Vectors server on %s is UNAUTHENTICATED: anyone who can reach "
            "this address can read, overwrite and delete every vector. Bind to 127.0.0.1 "
            "unless the network is private. !!!",
            host,
        )
    elif not tls:
        logger.warning(
            "The S3 Vectors server on %s checks signatures but speaks plain HTTP: vectors "
            "and metadata cross the network unencrypted; add --tls-cert and --tls-key.",
            host,
        )


def check_tls(tls_cert: str | Path | None, tls_key: str | Path | None) -> bool:
    """Check that a certificate and its key are both given (or neither) and load.

    Args:
        tls_cert: PEM certificate (chain) file.
        tls_key: PEM private key file of that certificate.

    Returns:
        Whether TLS is on.

    Raises:
        ValueError: One of the two is missing, or they do not load as a pair.

    Example:
        >>> check_tls(None, None)
        False
    """
    if tls_cert is None and tls_key is None:
        return False
    if tls_cert is None or tls_key is None:
        msg = "give both --tls-cert and --tls-key (PEM files), or neither for plain HTTP"
        raise ValueError(msg)
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        # An empty password: an encrypted key fails here instead of prompting on a terminal.
        context.load_cert_chain(tls_cert, tls_key, password=lambda: b"")
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        msg = (
            f"cannot use --tls-cert {tls_cert} with --tls-key {tls_key}: {reason}; give a "
            "PEM certificate and its unencrypted PEM private key"
        )
        raise ValueError(msg) from None
    return True


def listening_socket(host: str, port: int, family: socket.AddressFamily) -> socket.socket:
    """A TCP socket bound to ``host``/``port`` and listening, for uvicorn to serve on.

    The socket is made with its protocol named (``IPPROTO_TCP``), not left ``0``:
    asyncio disables Nagle's algorithm (``TCP_NODELAY``) only on connections accepted
    from such a socket. Without it a response sent as headers and then body waits for
    the client's delayed ACK, about 40 ms per call on Linux.

    Example:
        >>> import socket
        >>> with listening_socket("127.0.0.1", 0, socket.AF_INET) as sock:
        ...     sock.proto == socket.IPPROTO_TCP
        True
    """
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(512)
    except OSError:
        sock.close()
        raise
    return sock


def _prepare(
    host: str,
    credentials: ServerCredentials | None,
    tls_cert: str | Path | None,
    tls_key: str | Path | None,
    *,
    allow_open: bool,
) -> dict[str, Any]:
    """Check exposure and TLS before anything listens; uvicorn's TLS options."""
    refuse_open_exposure(host, authenticated=credentials is not None, allow_open=allow_open)
    tls = check_tls(tls_cert, tls_key)
    warn_if_exposed(host, authenticated=credentials is not None, tls=tls)
    if not tls:
        return {}
    # An idle client holding a TLS connection never answers the server's close_notify;
    # bound the wait for it when the server stops.
    return {
        "ssl_certfile": str(tls_cert),
        "ssl_keyfile": str(tls_key),
        "timeout_graceful_shutdown": TLS_SHUTDOWN_SECONDS,
    }


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
    credentials: ServerCredentials | None = None,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    allow_open_non_loopback: bool = False,
) -> None:
    """Serve the store at ``path`` with uvicorn until interrupted.

    Args:
        path: Store directory, or ``None`` for an in-memory store.
        host: Interface to bind (with ``fd``: the interface that socket is bound to);
            beyond loopback, an open server is refused (:func:`refuse_open_exposure`).
        port: TCP port.
        latency_ms: Delay added to every request.
        enforce_write_caps: Enforce the per-index write caps (429 beyond them).
        write_caps_mode: ``"token-bucket"`` or ``"sliding-window"``.
        fd: An already bound, listening socket's file descriptor to serve on instead
            of binding ``host``/``port`` (lets a parent process pick the port).
        log_level: uvicorn's log level (``"info"`` also logs where it listens).
        region_name: The region of the store at ``path``.
        access_log: Log one line per request (needs ``log_level="info"``).
        credentials: Accept only requests signed with this key (SigV4).
        tls_cert: PEM certificate file: serve ``https://`` (with ``tls_key``).
        tls_key: PEM private key file of ``tls_cert``.
        allow_open_non_loopback: Serve without credentials beyond loopback all the same.

    Raises:
        ValueError: An open server beyond loopback, or unusable TLS files; raised
            before anything listens.

    Example:
        >>> run("./vectors", port=8000)  # doctest: +SKIP
    """
    import uvicorn  # noqa: PLC0415

    tls = _prepare(host, credentials, tls_cert, tls_key, allow_open=allow_open_non_loopback)
    app = create_app(
        path,
        latency_ms=latency_ms,
        enforce_write_caps=enforce_write_caps,
        write_caps_mode=write_caps_mode,
        region_name=region_name,
        credentials=credentials,
    )
    options = {"log_level": log_level, "access_log": access_log, **tls}
    if fd is None:
        uvicorn.run(app, host=host, port=port, **options)
    else:
        uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[_handed_socket(fd)])


def _handed_socket(fd: int) -> socket.socket:
    """The listening socket a parent process handed over as ``fd``.

    Where the platform does not report the protocol of a socket it is handed, the
    protocol is named, so asyncio sets TCP_NODELAY on the connections (see
    :func:`listening_socket`).
    """
    sock = socket.socket(fileno=fd)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        family, kind = sock.family, sock.type
        sock = socket.socket(family, kind, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


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
    credentials: ServerCredentials | None = None,
    tls_cert: str | Path | None = None,
    tls_key: str | Path | None = None,
    allow_open_non_loopback: bool = False,
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
        credentials: Accept only requests signed with this key (SigV4).
        tls_cert: PEM certificate file: serve ``https://`` (with ``tls_key``).
        tls_key: PEM private key file of ``tls_cert``.
        allow_open_non_loopback: Serve without credentials beyond loopback all the same.

    Yields:
        The endpoint URL, e.g. ``"http://127.0.0.1:54321"`` (``https://`` with TLS).

    Raises:
        ValueError: As :func:`run`, before anything listens.

    Example:
        >>> import boto3
        >>> with serve_in_thread(None) as url:
        ...     client = boto3.client("s3vectors", endpoint_url=url, region_name="us-east-1",
        ...                           aws_access_key_id="test", aws_secret_access_key="test")
        ...     client.list_vector_buckets()["vectorBuckets"]
        []
    """
    tls = _prepare(host, credentials, tls_cert, tls_key, allow_open=allow_open_non_loopback)
    app = create_app(
        path_or_client,
        latency_ms=latency_ms,
        enforce_write_caps=enforce_write_caps,
        write_requests_per_second=write_requests_per_second,
        write_vectors_per_second=write_vectors_per_second,
        write_caps_mode=write_caps_mode,
        credentials=credentials,
    )
    with _served_in_thread(app, host, port, tls) as url:
        yield url


@contextmanager
def _served_in_thread(app: Any, host: str, port: int, tls: dict[str, Any]) -> Iterator[str]:
    """Serve ``app`` from a daemon thread on a socket bound to ``host``/``port`` at once.

    Yields its URL; on exit, stops the server and closes the socket.
    """
    import uvicorn  # noqa: PLC0415

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = listening_socket(host, port, family)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", **tls)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="s3vectors-server", daemon=True
    )
    thread.start()
    url_host = f"[{host}]" if family == socket.AF_INET6 else host
    try:
        yield f"{'https' if tls else 'http'}://{url_host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        # A TLS connection's close waits for the peer's close_notify, which an idle
        # pooled client never sends: with TLS, connections left open are dropped.
        server.force_exit = bool(tls)
        thread.join(timeout=30)
        sock.close()


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point: ``python -m langchain_s3vectors.server``.

    Example:
        >>> main(["--path", "./vectors", "--port", "8000"])  # doctest: +SKIP
    """
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    host = args.host
    if args.fd is not None:  # the interface the parent bound the socket to
        with socket.socket(fileno=os.dup(args.fd)) as bound:
            host = str(bound.getsockname()[0])
    try:
        credentials = ServerCredentials.resolve(args.access_key_id, args.secret_access_key)
        run(
            args.path,
            host,
            args.port,
            latency_ms=args.latency_ms,
            enforce_write_caps=args.enforce_write_caps,
            write_caps_mode=args.write_caps_mode,
            fd=args.fd,
            log_level=args.log_level,
            region_name=args.region,
            credentials=credentials,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            allow_open_non_loopback=args.allow_open_non_loopback,
        )
    except ValueError as exc:
        parser.error(str(exc))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m langchain_s3vectors.server",
        description="Serve a local S3 Vectors store over the S3 Vectors HTTP protocol. "
        f"With {ACCESS_KEY_ENV} and {SECRET_KEY_ENV} set, only requests signed with that "
        "key (AWS Signature Version 4) are served; without them, only on loopback.",
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
    parser.add_argument(
        "--access-key-id", default=None, help=f"accepted access key id (default: ${ACCESS_KEY_ENV})"
    )
    parser.add_argument(
        "--secret-access-key",
        default=None,
        help=f"its secret (default: ${SECRET_KEY_ENV}; prefer it: other users can see argv)",
    )
    parser.add_argument("--tls-cert", default=None, help="PEM certificate: serve https://")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    parser.add_argument(
        "--allow-open-non-loopback",
        action="store_true",
        help="serve without credentials on a non-loopback address (private networks only)",
    )
    return parser
