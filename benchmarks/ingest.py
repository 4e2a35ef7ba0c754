"""Ingest throughput against raw model speed, and the cost of an unchanged re-ingest.

Corpus: reStructuredText/Markdown/text documentation that ships inside the installed
packages of the running Python (the AWS CLI's examples when present), copied into a
temporary folder. Model: the bundled all-MiniLM-L6-v2 on CPU. Store: the embedded
local S3 Vectors on disk.

Prints, in one run:

* end-to-end ingest throughput (chunks/s), model already loaded;
* raw ``SentenceTransformer.encode`` throughput on the very same chunk texts, and the
  ratio ingest / encode (target >= 0.9);
* wall time of re-ingesting the unchanged corpus through the ``s3vectors-rag`` CLI in
  a fresh process (start-up included), as a fraction of the first ingest (target
  <= 0.15).

Usage::

    python benchmarks/ingest.py [--files 400] [--max-chunks 800]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from langchain_s3vectors.app.embeddings import default_embeddings
from langchain_s3vectors.app.ingest import ingest
from langchain_s3vectors.app.loaders import SUPPORTED_EXTENSIONS, split_file
from langchain_s3vectors.vectorstores import S3VectorsStore

TEXT_SUFFIXES = {".rst", ".md", ".txt"}
SKIP_NAMES = {"LICENSE", "RECORD", "entry_points.txt", "top_level.txt", "vocab.txt", "merges.txt"}


def find_docs(limit: int) -> list[Path]:
    roots = [Path(p) for p in {sysconfig.get_paths()["purelib"], *site.getsitepackages()}]
    preferred: list[Path] = []
    others: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if (
                path.suffix.lower() not in TEXT_SUFFIXES
                or path.name in SKIP_NAMES
                or "LICENSE" in path.name
                or not path.is_file()
                or "/tests/" in path.as_posix()
            ):
                continue
            size = path.stat().st_size
            if not 400 <= size <= 20_000:
                continue
            bucket = preferred if "/awscli/examples/" in path.as_posix() else others
            bucket.append(path)
    # Spread the pick over the whole set instead of taking one package's first folder.
    pool = preferred if len(preferred) >= limit else preferred + others
    step = max(1, len(pool) // limit)
    return pool[::step][:limit]


def build_corpus(files: list[Path], target: Path, max_chunks: int) -> tuple[int, list[str]]:
    texts: list[str] = []
    count = 0
    for index, path in enumerate(files):
        name = f"{index:04d}-{path.parent.name}-{path.stem}.{path.suffix.lstrip('.')}"
        if Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
            continue
        dest = target / name
        shutil.copyfile(path, dest)
        chunks = split_file(dest, name)
        if len(texts) + len(chunks) > max_chunks:
            dest.unlink()
            break
        texts.extend(chunk.text for chunk in chunks)
        count += 1
    return count, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--max-chunks", type=int, default=800)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="s3v-ingest-bench-"))
    corpus = work / "corpus"
    corpus.mkdir()
    try:
        files, texts = build_corpus(find_docs(args.files), corpus, args.max_chunks)
        size = sum(p.stat().st_size for p in corpus.iterdir())
        print(f"corpus: {files} files, {size / 1e6:.2f} MB, {len(texts)} chunks (1000/150)")

        started = time.perf_counter()
        embeddings = default_embeddings(device="cpu")
        model = embeddings._client  # noqa: SLF001 - the SentenceTransformer
        model.encode(["warm up the model"] * 8, normalize_embeddings=True)
        print(f"model load + warm-up: {time.perf_counter() - started:.1f}s")

        # Raw encode, with the preprocessing HuggingFaceEmbeddings applies, measured
        # before and after the ingest so that drift in machine load evens out.
        prepared = [t.replace("\n", " ") for t in texts]

        def encode() -> float:
            started = time.perf_counter()
            model.encode(prepared, normalize_embeddings=True, show_progress_bar=False)
            return time.perf_counter() - started

        encode_before = encode()
        store = S3VectorsStore.local(work / "kb", embeddings)
        started = time.perf_counter()
        report = ingest(store, [corpus], root=corpus, progress=False)
        ingest_s = time.perf_counter() - started
        encode_after = encode()
        encode_s = (encode_before + encode_after) / 2
        encode_rate = len(texts) / encode_s
        assert report.added == len(texts), report.as_dict()
        ingest_rate = report.chunks / ingest_s
        store.client.close()

        env = {**os.environ, "S3VECTORS_BACKEND": "local"}
        cli = Path(sys.executable).with_name("s3vectors-rag")
        command = (
            [str(cli)] if cli.exists() else [sys.executable, "-m", "langchain_s3vectors.app.cli"]
        )
        command += ["--local", str(work / "kb"), "ingest", str(corpus), "--root", str(corpus)]
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "--json"], capture_output=True, text=True, env=env, check=True
        )
        reingest_s = time.perf_counter() - started
        again = json.loads(done.stdout)
        assert again["unchanged"] == len(texts), again
        assert again["added"] == again["updated"] == 0, again

        print(
            f"raw encode:        {encode_rate:8.1f} chunks/s "
            f"(mean of {encode_before:.1f}s before and {encode_after:.1f}s after the ingest)"
        )
        print(f"end-to-end ingest: {ingest_rate:8.1f} chunks/s ({ingest_s:.1f}s)")
        print(f"ingest / encode:   {ingest_rate / encode_rate:8.2f}  (target >= 0.9)")
        print(
            f"CLI re-ingest, unchanged: {reingest_s:.2f}s = "
            f"{reingest_s / ingest_s:.3f} of the first ingest (target <= 0.15)"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
