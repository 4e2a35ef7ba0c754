"""``python -m langchain_s3vectors.app.cli``: run ``s3vectors-rag``."""

from langchain_s3vectors.app.cli import main

if __name__ == "__main__":
    main()
