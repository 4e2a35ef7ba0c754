"""The AWS CLI (``aws s3vectors --endpoint-url ...``) against the HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread

from .conftest import SIGV4_CREDENTIALS


def cli_env(tmp_path: Path, key_id: str, secret: str) -> dict[str, str]:
    """The AWS CLI's environment: these credentials, none of the user's own settings."""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        # Keep the user's own configuration and credentials out of the test.
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    return env


@pytest.fixture
def aws(server_url: str, tmp_path: Path, sdk_credentials: dict[str, str]) -> Any:
    env = cli_env(
        tmp_path, sdk_credentials["aws_access_key_id"], sdk_credentials["aws_secret_access_key"]
    )

    def run(*args: str, ok: bool = True) -> Any:
        command = [sys.executable, "-m", "awscli", "s3vectors", *args]
        command += ["--endpoint-url", server_url, "--output", "json"]
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if not ok:
            return done
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    return run


def test_cli_round_trip(aws: Any, store: LocalS3VectorsClient) -> None:
    created = aws("create-vector-bucket", "--vector-bucket-name", "cli-bucket")
    assert created["vectorBucketArn"].endswith(":bucket/cli-bucket")
    aws(
        "create-index",
        "--vector-bucket-name", "cli-bucket",
        "--index-name", "cli-index",
        "--data-type", "float32",
        "--dimension", "3",
        "--distance-metric", "cosine",
    )  # fmt: skip
    listed = aws("list-indexes", "--vector-bucket-name", "cli-bucket")
    assert [i["indexName"] for i in listed["indexes"]] == ["cli-index"]
    vectors = [
        {"key": "red", "data": {"float32": [1.0, 0.0, 0.0]}, "metadata": {"color": "red"}},
        {"key": "green", "data": {"float32": [0.0, 1.0, 0.0]}, "metadata": {"color": "green"}},
        {"key": "teal", "data": {"float32": [0.0, 0.8, 0.6]}, "metadata": {"color": "teal"}},
    ]
    aws(
        "put-vectors",
        "--vector-bucket-name", "cli-bucket",
        "--index-name", "cli-index",
        "--vectors", json.dumps(vectors),
    )  # fmt: skip
    # What the CLI wrote is in the store.
    stored = store.list_vectors(vectorBucketName="cli-bucket", indexName="cli-index")
    assert sorted(v["key"] for v in stored["vectors"]) == ["green", "red", "teal"]
    found = aws(
        "query-vectors",
        "--vector-bucket-name", "cli-bucket",
        "--index-name", "cli-index",
        "--top-k", "2",
        "--query-vector", json.dumps({"float32": [0.0, 1.0, 0.0]}),
        "--filter", json.dumps({"color": {"$in": ["green", "teal"]}}),
        "--return-metadata",
        "--return-distance",
    )  # fmt: skip
    assert [v["key"] for v in found["vectors"]] == ["green", "teal"]
    assert found["vectors"][0]["metadata"] == {"color": "green"}
    assert found["vectors"][0]["distance"] == pytest.approx(0.0, abs=1e-6)
    assert found["vectors"][1]["distance"] == pytest.approx(0.2, abs=1e-5)
    assert found["distanceMetric"] == "cosine"


def test_cli_reports_service_errors(aws: Any) -> None:
    done = aws("get-index", "--vector-bucket-name", "nope-bucket", "--index-name", "nope", ok=False)
    assert done.returncode != 0
    assert "(NotFoundException) when calling the GetIndex operation" in done.stderr


def test_cli_paginators_follow_the_service_semantics(aws: Any, store: LocalS3VectorsClient) -> None:
    """The AWS CLI pages every paginated operation on its own, following nextToken.

    QueryVectors: ``--top-k`` is the number of results in total (S3 User Guide,
    "Querying vectors"), so the CLI prints exactly that many; ListVectors, ListIndexes
    and ListVectorBuckets: every item once, whatever the page size.
    """
    store.create_vector_bucket(vectorBucketName="cli-pages")
    for name in ("idx-a", "idx-b", "idx-c"):
        store.create_index(
            vectorBucketName="cli-pages", indexName=name, dataType="float32", dimension=2,
            distanceMetric="euclidean",
        )  # fmt: skip
    store.put_vectors(
        vectorBucketName="cli-pages",
        indexName="idx-a",
        vectors=[{"key": f"k{i:03d}", "data": {"float32": [float(i), 0.0]}} for i in range(250)],
    )
    where = ["--vector-bucket-name", "cli-pages", "--index-name", "idx-a"]
    near = ["--query-vector", json.dumps({"float32": [0.0, 0.0]})]
    two = aws("query-vectors", *where, *near, "--top-k", "2")
    assert [v["key"] for v in two["vectors"]] == ["k000", "k001"]
    many = aws("query-vectors", *where, *near, "--top-k", "150")
    assert [v["key"] for v in many["vectors"]] == [f"k{i:03d}" for i in range(150)]
    listed = aws("list-vectors", *where, "--page-size", "40")
    assert sorted(v["key"] for v in listed["vectors"]) == [f"k{i:03d}" for i in range(250)]
    first = aws("list-vectors", *where, "--max-items", "3")
    assert len(first["vectors"]) == 3
    rest = aws("list-vectors", *where, "--starting-token", first["NextToken"])
    assert len(first["vectors"]) + len(rest["vectors"]) == 250
    indexes = aws("list-indexes", "--vector-bucket-name", "cli-pages", "--page-size", "1")
    assert [i["indexName"] for i in indexes["indexes"]] == ["idx-a", "idx-b", "idx-c"]
    buckets = aws("list-vector-buckets", "--page-size", "1")
    assert [b["vectorBucketName"] for b in buckets["vectorBuckets"]] == ["cli-pages"]


def test_cli_needs_the_servers_key(tmp_path: Path) -> None:
    """Against a server checking SigV4: the right key creates a bucket; a wrong secret
    (InvalidSignatureException) and ``--no-sign-request`` (MissingAuthenticationToken-
    Exception) are refused with 403 and create nothing."""
    key_id, secret = SIGV4_CREDENTIALS.access_key_id, SIGV4_CREDENTIALS.secret_access_key

    def cli(env: dict[str, str], url: str, name: str, *extra: str) -> Any:
        command = [sys.executable, "-m", "awscli", "s3vectors", "create-vector-bucket"]
        command += ["--vector-bucket-name", name, "--endpoint-url", url, "--debug", *extra]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    with (
        LocalS3VectorsClient() as store,
        serve_in_thread(store, credentials=SIGV4_CREDENTIALS) as url,
    ):
        right = cli(cli_env(tmp_path, key_id, secret), url, "cli-right")
        wrong = cli(cli_env(tmp_path, key_id, "not-the-secret"), url, "cli-wrong")
        unsigned = cli(cli_env(tmp_path, key_id, secret), url, "cli-unsigned", "--no-sign-request")
        names = [b["vectorBucketName"] for b in store.list_vector_buckets()["vectorBuckets"]]
    assert right.returncode == 0, right.stderr
    assert wrong.returncode != 0
    assert "(InvalidSignatureException) when calling the CreateVectorBucket" in wrong.stderr
    assert unsigned.returncode != 0
    assert "(MissingAuthenticationTokenException) when calling" in unsigned.stderr
    for refused in (wrong, unsigned):
        assert '"POST /CreateVectorBucket HTTP/1.1" 403' in refused.stderr
    assert names == ["cli-right"]
