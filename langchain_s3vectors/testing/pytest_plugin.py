"""pytest fixtures for code that uses S3 Vectors, registered as the ``s3vectors`` plugin.

Installed with the ``testing`` extra (``pip install "langchain-s3vectors[testing]"``),
pytest loads this plugin by itself; without the extra's packages it adds nothing. Turn
it off with ``-p no:s3vectors``.

* ``s3vectors_mock``: a :class:`~langchain_s3vectors.testing.mock_s3vectors` block for
  the test, with a fresh in-memory store: every ``boto3.client("s3vectors")`` the test
  (or the code under test) creates is answered in process.
* ``s3vectors_client``: a ``boto3.client("s3vectors")`` under that mock.
* ``s3vectors_endpoint``: a real server on a free ``127.0.0.1`` port, started once per
  test session (its store is shared by the session's tests), for subprocesses and other
  languages' SDKs: an :class:`~langchain_s3vectors.testing.endpoint.S3VectorsEndpoint`
  with ``url``, ``env()`` and ``client()``.

Seed with :func:`~langchain_s3vectors.testing.seed`, through any of them.

Example:
    A test module needs nothing but the fixture's name::

        from langchain_s3vectors.testing import seed

        def test_nearest(s3vectors_client):
            seed(s3vectors_client, "docs", "notes", {"a": [1.0, 0.0], "b": [0.0, 1.0]})
            hits = s3vectors_client.query_vectors(
                vectorBucketName="docs", indexName="notes", topK=1,
                queryVector={"float32": [0.9, 0.1]},
            )["vectors"]
            assert [hit["key"] for hit in hits] == ["a"]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

try:
    from langchain_s3vectors.testing.endpoint import S3VectorsEndpoint, serve_endpoint
    from langchain_s3vectors.testing.mock import mock_s3vectors
except ImportError:  # the testing extra is not installed: the plugin stays inert
    AVAILABLE = False
else:
    AVAILABLE = True

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["AVAILABLE"]

if AVAILABLE:

    @pytest.fixture
    def s3vectors_mock() -> Iterator[mock_s3vectors]:
        """A mock_s3vectors block around the test, with a fresh in-memory store."""
        with mock_s3vectors() as mock:
            yield mock

    @pytest.fixture
    def s3vectors_client(s3vectors_mock: mock_s3vectors) -> Any:
        """A ``boto3.client("s3vectors")`` answered by the test's mock."""
        import boto3  # noqa: PLC0415

        return boto3.client("s3vectors", region_name=s3vectors_mock.region_name)

    @pytest.fixture(scope="session")
    def s3vectors_endpoint() -> Iterator[S3VectorsEndpoint]:
        """A served in-memory store on a free 127.0.0.1 port, for the whole session."""
        with serve_endpoint() as endpoint:
            yield endpoint
