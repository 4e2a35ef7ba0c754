"""Sharded ingest with real processes against ``s3vectors-rag serve --enforce-write-caps``.

Three shard processes run ``examples/sharded_ingest/entrypoint.sh`` (as AWS Batch array
children would, ``AWS_BATCH_JOB_ARRAY_INDEX`` = 0, 1, 2) against one server process that
answers 429 beyond the per-index write caps (2,500 vectors/s, 1,000 requests/s; S3 User
Guide, S3 Vectors "Limitations and restrictions"). A recording proxy between them logs
every write on the wire. Checked: every chunk is stored (nothing lost), the shards'
``added`` counts sum to the stored count (nothing written by two shards), and the
shards together stay within what the cap admits (a 429, when a busy machine bunches
requests up, is retried and loses nothing). That each shard paces at its share of the
cap is checked in ``tests/unit_tests/ingest/test_sharding.py``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from langchain_s3vectors import limits

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "sharded_ingest"))

from run_local import run_shards  # noqa: E402

CAP = limits.MAX_WRITE_VECTORS_PER_SECOND


class RecordingProxy(ThreadingHTTPServer):
    """Forwards HTTP to ``upstream`` and logs ``(time, status, vectors)`` of each write."""

    daemon_threads = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.writes: list[tuple[float, float, int, int]] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordingProxy

    def log_message(self, *_: Any) -> None:
        return

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        sent = time.monotonic()
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        for attempt in range(2):  # the server may have closed an idle keep-alive connection
            upstream = getattr(self, "_upstream", None)
            if upstream is None:
                upstream = self._upstream = http.client.HTTPConnection(*self.server.upstream)
            try:
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                break
            except (OSError, http.client.HTTPException):
                upstream.close()
                self._upstream = None
                if attempt:
                    raise
        if self.path.endswith(("/PutVectors", "/DeleteVectors")):
            payload = json.loads(body or b"{}")
            count = len(payload.get("vectors") or payload.get("keys") or [])
            with self.server.lock:
                # The server admitted the write between these two instants.
                self.server.writes.append((sent, time.monotonic(), response.status, count))
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def _listening_port(server: subprocess.Popen[str]) -> int:
    """The port ``serve`` says it listens on (it prints that once it is bound)."""
    assert server.stderr is not None
    for line in server.stderr:
        found = re.search(r"at http://127\.0\.0\.1:(\d+) ", line)
        if found:
            return int(found.group(1))
    pytest.fail("the server exited before saying where it listens")


@pytest.fixture
def capped_server(tmp_path: Path) -> Iterator[tuple[str, RecordingProxy]]:
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "langchain_s3vectors.app.cli", "serve", "--quiet"),
            *("--local", str(tmp_path / "store"), "--port", "0", "--enforce-write-caps"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    port = _listening_port(server)
    proxy = RecordingProxy(("127.0.0.1", port))
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}", proxy
    finally:
        proxy.shutdown()
        server.terminate()
        server.wait(timeout=30)


def _corpus(root: Path, files: int, chunks_per_file: int) -> int:
    root.mkdir(parents=True)
    for i in range(files):
        paragraphs = [
            f"Document {i}, part {p}: " + "lorem ipsum " * 70 for p in range(chunks_per_file)
        ]
        (root / f"doc{i:03d}.md").write_text("\n\n".join(paragraphs))
    return files * chunks_per_file


@pytest.mark.slow
def test_three_shards_fill_one_capped_index_exactly_once(
    tmp_path: Path, capped_server: tuple[str, RecordingProxy]
) -> None:
    url, proxy = capped_server
    docs = tmp_path / "data" / "docs"
    _corpus(docs, files=48, chunks_per_file=200)
    env = {
        "PYTHONPATH": str(ROOT),
        "S3VECTORS_RAG": f"{sys.executable} {ROOT / 'tests' / 'integration_tests' / 'shard_cli.py'}",
        "S3VECTORS_BACKEND": "aws",
        "AWS_ENDPOINT_URL_S3VECTORS": url,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "S3_VECTOR_BUCKET_NAME": "kbase",
        "S3_VECTOR_INDEX_NAME": "docs",
    }
    init = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "integration_tests" / "shard_cli.py"), "init"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    reports = run_shards(3, [str(docs)], root=str(tmp_path / "data"), env=env)

    client = boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    stored = 0
    for page in client.get_paginator("list_vectors").paginate(
        vectorBucketName="kbase", indexName="docs"
    ):
        stored += len(page["vectors"])
    chunks = sum(r["chunks"] for r in reports)
    assert all(r["files"] > 0 for r in reports)  # every shard had work
    assert sum(r["files"] for r in reports) == 48
    assert stored == chunks  # nothing lost
    assert sum(r["added"] for r in reports) == stored  # nothing written twice

    accepted = [(sent, done, n) for sent, done, status, n in proxy.writes if status == 200]
    throttled = [n for _, _, status, n in proxy.writes if status == 429]
    assert sum(n for _, _, n in accepted) == stored  # every accepted write counted once
    # Together the shards never got more admitted than the cap allows: one second's
    # worth at once plus the cap's rate (the server's token bucket). A write was admitted
    # somewhere between its request and its answer, so only writes whose whole round
    # trip fell inside a one-second window surely count against it (answers bunch up on
    # a busy machine); any 429 was retried, since nothing is missing above.
    for start, _, _ in accepted:
        window = sum(n for sent, done, n in accepted if start <= sent and done < start + 1.0)
        assert window <= 2 * CAP + limits.MAX_PUT_VECTORS, window  # one request of slack
    span = accepted[-1][1] - min(sent for sent, _, _ in accepted)
    assert stored <= CAP * (span + 1.0), (stored, span)
    assert len(throttled) < len(proxy.writes)
