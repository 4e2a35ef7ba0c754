"""Fixtures: a LocalS3VectorsClient served over HTTP on loopback, and boto3 clients for it.

``endpoint_url`` serves twice: open (any credentials) and checking AWS Signature Version
4 for the key every boto3 client here uses. ``open_endpoint_url`` is open only, for
tests that send hand-made, unsigned requests to see the protocol's own answers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import ServerCredentials, serve_in_thread

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def _make_client(endpoint_url: str, **config: Any) -> Any:
    return boto3.client(
        "s3vectors",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        config=Config(**config) if config else None,
        **CREDENTIALS,
    )


@pytest.fixture
def make_client() -> Callable[..., Any]:
    """``make_client(endpoint_url, **botocore_config)`` -> a boto3 s3vectors client."""
    return _make_client


@pytest.fixture
def local_client() -> Iterator[LocalS3VectorsClient]:
    with LocalS3VectorsClient() as client:
        yield client


@pytest.fixture(params=["open", "sigv4"])
def endpoint_url(
    local_client: LocalS3VectorsClient, request: pytest.FixtureRequest
) -> Iterator[str]:
    checked = None
    if request.param == "sigv4":
        checked = ServerCredentials(
            CREDENTIALS["aws_access_key_id"], CREDENTIALS["aws_secret_access_key"]
        )
    with serve_in_thread(local_client, credentials=checked) as url:
        yield url


@pytest.fixture
def open_endpoint_url(local_client: LocalS3VectorsClient) -> Iterator[str]:
    with serve_in_thread(local_client) as url:
        yield url


@pytest.fixture
def s3v(endpoint_url: str) -> Any:
    return _make_client(endpoint_url)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"
