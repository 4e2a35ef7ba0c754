"""``s3vectors-rag serve`` as a user starts it: credentials, TLS, and where it may listen."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from langchain_s3vectors import server
from langchain_s3vectors.app.cli import make_app

from .tls import self_signed_certificate

KEY_ID = "AKIDSERVECOMMAND"
SECRET = secrets.token_urlsafe(30)
SERVE = [sys.executable, "-m", "langchain_s3vectors.app.cli", "serve"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3VECTORS_", "AWS_"))}
    return {**env, "HF_HUB_OFFLINE": "1", **extra}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """``serve --port 0`` with TLS and the key in the environment; its process and URL."""
    cert, key = self_signed_certificate(tmp_path)
    env = clean_env(S3VECTORS_SERVE_ACCESS_KEY_ID=KEY_ID, S3VECTORS_SERVE_SECRET_ACCESS_KEY=SECRET)
    command = [*SERVE, "--port", "0", "--tls-cert", str(cert), "--tls-key", str(key)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        found = re.search(r"at (https://127\.0\.0\.1:\d+) ", first)
        assert found, first
        yield process, found.group(1), cert
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)


def client(url: str, cert: Path, secret: str) -> Any:
    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=secret,
        verify=str(cert),
        config=Config(retries={"max_attempts": 1}),
    )


def test_serve_checks_signatures_over_tls_and_never_prints_the_key(
    served: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, url, cert = served
    right = client(url, cert, SECRET)
    right.create_vector_bucket(vectorBucketName="served-bucket")
    wrong = client(url, cert, "not-the-secret")
    with pytest.raises(ClientError) as caught:
        wrong.create_vector_bucket(vectorBucketName="other-bucket")
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    names = [b["vectorBucketName"] for b in right.list_vector_buckets()["vectorBuckets"]]
    assert names == ["served-bucket"]
    right.close()
    wrong.close()
    process.terminate()
    out, err = process.communicate(timeout=60)
    # The access log is on: one line per request, the refused one with its 403.
    assert re.search(r"POST /CreateVectorBucket HTTP/1.1\" 403", out + err)
    for text in (out, err):
        assert SECRET not in text
        assert KEY_ID not in text


def test_serve_refuses_an_open_non_loopback_address() -> None:
    done = subprocess.run(
        [*SERVE, "--host", "0.0.0.0", "--port", "0"],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: refusing to serve without authentication on 0.0.0.0")
    assert "--allow-open-non-loopback" in lines[0]


def test_serve_options_reach_the_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Options beat the environment; --allow-open-non-loopback is passed on; half a key
    or half a TLS pair is refused in one line before anything listens."""
    calls: list[dict[str, Any]] = []

    def fake_run(path: Any, host: str, port: int, **kwargs: Any) -> None:
        os.close(kwargs.pop("fd"))
        calls.append({"host": host, **kwargs})

    monkeypatch.setattr(server, "run", fake_run)
    for name in ("S3VECTORS_SERVE_ACCESS_KEY_ID", "S3VECTORS_SERVE_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    app = make_app()
    monkeypatch.setenv("S3VECTORS_SERVE_SECRET_ACCESS_KEY", SECRET)
    given = runner.invoke(app, ["serve", "--port", "0", "--access-key-id", KEY_ID])
    assert given.exit_code == 0, given.output
    assert calls[-1]["credentials"] == server.ServerCredentials(KEY_ID, SECRET)
    assert SECRET not in given.output
    assert "requests must be signed" in given.stderr

    monkeypatch.delenv("S3VECTORS_SERVE_SECRET_ACCESS_KEY")
    half = runner.invoke(app, ["serve", "--port", "0", "--access-key-id", KEY_ID])
    assert half.exit_code == 2
    assert half.stderr.startswith("Error: Give both the access key id and the secret")

    half_tls = runner.invoke(app, ["serve", "--port", "0", "--tls-cert", str(tmp_path / "c")])
    assert half_tls.exit_code == 2
    assert "give both --tls-cert and --tls-key" in half_tls.stderr

    opened = runner.invoke(app, ["serve", "--port", "0", "--allow-open-non-loopback"])
    assert opened.exit_code == 0, opened.output
    assert calls[-1]["credentials"] is None
    assert calls[-1]["allow_open_non_loopback"] is True
    assert "(no authentication)" in opened.stderr
    assert len(calls) == 2
