"""Test code that uses S3 Vectors without AWS: an in-process mock, seeding, pytest fixtures.

* :class:`mock_s3vectors`: while active, boto3's ``s3vectors`` clients are answered in
  process by an embedded store, through the same wire protocol as ``s3vectors-rag serve``
  (no socket, any credentials). A context manager and a decorator.
* :func:`seed`: create a bucket and an index and put vectors, through any client.
* The pytest plugin (:mod:`langchain_s3vectors.testing.pytest_plugin`), registered when
  the package is installed with the ``testing`` extra: the ``s3vectors_client``,
  ``s3vectors_mock`` and ``s3vectors_endpoint`` fixtures.

Requires the ``testing`` extra: ``pip install "langchain-s3vectors[testing]"``.

Example:
    >>> import boto3
    >>> with mock_s3vectors():
    ...     client = boto3.client("s3vectors")
    ...     seed(client, "docs", "notes", {"a": [1.0, 0.0], "b": [0.0, 1.0]})
    ...     hits = client.query_vectors(
    ...         vectorBucketName="docs", indexName="notes", topK=1,
    ...         queryVector={"float32": [0.9, 0.1]},
    ...     )["vectors"]
    2
    >>> [hit["key"] for hit in hits]
    ['a']
"""

from __future__ import annotations

from typing import NoReturn

try:
    from langchain_s3vectors.testing.mock import AIOBOTOCORE_NOT_SERVED, mock_s3vectors
    from langchain_s3vectors.testing.seeding import seed
except ImportError as _missing:  # pragma: no cover - depends on the installed extras
    # The package itself still imports (the pytest plugin lives in it and must stay
    # inert); its names raise the install hint when used.
    _MISSING_EXTRA = _missing

    def __getattr__(name: str) -> NoReturn:
        msg = (
            f"langchain_s3vectors.testing.{name} needs the 'testing' extra: "
            'pip install "langchain-s3vectors[testing]"'
        )
        raise ImportError(msg) from _MISSING_EXTRA


__all__ = ["AIOBOTOCORE_NOT_SERVED", "mock_s3vectors", "seed"]
