"""The RAG tool built on the library: settings, embeddings, ingestion, admin and the CLI.

Needs extras: ``cli`` for the ``s3vectors-rag`` command, ``ingest`` (and ``pdf``) for
loading files, ``huggingface``/``minilm``/``onnx`` for the default embedding model.
The library (:mod:`langchain_s3vectors`) never imports this package; it imports the
library.

* :mod:`~langchain_s3vectors.app.settings`: configuration from the environment and
  ``.env``; :func:`~langchain_s3vectors.app.settings.store_from_env` builds a store.
* :mod:`~langchain_s3vectors.app.embeddings` and
  :mod:`~langchain_s3vectors.app.onnx_embeddings`: the default model, loaded lazily;
  :mod:`~langchain_s3vectors.app.onnx_export` builds and caches its ONNX files.
* :mod:`~langchain_s3vectors.app.discovery`: the files under the paths given, each once.
* :mod:`~langchain_s3vectors.app.loaders`: a file to text (decoding, HTML, PDF) and chunks.
* :mod:`~langchain_s3vectors.app.ingest`: idempotent ingestion of files and folders, with
  :mod:`~langchain_s3vectors.app.planning` (what to add, update, leave or delete),
  :mod:`~langchain_s3vectors.app.pipeline` and :mod:`~langchain_s3vectors.app.sharding`.
* :mod:`~langchain_s3vectors.app.admin`: sources, stats, health, export and import.
* :mod:`~langchain_s3vectors.app.migrate`: the legacy S3 layout into an index.
* :mod:`~langchain_s3vectors.app.cli`: the ``s3vectors-rag`` command.

Submodules are imported on use, so ``import langchain_s3vectors.app`` costs nothing.
"""
