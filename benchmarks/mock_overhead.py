"""What the in-process mock adds to a call: boto3 under ``mock_s3vectors`` vs. the embedded client.

A 10-result QueryVectors (cosine, ``returnMetadata`` and ``returnDistance``), measured in
this one run three ways on the same store:

* ``direct``: on the ``LocalS3VectorsClient`` behind the mock (the baseline);
* ``mock``: through ``boto3.client("s3vectors")`` under ``mock_s3vectors`` (botocore
  validates, serializes, signs and parses; the mock routes, parses and validates as
  ``serve`` does; no socket);
* ``botocore alone``: the same boto3 call answered with the recorded response bytes by a
  trivial ``before-send`` handler: what botocore itself costs per call (validating,
  serializing the query vector, SigV4 signing, parsing), which a call to AWS costs as
  well; ``of which SigV4`` is its difference to the same call from an unsigned client.
  The mock keeps the signature: the handler routes a request to the store of its
  credential scope's region, and any other ``before-send`` handler sees the request
  AWS would get.

``mock layer`` is the mock's own protocol work, timed on its own: an
``InProcessService`` answering the recorded request (routing, request parsing, the
store's call, the response) minus the same call on the client. ``rest`` is
``mock - direct - botocore alone - mock layer``: what the parts cost together beyond
their sum when run as one call (botocore's steps and the search each take longer
inside the mock call than alone; not attributed further, and noisy).

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
from botocore import UNSIGNED
from botocore.awsrequest import AWSResponse
from botocore.config import Config

from langchain_s3vectors.server.inprocess import InProcessService
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


def canned_client(recorded: dict[str, Any], config: Config | None = None) -> Any:
    """A client whose QueryVectors is answered with the recorded response bytes."""
    client = boto3.client("s3vectors", region_name="us-east-1", config=config)
    client.meta.events.register(
        "before-send.s3vectors.QueryVectors",
        lambda request, **_: AWSResponse(
            request.url, recorded["status_code"], recorded["headers"], Canned(recorded["body"])
        ),
    )
    return client


def measure(n: int, dim: int, queries: int, repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((n, dim)).astype(np.float32)
    vectors = [q.tolist() for q in rng.standard_normal((queries, dim)).astype(np.float32)]
    times: dict[str, list[float]] = {"direct": [], "mock": [], "service": []}
    with mock_s3vectors() as mock:
        direct = mock.client
        load(direct, data)
        client = boto3.client("s3vectors", region_name="us-east-1")
        recorded: dict[str, Any] = {}
        client.meta.events.register(
            "before-parse.s3vectors.QueryVectors",
            lambda response_dict, **_: recorded.update(response_dict),
        )
        sent: list[Any] = []
        client.meta.events.register_first(
            "before-send.s3vectors.QueryVectors", lambda request, **_: sent.append(request)
        )
        for target in (direct, client):  # warm: index load, endpoint resolution, caches
            query(target, vectors[0])()
        same = [v["key"] for v in query(direct, vectors[1])()["vectors"]] == [
            v["key"] for v in query(client, vectors[1])()["vectors"]
        ]
        # The mock's protocol work alone: a service over the same store, fed the wire request.
        service = InProcessService(direct)
        request = sent[-1]
        wire = (request.method, request.url, dict(request.headers.items()), bytes(request.body))
        for vector in vectors:  # interleaved, so drift in machine load hits all alike
            times["direct"].append(p50_seconds(query(direct, vector), repeat))
            times["mock"].append(p50_seconds(query(client, vector), repeat))
            times["service"].append(p50_seconds(lambda: service.handle(*wire), repeat))
    # botocore alone, after the block (so the mock does not answer too): signed with the
    # block's credentials (boto3's default session keeps them), and unsigned.
    canned = {
        "botocore": canned_client(recorded),
        "unsigned": canned_client(recorded, Config(signature_version=UNSIGNED)),
    }
    for name, target in canned.items():
        query(target, vectors[0])()
        times[name] = [p50_seconds(query(target, vector), repeat) for vector in vectors]
    result: dict[str, Any] = {name: statistics.median(values) for name, values in times.items()}
    result["same"] = same
    return result


def shown(seconds: float, width: int) -> str:
    """Milliseconds, or ``noise`` where searching dominates and the part is below it."""
    return f"{seconds * 1e3:>{width}.3f}" if seconds > 0 else f"{'noise':>{width}}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"QueryVectors topK=10, {args.dim}-d cosine, {args.queries} queries x {args.repeat}, p50")
    print(
        f"{'vectors':>8} {'direct ms':>10} {'mock ms':>8} {'ratio':>6} {'botocore alone ms':>18} "
        f"{'of which SigV4':>15} {'mock layer ms':>14} {'rest ms':>8} {'same':>5}"
    )
    verdicts = []
    for n in (int(size) for size in args.sizes.split(",")):
        r = measure(n, args.dim, args.queries, args.repeat)
        layer = r["service"] - r["direct"]
        rest = r["mock"] - r["direct"] - r["botocore"] - layer
        print(
            f"{n:>8} {r['direct'] * 1e3:>10.3f} {r['mock'] * 1e3:>8.3f} "
            f"{r['mock'] / r['direct']:>5.2f}x {r['botocore'] * 1e3:>18.3f} "
            f"{(r['botocore'] - r['unsigned']) * 1e3:>15.3f} {shown(layer, 14)} "
            f"{shown(rest, 8)} {r['same']!s:>5}"
        )
        budget = 0.5 * r["direct"]
        reach = "reachable" if r["botocore"] + max(layer, 0.0) <= budget else "out of reach"
        verdicts.append(
            f"{n:>8} vectors: 1.5x leaves {budget * 1e3:.3f} ms beside the search; botocore "
            f"alone takes {r['botocore'] * 1e3:.3f} ms: {reach}"
        )
    print("target: mock <= 1.5x direct")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
