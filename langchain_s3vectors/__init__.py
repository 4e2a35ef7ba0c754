"""Amazon S3 Vectors for LangChain.

* :class:`S3VectorsStore`: a LangChain ``VectorStore`` over any S3 Vectors client
  (boto3's, or the embedded :class:`LocalS3VectorsClient`), with metadata filters,
  MMR, full-text and hybrid search, sync and async.
* :class:`S3VectorsRetriever`: its retriever, with ``hybrid`` and ``fulltext`` search types.
* :class:`S3VectorsSearcher`: the store's searches without LangChain's ``VectorStore``
  base class, for short-lived processes that only search (a CLI, a Lambda): they start
  about 0.4 s faster.
* :class:`HybridSearchConfig`: how hybrid search fuses the vector and BM25 rankings.
* :class:`IndexConfig` and :class:`BatchingConfig`: a store's new-index layout, and how
  its requests run (concurrency, retries, write pacing).
* :class:`LocalS3VectorsClient`: an embedded, persistent S3 Vectors with boto3's API.

Example:
    >>> from langchain_core.embeddings import DeterministicFakeEmbedding
    >>> from langchain_s3vectors import S3VectorsStore
    >>> store = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=8))
    >>> store.add_texts(["hello world"], ids=["greeting"])
    ['greeting']
    >>> store.similarity_search("hello world", k=1)[0].id
    'greeting'
"""

from __future__ import annotations

import importlib
import logging
from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_s3vectors.base import BatchingConfig, IndexConfig
    from langchain_s3vectors.errors import S3VectorsError
    from langchain_s3vectors.local import LocalS3VectorsClient
    from langchain_s3vectors.retrievers import S3VectorsRetriever, S3VectorsTranslator
    from langchain_s3vectors.search import HybridSearchConfig
    from langchain_s3vectors.searcher import S3VectorsSearcher
    from langchain_s3vectors.vectorstores import S3VectorsStore

# Quiet by default: applications decide where log records go.
logging.getLogger(__name__).addHandler(logging.NullHandler())

try:
    __version__ = metadata.version(__package__ or "langchain-s3vectors")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

#: Where each public name lives. They are imported on first use (PEP 562), so that
#: importing a submodule, e.g. the embedded client, does not load LangChain.
_LAZY = {
    "BatchingConfig": "langchain_s3vectors.base",
    "HybridSearchConfig": "langchain_s3vectors.search",
    "IndexConfig": "langchain_s3vectors.base",
    "LocalS3VectorsClient": "langchain_s3vectors.local",
    "S3VectorsError": "langchain_s3vectors.errors",
    "S3VectorsRetriever": "langchain_s3vectors.retrievers",
    "S3VectorsSearcher": "langchain_s3vectors.searcher",
    "S3VectorsStore": "langchain_s3vectors.vectorstores",
    "S3VectorsTranslator": "langchain_s3vectors.retrievers",
}

__all__ = [
    "BatchingConfig",
    "HybridSearchConfig",
    "IndexConfig",
    "LocalS3VectorsClient",
    "S3VectorsError",
    "S3VectorsRetriever",
    "S3VectorsSearcher",
    "S3VectorsStore",
    "S3VectorsTranslator",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazily imported public ones included."""
    return sorted(set(globals()) | set(__all__))
