"""Permanent errors fail fast, chained, with the stored and not-stored ids reported."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from langchain_s3vectors.base import BatchingConfig
from langchain_s3vectors.errors import (
    AccessDeniedError,
    PartialWriteError,
    ServiceValidationError,
)
from langchain_s3vectors.execution import RetryPolicy

from .conftest import BUCKET, INDEX, fast_batching, make_store, unlimited
from .faults import TRANSIENT_MIX, list_all_keys

PERMANENT = [
    ("access_denied", AccessDeniedError, "AccessDeniedException", 403, "s3vectors:PutVectors"),
    ("validation", ServiceValidationError, "ValidationException", 400, "was rejected"),
]


def _texts(n: int) -> tuple[list[str], list[str]]:
    return [f"text number {i}" for i in range(n)], [f"id-{i}" for i in range(n)]


async def _add(store, texts, ids, *, use_async):
    if use_async:
        return await store.aadd_texts(texts, ids=ids)
    return store.add_texts(texts, ids=ids)


def _check_partition(err: PartialWriteError, ids: list[str]) -> None:
    stored, failed = err.stored_ids, err.failed_ids
    assert not set(stored) & set(failed)
    assert sorted(stored + failed) == sorted(ids)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("kind", "error_type", "code", "status", "fragment"), PERMANENT)
async def test_permanent_error_fails_fast_and_reports_ids(
    local, faulty, use_async, kind, error_type, code, status, fragment
):
    # Four batches; the third PutVectors call and every later one fail for good.
    # The store keeps its default backoff and rate limit: nothing may wait on them.
    client = faulty(fail_from={"put_vectors": (3, kind)})
    store = make_store(client, batching=BatchingConfig())
    texts, ids = _texts(2000)

    start = time.perf_counter()
    with pytest.raises(PartialWriteError) as info:
        await _add(store, texts, ids, use_async=use_async)
    elapsed = time.perf_counter() - start

    err = info.value
    assert elapsed < 5.0
    # No batch is sent twice (a permanent error is not retried), and once the error
    # is known, batches not yet sent are not sent at all.
    first_keys = [r["vectors"][0]["key"] for r in client.sent("put_vectors")]
    assert len(first_keys) == len(set(first_keys)) <= 4
    # The cause is chained: PartialWriteError <- translated error <- botocore ClientError.
    assert isinstance(err.__cause__, error_type)
    assert err.__cause__.code == code
    assert err.__cause__.status == status
    assert isinstance(err.__cause__.__cause__, ClientError)
    assert err.__cause__.__cause__.response["Error"]["Code"] == code
    assert fragment in str(err)
    assert "safe" in str(err)  # says the failed ids may be written again
    # Stored and not-stored partition the input; what is reported stored is stored.
    _check_partition(err, ids)
    assert len(err.stored_ids) == 1000
    assert sorted(list_all_keys(local, BUCKET, INDEX)) == sorted(err.stored_ids)

    # Writing the failed ids again, once the cause is fixed, completes the job.
    client.stop_faults()
    failed = set(err.failed_ids)
    store.add_texts(
        [t for t, i in zip(texts, ids, strict=True) if i in failed],
        ids=[i for i in ids if i in failed],
    )
    assert sorted(list_all_keys(local, BUCKET, INDEX)) == sorted(ids)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_permanent_error_among_transient_ones(local, faulty, use_async):
    client = faulty(
        rates={"put_vectors": 0.3},
        fail_from={"put_vectors": (5, "access_denied")},
        kinds=TRANSIENT_MIX,
        seed=4,
    )
    store = make_store(client)
    texts, ids = _texts(3000)
    start = time.perf_counter()
    with pytest.raises(PartialWriteError) as info:
        await _add(store, texts, ids, use_async=use_async)
    assert time.perf_counter() - start < 5.0
    err = info.value
    assert isinstance(err.__cause__, AccessDeniedError)
    _check_partition(err, ids)
    stored = set(list_all_keys(local, BUCKET, INDEX))
    # A batch whose response was lost may be stored yet reported failed (retrying it
    # is harmless); a batch reported stored must be stored.
    assert set(err.stored_ids) <= stored <= set(ids)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_exhausted_retries_report_ids(local, faulty, use_async):
    client = faulty(rates={"put_vectors": 1.0}, kinds=("throttle",))
    retry = RetryPolicy(max_retries=2, base_delay=0.0005)
    store = make_store(client, batching=fast_batching(max_concurrency=1, retry_policy=retry))
    texts, ids = _texts(700)
    with pytest.raises(PartialWriteError, match="TooManyRequestsException") as info:
        await _add(store, texts, ids, use_async=use_async)
    assert client.calls["put_vectors"] == 3  # first batch: one attempt, two retries
    assert info.value.stored_ids == []
    assert info.value.failed_ids == ids
    assert list_all_keys(local, BUCKET, INDEX) == []


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
async def test_access_denied_on_index_creation_fails_fast(local, faulty, use_async):
    client = faulty(fail_from={"create_index": (1, "access_denied")})
    store = make_store(client, batching=BatchingConfig(rate_limiter=unlimited()))
    start = time.perf_counter()
    with pytest.raises(AccessDeniedError, match="s3vectors:CreateIndex") as info:
        await _add(store, ["a"], ["a"], use_async=use_async)
    assert time.perf_counter() - start < 5.0
    assert client.calls["create_index"] == 1
    assert client.calls["put_vectors"] == 0
    assert isinstance(info.value.__cause__, ClientError)
