"""Per-call latency of the served store over loopback HTTP vs. the embedded client.

Two calls, each measured in this one run on the same in-memory store, directly on the
``LocalS3VectorsClient`` (the baseline) and through ``boto3.client("s3vectors")``
against ``serve_in_thread`` on 127.0.0.1 (keep-alive connection, SigV4-signed, open
server):

* ``ListVectorBuckets`` (one bucket): what a round trip costs when the store has next
  to nothing to do;
* a 10-result ``QueryVectors`` (cosine, ``returnMetadata`` and ``returnDistance``) over
  ``--n`` vectors of ``--dim`` dimensions.

A served call costs botocore's own work, the HTTP round trip and the server's parsing on
top of the store's. What it must not cost is a wait on the network stack: with Nagle's
algorithm on the server's connections, a response written as headers and body in two
sends waits for the client's delayed ACK (about 40 ms on Linux) before the body leaves.

Run: ``python benchmarks/http_overhead.py [--n 1000 --dim 384]``
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import boto3
import numpy as np
from mock_overhead import load, p50_seconds, query

from langchain_s3vectors import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Callable


def p50_ms(call: Callable[[], Any], repeat: int) -> float:
    call()  # warm: connection, endpoint resolution, index load
    return p50_seconds(call, repeat) * 1e3


def calls(target: Any, vector: list[float]) -> dict[str, Callable[[], Any]]:
    def list_buckets() -> Any:
        assert len(target.list_vector_buckets()["vectorBuckets"]) == 1

    return {"ListVectorBuckets": list_buckets, "QueryVectors topK=10": query(target, vector)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    with LocalS3VectorsClient() as store, serve_in_thread(store) as url:
        rng = np.random.default_rng(0)
        load(store, rng.standard_normal((args.n, args.dim)).astype(np.float32))
        vector = [float(x) for x in rng.standard_normal(args.dim).astype(np.float32)]
        served = boto3.client(
            "s3vectors",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        direct_calls, http_calls = calls(store, vector), calls(served, vector)
        print(f"{args.n} x {args.dim}-d vectors, {args.repeat} calls each, p50, one run")
        print(f"{'call':<22} {'direct ms':>10} {'http ms':>9} {'http - direct ms':>17}")
        for name, direct_call in direct_calls.items():
            direct = p50_ms(direct_call, args.repeat)
            http = p50_ms(http_calls[name], args.repeat)
            print(f"{name:<22} {direct:>10.3f} {http:>9.3f} {http - direct:>17.3f}")
    print("a served call should cost milliseconds, not the ~40 ms of a delayed ACK")


if __name__ == "__main__":
    main()
