"""A server given credentials serves only requests signed with them (AWS SigV4).

What a refused request gets is the AWS front door's answer for REST-JSON services (the
``s3vectors`` model declares no authentication errors; see
:mod:`langchain_s3vectors.server.sigv4` for the table): status 403 and
``MissingAuthenticationTokenException`` (unsigned), ``IncompleteSignatureException``
(malformed), ``UnrecognizedClientException`` (another key id, or a session token) or
``InvalidSignatureException`` (wrong secret, altered request, wrong service scope, or
``X-Amz-Date`` more than 15 minutes off: the window of "RequestExpired" in the AWS
API references' common errors). Every refused write leaves the store as it was.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.auth
import pytest
from botocore import UNSIGNED
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from langchain_s3vectors import limits
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import (
    ServerCredentials,
    check_tls,
    refuse_open_exposure,
    serve_in_thread,
)

from .tls import self_signed_certificate

KEY_ID = "AKIDSIGV4CHECK"
SECRET = secrets.token_urlsafe(30)
ACCEPTED = ServerCredentials(KEY_ID, SECRET)
BUCKET = "signed-bucket"


@pytest.fixture
def store() -> Iterator[LocalS3VectorsClient]:
    with LocalS3VectorsClient() as local:
        yield local


@pytest.fixture
def url(store: LocalS3VectorsClient) -> Iterator[str]:
    with serve_in_thread(store, credentials=ACCEPTED) as served:
        yield served


def client(url: str, key_id: str = KEY_ID, secret: str = SECRET, **config: Any) -> Any:
    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name=config.pop("region_name", "us-east-1"),
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        aws_session_token=config.pop("token", None),
        config=Config(retries={"max_attempts": 1}, **config),
    )


def refused(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, response["Error"]["Code"], response["Error"]["Message"]


def buckets(store: LocalS3VectorsClient) -> list[str]:
    return [b["vectorBucketName"] for b in store.list_vector_buckets()["vectorBuckets"]]


def test_the_right_key_is_served(url: str, store: LocalS3VectorsClient) -> None:
    signed = client(url)
    signed.create_vector_bucket(vectorBucketName=BUCKET)
    arn = signed.get_vector_bucket(vectorBucketName=BUCKET)["vectorBucket"]["vectorBucketArn"]
    # A path with a percent-encoded ARN and a query string with a repeated key.
    signed.tag_resource(resourceArn=arn, tags={"team": "a b/c", "env": "x"})
    signed.untag_resource(resourceArn=arn, tagKeys=["env", "team"])
    assert signed.list_tags_for_resource(resourceArn=arn)["tags"] == {}
    assert buckets(store) == [BUCKET]


@pytest.mark.parametrize(
    ("key_id", "secret", "code"),
    [
        (KEY_ID, "not-the-secret", "InvalidSignatureException"),
        ("AKIDSOMEONEELSE", SECRET, "UnrecognizedClientException"),
    ],
)
def test_a_wrong_key_is_refused_and_writes_nothing(
    url: str, store: LocalS3VectorsClient, key_id: str, secret: str, code: str
) -> None:
    wrong = client(url, key_id, secret)
    status, got, _ = refused(lambda: wrong.create_vector_bucket(vectorBucketName=BUCKET))
    assert (status, got) == (403, code)
    assert buckets(store) == []


def test_an_unsigned_request_is_refused_and_writes_nothing(
    url: str, store: LocalS3VectorsClient
) -> None:
    unsigned = client(url, signature_version=UNSIGNED)
    status, code, message = refused(lambda: unsigned.create_vector_bucket(vectorBucketName=BUCKET))
    assert (status, code, message) == (
        403,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )
    assert buckets(store) == []


def test_a_session_token_the_server_does_not_know_is_refused(
    url: str, store: LocalS3VectorsClient
) -> None:
    with_token = client(url, token="FQoGZXIvYXdzEXAMPLE")
    status, code, _ = refused(lambda: with_token.create_vector_bucket(vectorBucketName=BUCKET))
    assert (status, code) == (403, "UnrecognizedClientException")
    assert buckets(store) == []


@pytest.mark.parametrize(
    ("shift", "words"),
    [(dt.timedelta(minutes=-16), "Signature expired"), (dt.timedelta(minutes=16), "not yet")],
)
def test_a_clock_more_than_15_minutes_off_is_refused(
    url: str,
    store: LocalS3VectorsClient,
    monkeypatch: pytest.MonkeyPatch,
    shift: dt.timedelta,
    words: str,
) -> None:
    signed = client(url)
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda: dt.datetime.now(dt.UTC) + shift
    )
    status, code, message = refused(lambda: signed.create_vector_bucket(vectorBucketName=BUCKET))
    assert (status, code) == (403, "InvalidSignatureException")
    assert words in message
    assert buckets(store) == []


def test_a_clock_14_minutes_off_is_served(
    url: str, store: LocalS3VectorsClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = client(url)
    monkeypatch.setattr(
        botocore.auth,
        "get_current_datetime",
        lambda: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=14),
    )
    signed.create_vector_bucket(vectorBucketName=BUCKET)
    assert buckets(store) == [BUCKET]


def test_a_request_signed_for_another_region_reaches_that_region(
    url: str, store: LocalS3VectorsClient
) -> None:
    client(url, region_name="eu-west-1").create_vector_bucket(vectorBucketName=BUCKET)
    assert buckets(store) == []
    listed = client(url, region_name="eu-west-1").list_vector_buckets()["vectorBuckets"]
    assert [b["vectorBucketName"] for b in listed] == [BUCKET]


def raw_post(
    url: str,
    operation: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    service: str = "s3vectors",
    sent_body: bytes | None = None,
) -> tuple[int, str, str]:
    """POST a request signed by botocore (then altered as asked); status, code, message."""
    request = AWSRequest(method="POST", url=f"{url}/{operation}", data=body)
    request.headers["Content-Type"] = "application/json"
    SigV4Auth(Credentials(KEY_ID, SECRET), service, "us-east-1").add_auth(request)
    final = {k: v for k, v in request.headers.items() if v is not None}
    for name, value in (headers or {}).items():
        if value is None:
            final.pop(name, None)
        else:
            final[name] = value
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        connection.request("POST", f"/{operation}", body=sent_body or body, headers=final)
        answer = connection.getresponse()
        payload = answer.read()
        code = answer.getheader("x-amzn-ErrorType", "")
    finally:
        connection.close()
    message = json.loads(payload).get("message", "") if payload else ""
    return answer.status, code, message


CREATE = json.dumps({"vectorBucketName": BUCKET}).encode()


def test_botocore_signed_raw_request_is_served(url: str, store: LocalS3VectorsClient) -> None:
    assert raw_post(url, "CreateVectorBucket", CREATE)[0] == 200
    assert buckets(store) == [BUCKET]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"Authorization": "AWS4-HMAC-SHA256 Credential=x"}, "IncompleteSignatureException"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "IncompleteSignatureException"),
        (
            {"Authorization": f"AWS4-HMAC-SHA256 Credential={KEY_ID}/x, SignedHeaders=host, S=0"},
            "IncompleteSignatureException",
        ),
        ({"X-Amz-Date": None}, "IncompleteSignatureException"),
        ({"X-Amz-Date": "yesterday"}, "IncompleteSignatureException"),
        ({"Authorization": None}, "MissingAuthenticationTokenException"),
        ({"Content-Type": "application/x-amz-json-1.1"}, "InvalidSignatureException"),
    ],
)
def test_a_malformed_or_altered_request_is_refused(
    url: str, store: LocalS3VectorsClient, change: dict[str, Any], code: str
) -> None:
    status, got, message = raw_post(url, "CreateVectorBucket", CREATE, change)
    assert (status, got) == (403, code)
    assert message
    assert buckets(store) == []


def test_host_must_be_signed(url: str, store: LocalS3VectorsClient) -> None:
    request = AWSRequest(method="POST", url=f"{url}/CreateVectorBucket", data=CREATE)
    SigV4Auth(Credentials(KEY_ID, SECRET), "s3vectors", "us-east-1").add_auth(request)
    authorization = request.headers["Authorization"].replace(
        "SignedHeaders=host;", "SignedHeaders="
    )
    status, code, message = raw_post(
        url, "CreateVectorBucket", CREATE, {"Authorization": authorization}
    )
    assert (status, code) == (403, "IncompleteSignatureException")
    assert "'Host' must be a 'SignedHeader'" in message
    assert buckets(store) == []


def test_a_signature_over_fewer_headers_is_checked_not_crashed(
    url: str, store: LocalS3VectorsClient
) -> None:
    """SignedHeaders=host only (X-Amz-Date sent but not signed): recomputed over host
    alone, which does not match botocore's signature over three headers."""
    request = AWSRequest(method="POST", url=f"{url}/CreateVectorBucket", data=CREATE)
    request.headers["Content-Type"] = "application/json"
    SigV4Auth(Credentials(KEY_ID, SECRET), "s3vectors", "us-east-1").add_auth(request)
    authorization = re.sub(
        r"SignedHeaders=[^,]+", "SignedHeaders=host", request.headers["Authorization"]
    )
    status, code, _ = raw_post(url, "CreateVectorBucket", CREATE, {"Authorization": authorization})
    assert (status, code) == (403, "InvalidSignatureException")
    assert buckets(store) == []


def test_an_altered_body_or_a_scope_for_another_service_is_refused(
    url: str, store: LocalS3VectorsClient
) -> None:
    other = json.dumps({"vectorBucketName": "evil-bucket"}).encode()
    assert raw_post(url, "CreateVectorBucket", CREATE, sent_body=other)[:2] == (
        403,
        "InvalidSignatureException",
    )
    status, code, message = raw_post(url, "CreateVectorBucket", CREATE, service="s3")
    assert (status, code) == (403, "InvalidSignatureException")
    assert "'s3vectors'" in message
    assert buckets(store) == []


def test_an_oversized_signed_body_still_gets_the_payload_limit(url: str) -> None:
    """The body is hashed to its end, so the signature checks and the protocol answers."""
    padding = b" " * (limits.MAX_REQUEST_PAYLOAD_BYTES + 1 - len(CREATE))
    status, code, _ = raw_post(url, "CreateVectorBucket", CREATE + padding)
    assert (status, code) == (400, "ValidationException")


def test_over_tls_with_the_right_key_only(store: LocalS3VectorsClient, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    with serve_in_thread(store, credentials=ACCEPTED, tls_cert=cert, tls_key=key) as served:
        assert served.startswith("https://")
        secure = boto3.client(
            "s3vectors",
            endpoint_url=served,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            verify=str(cert),
        )
        secure.create_vector_bucket(vectorBucketName=BUCKET)
        wrong = boto3.client(
            "s3vectors",
            endpoint_url=served,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key="wrong",
            verify=str(cert),
        )
        status, code, _ = refused(lambda: wrong.create_vector_bucket(vectorBucketName="other"))
        secure.close()
        wrong.close()
    assert (status, code) == (403, "InvalidSignatureException")
    assert buckets(store) == [BUCKET]


def test_tls_files_are_checked_before_listening(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    assert check_tls(cert, key) is True
    with pytest.raises(ValueError, match="give both --tls-cert and --tls-key"):
        check_tls(cert, None)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(ValueError, match="cannot use --tls-cert") as caught:
        check_tls(cert, tmp_path / "junk.pem")
    assert "\n" not in str(caught.value)
    with (
        pytest.raises(ValueError, match="cannot use --tls-cert"),
        serve_in_thread(None, tls_cert=tmp_path / "missing.pem", tls_key=key),
    ):
        pass  # pragma: no cover - never entered


def test_an_open_server_is_refused_beyond_loopback() -> None:
    with pytest.raises(ValueError, match="--allow-open-non-loopback") as caught:
        refuse_open_exposure("0.0.0.0", authenticated=False, allow_open=False)
    assert "\n" not in str(caught.value)
    with (
        pytest.raises(ValueError, match="refusing to serve without authentication"),
        serve_in_thread(None, host="0.0.0.0"),
    ):
        pass  # pragma: no cover - never entered
    refuse_open_exposure("0.0.0.0", authenticated=True, allow_open=False)
    refuse_open_exposure("0.0.0.0", authenticated=False, allow_open=True)
    refuse_open_exposure("::1", authenticated=False, allow_open=False)


def test_credentials_need_both_parts_and_never_show() -> None:
    assert ServerCredentials.resolve(None, None, environ={}) is None
    from_env = ServerCredentials.resolve(
        None,
        None,
        environ={
            "S3VECTORS_SERVE_ACCESS_KEY_ID": KEY_ID,
            "S3VECTORS_SERVE_SECRET_ACCESS_KEY": SECRET,
        },
    )
    assert from_env == ACCEPTED
    with pytest.raises(ValueError, match="both") as caught:
        ServerCredentials.resolve(KEY_ID, None, environ={})
    assert KEY_ID not in str(caught.value)
    with pytest.raises(ValueError, match="access key id") as caught:
        ServerCredentials("bad/key id", SECRET)
    assert "bad/key" not in str(caught.value)
    with pytest.raises(ValueError, match="secret access key") as caught:
        ServerCredentials(KEY_ID, "has a space")
    assert "has a space" not in str(caught.value)
    for shown in (repr(ACCEPTED), str(ACCEPTED), f"{ACCEPTED}", repr([ACCEPTED])):
        assert SECRET not in shown
        assert KEY_ID not in shown


def test_nothing_logs_the_key(
    url: str, store: LocalS3VectorsClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client(url).create_vector_bucket(vectorBucketName=BUCKET)
    refused(lambda: client(url, secret="wrong").create_vector_bucket(vectorBucketName="b-two"))
    server_side = "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("langchain_s3vectors", "uvicorn", "starlette"))
    )
    assert SECRET not in server_side
    assert KEY_ID not in server_side
    assert buckets(store) == [BUCKET]
