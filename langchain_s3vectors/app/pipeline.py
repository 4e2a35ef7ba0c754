"""Pipelined ingest: embed the next chunks while earlier ones are being written.

:func:`embed_and_write` hands the store a generator that embeds one batch of chunks
each time it is asked for more; :meth:`S3VectorsStore.add_embedding_batches` pulls it
on the caller's thread while up to ``max_concurrency`` PutVectors requests are in
flight on worker threads (boto3 blocks, and the embedding model releases the GIL while
it computes). When writing is the slower side the generator waits for a free request
slot, so at most ``max_concurrency`` requests' worth of records is held; when embedding
is the slower side the writers wait for it. An ingest therefore takes about the longer
of "embed everything" and "write everything at the cap", not their sum.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.app.embeddings import embedding_dimension
from langchain_s3vectors.errors import DimensionMismatchError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterator, Sequence

    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.app.loaders import Chunk
    from langchain_s3vectors.app.sharding import Shard
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = ["check_dimension", "embed_and_write", "paced_share"]


def embed_and_write(
    store: S3VectorsStore,
    chunks: Sequence[Chunk],
    embeddings: Embeddings,
    batch_size: int,
    *,
    on_batch: Callable[[int], Any] | None = None,
    cancel: threading.Event | None = None,
) -> list[str]:
    """Embed ``chunks`` in batches and upsert them, the two overlapping.

    Args:
        store: The vector store.
        chunks: The chunks to embed and write (unique keys).
        embeddings: The embedding model.
        batch_size: Chunks per embedding call.
        on_batch: Called with the size of each batch once it is embedded (progress).
        cancel: Once set (from another thread), no further batch is embedded; the
            batches already embedded are still written.

    Returns:
        The keys written: fewer than ``chunks`` only when ``cancel`` was set.

    Raises:
        DimensionMismatchError: The model's dimension is not the index's; checked
            before anything is embedded.
        PartialWriteError: A write failed, or the model returned a bad vector, after
            earlier batches were stored (their ids are in ``stored_ids``).
    """
    if chunks:
        check_dimension(store, embeddings)

    def batches() -> Iterator[tuple[list[str], list[list[float]], list[dict[str, Any]], list[str]]]:
        for start in range(0, len(chunks), batch_size):
            if cancel is not None and cancel.is_set():
                return
            batch = chunks[start : start + batch_size]
            texts = [chunk.text for chunk in batch]
            vectors = embeddings.embed_documents(texts)
            if on_batch is not None:
                on_batch(len(batch))
            yield texts, vectors, [dict(c.metadata) for c in batch], [c.key for c in batch]

    return store.add_embedding_batches(batches())


def check_dimension(store: S3VectorsStore, embeddings: Embeddings) -> None:
    """Refuse a model whose vectors do not fit the existing index, before embedding.

    Costs one GetIndex and, unless the model states its dimension, one embedding.

    Raises:
        DimensionMismatchError: The index exists with another dimension.
    """
    info = store.index_info()
    if info is None or info.get("dimension") is None:
        return
    expected, actual = int(info["dimension"]), embedding_dimension(embeddings)
    if actual != expected:
        msg = (
            f"the embedding model makes {actual}-dimensional vectors but index "
            f"{store.index_name!r} in bucket {store.vector_bucket_name!r} holds "
            f"{expected}-dimensional ones; nothing was embedded or written. Use the model "
            "the index was built with (EMBEDDING_MODEL), or ingest into a new index "
            "(--index NAME or S3_VECTOR_INDEX_NAME)."
        )
        raise DimensionMismatchError(msg)


@contextmanager
def paced_share(store: S3VectorsStore, shard: Shard | None) -> Iterator[None]:
    """Within the block, pace ``store``'s writes at ``shard``'s share of its rate limit.

    A store without a limiter (the embedded client) is left unpaced.
    """
    limiter = store.rate_limiter
    if shard is None or shard.count == 1 or limiter is None:
        yield
        return
    store.rate_limiter = shard.rate_limiter(limiter)
    try:
        yield
    finally:
        store.rate_limiter = limiter
