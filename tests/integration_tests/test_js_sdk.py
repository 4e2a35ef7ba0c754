"""The AWS SDK for JavaScript v3 (``@aws-sdk/client-s3vectors``) against the HTTP server.

An emulator that only boto3 has tried is an emulator of boto3: ``tests/js/exercise.mjs``
runs every command and paginator the JavaScript SDK has, and the error cases, against
the server on loopback, and prints what it saw; this test judges it. The SDK is
installed from ``tests/js/package-lock.json`` by ``npm ci`` (``make js``, run by
``make test`` and ``.ci/run``).

The script runs twice, against an open server and against one checking AWS Signature
Version 4; ``tests/js/auth.mjs`` checks, over https, that such a server serves the
right key and answers a wrong one, or none, with 403 and writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread

from .conftest import SIGV4_CREDENTIALS, sdk_credentials_for
from .tls import self_signed_certificate

JS_DIR = Path(__file__).parents[1] / "js"
#: The commands of @aws-sdk/client-s3vectors as locked in tests/js/package-lock.json.
SDK_COMMANDS = sorted(
    p.name.removesuffix("Command.d.ts")
    for p in (JS_DIR / "node_modules/@aws-sdk/client-s3vectors/dist-types/commands").glob(
        "*Command.d.ts"
    )
)


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("Node.js is not installed: the JavaScript SDK cannot run here")
    if not (JS_DIR / "node_modules/@aws-sdk/client-s3vectors").is_dir():
        pytest.fail("the JavaScript SDK is not installed: run `make js` (npm ci in tests/js)")
    return found


def node_env(mode: str) -> dict[str, str]:
    """The script's environment: the credentials of ``mode``, none of the user's."""
    credentials = sdk_credentials_for(mode)
    env = {
        **os.environ,
        "NODE_NO_WARNINGS": "1",
        "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
    }
    env.pop("AWS_SESSION_TOKEN", None)
    return env


@pytest.fixture(scope="module", params=["open", "sigv4"])
def seen(node: str, request: pytest.FixtureRequest) -> dict[str, Any]:
    """One run of the script against a fresh in-memory store; the tests read its report."""
    env = node_env(request.param)
    checked = SIGV4_CREDENTIALS if request.param == "sigv4" else None
    with LocalS3VectorsClient() as store, serve_in_thread(store, credentials=checked) as url:
        done = subprocess.run(
            [node, str(JS_DIR / "exercise.mjs"), url],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_every_command_of_the_sdk_runs(seen: dict[str, Any]) -> None:
    assert len(SDK_COMMANDS) >= 19
    assert seen["commands"] == SDK_COMMANDS
    assert seen["bucketArn"] == "arn:aws:s3vectors:us-east-1:000000000000:bucket/js-bucket"
    assert seen["bucketCreationTimeIsDate"] is True
    assert seen["policyRoundTrip"] is True
    assert seen["index"] == {"dimension": 3, "distanceMetric": "cosine", "nonFilterable": ["body"]}
    assert seen["getVectors"] == [
        {"key": "v001", "n": 1, "dims": 3},
        {"key": "v002", "n": 2, "dims": 3},
    ]
    assert seen["tags"] == {"b": "2"}
    assert seen["afterDelete"] == ["v002"]
    assert seen["bucketsLeft"] == 0


def test_paginators_follow_the_service_semantics(seen: dict[str, Any]) -> None:
    """ListVectors: default page 500 (model); QueryVectors: topK is the total, paged by
    nextToken beyond a page (S3 User Guide, "Querying vectors")."""
    pages = seen["paginators"]
    assert pages["ListVectorBuckets"]["sizes"] == [2, 1]
    assert pages["ListIndexes"]["keys"] == ["js-index", "js-index-b", "js-index-c"]
    assert pages["ListVectors"]["sizes"] == [60, 60, 60, 60, 10]
    assert sorted(pages["ListVectors"]["keys"]) == [f"v{i:03d}" for i in range(250)]
    assert seen["listDefaultPage"] == {"size": 250, "hasToken": False}
    segments = seen["segments"]
    assert sorted(k for s in segments for k in s) == [f"v{i:03d}" for i in range(250)]
    assert all(segments)
    assert seen["query"]["keys"] == ["v000", "v001", "v002", "v003"]
    assert seen["query"]["hasToken"] is False
    assert pages["QueryVectorsTopK4"]["sizes"] == [4]
    assert pages["QueryVectorsTopK150"]["sizes"] == [100, 50]
    assert pages["QueryVectorsTopK150"]["keys"] == [f"v{i:03d}" for i in range(150)]
    assert seen["startsWith"] == ["docs/even"] * 5


EXPECTED_ERRORS = {
    "GetIndexMissing": ("NotFoundException", 404),
    "GetVectorBucketMissing": ("NotFoundException", 404),
    "GetVectorBucketPolicyMissing": ("NotFoundException", 404),
    "CreateVectorBucketDuplicate": ("ConflictException", 409),
    "CreateIndexDuplicate": ("ConflictException", 409),
    "DeleteVectorBucketNotEmpty": ("ConflictException", 409),
    "CreateVectorBucketDots": ("ValidationException", 400),
    "QueryTopKZero": ("ValidationException", 400),
    "QueryTopKOverCeiling": ("ValidationException", 400),
    "QueryWrongDimension": ("ValidationException", 400),
    "QueryNonFilterableKey": ("ValidationException", 400),
    "QueryUnknownOperator": ("ValidationException", 400),
    "PutVectorsTooMany": ("ValidationException", 400),
    "GetVectorsTooMany": ("ValidationException", 400),
    "ListVectorsBadToken": ("ValidationException", 400),
    "TagReservedKey": ("ValidationException", 400),
}


def test_error_names_and_status_codes(seen: dict[str, Any]) -> None:
    errors = seen["errors"]
    assert {k: (v["name"], v["status"]) for k, v in errors.items()} == EXPECTED_ERRORS
    zero = errors["QueryTopKZero"]
    assert zero["message"] == (
        "1 validation error detected: Value '0' at 'topK' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )
    assert [f["path"] for f in zero["fieldList"]] == ["topK"]
    assert [f["path"] for f in errors["QueryTopKOverCeiling"]["fieldList"]] == ["topK"]
    assert errors["PutVectorsTooMany"]["message"].startswith(
        "1 validation error detected: Value at 'vectors'"
    )


def test_sigv4_serves_the_right_key_only(node: str, tmp_path: Path) -> None:
    """Right key: served. Wrong secret: InvalidSignatureException. No signature:
    MissingAuthenticationTokenException. Both 403, and neither wrote a bucket. Over
    https, with the test's own certificate authority (NODE_EXTRA_CA_CERTS)."""
    cert, key = self_signed_certificate(tmp_path)
    env = {**node_env("sigv4"), "NODE_EXTRA_CA_CERTS": str(cert)}
    with (
        LocalS3VectorsClient() as store,
        serve_in_thread(store, credentials=SIGV4_CREDENTIALS, tls_cert=cert, tls_key=key) as url,
    ):
        assert url.startswith("https://")
        done = subprocess.run(
            [node, str(JS_DIR / "auth.mjs"), url],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        names = [b["vectorBucketName"] for b in store.list_vector_buckets()["vectorBuckets"]]
    seen = json.loads(done.stdout)
    assert seen["rightKey"] == {"ok": True, "status": 200}
    assert seen["wrongKey"] == {"ok": False, "name": "InvalidSignatureException", "status": 403}
    assert seen["unsigned"] == {
        "ok": False,
        "name": "MissingAuthenticationTokenException",
        "status": 403,
    }
    assert seen["buckets"] == ["js-right-key"]
    assert names == ["js-right-key"]
