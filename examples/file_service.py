"""A document search service on FastAPI: upload files, list them, delete them, search.

Endpoints:

* ``POST /files``: multipart upload (field ``file``) of a ``.txt``, ``.md``, ``.rst``,
  ``.html`` or ``.pdf`` file; it is split, embedded and indexed under its file name
  (uploading the same name again re-indexes it incrementally).
* ``GET /files``: the indexed files with their chunk counts.
* ``DELETE /files/{source}``: delete every chunk of one file.
* ``GET /search?q=...&k=4&mode=similarity|mmr|hybrid|fulltext&filter={json}``.
* ``GET /health``: the backend, bucket and index, and whether the index exists.

``create_app(store)`` builds the app around any :class:`S3VectorsStore`. The
module-level ``app`` uses the store the settings describe (environment and ``.env``,
see ``env.example``), on the embedded backend in ``./.s3vectors`` unless
``S3VECTORS_BACKEND=aws`` is set. Run it from the repository root with::

    uvicorn examples.file_service:app --port 8080

Needs ``fastapi``, ``python-multipart`` and ``uvicorn``.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from langchain_s3vectors import S3VectorsStore
from langchain_s3vectors.errors import (
    AccessDeniedError,
    InvalidInputError,
    ResourceNotFoundError,
    S3VectorsError,
    TextSearchNotEnabledError,
    TransientServiceError,
)
from langchain_s3vectors.ingest import SUPPORTED_EXTENSIONS, ingest
from langchain_s3vectors.manage import delete_source, list_sources

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_core.documents import Document

Mode = Literal["similarity", "mmr", "hybrid", "fulltext"]

_STATUS: list[tuple[type[Exception], int]] = [
    (InvalidInputError, 400),
    (TextSearchNotEnabledError, 400),
    (AccessDeniedError, 403),
    (ResourceNotFoundError, 404),
    (TransientServiceError, 503),
]


def _get_store(request: Request) -> S3VectorsStore:
    """The app's store, built by its factory on first use."""
    state = request.app.state
    with state.store_lock:
        if state.store is None:
            state.store = state.store_factory()
        store: S3VectorsStore = state.store
        return store


StoreDep = Annotated[S3VectorsStore, Depends(_get_store)]


def default_store() -> S3VectorsStore:
    """The store from the settings; the embedded backend unless S3VECTORS_BACKEND says aws."""
    from langchain_s3vectors.settings import store_from_env  # noqa: PLC0415

    return store_from_env(S3VECTORS_BACKEND=os.environ.get("S3VECTORS_BACKEND", "local"))


def create_app(  # noqa: C901 - one small function per route
    store: S3VectorsStore | None = None,
    *,
    store_factory: Callable[[], S3VectorsStore] = default_store,
) -> FastAPI:
    """The file service around ``store`` (default: ``store_factory()`` on first request).

    Example:
        .. code-block:: python

            from fastapi.testclient import TestClient

            client = TestClient(create_app(S3VectorsStore.local(None, embedding)))
            client.get("/files").json()  # []
    """
    app = FastAPI(title="langchain-s3vectors file service")
    app.state.store = store
    app.state.store_factory = store_factory
    app.state.store_lock = threading.Lock()

    @app.exception_handler(S3VectorsError)
    async def _package_error(_: Request, exc: S3VectorsError) -> JSONResponse:
        status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.get("/health")
    def health(store: StoreDep) -> dict[str, Any]:
        return {
            "status": "ok",
            "backend": type(store.client).__name__,
            "bucket": store.vector_bucket_name,
            "index": store.index_name,
            "index_exists": store.index_info() is not None,
        }

    @app.post("/files", status_code=201)
    def upload(store: StoreDep, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
        name = PurePath(file.filename or "").name
        if not name or Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
            supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
            raise HTTPException(415, f"unsupported file {name!r}; upload one of: {supported}")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, name)
            path.write_bytes(file.file.read())
            report = ingest(store, [path], root=tmp)
        if report.failed:
            raise HTTPException(400, f"could not index {name}: {report.failed[0][1]}")
        return {"source": name, **report.as_dict()}

    @app.get("/files")
    def files(store: StoreDep) -> list[dict[str, Any]]:
        return [{"source": s, "chunks": n} for s, n in list_sources(store).items()]

    @app.delete("/files/{source:path}")
    def remove(store: StoreDep, source: str) -> dict[str, Any]:
        deleted = delete_source(store, source)
        if not deleted:
            raise HTTPException(404, f"no file {source!r} is indexed (see GET /files)")
        return {"source": source, "deleted": deleted}

    @app.get("/search")
    def search(
        store: StoreDep,
        q: Annotated[str, Query(min_length=1, description="The question or search text.")],
        k: Annotated[int, Query(ge=1, le=100)] = 4,
        mode: Mode = "similarity",
        filter: Annotated[  # noqa: A002 - the parameter users type
            str | None, Query(description='Metadata filter as JSON, e.g. {"source": "a.md"}')
        ] = None,
    ) -> list[dict[str, Any]]:
        where = _parse_filter(filter)
        hits: list[tuple[Document, float | None]]
        if mode == "similarity":
            hits = list(store.similarity_search_with_relevance_scores(q, k=k, filter=where))
        elif mode == "mmr":
            hits = [(d, None) for d in store.max_marginal_relevance_search(q, k=k, filter=where)]
        elif mode == "hybrid":
            hits = list(store.hybrid_search(q, k=k, filter=where))
        else:
            hits = list(store.fulltext_search(q, k=k, filter=where))
        return [
            {
                "id": doc.id,
                "source": doc.metadata.get("source"),
                "score": score,
                "text": doc.page_content,
                "metadata": doc.metadata,
            }
            for doc, score in hits
        ]

    return app


def _parse_filter(raw: str | None) -> dict[str, Any] | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"filter is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise HTTPException(400, 'filter must be a JSON object, e.g. {"source": "a.md"}')
    return value


app = create_app()
