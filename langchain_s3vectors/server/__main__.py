"""``python -m langchain_s3vectors.server``: serve a store over the S3 Vectors protocol."""

from langchain_s3vectors.server.hosting import main

if __name__ == "__main__":
    main()
