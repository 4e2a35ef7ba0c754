"""An embedded, persistent Amazon S3 Vectors with the boto3 client's API."""

from langchain_s3vectors.local.client import LocalS3VectorsClient

__all__ = ["LocalS3VectorsClient"]
