"""The public names are a contract: adding or removing one is a deliberate change."""

from __future__ import annotations

import langchain_s3vectors

EXPECTED_ALL = [
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


def test_all_is_pinned() -> None:
    assert sorted(langchain_s3vectors.__all__) == sorted(EXPECTED_ALL)
    for name in EXPECTED_ALL:
        assert getattr(langchain_s3vectors, name) is not None


def test_version_is_the_installed_distribution() -> None:
    from importlib.metadata import version  # noqa: PLC0415

    assert langchain_s3vectors.__version__ == version("langchain-s3vectors")
