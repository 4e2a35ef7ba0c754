"""The fast PutVectors path: same bytes meaning, valid signature, same errors and retries."""

from __future__ import annotations

import decimal
import json
import random
import time
from collections.abc import Callable
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ParamValidationError
from botocore.stub import Stubber

from langchain_s3vectors import client as client_module
from langchain_s3vectors.client import (
    enable_fast_put_vectors,
    encode_float_list,
    is_fast_put_vectors_enabled,
    maybe_enable_fast_put_vectors,
)
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread

REGION = "us-east-1"
KEY_ID, SECRET = "test", "test"


class _CannedRaw:
    def stream(self, **_: Any) -> Any:
        yield b"{}"


class _CannedResponse:
    """What botocore needs from an HTTP response; answered without any network."""

    status_code = 200
    headers: dict[str, str] = {}  # noqa: RUF012
    content = b"{}"
    text = "{}"
    raw = _CannedRaw()


class Recorder:
    """A boto3 client whose PutVectors requests are captured at ``before-send``."""

    def __init__(self, *, fast: bool) -> None:
        self.requests: list[Any] = []
        self.client = boto3.client(
            "s3vectors",
            endpoint_url="http://127.0.0.1:9",
            region_name=REGION,
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )
        self.client.meta.events.register("before-send.s3vectors.PutVectors", self._send)
        if fast:
            enable_fast_put_vectors(self.client)

    def _send(self, request: Any, **_: Any) -> _CannedResponse:
        self.requests.append(request)
        return _CannedResponse()

    def put(self, vectors: list[dict[str, Any]]) -> Any:
        self.client.put_vectors(vectorBucketName="bucket", indexName="index", vectors=vectors)
        return self.requests[-1]


def random_vectors(count: int, dim: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "key": f"doc-{i}",
            "data": {"float32": [rng.uniform(-1, 1) for _ in range(dim)]},
            "metadata": {"i": i, "source": f"file-{i}.txt", "score": rng.random()},
        }
        for i in range(count)
    ]


def body_of(request: Any) -> Any:
    return json.loads(request.body)


def signature_is_valid(request: Any) -> bool:
    """Recompute the SigV4 signature over the request as sent (final body included)."""
    authorization = request.headers["Authorization"]
    authorization = authorization.decode() if isinstance(authorization, bytes) else authorization
    signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {
        name: value.decode() if isinstance(value, bytes) else value
        for name, value in request.headers.items()
        if name.lower() in signed and name.lower() != "authorization"
    }
    copy = AWSRequest(method=request.method, url=request.url, headers=headers, data=request.body)
    copy.context["timestamp"] = copy.headers["X-Amz-Date"]
    auth = SigV4Auth(Credentials(KEY_ID, SECRET), "s3vectors", REGION)
    canonical = auth.canonical_request(copy)
    expected = auth.signature(auth.string_to_sign(copy, canonical), copy)
    return authorization.endswith(f"Signature={expected}")


def test_same_json_content_as_botocore() -> None:
    vectors = random_vectors(50, 384)
    # Metadata that looks like the placeholder or like vector data must pass untouched.
    vectors[0]["metadata"] = {"float32": [1.5, 2.5], "note": '{"float32": [0.25]}'}
    vectors[1]["metadata"] = {"nested": ["x", 1e-7, -0.0, 123456789.123]}
    vectors[2]["data"]["float32"] = [1e-45, 3.4028234663852886e38, -0.0, 1.0, 5e-324] + [0.1] * 379
    plain, fast = Recorder(fast=False).put(vectors), Recorder(fast=True).put(vectors)
    assert fast.body != plain.body  # the fast encoder really was used
    assert body_of(fast) == body_of(plain)
    assert body_of(fast)["vectors"][2]["data"]["float32"][:5] == [
        1e-45,
        3.4028234663852886e38,
        -0.0,
        1.0,
        5e-324,
    ]


def test_signature_covers_the_final_body() -> None:
    request = Recorder(fast=True).put(random_vectors(20, 16))
    assert signature_is_valid(request)
    request.body = request.body.replace(b"doc-1", b"doc-X")
    assert not signature_is_valid(request)


def test_inputs_are_not_mutated() -> None:
    vectors = random_vectors(3, 4)
    snapshot = json.dumps(vectors)
    Recorder(fast=True).put(vectors)
    assert json.dumps(vectors) == snapshot


@pytest.mark.parametrize(
    "values",
    [
        [float("nan"), 1.0],
        [float("inf"), 1.0],
        [1, 2.5],
        [decimal.Decimal("0.5"), 1.0],
        [np.float64(0.5), 0.25],
        (0.5, 0.25),
        [],
    ],
    ids=["nan", "inf", "int", "decimal", "numpy-float64", "tuple", "empty"],
)
def test_unusual_values_serialize_like_botocore(values: Any) -> None:
    vectors = [{"key": "k", "data": {"float32": values}}, *random_vectors(2, 2)]
    plain, fast = Recorder(fast=False).put(vectors), Recorder(fast=True).put(vectors)
    assert body_of(fast) == body_of(plain)
    assert signature_is_valid(fast)


@pytest.mark.parametrize(
    "data",
    [
        {"float32": ["0.5", 1.0]},
        {"float32": [np.float32(0.5)]},
        {"float32": np.array([0.5, 1.0])},
        {"float32": [0.5], "int8": [1]},
        {},
    ],
    ids=["string", "numpy-float32", "numpy-array", "two-members", "empty-union"],
)
def test_invalid_values_raise_like_botocore(data: Any) -> None:
    vectors = [{"key": "k", "data": data}]
    messages = []
    for fast in (False, True):
        recorder = Recorder(fast=fast)
        with pytest.raises(ParamValidationError) as exc:
            recorder.put(vectors)
        messages.append(str(exc.value))
        assert recorder.requests == []
    assert messages[0] == messages[1]


def test_bool_values_serialize_like_botocore() -> None:
    # bool passes botocore's float check (it is an int): both paths send the same.
    vectors = [{"key": "k", "data": {"float32": [True, 0.5]}}]
    plain = Recorder(fast=False).put(vectors)
    assert body_of(Recorder(fast=True).put(vectors)) == body_of(plain)


def test_enable_is_idempotent_and_checks_the_client() -> None:
    recorder = Recorder(fast=True)
    assert is_fast_put_vectors_enabled(recorder.client)
    enable_fast_put_vectors(recorder.client)
    vectors = random_vectors(2, 3)
    assert body_of(recorder.put(vectors)) == body_of(Recorder(fast=False).put(vectors))
    assert not is_fast_put_vectors_enabled(Recorder(fast=False).client)
    with pytest.raises(TypeError, match="s3vectors"):
        enable_fast_put_vectors(LocalS3VectorsClient())
    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b")
    with pytest.raises(TypeError, match="s3vectors"):
        enable_fast_put_vectors(s3)


def test_maybe_enable_only_touches_boto3_s3vectors_clients() -> None:
    client = Recorder(fast=False).client
    assert maybe_enable_fast_put_vectors(client)
    assert is_fast_put_vectors_enabled(client)
    with LocalS3VectorsClient() as local:
        assert not maybe_enable_fast_put_vectors(local)
    assert not maybe_enable_fast_put_vectors(object())


def test_stubber_sees_the_parameters_as_given() -> None:
    client = boto3.client(
        "s3vectors", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b"
    )
    enable_fast_put_vectors(client)
    vectors = random_vectors(3, 4)
    with Stubber(client) as stubber:
        stubber.add_response(
            "put_vectors", {}, {"vectorBucketName": "bkt", "indexName": "idx", "vectors": vectors}
        )
        client.put_vectors(vectorBucketName="bkt", indexName="idx", vectors=vectors)
        stubber.assert_no_pending_responses()


def test_other_operations_are_untouched() -> None:
    recorder = Recorder(fast=True)
    sent: list[Any] = []
    recorder.client.meta.events.register(
        "before-send.s3vectors.QueryVectors",
        lambda request, **_: sent.append(request) or _CannedResponse(),
    )
    recorder.client.query_vectors(
        vectorBucketName="bucket", indexName="index", topK=1, queryVector={"float32": [0.5, 0.25]}
    )
    assert body_of(sent[0])["queryVector"] == {"float32": [0.5, 0.25]}


@pytest.mark.parametrize("values", [[0.5, -0.25, 1e-7], [float("nan"), 1.0]], ids=["finite", "nan"])
def test_json_fallback_encoder(monkeypatch: pytest.MonkeyPatch, values: list[float]) -> None:
    # Where orjson is not installed, the standard json encoder does the work.
    encoder = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
    monkeypatch.setattr(client_module, "_dumps_floats", lambda v: encoder(v).encode())
    vectors = [{"key": "odd", "data": {"float32": values}}, *random_vectors(3, 8)]
    plain, fast = Recorder(fast=False).put(vectors), Recorder(fast=True).put(vectors)
    assert fast.body != plain.body
    assert body_of(fast) == body_of(plain)


def test_encode_float_list() -> None:
    assert json.loads(encode_float_list([0.1, -2.5, 1e-7])) == [0.1, -2.5, 1e-7]


def _cpu_ms(put: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        put()
        best = min(best, time.process_time() - start)
    return best * 1000


def test_fast_path_is_much_cheaper_on_the_client() -> None:
    vectors = random_vectors(500, 384)
    plain, fast = Recorder(fast=False), Recorder(fast=True)
    plain_ms = _cpu_ms(lambda: plain.put(vectors))
    fast_ms = _cpu_ms(lambda: fast.put(vectors))
    # The benchmark reports absolute figures; a shared CI machine only supports a ratio.
    assert fast_ms * 4 < plain_ms, (fast_ms, plain_ms)


# --------------------------------------------------------------------------- over HTTP


@pytest.fixture
def capped_url() -> Any:
    with (
        LocalS3VectorsClient() as local,
        serve_in_thread(local, enforce_write_caps=True, write_vectors_per_second=20) as url,
    ):
        local.create_vector_bucket(vectorBucketName="capped")
        local.create_index(
            vectorBucketName="capped",
            indexName="idx",
            dataType="float32",
            dimension=8,
            distanceMetric="cosine",
        )
        yield url


def fast_client(url: str, **config: Any) -> Any:
    client = boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(**config),
    )
    enable_fast_put_vectors(client)
    return client


def test_throttled_then_retried_writes_store_everything(capped_url: str) -> None:
    client = fast_client(capped_url, retries={"mode": "standard", "max_attempts": 10})
    batches = [random_vectors(10, 8, seed=s) for s in range(4)]
    retried = 0
    for seed, batch in enumerate(batches):
        for vector in batch:
            vector["key"] = f"{seed}-{vector['key']}"
        response = client.put_vectors(vectorBucketName="capped", indexName="idx", vectors=batch)
        retried += response["ResponseMetadata"]["RetryAttempts"]
    assert retried >= 1  # 20 vectors per second: the third and fourth batches were throttled
    stored = client.get_vectors(
        vectorBucketName="capped",
        indexName="idx",
        keys=[v["key"] for batch in batches for v in batch][:100],
        returnData=True,
    )["vectors"]
    assert len(stored) == 40
    sent = {v["key"]: v["data"]["float32"] for batch in batches for v in batch}
    for record in stored:
        assert record["data"]["float32"] == pytest.approx(sent[record["key"]], rel=1e-6)


def test_service_errors_surface_as_client_error(capped_url: str) -> None:
    client = fast_client(capped_url)
    with pytest.raises(ClientError) as exc:
        client.put_vectors(vectorBucketName="capped", indexName="idx", vectors=random_vectors(1, 3))
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(client.exceptions.NotFoundException):
        client.put_vectors(
            vectorBucketName="capped", indexName="nope", vectors=random_vectors(1, 8)
        )
