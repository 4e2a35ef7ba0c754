import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from langchain_s3vectors.testing import seed

# A script of the JavaScript project, next to its node_modules/@aws-sdk/client-s3vectors.
SCRIPT = Path(__file__).resolve().parents[2] / "tests" / "js" / "nearest.mjs"


def test_javascript_sdk(s3vectors_endpoint):
    node = shutil.which("node") or pytest.skip("Node.js is not installed")
    seed(s3vectors_endpoint.client(), "js-films", "plots", {"heat": [1.0, 0.0], "jaws": [0.0, 1.0]})
    done = subprocess.run(
        [node, str(SCRIPT), "js-films", "plots"],
        env={**os.environ, **s3vectors_endpoint.env()},  # AWS_ENDPOINT_URL_S3VECTORS & co.
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == ["heat"]
