"""Seed any S3 Vectors client with buckets, indexes and vectors in one call.

Example:
    >>> from langchain_s3vectors import LocalS3VectorsClient
    >>> client = LocalS3VectorsClient()
    >>> seed(client, "docs", "notes", {"a": [1.0, 0.0], "b": ([0.0, 1.0], {"n": 2})})
    2
    >>> client.get_index(vectorBucketName="docs", indexName="notes")["index"]["dimension"]
    2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from langchain_s3vectors import limits

__all__ = ["seed"]

#: A vector as ``seed`` takes it: its values, or its values and its metadata.
VectorSpec = Sequence[float] | tuple[Sequence[float], Mapping[str, Any]]


def seed(
    client: Any,
    bucket: str,
    index: str | None = None,
    vectors: Mapping[str, VectorSpec] | Iterable[Mapping[str, Any]] = (),
    *,
    dimension: int | None = None,
    distance_metric: str = "cosine",
    non_filterable_metadata_keys: Sequence[str] = (),
) -> int:
    """Create a vector bucket and index unless they exist, and put vectors in them.

    Works on any boto3-shaped ``s3vectors`` client: a boto3 client under
    ``mock_s3vectors`` or against an endpoint, or a ``LocalS3VectorsClient``.

    Args:
        client: The client to seed through.
        bucket: The vector bucket (created unless it exists).
        index: The index (created unless it exists); ``None`` seeds the bucket only.
        vectors: ``{key: values}`` or ``{key: (values, metadata)}``, or PutVectors
            entries (``{"key": ..., "data": {"float32": [...]}, "metadata": {...}}``;
            ``data`` may also be a plain list). Put in batches of 500.
        dimension: The index's dimension; by default the length of the first vector.
        distance_metric: ``"cosine"`` or ``"euclidean"``.
        non_filterable_metadata_keys: Metadata keys the index does not filter on.

    Returns:
        How many vectors were put.

    Raises:
        ValueError: An index to create has neither ``dimension`` nor a vector to
            take it from.
    """
    entries = [_entry(item) for item in _items(vectors)]
    _create(client.create_vector_bucket, vectorBucketName=bucket)
    if index is None:
        return 0
    if dimension is None and entries:
        dimension = len(entries[0]["data"]["float32"])
    if dimension is None:
        msg = f"seed cannot create index {index!r} without a dimension: pass dimension= or vectors."
        raise ValueError(msg)
    _create(
        client.create_index,
        **_index_request(bucket, index, dimension, distance_metric, non_filterable_metadata_keys),
    )
    batch = limits.MAX_PUT_VECTORS
    for start in range(0, len(entries), batch):
        client.put_vectors(
            vectorBucketName=bucket, indexName=index, vectors=entries[start : start + batch]
        )
    return len(entries)


def _index_request(
    bucket: str, index: str, dimension: int, metric: str, non_filterable: Sequence[str]
) -> dict[str, Any]:
    """The CreateIndex request of :func:`seed`."""
    request: dict[str, Any] = {
        "vectorBucketName": bucket,
        "indexName": index,
        "dataType": "float32",
        "dimension": dimension,
        "distanceMetric": metric,
    }
    if non_filterable:
        request["metadataConfiguration"] = {"nonFilterableMetadataKeys": list(non_filterable)}
    return request


def _items(
    vectors: Mapping[str, VectorSpec] | Iterable[Mapping[str, Any]],
) -> Iterable[Mapping[str, Any]]:
    if isinstance(vectors, Mapping):
        for key, spec in vectors.items():
            if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], Mapping):  # noqa: PLR2004
                yield {"key": key, "data": spec[0], "metadata": spec[1]}
            else:
                yield {"key": key, "data": spec}
        return
    yield from vectors


def _entry(item: Mapping[str, Any]) -> dict[str, Any]:
    entry = dict(item)
    data = entry.get("data")
    if not isinstance(data, Mapping):
        entry["data"] = {"float32": [float(x) for x in data or ()]}
    if entry.get("metadata") is None:
        entry.pop("metadata", None)
    else:
        entry["metadata"] = dict(entry["metadata"])
    return entry


def _create(create: Any, **params: Any) -> None:
    """Call a Create operation; an existing resource (ConflictException) is fine."""
    try:
        create(**params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConflictException":
            raise
