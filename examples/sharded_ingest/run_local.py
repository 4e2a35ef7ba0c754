"""Run an AWS Batch-style array of ingest shards on this machine.

AWS Batch runs ``entrypoint.sh`` once per array child with ``AWS_BATCH_JOB_ARRAY_INDEX``
set to 0 .. N-1; this script does the same with N local processes, so the job can be
tried (against ``s3vectors-rag serve``, or AWS) before it is submitted. It waits for
every shard, prints each shard's report and the totals, and exits non-zero when a
shard failed.

Run:
    s3vectors-rag serve --local ./kb --enforce-write-caps &       # or use AWS
    export AWS_ENDPOINT_URL_S3VECTORS=http://127.0.0.1:8000 S3_VECTOR_BUCKET_NAME=kbase
    python examples/sharded_ingest/run_local.py --shards 4 --root examples examples/data
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ENTRYPOINT = Path(__file__).with_name("entrypoint.sh")


def run_shards(
    shards: int, paths: list[str], *, root: str, env: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Start ``shards`` entrypoint processes at once; return their JSON reports in order."""
    base = {**os.environ, **(env or {}), "SHARDS": str(shards), "INGEST_ROOT": root}
    processes = [
        subprocess.Popen(
            ["sh", str(ENTRYPOINT), *paths],
            env={**base, "AWS_BATCH_JOB_ARRAY_INDEX": str(index)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(shards)
    ]
    reports = []
    for index, process in enumerate(processes):
        out, err = process.communicate()
        if process.returncode != 0:
            msg = f"shard {index}/{shards} failed ({process.returncode}): {err.strip()}"
            raise RuntimeError(msg)
        reports.append(json.loads(out))
    return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--root", default=".")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    try:
        reports = run_shards(args.shards, args.paths, root=args.root)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    for index, report in enumerate(reports):
        print(
            f"shard {index}/{args.shards}: {report['files']} files, {report['added']} added, "
            f"{report['updated']} updated, {report['deleted']} deleted"
        )
    total = sum(r["added"] + r["updated"] + r["unchanged"] for r in reports)
    print(f"all shards: {sum(r['files'] for r in reports)} files, {total} chunks")


if __name__ == "__main__":
    main()
