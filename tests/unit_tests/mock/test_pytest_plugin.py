"""The ``s3vectors`` pytest plugin: its fixtures, and that it stays inert without its extra."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from langchain_s3vectors.testing import seed
from langchain_s3vectors.testing.endpoint import S3VectorsEndpoint

seen_stores: list[int] = []


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_a_fresh_store(s3vectors_client: Any, s3vectors_mock: Any, run: int) -> None:
    # The same bucket in both runs: no ConflictException, since each run has its own store.
    s3vectors_client.create_vector_bucket(vectorBucketName="per-test")
    assert len(s3vectors_client.list_vector_buckets()["vectorBuckets"]) == 1
    # Clients the code under test makes are answered by the same store.
    assert boto3.client("s3vectors").get_vector_bucket(vectorBucketName="per-test")
    seen_stores.append(id(s3vectors_mock.client))
    if run == 2:
        assert len(set(seen_stores)) == 2


def test_the_endpoint_serves_over_loopback_for_the_session(
    s3vectors_endpoint: S3VectorsEndpoint, tmp_path: Path
) -> None:
    assert s3vectors_endpoint.url.startswith("http://127.0.0.1:")
    assert str(s3vectors_endpoint) == s3vectors_endpoint.url
    seed(s3vectors_endpoint.client(), "endpoint-check", "notes", {"n1": [1.0, 0.0]})
    assert s3vectors_endpoint.store.get_index(vectorBucketName="endpoint-check", indexName="notes")
    # A subprocess reaches it through the environment alone, as any SDK or the CLI would.
    code = (
        "import boto3; c = boto3.client('s3vectors'); "
        "print(c.get_vectors(vectorBucketName='endpoint-check', indexName='notes', "
        "keys=['n1'])['vectors'][0]['key'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, **s3vectors_endpoint.env()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "n1"


BLOCK_EXTRA = """
import sys

class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"starlette", "uvicorn"}:
            raise ImportError(f"No module named {name!r}")

sys.meta_path.insert(0, Missing())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def _fixtures(tmp_path: Path, *, block: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n", encoding="utf-8")
    args = ["--fixtures", "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path)]
    command = (
        [sys.executable, "-c", BLOCK_EXTRA, *args]
        if block
        else [sys.executable, "-m", "pytest", *args]
    )
    return subprocess.run(
        [*command, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_plugin_is_registered_and_inert_without_the_extra(tmp_path: Path) -> None:
    present = _fixtures(tmp_path, block=False)
    assert present.returncode == 0, present.stderr
    assert "s3vectors_client" in present.stdout
    assert "s3vectors_endpoint" in present.stdout
    missing = _fixtures(tmp_path, block=True)
    assert missing.returncode == 0, missing.stdout + missing.stderr  # pytest starts as usual
    assert "s3vectors_client" not in missing.stdout
    assert "s3vectors_endpoint" not in missing.stdout


def test_without_the_extra_the_names_say_how_to_install_it() -> None:
    code = BLOCK_EXTRA.replace(
        "import pytest\nsys.exit(pytest.main(sys.argv[1:]))",
        "try:\n    from langchain_s3vectors.testing import mock_s3vectors\n"
        "except ImportError as exc:\n    print(exc)\n",
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert 'pip install "langchain-s3vectors[testing]"' in done.stdout
    assert "mock_s3vectors" in done.stdout
