"""S3VectorsIndex, the client seam and the execution layer, without LangChain."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import boto3
import pytest
from botocore.exceptions import ClientError

from langchain_s3vectors.client import (
    S3VectorsClient,
    call_translated,
    create_client,
    is_fast_put_vectors_enabled,
)
from langchain_s3vectors.errors import (
    AccessDeniedError,
    InvalidInputError,
    ResourceConflictError,
    ResourceNotFoundError,
)
from langchain_s3vectors.execution import BatchRunner, RetryPolicy
from langchain_s3vectors.index import S3VectorsIndex
from langchain_s3vectors.local import LocalS3VectorsClient


def _records(n: int) -> list[dict]:
    return [
        {"key": f"k{i}", "data": {"float32": [1.0, float(i + 1)]}, "metadata": {"i": i}}
        for i in range(n)
    ]


@pytest.fixture
def index():
    client = LocalS3VectorsClient()
    yield S3VectorsIndex(client, "kb-index", "docs", text_search={"body": "en"})
    client.close()


def test_missing_index_is_empty_and_reads_create_nothing(index):
    assert index.info() is None
    assert index.bucket_info() is None
    assert list(index.iter_records()) == []
    assert index.get(["a"]) == {}
    assert index.query({"queryVector": {"float32": [1.0, 0.0]}}, k=3) == ([], None)
    index.delete(["a"])  # nothing to delete, no error
    assert index.client.list_vector_buckets()["vectorBuckets"] == []


def test_ensure_creates_once_and_checks_dimension(index):
    info = index.ensure(2)
    assert info["dimension"] == 2
    assert index.text_search_config("body")["language"] == "en"
    assert index.ensure(2) == info
    with pytest.raises(Exception, match="dimension 2"):
        index.ensure(3)
    index.create(2)  # bucket and index exist: conflicts are not an error


def test_put_get_list_segments_and_query_paging(index):
    index.ensure(2)
    assert index.put(_records(1200)) == 1200  # three PutVectors batches
    assert len(index.get([f"k{i}" for i in range(250)])) == 250  # three GetVectors batches
    keys = {r["key"] for r in index.iter_records(segment_count=4, parallel=True)}
    assert len(keys) == 1200
    pages = list(index.iter_pages(return_metadata=False))
    assert sum(len(p) for p in pages) == 1200
    results, metric = index.query({"queryVector": {"float32": [1.0, 1.0]}}, k=100)
    assert len(results) == 100
    assert metric == "cosine"
    index.delete([f"k{i}" for i in range(600)])
    assert len(list(index.iter_records())) == 600
    with pytest.raises(InvalidInputError, match="segment_count"):
        list(index.iter_records(segment_count=17))


def test_names_and_metric_are_checked_before_any_request():
    with pytest.raises(InvalidInputError, match="vector_bucket_name"):
        S3VectorsIndex(object(), "KB_bad", "docs")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="distance_metric"):
        S3VectorsIndex(object(), "kb-ok", "docs", distance_metric="dot")  # type: ignore[arg-type]


def test_local_client_satisfies_the_protocol():
    with LocalS3VectorsClient() as client:
        assert isinstance(client, S3VectorsClient)


def test_call_translated_translates_once_and_answers_absent():
    def denied() -> None:
        raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "GetIndex")

    with pytest.raises(AccessDeniedError) as info:
        call_translated(denied, operation="get_index", resource="index 'x'")
    assert isinstance(info.value.__cause__, ClientError)

    def conflict() -> None:
        raise ClientError({"Error": {"Code": "ConflictException"}}, "CreateIndex")

    answer = call_translated(
        conflict, operation="create_index", absent=ResourceConflictError, default="exists"
    )
    assert answer == "exists"
    with pytest.raises(ResourceConflictError):
        call_translated(conflict, operation="create_index", absent=ResourceNotFoundError)


def test_fast_path_only_on_clients_the_package_builds():
    built = create_client(region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
    assert is_fast_put_vectors_enabled(built)
    assert built.meta.config.retries["mode"] == "standard"
    mine = boto3.client(
        "s3vectors",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    S3VectorsIndex(mine, "kb-index", "docs")
    assert not is_fast_put_vectors_enabled(mine)


async def test_in_executor_runs_off_the_loop_with_the_callers_context():
    runner = BatchRunner(max_concurrency=2, retry=RetryPolicy(max_retries=0))
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("caller")
    loop_thread = threading.get_ident()

    def work() -> tuple[str, bool]:
        return var.get(), threading.get_ident() != loop_thread

    assert await runner.in_executor(work) == ("caller", True)
    assert await runner.acall(lambda x: x * 2, 21) == 42
    assert await asyncio.gather(*(runner.acall(len, "abc") for _ in range(3))) == [3, 3, 3]
    runner.close()
