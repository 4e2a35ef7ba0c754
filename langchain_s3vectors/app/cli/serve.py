"""``serve``: a local store over the S3 Vectors HTTP API, for boto3, the AWS CLI and SDKs."""

import socket
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import typer

from langchain_s3vectors.app.cli.options import (
    AccessKeyOpt,
    AllowOpenOpt,
    CapsOpt,
    HostOpt,
    LatencyOpt,
    PortOpt,
    QuietOpt,
    SecretKeyOpt,
    ServeLocalOpt,
    TlsCertOpt,
    TlsKeyOpt,
)
from langchain_s3vectors.app.cli.state import (
    CREATE,
    EXIT_USAGE,
    CliState,
    errors,
    fail,
    get_state,
)

__all__ = ["serve"]


def serve(
    ctx: typer.Context,
    *,
    local: ServeLocalOpt = None,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    latency_ms: LatencyOpt = 0.0,
    enforce_write_caps: CapsOpt = False,
    quiet: QuietOpt = False,
    access_key_id: AccessKeyOpt = None,
    secret_access_key: SecretKeyOpt = None,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
    allow_open_non_loopback: AllowOpenOpt = False,
) -> None:
    """Serve a local store over the S3 Vectors HTTP API (for boto3, the AWS CLI, SDKs).

    The store is the one given by ``--local`` (before or after ``serve``); without
    one, an in-memory store that is lost at exit. One log line per request unless
    ``--quiet``. With an access key id and secret (options or
    ``S3VECTORS_SERVE_ACCESS_KEY_ID`` / ``S3VECTORS_SERVE_SECRET_ACCESS_KEY``), only
    requests signed with them (AWS Signature Version 4) are served; without them the
    server is open and listens on loopback only (unless ``--allow-open-non-loopback``).
    ``--tls-cert`` and ``--tls-key`` serve ``https://``.
    """
    try:
        from langchain_s3vectors.server import run  # noqa: PLC0415
        from langchain_s3vectors.server.hosting import (  # noqa: PLC0415
            check_tls,
            refuse_open_exposure,
        )
        from langchain_s3vectors.server.sigv4 import ServerCredentials  # noqa: PLC0415
    except ImportError as exc:
        hint = 'pip install "langchain-s3vectors[server]"'
        raise fail(f"serve needs the server extra: {hint} ({exc})") from None
    try:
        credentials = ServerCredentials.resolve(access_key_id, secret_access_key)
        refuse_open_exposure(
            host, authenticated=credentials is not None, allow_open=allow_open_non_loopback
        )
        tls = check_tls(tls_cert, tls_key)
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    path = _serve_path(get_state(ctx), local)
    with errors():
        _serve(
            run,
            path,
            host,
            port,
            quiet=quiet,
            latency_ms=latency_ms,
            enforce_write_caps=enforce_write_caps,
            credentials=credentials,
            tls_cert=tls_cert,
            tls_key=tls_key,
            allow_open_non_loopback=allow_open_non_loopback,
            scheme="https" if tls else "http",
        )


def _serve(
    run: Callable[..., None],
    path: Path | None,
    host: str,
    port: int,
    *,
    quiet: bool,
    scheme: str,
    **options: Any,
) -> None:
    """Bind, say where the server listens and what it serves, serve until Ctrl+C."""
    what = f"the store in {path}" if path else "an in-memory store (lost at exit)"
    # Bound here, so the address printed is the real one (also with --port 0) and
    # clients may connect as soon as it is printed.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family)
    bound = listener.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    checked = (
        "requests must be signed with the configured key"
        if options.get("credentials") is not None
        else "no authentication"
    )
    typer.echo(
        f"Serving {what} over the S3 Vectors API at {scheme}://{shown}:{bound} "
        f"({checked}). Press Ctrl+C to stop.",
        err=True,
    )
    with suppress(KeyboardInterrupt):  # Ctrl+C is how the server is stopped
        run(
            path,
            host,
            bound,
            **options,
            fd=listener.detach(),
            log_level="warning" if quiet else "info",
            access_log=not quiet,
        )
    typer.echo(f"Stopped serving {what}.", err=True)


def _serve_path(state: CliState, local: Path | None) -> Path | None:
    """The store folder ``serve`` serves: its own --local, else the global one."""
    if local is not None and state.local is not None and local != state.local:
        raise fail(
            f"two store folders given: --local {state.local} before serve and --local "
            f"{local} after it; give one.",
            EXIT_USAGE,
        )
    path = local if local is not None else state.local
    if path is None:
        return None
    settings = state.settings.model_copy(update={"backend": "local", "local_path": path})
    CliState(state.factory, settings, path).check_local(CREATE)  # says when it creates one
    return path
