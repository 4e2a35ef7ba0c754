from langchain_aws.vectorstores import AmazonS3Vectors
from langchain_core.embeddings import DeterministicFakeEmbedding


def test_amazon_s3_vectors(s3vectors_mock):
    s3vectors_mock.client.create_vector_bucket(vectorBucketName="knowledge")
    # AmazonS3Vectors makes its own boto3.client("s3vectors"): the mock answers it.
    store = AmazonS3Vectors(
        vector_bucket_name="knowledge",
        index_name="notes",
        embedding=DeterministicFakeEmbedding(size=16),
        region_name="us-east-1",
    )
    store.add_texts(["cats purr", "dogs bark", "birds sing"], ids=["c", "d", "b"])
    hits = store.similarity_search("dogs bark", k=1)
    assert [doc.page_content for doc in hits] == ["dogs bark"]
