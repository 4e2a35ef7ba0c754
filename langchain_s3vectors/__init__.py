"""Amazon S3 Vectors for LangChain.

Example:
    >>> from langchain_s3vectors import LocalS3VectorsClient
    >>> LocalS3VectorsClient()
    LocalS3VectorsClient('memory')
"""

from __future__ import annotations

from importlib import metadata

from langchain_s3vectors.local import LocalS3VectorsClient

try:
    __version__ = metadata.version(__package__ or "langchain-s3vectors")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["LocalS3VectorsClient", "__version__"]
