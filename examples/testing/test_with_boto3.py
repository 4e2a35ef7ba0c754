import boto3
import pytest

from langchain_s3vectors.testing import mock_s3vectors, seed


def nearest_dramas(client, query):  # the code under test
    answer = client.query_vectors(
        vectorBucketName="films",
        indexName="plots",
        topK=2,
        queryVector={"float32": query},
        filter={"genre": "drama"},
    )
    return [hit["key"] for hit in answer["vectors"]]


FILMS = {
    "heat": ([1.0, 0.0], {"genre": "drama"}),
    "up": ([0.9, 0.1], {"genre": "comedy"}),
    "jaws": ([0.0, 1.0], {"genre": "drama"}),
}


def test_with_the_client_fixture(s3vectors_client):
    seed(s3vectors_client, "films", "plots", FILMS)
    assert nearest_dramas(s3vectors_client, [1.0, 0.0]) == ["heat", "jaws"]


@mock_s3vectors()
def test_with_the_decorator():
    client = boto3.client("s3vectors")  # any client made in the test is answered
    seed(client, "films", "plots", FILMS)
    assert nearest_dramas(client, [0.0, 1.0]) == ["jaws", "heat"]
    with pytest.raises(client.exceptions.NotFoundException) as missing:
        client.get_index(vectorBucketName="films", indexName="missing")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
