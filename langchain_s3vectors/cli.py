"""Deprecated: moved to :mod:`langchain_s3vectors.app.cli`; import from there.

``python -m langchain_s3vectors.cli`` still runs the command; prefer
``s3vectors-rag`` or ``python -m langchain_s3vectors.app.cli``.
"""

from langchain_s3vectors._moved import moved_module

__getattr__ = moved_module(__name__, "langchain_s3vectors.app.cli")

if __name__ == "__main__":
    from langchain_s3vectors.app.cli import main

    main()
