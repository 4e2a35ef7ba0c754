"""A served store on a free loopback port, for subprocesses and other languages' SDKs.

Example:
    >>> with serve_endpoint() as endpoint:
    ...     endpoint.client().list_vector_buckets()["vectorBuckets"]
    []
    >>> endpoint.url.startswith("http://127.0.0.1:")
    True
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3

from langchain_s3vectors.local import LocalS3VectorsClient
from langchain_s3vectors.server.hosting import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["S3VectorsEndpoint", "serve_endpoint"]

#: The credentials handed to clients of the endpoint (the server accepts any).
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class S3VectorsEndpoint:
    """Where a served store listens, and how to reach it.

    Attributes:
        url: The endpoint URL, e.g. ``"http://127.0.0.1:54321"``.
        store: The embedded client behind it (to seed or inspect the store directly).
        region_name: The region of that store.
    """

    url: str
    store: Any
    region_name: str = "us-east-1"

    def env(self) -> dict[str, str]:
        """Environment variables that point AWS SDKs and the AWS CLI at the endpoint.

        ``AWS_ENDPOINT_URL_S3VECTORS`` is the service-specific endpoint variable of the
        AWS SDKs; other services keep their usual endpoints.
        """
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL_S3VECTORS": self.url,
            "AWS_REGION": self.region_name,
            "AWS_DEFAULT_REGION": self.region_name,
        }

    def client(self) -> Any:
        """A ``boto3.client("s3vectors")`` pointed at the endpoint."""
        return boto3.client(
            "s3vectors",
            endpoint_url=self.url,
            region_name=self.region_name,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def __str__(self) -> str:
        """The URL."""
        return self.url


@contextmanager
def serve_endpoint(region_name: str = "us-east-1") -> Iterator[S3VectorsEndpoint]:
    """Serve a fresh in-memory store on a free ``127.0.0.1`` port for a ``with`` block.

    Args:
        region_name: The region of the store.

    Yields:
        The endpoint.
    """
    with (
        LocalS3VectorsClient(region_name=region_name) as store,
        serve_in_thread(store, host="127.0.0.1") as url,
    ):
        yield S3VectorsEndpoint(url=url, store=store, region_name=region_name)
