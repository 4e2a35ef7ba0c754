"""Credentials never leak into logs, reprs or error messages; the package logs quietly.

The store is built the production way (``client=None``: a boto3 client from a
``boto3.Session`` with a fake key pair) against loopback endpoints only: a closed port
(connection refused) and a tiny HTTP server that answers like S3 Vectors with errors.

botocore itself, at DEBUG, logs the ``Authorization`` header (which names the access
key id) and the request signature; it never logs the secret access key. So the secret
is checked against every log record of every logger, and the access key id against the
package's own log records, its exception messages and its reprs.
"""

from __future__ import annotations

import importlib
import json
import logging
import pkgutil
import threading
import time
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ParamValidationError
from langchain_core.embeddings import DeterministicFakeEmbedding

import langchain_s3vectors
from langchain_s3vectors.base import BatchingConfig
from langchain_s3vectors.errors import (
    AccessDeniedError,
    CredentialsError,
    PartialWriteError,
    S3VectorsError,
    TransientServiceError,
)
from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.vectorstores import S3VectorsStore

from .conftest import DIM
from .faults import FaultInjectingClient

ACCESS_KEY_ID = "AKIAFAKEFAKEFAKE"
SECRET = "SECRETsecretSECRET123"
CLOSED_PORT_URL = "http://127.0.0.1:9"
PACKAGE = "langchain_s3vectors"


def _session() -> boto3.Session:
    return boto3.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET)


def _store(endpoint_url: str, **kwargs: Any) -> S3VectorsStore:
    return S3VectorsStore.from_aws(
        "kb-secrets",
        "docs",
        DeterministicFakeEmbedding(size=DIM),
        session=_session(),
        region_name="us-east-1",
        endpoint_url=endpoint_url,
        client_config=Config(
            connect_timeout=0.5,
            read_timeout=1,
            retries={"mode": "standard", "total_max_attempts": 1},
        ),
        batching=BatchingConfig(max_retries=1),
        **kwargs,
    )


def _error_texts(exc: BaseException) -> list[str]:
    """str, repr and the formatted traceback of an error and of everything it chains."""
    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return texts


def _log_texts(records: list[logging.LogRecord]) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return [formatter.format(r) for r in records]


class _Handler(BaseHTTPRequestHandler):
    """Answers like S3 Vectors: GetIndex works, PutVectors is denied, queries 503."""

    authorizations: list[str] = []  # noqa: RUF012 - shared by the test server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Stay quiet."""

    def _send(self, status: int, body: dict[str, Any], error: str | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self.authorizations.append(self.headers.get("Authorization", ""))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/GetIndex":
            self._send(
                200,
                {
                    "index": {
                        "vectorBucketName": "kb-secrets",
                        "indexName": "docs",
                        "indexArn": "arn:aws:s3vectors:us-east-1:123456789012:bucket/kb-secrets/index/docs",
                        "creationTime": 1_700_000_000,
                        "dataType": "float32",
                        "dimension": DIM,
                        "distanceMetric": "cosine",
                        "metadataConfiguration": {"nonFilterableMetadataKeys": ["_page_content"]},
                    }
                },
            )
        elif self.path == "/PutVectors":
            self._send(403, {"message": "User is not authorized"}, "AccessDeniedException")
        elif self.path == "/GetVectors":
            self._send(
                403,
                {"message": "The request signature we calculated does not match"},
                "InvalidSignatureException",
            )
        else:
            self._send(503, {"message": "Please slow down"}, "ServiceUnavailableException")


@pytest.fixture
def fake_endpoint() -> Iterator[str]:
    _Handler.authorizations = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_fake_credentials_are_the_ones_in_use():
    credentials = _session().get_credentials()
    assert credentials.access_key == ACCESS_KEY_ID
    assert credentials.secret_key == SECRET


def test_connection_refused_leaks_no_secret(caplog):
    caplog.set_level(logging.DEBUG)
    store = _store(CLOSED_PORT_URL)
    errors: list[BaseException] = []
    start = time.perf_counter()
    for action in (
        lambda: store.add_texts(["hello"], ids=["h"]),
        lambda: store.similarity_search("hello", k=2),
        lambda: store.get_by_ids(["h"]),
        lambda: store.as_retriever().invoke("hello"),
        lambda: store.delete(["h"]),
        lambda: list(store.iter_records()),
    ):
        with pytest.raises(S3VectorsError) as info:
            action()
        errors.append(info.value)
    assert time.perf_counter() - start < 5.0
    assert any(isinstance(e, TransientServiceError) for e in errors)
    assert "127.0.0.1:9" in str(errors[0])  # the message says where it tried

    retriever = store.as_retriever(search_kwargs={"k": 2})
    surfaces = [repr(store), str(store), repr(retriever), str(retriever), repr(vars(store))]
    for err in errors:
        surfaces += _error_texts(err)
    everything = _log_texts(caplog.records)
    own = _log_texts([r for r in caplog.records if r.name.startswith(PACKAGE)])

    # botocore did log at DEBUG, including the Authorization header that names the
    # access key id (so the capture works, and the key id check is scoped below).
    assert any(ACCESS_KEY_ID in text for text in everything)
    for text in surfaces + everything:
        assert SECRET not in text
    for text in surfaces + own:
        assert ACCESS_KEY_ID not in text


async def test_service_errors_leak_no_secret(caplog, fake_endpoint):
    caplog.set_level(logging.DEBUG)
    store = _store(fake_endpoint)
    errors: list[BaseException] = []

    with pytest.raises(PartialWriteError) as write_info:
        store.add_texts(["hello", "world"], ids=["h", "w"])
    errors.append(write_info.value)
    assert isinstance(write_info.value.__cause__, AccessDeniedError)
    assert sorted(write_info.value.failed_ids) == ["h", "w"]

    with pytest.raises(PartialWriteError) as async_info:
        await store.aadd_texts(["hello"], ids=["h"])
    errors.append(async_info.value)

    with pytest.raises(TransientServiceError, match="ServiceUnavailableException") as query_info:
        store.similarity_search("hello", k=2)
    errors.append(query_info.value)

    with pytest.raises(CredentialsError, match="InvalidSignatureException") as cred_info:
        store.get_by_ids(["h"])
    errors.append(cred_info.value)

    # The requests were really signed with the fake key pair.
    assert any(f"Credential={ACCESS_KEY_ID}/" in a for a in _Handler.authorizations)

    surfaces = [repr(store), str(store), repr(store.as_retriever())]
    for err in errors:
        surfaces += _error_texts(err)
    everything = _log_texts(caplog.records)
    own = _log_texts([r for r in caplog.records if r.name.startswith(PACKAGE)])
    for text in surfaces + everything:
        assert SECRET not in text
    for text in surfaces + own:
        assert ACCESS_KEY_ID not in text


def _package_loggers() -> dict[str, logging.Logger]:
    for module in pkgutil.walk_packages(langchain_s3vectors.__path__, f"{PACKAGE}."):
        try:
            importlib.import_module(module.name)
        except ImportError:
            continue
    return {
        name: logger
        for name, logger in logging.root.manager.loggerDict.items()
        if name.split(".")[0] == PACKAGE and isinstance(logger, logging.Logger)
    }


def test_package_loggers_are_standard_and_quiet():
    loggers = _package_loggers()
    assert "langchain_s3vectors.index" in loggers
    for name in [PACKAGE, *loggers]:
        logger = logging.getLogger(name)
        assert all(isinstance(h, logging.NullHandler) for h in logger.handlers), name
        assert logger.propagate, name
        assert logger.level in (logging.NOTSET, logging.DEBUG, logging.INFO), name
    # Every module logger is named after its module, under the package (so one
    # logging setting for "langchain_s3vectors" controls them all).
    module_loggers = 0
    for module in pkgutil.walk_packages(langchain_s3vectors.__path__, f"{PACKAGE}."):
        try:
            mod = importlib.import_module(module.name)
        except ImportError:
            continue
        logger = getattr(mod, "logger", None)
        if isinstance(logger, logging.Logger):
            module_loggers += 1
            assert logger.name == module.name
    assert module_loggers >= 1


async def test_normal_operations_log_nothing_at_warning(caplog, capfd):
    caplog.set_level(logging.WARNING)
    client = LocalS3VectorsClient()
    store = S3VectorsStore("kb-quiet", "docs", DeterministicFakeEmbedding(size=DIM), client=client)
    texts = [f"note {i} about vectors" for i in range(50)]
    ids = store.add_texts(texts, [{"n": i} for i in range(50)])
    await store.aadd_texts(["async note"], ids=["async"])
    store.similarity_search("vectors", k=3, filter={"n": {"$lt": 10}})
    store.similarity_search_with_relevance_scores("vectors", k=3)
    store.max_marginal_relevance_search("vectors", k=3)
    store.hybrid_search("vectors", k=3)
    store.get_by_ids(ids[:5])
    await store.asimilarity_search("vectors", k=2)
    store.delete(ids[:5])
    store.as_retriever().invoke("vectors")
    client.close()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    out, err = capfd.readouterr()
    assert out == ""
    assert err == ""


def test_package_warnings_go_through_logging(caplog):
    # A client whose botocore does not know full-text search: the store says so in a
    # warning on the package's logger, and creates the index without it.
    class OldBotocore(FaultInjectingClient):
        def create_index(self, **kwargs: Any) -> Any:
            if "textSearchConfigurations" in kwargs.get("metadataConfiguration", {}):
                report = 'Unknown parameter in metadataConfiguration: "textSearchConfigurations"'
                raise ParamValidationError(report=report)
            return self.inner.create_index(**kwargs)

    caplog.set_level(logging.DEBUG, logger=PACKAGE)
    local = LocalS3VectorsClient()
    store = S3VectorsStore(
        "kb-old", "docs", DeterministicFakeEmbedding(size=DIM), client=OldBotocore(local)
    )
    store.add_texts(["hello"], ids=["h"])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.name for r in warnings] == ["langchain_s3vectors.index"]
    assert "without full-text search" in warnings[0].getMessage()
    assert store.get_by_ids(["h"])[0].page_content == "hello"
    local.close()
