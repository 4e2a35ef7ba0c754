"""``$startsWith`` is an ENHANCED-index operator (S3 User Guide, "Changing a vector index's mode")."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from langchain_s3vectors import LocalS3VectorsClient
from langchain_s3vectors.local import control_checks


def test_starts_with_is_refused_on_a_classic_index(monkeypatch: pytest.MonkeyPatch) -> None:
    # CLASSIC is only for buckets created before 2026-09-30: pretend the cutoff is later.
    monkeypatch.setattr(control_checks, "CLASSIC_CUTOFF", float("inf"))
    with LocalS3VectorsClient() as client:
        client.create_vector_bucket(vectorBucketName="old")
        client.put_vector_bucket_default_index_mode(
            vectorBucketName="old", defaultIndexMode="CLASSIC"
        )
        client.create_index(
            vectorBucketName="old", indexName="docs", dataType="float32", dimension=2,
            distanceMetric="cosine",
        )  # fmt: skip
        client.put_vectors(
            vectorBucketName="old",
            indexName="docs",
            vectors=[{"key": "a", "data": {"float32": [1.0, 0.0]}, "metadata": {"path": "docs/a"}}],
        )
        request = {
            "vectorBucketName": "old",
            "indexName": "docs",
            "topK": 5,
            "queryVector": {"float32": [1.0, 0.0]},
        }
        with pytest.raises(ClientError, match=r"\$startsWith requires an ENHANCED index") as exc:
            client.query_vectors(**request, filter={"path": {"$startsWith": "docs/"}})
        assert exc.value.response["Error"]["Code"] == "ValidationException"
        found = client.query_vectors(**request, filter={"path": "docs/a"})
        assert [v["key"] for v in found["vectors"]] == ["a"]
