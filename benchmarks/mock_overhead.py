"""What the in-process mock adds to a call: boto3 under ``mock_s3vectors`` vs. the embedded client.

A 10-result QueryVectors (cosine, ``returnMetadata`` and ``returnDistance``), measured in
this one run three ways on the same store:

* ``direct``: on the ``LocalS3VectorsClient`` behind the mock (the baseline);
* ``mock``: through ``boto3.client("s3vectors")`` under ``mock_s3vectors`` (botocore
  validates, serializes, signs and parses; the mock routes, parses and validates as
  ``serve`` does; no socket);
* ``botocore alone``: the same boto3 call answered with the recorded response bytes by a
  trivial ``before-send`` handler: what botocore itself costs per call, which a call to
  AWS costs as well. ``mock - direct - botocore alone`` is what the mock's own protocol
  layer adds.

Target: mock <= 1.5x direct. The ratio depends on how much searching there is to do
against botocore's fixed cost (most of it serializing the query vector's floats), so it
is printed for each of ``--sizes`` (vectors in the index).

Run: ``python benchmarks/mock_overhead.py [--sizes 1000,10000,50000 --dim 384]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import TYPE_CHECKING, Any

import boto3
import numpy as np
from botocore.awsrequest import AWSResponse

from langchain_s3vectors.testing import mock_s3vectors

if TYPE_CHECKING:
    from collections.abc import Callable

BUCKET, INDEX = "bench", "vectors"


def p50_seconds(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load(client: Any, data: np.ndarray) -> None:
    client.create_vector_bucket(vectorBucketName=BUCKET)
    client.create_index(
        vectorBucketName=BUCKET,
        indexName=INDEX,
        dataType="float32",
        dimension=data.shape[1],
        distanceMetric="cosine",
    )
    for start in range(0, len(data), 500):
        client.put_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            vectors=[
                {
                    "key": f"v{i}",
                    "data": {"float32": data[i].tolist()},
                    "metadata": {"category": f"c{i % 10}"},
                }
                for i in range(start, min(start + 500, len(data)))
            ],
        )


class Canned:
    """``raw`` of a recorded response, for the botocore-alone measurement."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def query(target: Any, vector: list[float]) -> Callable[[], Any]:
    def call() -> Any:
        answer = target.query_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            topK=10,
            queryVector={"float32": vector},
            returnMetadata=True,
            returnDistance=True,
        )
        assert len(answer["vectors"]) == 10
        return answer

    return call


def measure(n: int, dim: int, queries: int, repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((n, dim)).astype(np.float32)
    vectors = [q.tolist() for q in rng.standard_normal((queries, dim)).astype(np.float32)]
    with mock_s3vectors() as mock:
        direct = mock.client
        load(direct, data)
        client = boto3.client("s3vectors", region_name="us-east-1")
        recorded: dict[str, Any] = {}
        client.meta.events.register(
            "before-parse.s3vectors.QueryVectors",
            lambda response_dict, **_: recorded.update(response_dict),
        )
        for target in (direct, client):  # warm: index load, endpoint resolution, caches
            query(target, vectors[0])()
        same = [v["key"] for v in query(direct, vectors[1])()["vectors"]] == [
            v["key"] for v in query(client, vectors[1])()["vectors"]
        ]
        times: dict[str, list[float]] = {"direct": [], "mock": [], "botocore": []}
        for vector in vectors:  # interleaved, so drift in machine load hits both alike
            times["direct"].append(p50_seconds(query(direct, vector), repeat))
            times["mock"].append(p50_seconds(query(client, vector), repeat))
    # botocore alone, after the block (so the mock does not answer too): the recorded
    # response bytes handed back by a trivial before-send handler.
    canned = boto3.client("s3vectors", region_name="us-east-1")
    canned.meta.events.register(
        "before-send.s3vectors.QueryVectors",
        lambda request, **_: AWSResponse(
            request.url,
            recorded["status_code"],
            recorded["headers"],
            Canned(recorded["body"]),
        ),
    )
    query(canned, vectors[0])()
    for vector in vectors:
        times["botocore"].append(p50_seconds(query(canned, vector), repeat))
    result: dict[str, Any] = {name: statistics.median(values) for name, values in times.items()}
    result["same"] = same
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"QueryVectors topK=10, {args.dim}-d cosine, {args.queries} queries x {args.repeat}, p50")
    print(
        f"{'vectors':>8} {'direct ms':>10} {'mock ms':>9} {'ratio':>6} "
        f"{'botocore alone ms':>18} {'mock layer ms':>14} {'same':>5}"
    )
    for n in (int(size) for size in args.sizes.split(",")):
        r = measure(n, args.dim, args.queries, args.repeat)
        layer = r["mock"] - r["direct"] - r["botocore"]
        # Where searching dominates, the layer is smaller than the run-to-run noise.
        shown = f"{layer * 1e3:>14.3f}" if layer > 0 else f"{'within noise':>14}"
        print(
            f"{n:>8} {r['direct'] * 1e3:>10.3f} {r['mock'] * 1e3:>9.3f} "
            f"{r['mock'] / r['direct']:>5.2f}x {r['botocore'] * 1e3:>18.3f} "
            f"{shown} {r['same']!s:>5}"
        )
    print("target: mock <= 1.5x direct")


if __name__ == "__main__":
    main()
