"""Quickstart placeholder: the full example lands with the vector store."""

from langchain_s3vectors import LocalS3VectorsClient

client = LocalS3VectorsClient()
client.create_vector_bucket(vectorBucketName="quickstart")
print("langchain-s3vectors: embedded S3 Vectors client ready:", client)
