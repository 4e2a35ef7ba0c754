"""Sustained write throughput against an S3 Vectors endpoint that enforces the write caps.

Starts ``langchain_s3vectors.server`` in a subprocess (its own interpreter and GIL) with
50 ms of added latency per request and the per-index write caps enforced (PutVectors +
DeleteVectors: 1,000 requests/s and 2,500 vectors/s, answered with 429 beyond them),
then writes the same precomputed 384-d vectors through:

(a) ``S3VectorsStore`` over a boto3 client with the fast PutVectors path, at its default
    concurrency and rate limiter;
(b) langchain-aws's ``AmazonS3Vectors`` on the same endpoint.

For each it prints sustained vectors/s, the ratio to the 2,500 vectors/s cap, and the
vectors lost (written minus counted with ListVectors afterwards). The embedding model is
not measured: a fake embedding returns precomputed random unit vectors.

It also prints the client CPU of one 500 x 384 PutVectors request serialized by botocore
and by the fast path (no HTTP: a ``before-send`` hook answers).

Run:
    python benchmarks/write_throughput.py                 # 20,000 vectors each
    python benchmarks/write_throughput.py --vectors 5000 --skip-langchain-aws
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import subprocess
import sys
import time
from typing import Any

import boto3
import numpy as np
from botocore.config import Config
from langchain_core.embeddings import Embeddings

from langchain_s3vectors import limits
from langchain_s3vectors.client import enable_fast_put_vectors

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
REGION = "us-east-1"
CAP = limits.MAX_WRITE_VECTORS_PER_SECOND


class PrecomputedEmbeddings(Embeddings):
    """Returns a precomputed random unit vector for each known text (no model runs)."""

    def __init__(self, texts: list[str], dim: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        matrix = rng.standard_normal((len(texts), dim)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        self._table = dict(zip(texts, matrix.tolist(), strict=True))
        self._dim = dim

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._table[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._table.get(text) or [1.0 / self._dim**0.5] * self._dim


@contextlib.contextmanager
def server_subprocess(
    *, latency_ms: float, caps: bool, path: str | None, mode: str = "token-bucket"
):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "langchain_s3vectors.server",
        "--fd",
        str(sock.fileno()),
        "--latency-ms",
        str(latency_ms),
    ]
    if caps:
        command += ["--enforce-write-caps", "--write-caps-mode", mode]
    if path:
        command += ["--path", path]
    process = subprocess.Popen(command, pass_fds=[sock.fileno()])
    try:
        # The socket already listens: requests wait in its backlog until the server runs.
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        sock.close()


def raw_client(url: str) -> Any:
    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"mode": "standard", "max_attempts": 10}),
    )


class WriteProbe:
    """Watches a client's PutVectors calls: 429s received, first send, last answer."""

    def __init__(self) -> None:
        self.throttled = 0
        self.first_send: float | None = None
        self.last_answer: float | None = None

    def attach(self, client: Any) -> WriteProbe:
        events = client.meta.events
        events.register("needs-retry.s3vectors.PutVectors", self._on_attempt)
        events.register("before-send.s3vectors.PutVectors", self._on_send)
        events.register("after-call.s3vectors.PutVectors", self._on_answer)
        return self

    def _on_attempt(self, response: Any = None, **_: Any) -> None:
        if response is not None and response[0] is not None and response[0].status_code == 429:
            self.throttled += 1

    def _on_send(self, **_: Any) -> None:
        if self.first_send is None:
            self.first_send = time.perf_counter()

    def _on_answer(self, **_: Any) -> None:
        self.last_answer = time.perf_counter()

    @property
    def write_seconds(self) -> float | None:
        if self.first_send is None or self.last_answer is None:
            return None
        return self.last_answer - self.first_send


def count_vectors(client: Any, bucket: str, index: str) -> int:
    paginator = client.get_paginator("list_vectors")
    return sum(
        len(page["vectors"])
        for page in paginator.paginate(vectorBucketName=bucket, indexName=index)
    )


def run_ours(url: str, texts: list[str], metadatas: list[dict[str, Any]], emb: Embeddings) -> Any:
    from langchain_s3vectors.vectorstores import S3VectorsStore  # noqa: PLC0415

    store = S3VectorsStore.from_aws("bench-ours", "docs", emb, endpoint_url=url, region_name=REGION)
    enable_fast_put_vectors(store.client)  # idempotent if the store already did it
    probe = WriteProbe().attach(store.client)
    ids = [f"doc-{i}" for i in range(len(texts))]
    store.ensure_index()
    error = None
    start = time.perf_counter()
    try:
        store.add_texts(texts, metadatas, ids=ids)
    except Exception as exc:
        error = exc
    elapsed = time.perf_counter() - start
    return elapsed, error, ("bench-ours", "docs"), probe


def run_langchain_aws(
    url: str, texts: list[str], metadatas: list[dict[str, Any]], emb: Embeddings
) -> Any:
    from langchain_aws.vectorstores import AmazonS3Vectors  # noqa: PLC0415

    raw_client(url).create_vector_bucket(vectorBucketName="bench-aws")
    store = AmazonS3Vectors(
        vector_bucket_name="bench-aws",
        index_name="docs",
        embedding=emb,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        non_filterable_metadata_keys=["_page_content"],
    )
    ids = [f"doc-{i}" for i in range(len(texts))]
    # Create the index outside the timed part, as for ours.
    store.add_texts(texts[:1], metadatas[:1], ids=ids[:1])
    probe = WriteProbe().attach(store.client)
    error = None
    start = time.perf_counter()
    try:
        store.add_texts(texts, metadatas, ids=ids)
    except Exception as exc:
        error = exc
    elapsed = time.perf_counter() - start
    return elapsed, error, ("bench-aws", "docs"), probe


def report(
    name: str,
    url: str,
    total: int,
    elapsed: float,
    error: Any,
    where: Any,
    probe: WriteProbe,
    *,
    latency_ms: float,
) -> float:
    """Print one line per store; return the sustained write rate (vectors/s)."""
    stored = count_vectors(raw_client(url), *where)
    lost = total - stored
    end_to_end = stored / elapsed
    write_seconds = probe.write_seconds or elapsed
    sustained = stored / write_seconds
    print(f"{name}")
    print(
        f"    sustained write rate  {sustained:8,.0f} vectors/s  {sustained / CAP:6.1%} of the "
        f"{CAP:,}/s cap  (first PutVectors sent -> last answered: {write_seconds:.2f} s)"
    )
    # The caps admit one second's worth at once, then CAP vectors/s: the fastest any
    # client can write N vectors is (N - CAP) / CAP seconds plus one round trip.
    best = max(stored - CAP, 0) / CAP + latency_ms / 1000
    print(
        f"    best the cap allows   {best:8.2f} s for {stored:,} vectors: this run reached "
        f"{best / write_seconds:6.1%} of it"
    )
    print(
        f"    end to end add_texts  {end_to_end:8,.0f} vectors/s  {end_to_end / CAP:6.1%} of the "
        f"cap  ({elapsed:.2f} s, record building included)"
    )
    print(f"    stored {stored:,} of {total:,}, lost {lost:,}; 429 answers: {probe.throttled:,}")
    if error is not None:
        print(f"    raised {type(error).__name__}: {str(error)[:200]}")
    return sustained


def client_cpu(dim: int = 384, count: int = 500, repeat: int = 5) -> None:
    class Raw:
        def stream(self, **_: Any):
            yield b"{}"

    class Canned:
        status_code = 200
        headers: dict[str, str] = {}  # noqa: RUF012
        content = b"{}"
        text = "{}"
        raw = Raw()

    rng = random.Random(0)
    vectors = [
        {
            "key": f"doc-{i}",
            "data": {"float32": [rng.uniform(-1, 1) for _ in range(dim)]},
            "metadata": {"source": f"file-{i}.txt", "_page_content": "lorem ipsum " * 40},
        }
        for i in range(count)
    ]
    results = {}
    for label, fast in (("botocore default", False), ("fast path", True)):
        client = boto3.client(
            "s3vectors",
            endpoint_url="http://127.0.0.1:9",
            region_name=REGION,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        client.meta.events.register("before-send.s3vectors.PutVectors", lambda **_: Canned())
        if fast:
            enable_fast_put_vectors(client)
        times = []
        for _ in range(repeat):
            start = time.process_time()
            client.put_vectors(vectorBucketName="bench", indexName="docs", vectors=vectors)
            times.append(time.process_time() - start)
        results[label] = sorted(times)[len(times) // 2] * 1000
        print(f"client CPU per {count} x {dim} PutVectors, {label:<17} {results[label]:7.1f} ms")
    print(f"speed-up: {results['botocore default'] / results['fast path']:.1f}x (target <= 40 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--path", default=None, help="store directory (default: in memory)")
    parser.add_argument("--skip-langchain-aws", action="store_true")
    parser.add_argument("--skip-cpu", action="store_true")
    parser.add_argument(
        "--write-caps-mode", choices=("token-bucket", "sliding-window"), default="token-bucket"
    )
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)

    if not args.skip_cpu:
        client_cpu(dim=args.dim)
        print()

    texts = [f"document number {i} about topic {i % 97}" for i in range(args.vectors)]
    metadatas = [
        {"i": i, "topic": i % 97, "source": f"file-{i // 50}.txt"} for i in range(args.vectors)
    ]
    emb = PrecomputedEmbeddings(texts, args.dim)
    print(
        f"{args.vectors:,} x {args.dim}-d vectors, {args.latency_ms:g} ms latency, "
        f"caps {limits.MAX_WRITE_REQUESTS_PER_SECOND:,} req/s and {CAP:,} vectors/s per index "
        f"({args.write_caps_mode})"
    )
    with server_subprocess(
        latency_ms=args.latency_ms, caps=True, path=args.path, mode=args.write_caps_mode
    ) as url:
        ours = report(
            "S3VectorsStore (fast path)",
            url,
            args.vectors,
            *run_ours(url, texts, metadatas, emb),
            latency_ms=args.latency_ms,
        )
        if not args.skip_langchain_aws:
            theirs = report(
                "langchain-aws AmazonS3Vectors",
                url,
                args.vectors,
                *run_langchain_aws(url, texts, metadatas, emb),
                latency_ms=args.latency_ms,
            )
            print(f"sustained write rate, ours / langchain-aws: {ours / theirs:.1f}x")


if __name__ == "__main__":
    main()
