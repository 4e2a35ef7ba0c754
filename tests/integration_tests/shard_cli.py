"""``s3vectors-rag`` with a fast fake embedding, for tests that run real shard processes.

The command line, settings, store and ingest are the real ones; only the embedding
model is replaced (``DeterministicFakeEmbedding``, 384 dimensions), because the model is
beside the point of a sharding test and would cost each process seconds to load.
"""

from __future__ import annotations

from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors.app.cli import make_app
from langchain_s3vectors.app.settings import build_store

if __name__ == "__main__":
    make_app(
        lambda settings: build_store(settings, embedding=DeterministicFakeEmbedding(size=384))
    )()
