"""``python -m langchain_s3vectors.server`` as its own process, on a socket the parent bound."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .conftest import SIGV4_CREDENTIALS


@pytest.fixture
def served_directory(tmp_path: Path, auth_mode: str) -> Iterator[tuple[str, Path]]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    command = [
        sys.executable, "-m", "langchain_s3vectors.server",
        "--fd", str(sock.fileno()),
        "--path", str(tmp_path / "store"),
        "--enforce-write-caps", "--write-caps-mode", "sliding-window",
        "--latency-ms", "5",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3VECTORS_SERVE_")}
    if auth_mode == "sigv4":
        env["S3VECTORS_SERVE_ACCESS_KEY_ID"] = SIGV4_CREDENTIALS.access_key_id
        env["S3VECTORS_SERVE_SECRET_ACCESS_KEY"] = SIGV4_CREDENTIALS.secret_access_key
    process = subprocess.Popen(command, pass_fds=[sock.fileno()], env=env)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", tmp_path / "store"
    finally:
        process.terminate()
        process.wait(timeout=30)
        sock.close()


def client_for(url: str, credentials: dict[str, str]) -> Any:
    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name="us-east-1",
        **credentials,
        config=Config(retries={"mode": "standard", "max_attempts": 10}, connect_timeout=30),
    )


def test_separate_process_serves_a_directory(
    served_directory: tuple[str, Path], sdk_credentials: dict[str, str]
) -> None:
    url, directory = served_directory
    client = client_for(url, sdk_credentials)
    client.create_vector_bucket(vectorBucketName="proc-bucket")
    client.create_index(
        vectorBucketName="proc-bucket",
        indexName="idx",
        dataType="float32",
        dimension=2,
        distanceMetric="euclidean",
    )
    response = client.put_vectors(
        vectorBucketName="proc-bucket",
        indexName="idx",
        vectors=[{"key": "a", "data": {"float32": [1.0, 2.0]}}],
    )
    assert response["ResponseMetadata"]["RequestId"]
    got = client.get_vectors(
        vectorBucketName="proc-bucket", indexName="idx", keys=["a"], returnData=True
    )
    assert got["vectors"] == [{"key": "a", "data": {"float32": [1.0, 2.0]}}]
    assert directory.exists()


def test_an_open_server_refuses_a_non_loopback_socket() -> None:
    """Open mode: a socket the parent bound to every interface is refused, in one line."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("0.0.0.0", 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("S3VECTORS_SERVE_")}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "langchain_s3vectors.server", "--fd", str(sock.fileno())],
            pass_fds=[sock.fileno()],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        sock.close()
    assert done.returncode == 2
    assert "refusing to serve without authentication on 0.0.0.0" in done.stderr
