"""``S3VectorsStore``: a LangChain vector store on Amazon S3 Vectors.

The store is embeddings + records + relevance, MMR and hybrid search over an
:class:`~langchain_s3vectors.index.S3VectorsIndex` (``store.index``), which speaks the
S3 Vectors protocol to *an S3 Vectors client*: ``boto3.client("s3vectors")`` against
AWS (or any compatible endpoint), or the embedded
:class:`~langchain_s3vectors.local.LocalS3VectorsClient` for laptops, notebooks and CI.
Both speak the same API, so one code path serves both.

The class is layered by capability: :class:`~langchain_s3vectors.base.S3VectorsStoreBase`
(construction, configuration, lifecycle, get, list) and
:class:`~langchain_s3vectors.searcher.S3VectorsSearcher` (reads: search) carry no
LangChain base class; this module adds what changes the index (writes, deletes,
``clear``) and LangChain's ``VectorStore`` interface.

The logic is written once, synchronously (boto3 blocks; batches fan out on threads).
Each ``a*`` method awaits only what is natively async, the embedding model's
``aembed_documents`` / ``aembed_query``, and runs the rest in a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from langchain_core.vectorstores import VectorStore
from typing_extensions import override

from langchain_s3vectors.checks import text_list
from langchain_s3vectors.errors import InvalidInputError
from langchain_s3vectors.execution import in_thread
from langchain_s3vectors.filters import matches
from langchain_s3vectors.search import (
    checked_filter,
    cosine_relevance_score,
    euclidean_relevance_score,
)
from langchain_s3vectors.searcher import S3VectorsSearcher
from langchain_s3vectors.writes import EMBED_CHUNK, EmbeddingBatch, Writer, embedded_chunks

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    import numpy.typing as npt
    from langchain_core.embeddings import Embeddings

    from langchain_s3vectors.retrievers import S3VectorsRetriever

__all__ = ["S3VectorsStore", "cosine_relevance_score", "euclidean_relevance_score"]


class S3VectorsStore(S3VectorsSearcher, VectorStore):
    """LangChain vector store on Amazon S3 Vectors (or the embedded local S3 Vectors).

    Each document is one vector: its id is the vector key, its embedding the vector,
    its metadata the vector's metadata, and its page content a reserved non-filterable
    (and, by default, full-text searchable) metadata key. The bucket and index are
    created on the first write when missing.

    Setup:
        .. code-block:: bash

            pip install langchain-s3vectors

    Instantiate:
        .. code-block:: python

            from langchain_core.embeddings import DeterministicFakeEmbedding
            from langchain_s3vectors import S3VectorsStore

            emb = DeterministicFakeEmbedding(size=8)
            # Against AWS:
            store = S3VectorsStore.from_aws("my-bucket", "docs", emb, region_name="us-east-1")
            # Embedded, no AWS at all (path=None keeps it in memory):
            store = S3VectorsStore.local(None, emb)

    Add:
        .. code-block:: python

            from langchain_core.documents import Document

            store.add_documents(
                [Document("S3 Vectors stores vectors", metadata={"year": 2025})], ids=["d1"]
            )

    Delete:
        .. code-block:: python

            store.delete(["d1"])
            store.delete(filter={"year": {"$lt": 2020}})
            store.clear()  # every vector; the index stays

    Search:
        .. code-block:: python

            store.similarity_search("vectors", k=2)
            store.similarity_search_with_relevance_scores("vectors", k=2)
            store.hybrid_search("vectors in S3", k=2)

    Search with filter:
        .. code-block:: python

            store.similarity_search("vectors", k=2, filter={"year": {"$gte": 2024}})

    Use as retriever:
        .. code-block:: python

            retriever = store.as_retriever(search_type="mmr", search_kwargs={"k": 3})
            retriever.invoke("vectors")

    Args:
        vector_bucket_name: The vector bucket.
        index_name: The vector index.
        embedding: Embeddings for documents (and queries, unless ``query_embedding``).
        client: A boto3-shaped ``s3vectors`` client (see
            :class:`~langchain_s3vectors.client.S3VectorsClient`); ``None`` builds one
            with :func:`~langchain_s3vectors.client.create_client` from the environment;
            :meth:`from_aws` builds one from a region, endpoint, profile or session.
        query_embedding: Separate embeddings for queries.
        dimension: Embedding dimension, when known (saves one embedding call when
            creating the index).
        create_if_missing: Create the bucket and index on the first write.
        index_config: The layout of a new index: distance metric, page content key,
            non-filterable keys, full-text language
            (:class:`~langchain_s3vectors.base.IndexConfig`; default: cosine, full-text
            search in English).
        batching: Batches in flight, retries and write pacing
            (:class:`~langchain_s3vectors.base.BatchingConfig`).
        relevance_score_fn: Distance -> relevance in [0, 1], replacing the default for
            the index's metric.
        embedding_identity: What builds the vectors (model, dimension,
            normalisation), recorded on the index and checked before the first search
            and write (see :mod:`langchain_s3vectors.identity`); default: what
            :func:`~langchain_s3vectors.identity.identity_of` tells from ``embedding``.
        allow_embedding_change: Accept an index recorded with another model of the
            same dimension: searches warn once, and writes record the new model
            (re-embed every document, or the index mixes two vector spaces).
    """

    # -- construction from texts ---------------------------------------------------------

    @classmethod
    @override
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """Create a store (``vector_bucket_name``/``index_name`` in kwargs) and add texts."""
        store = cls._from_kwargs(embedding, kwargs)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    @override
    async def afrom_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> Self:
        """Async :meth:`from_texts` (the embedding model is awaited)."""
        store = cls._from_kwargs(embedding, kwargs)
        await store.aadd_texts(texts, metadatas, ids=ids)
        return store

    @classmethod
    def _from_kwargs(cls, embedding: Embeddings, kwargs: dict[str, Any]) -> Self:
        try:
            bucket = kwargs.pop("vector_bucket_name")
            index = kwargs.pop("index_name")
        except KeyError as exc:
            msg = (
                f"{cls.__name__}.from_texts needs vector_bucket_name= and index_name= "
                "(or use S3VectorsStore.local(...) and add_texts)"
            )
            raise InvalidInputError(msg) from exc
        return cls(bucket, index, embedding, **kwargs)

    # -- writes ------------------------------------------------------------------------

    @property
    def _writer(self) -> Writer:
        return Writer(self.index, self._codec, self._probe, self.identity_guard.before_write)

    @override
    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Embed and upsert texts; returns their ids (generated when not given).

        Every text is checked against the service limits before anything is embedded
        or sent, so invalid input raises
        :class:`~langchain_s3vectors.errors.InvalidInputError` with nothing written.
        More than :data:`EMBED_CHUNK` texts are embedded a chunk at a time while the
        chunks before are being sent, so embedding and writing overlap (the embedded
        client, whose writes hold the GIL, takes each request on the caller's thread
        between chunks) and memory holds a few chunks rather than every vector; should
        the model return a bad vector
        for a later chunk, the :class:`~langchain_s3vectors.errors.PartialWriteError`
        names the ids already stored.
        """
        texts = text_list(texts)
        writer = self._writer
        keys, metas = writer.prepare(texts, metadatas, ids)
        if not texts:
            return []
        embedding = self._doc_embedding()
        if len(texts) <= EMBED_CHUNK:
            writer.write(keys, texts, metas, embedding.embed_documents(texts))
        else:
            writer.send_stream(embedded_chunks(keys, texts, metas, embedding, self._codec()))
        return keys

    @override
    async def aadd_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[Any, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Async :meth:`add_texts`: the embedding model is awaited, the writes run in threads."""
        texts = text_list(texts)
        writer = self._writer
        keys, metas = await self._run(writer.prepare, texts, metadatas, ids)
        if texts:
            vectors = await self._doc_embedding().aembed_documents(texts)
            await self._run(writer.write, keys, texts, metas, vectors)
        return keys

    def add_embeddings(
        self,
        texts: Sequence[str],
        embeddings: Sequence[Sequence[float]] | npt.NDArray[Any],
        metadatas: Sequence[Mapping[str, Any] | None] | None = None,
        *,
        ids: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Upsert documents with precomputed embeddings; returns their ids.

        ``embeddings`` may be a list of lists or a 2-D numpy array (taken without a copy
        when it is float32). Every embedding is checked before anything is sent; the
        records are then built and sent batch by batch, so memory holds one float32
        copy of the vectors and the requests in flight.

        Example:
            >>> store = S3VectorsStore.local(None, None)
            >>> store.add_embeddings(["a"], [[1.0, 0.0]], ids=["x"])
            ['x']
        """
        writer = self._writer
        keys, metas = writer.prepare(texts, metadatas, ids)
        if texts:
            writer.write(keys, list(texts), metas, embeddings)
        return keys

    aadd_embeddings = in_thread(add_embeddings)

    def add_embedding_batches(
        self,
        batches: Iterable[EmbeddingBatch],
    ) -> list[str]:
        """Upsert ``(texts, embeddings, metadatas, ids)`` batches as they are produced.

        The next batch is pulled from ``batches`` (for example a generator that embeds
        it) while earlier ones are being sent, with at most ``batching.max_concurrency`` requests
        in flight, so producing and sending overlap and a long ingest takes about the
        longer of the two rather than their sum. Each batch is checked before any of
        its records is sent; ids should be unique across batches.

        Returns:
            The ids written, in order.

        Raises:
            PartialWriteError: A batch was invalid or failed after earlier ones were
                stored; the error names the stored ids and carries the cause.

        Example:
            >>> store = S3VectorsStore.local(None, None)
            >>> store.add_embedding_batches([(["a"], [[1.0, 0.0]], None, ["x"]),
            ...                              (["b"], [[0.0, 1.0]], None, ["y"])])
            ['x', 'y']
        """
        writer = self._writer
        return writer.send_stream(writer.prepared(batches), background=True)

    # -- deletes ----------------------------------------------------------------------

    @override
    def delete(
        self,
        ids: list[str] | None = None,
        *,
        filter: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> bool | None:
        """Delete vectors by id, by metadata filter, or both (ids that match the filter).

        Missing ids are ignored; the index is never dropped. A filter is evaluated
        client-side over ListVectors pages (QueryVectors needs a query vector).

        Raises:
            InvalidInputError: Neither ids nor filter given (use :meth:`clear`).
        """
        if ids is None and filter is None:
            msg = (
                "delete() needs ids or filter=; it never deletes everything by default. "
                "Call clear() to delete every vector (the index is kept)"
            )
            raise InvalidInputError(msg)
        if isinstance(ids, str):
            msg = "ids must be a list of ids, not one string; wrap it: [id]"
            raise InvalidInputError(msg)
        if filter is not None:
            flt = checked_filter(filter, self._codec().non_filterable_keys)
            assert flt is not None  # noqa: S101 - a non-empty filter normalises to a dict
            records: Iterable[dict[str, Any]] = (
                self.iter_records() if ids is None else self.index.get(ids).values()
            )
            ids = [r["key"] for r in records if matches(flt, r.get("metadata") or {})]
        if ids:
            self.index.delete(ids)
        return True

    adelete = in_thread(delete)

    def clear(self) -> None:
        """Delete every vector in the index; the index itself is kept."""
        keys = [r["key"] for r in self.iter_records(return_metadata=False)]
        if keys:
            self.index.delete(keys)

    aclear = in_thread(clear)

    # -- LangChain's VectorStore hooks ------------------------------------------------------

    @override
    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return self._relevance_fn(None)

    # -- retriever -------------------------------------------------------------------------

    @override
    def as_retriever(self, **kwargs: Any) -> S3VectorsRetriever:
        """A retriever; ``search_type`` may also be ``"hybrid"`` or ``"fulltext"``."""
        from langchain_s3vectors.retrievers import S3VectorsRetriever  # noqa: PLC0415

        tags = kwargs.pop("tags", None) or [*self._get_retriever_tags()]
        return S3VectorsRetriever(vectorstore=self, tags=tags, **kwargs)
