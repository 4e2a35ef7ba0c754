"""Fixtures: a LocalS3VectorsClient served over HTTP on loopback, and boto3 clients for it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server import serve_in_thread

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


@pytest.fixture
def endpoint_url(local_client: LocalS3VectorsClient) -> Iterator[str]:
    with serve_in_thread(local_client) as url:
        yield url


@pytest.fixture
def s3v(endpoint_url: str) -> Any:
    return _make_client(endpoint_url)


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"
