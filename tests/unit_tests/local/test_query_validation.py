"""A QueryVectors request is validated exactly as boto3 validates it, fast path or not.

The embedded client checks a plain ``{"float32": [numbers]}`` query vector without
walking each float through botocore's ``ParamValidator``; these tests hold it to the
validator's answers (botocore's service model, ``VectorData.float32``: a list of
``float``) for what the fast path takes and for what it hands back to botocore.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from typing import Any

import botocore.session
import numpy as np
import pytest
from botocore.exceptions import ParamValidationError
from botocore.validate import ParamValidator

from langchain_s3vectors.local import LocalS3VectorsClient

BUCKET, INDEX = "qv-bucket", "qv-index"


@pytest.fixture
def client() -> Iterator[LocalS3VectorsClient]:
    with LocalS3VectorsClient() as store:
        store.create_vector_bucket(vectorBucketName=BUCKET)
        store.create_index(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            dataType="float32",
            dimension=3,
            distanceMetric="euclidean",
        )
        store.put_vectors(
            vectorBucketName=BUCKET,
            indexName=INDEX,
            vectors=[{"key": "a", "data": {"float32": [1.0, 2.0, 3.0]}}],
        )
        yield store


def botocore_report(params: dict[str, Any]) -> str:
    model = botocore.session.get_session().get_service_model("s3vectors")
    shape = model.operation_model("QueryVectors").input_shape
    return ParamValidator().validate(params, shape).generate_report()


def request(values: Any, **extra: Any) -> dict[str, Any]:
    vector = {"float32": values}
    return {"vectorBucketName": BUCKET, "indexName": INDEX, "queryVector": vector, **extra}


@pytest.mark.parametrize(
    "values",
    [
        [1.0, "2", 3.0],
        [1.0, None, 3.0],
        [1.0, np.float32(2.0), 3.0],  # not a Python float: botocore refuses it
        [1.0, [2.0], 3.0],
    ],
)
def test_a_query_vector_botocore_refuses_is_refused_with_its_words(
    client: LocalS3VectorsClient, values: list[Any]
) -> None:
    params = request(values, topK=1)
    expected = botocore_report(params)
    assert expected  # botocore does refuse it
    with pytest.raises(ParamValidationError) as caught:
        client.query_vectors(**params)
    assert str(caught.value) == f"Parameter validation failed:\n{expected}"


@pytest.mark.parametrize("values", [[1, 2, 3], [True, 2.0, 3], [1.0, decimal.Decimal(2), 3.0]])
def test_a_query_vector_botocore_takes_is_searched(
    client: LocalS3VectorsClient, values: list[Any]
) -> None:
    params = request(values, topK=1)
    assert botocore_report(params) == ""
    assert [v["key"] for v in client.query_vectors(**params)["vectors"]] == ["a"]


def test_other_problems_beside_a_plain_vector_are_all_reported(
    client: LocalS3VectorsClient,
) -> None:
    params = request([1.0, 2.0, 3.0], topK=0, unknownMember=1)
    expected = botocore_report(params)
    assert "topK" in expected
    assert "unknownMember" in expected
    with pytest.raises(ParamValidationError) as caught:
        client.query_vectors(**params)
    assert str(caught.value) == f"Parameter validation failed:\n{expected}"
