"""Sharded ingest with 1, 2 and 4 processes against a server enforcing the write caps.

For each N, a fresh ``s3vectors-rag serve --enforce-write-caps`` process serves an empty
store, ``s3vectors-rag init`` creates the index, and N shard processes run
``examples/sharded_ingest/entrypoint.sh`` at once (``AWS_BATCH_JOB_ARRAY_INDEX`` = 0 ..
N-1), as an AWS Batch array job would. It prints, per N: wall time from the first shard's
start to the last one's end, chunks/s, the speed-up over N = 1 (the baseline, same run),
the vectors stored against the chunks (nothing lost) and the shards' ``added`` sum
(nothing twice).

By default the embedding is ``DeterministicFakeEmbedding`` (384-d), so the figures are
those of loading, splitting, planning and writing; ``--minilm`` uses the packaged
all-MiniLM-L6-v2 instead (then N processes share this machine's cores, so the speed-up
shows what one more *machine* would give only when there are cores to spare).

Run:
    python benchmarks/sharded_ingest.py                          # 48 files x 200 chunks
    python benchmarks/sharded_ingest.py --minilm --files 8 --chunks 25
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "sharded_ingest"))

from run_local import run_shards  # noqa: E402


def cli() -> None:
    """``s3vectors-rag`` with the fake embedding (what each shard process runs)."""
    from langchain_core.embeddings import DeterministicFakeEmbedding  # noqa: PLC0415

    from langchain_s3vectors.app.cli import make_app  # noqa: PLC0415
    from langchain_s3vectors.app.settings import build_store  # noqa: PLC0415

    make_app(lambda s: build_store(s, embedding=DeterministicFakeEmbedding(size=384)))(sys.argv[2:])


@contextlib.contextmanager
def server(path: Path) -> Iterator[str]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "langchain_s3vectors.app.cli", "serve", "--quiet"),
            *("--local", str(path), "--port", "0", "--enforce-write-caps"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    port = None
    for line in process.stderr or ():  # serve says where it listens once it is bound
        found = re.search(r"at http://127\.0\.0\.1:(\d+) ", line)
        if found:
            port = int(found.group(1))
            break
    if port is None:
        raise RuntimeError("s3vectors-rag serve exited before it listened")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def corpus(root: Path, files: int, chunks: int) -> None:
    root.mkdir(parents=True)
    for i in range(files):
        parts = [f"Document {i}, part {p}: " + "lorem ipsum dolor " * 48 for p in range(chunks)]
        (root / f"doc{i:03d}.md").write_text("\n\n".join(parts))


def count(url: str) -> int:
    import boto3  # noqa: PLC0415

    client = boto3.client("s3vectors", endpoint_url=url)
    pages = client.get_paginator("list_vectors").paginate(
        vectorBucketName="kbase", indexName="docs"
    )
    return sum(len(page["vectors"]) for page in pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=48)
    parser.add_argument("--chunks", type=int, default=200, help="chunks per file")
    parser.add_argument("--shards", default="1,2,4")
    parser.add_argument("--minilm", action="store_true", help="use the packaged MiniLM model")
    args = parser.parse_args()
    installed = Path(sys.executable).with_name("s3vectors-rag")  # this venv's command
    real = str(installed) if installed.exists() else "s3vectors-rag"
    command = real if args.minilm else f"{sys.executable} {Path(__file__)} --cli"
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "data" / "docs"
        corpus(docs, args.files, args.chunks)
        print(
            f"{args.files * args.chunks:,} chunks in {args.files} files, "
            f"{'all-MiniLM-L6-v2' if args.minilm else 'fake 384-d embedding'}, "
            "write caps enforced (2,500 vectors/s per index)"
        )
        print(
            f"{'shards':>6}{'seconds':>10}{'chunks/s':>10}{'x 1 shard':>11}{'stored':>9}{'added':>8}"
        )
        base = None
        for n in [int(x) for x in args.shards.split(",")]:
            with server(Path(tmp) / f"store-{n}") as url:
                env = {
                    "PYTHONPATH": str(ROOT),
                    "S3VECTORS_RAG": command,
                    "S3VECTORS_BACKEND": "aws",
                    "AWS_ENDPOINT_URL_S3VECTORS": url,
                    "AWS_REGION": "us-east-1",
                    "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": "bench",
                    "AWS_SECRET_ACCESS_KEY": "bench",
                    "S3_VECTOR_BUCKET_NAME": "kbase",
                    "S3_VECTOR_INDEX_NAME": "docs",
                    "HF_HUB_OFFLINE": "1",
                }
                os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
                subprocess.run(
                    [*command.split(), "init"], env={**os.environ, **env}, check=True,
                    capture_output=True,
                )  # fmt: skip
                started = time.perf_counter()
                reports = run_shards(n, [str(docs)], root=str(docs.parent), env=env)
                seconds = time.perf_counter() - started
                stored = count(url)
            chunks = sum(r["chunks"] for r in reports)
            rate = chunks / seconds
            base = base or rate
            added = sum(r["added"] for r in reports)
            print(f"{n:>6}{seconds:>10.1f}{rate:>10.0f}{rate / base:>11.2f}{stored:>9}{added:>8}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--cli"]:
        cli()
    else:
        main()
