"""Deprecated: moved to :mod:`langchain_s3vectors.app.embeddings`; import from there."""

from langchain_s3vectors._moved import moved_module

__getattr__ = moved_module(__name__, "langchain_s3vectors.app.embeddings")
