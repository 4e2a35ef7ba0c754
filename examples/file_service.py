"""A document search service on FastAPI: upload files, list them, delete them, search.

Endpoints:

* ``POST /files``: multipart upload (field ``file``) of a ``.txt``, ``.md``, ``.rst``,
  ``.html`` or ``.pdf`` file; it is split, embedded and indexed under its file name
  (uploading the same name again re-indexes it incrementally). The answer is ``201``
  with the ingest report when indexing finishes within ``wait`` seconds (query
  parameter, default 30), else ``202`` with a job to follow at ``GET /jobs/{id}``.
* ``GET /jobs/{id}``: a job's status: ``queued``, ``running``, ``done`` (with the
  report), ``failed`` (with the reason) or ``cancelled``.
* ``GET /files``: the indexed files with their chunk counts.
* ``DELETE /files/{source}``: delete every chunk of one file. A file still being
  indexed (or waiting to be) is cancelled first: the answer comes once its job has
  stopped and everything it stored is deleted, so nothing of it comes back. The name
  matches in either Unicode form (composed NFC or decomposed NFD).
* ``GET /search?q=...&k=4&mode=similarity|mmr|hybrid|fulltext&filter={json}``; a
  full-text search that matched nothing because the index's language cannot split the
  query's script (Chinese, Japanese, Korean) says why in an ``X-Search-Notice`` header.
* ``GET /health``: the backend, bucket and index, and whether the index exists.

Limits and safety:

* uploads larger than ``max_upload_bytes`` (``FILE_SERVICE_MAX_UPLOAD_BYTES``, default
  10 MiB) are refused with ``413``, from the ``Content-Length`` header before the body
  is read when the client sends one;
* an empty file (or one with no text) is refused with ``422`` and changes nothing;
* files are indexed by one background worker with at most ``max_queued_jobs`` waiting
  (``503`` with ``Retry-After`` beyond); a client that goes away while waiting cancels
  its job between two embedding batches, and shutting the server down cancels every
  job the same way, so it stops promptly;
* the file name becomes the source after dropping any folder part (``/`` or ``\\``)
  and control characters;
* error messages name the uploaded file, never a path on the server; a store that
  cannot be opened answers ``503`` and the details go to the server log;
* with an API key (``api_key``, or the ``FILE_SERVICE_API_KEY`` environment variable),
  every request must carry ``Authorization: Bearer <key>``, else it gets ``401`` and
  changes nothing. The key is compared in constant time and never logged. ``/health``
  (for load balancers; it shows the backend, bucket and index names and whether the
  index exists, no documents) and the API docs (``/docs``, ``/redoc``,
  ``/openapi.json``) stay open. Serve it over TLS (uvicorn's ``--ssl-certfile`` and
  ``--ssl-keyfile``, or a proxy in front) beyond loopback, so the key is not sent in
  clear text.

``create_app(store)`` builds the app around any :class:`S3VectorsStore`. The
module-level ``app`` uses the store the settings describe (environment and ``.env``,
see ``env.example``), on the embedded backend in ``./.s3vectors`` unless
``S3VECTORS_BACKEND=aws`` is set; ``TEXT_SEARCH_LANGUAGE`` chooses the full-text language
of a new index (``zh``, ``ja`` or ``ko`` for Chinese, Japanese or Korean files). Run it
from the repository root with::

    uvicorn examples.file_service:app --port 8080

Needs ``fastapi``, ``python-multipart`` and ``uvicorn``.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from langchain_s3vectors import S3VectorsStore
from langchain_s3vectors.app.admin import delete_source, list_sources
from langchain_s3vectors.app.ingest import IngestCancelledError, ingest
from langchain_s3vectors.app.loaders import SUPPORTED_EXTENSIONS
from langchain_s3vectors.app.settings import settings_error_message
from langchain_s3vectors.errors import (
    AccessDeniedError,
    ConfigurationError,
    InvalidInputError,
    ResourceNotFoundError,
    S3VectorsError,
    TextSearchNotEnabledError,
    TransientServiceError,
)
from langchain_s3vectors.search import untokenised_notice

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from langchain_core.documents import Document

Mode = Literal["similarity", "mmr", "hybrid", "fulltext"]

logger = logging.getLogger("file_service")

#: Default largest upload, in bytes (``FILE_SERVICE_MAX_UPLOAD_BYTES`` overrides it).
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Jobs that may wait behind the running one.
DEFAULT_MAX_QUEUED_JOBS = 4
#: Finished jobs whose status is kept for ``GET /jobs/{id}``.
KEPT_JOBS = 100
_NAME_BYTES = 255
#: Chunks embedded per batch: a cancelled job stops within one batch's time.
EMBED_BATCH = 32
#: Environment variable holding the API key requests must carry (unset or empty: open).
API_KEY_ENV = "FILE_SERVICE_API_KEY"
#: Paths served without the key: the health check and the API's description.
OPEN_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
#: Seconds a DELETE waits for the indexing of its file to stop (503 beyond).
STOP_WAIT_SECONDS = 60.0

_STATUS: list[tuple[type[Exception], int]] = [
    (InvalidInputError, 400),
    (TextSearchNotEnabledError, 400),
    (AccessDeniedError, 403),
    (ResourceNotFoundError, 404),
    (TransientServiceError, 503),
    (ConfigurationError, 503),  # the server's set-up (e.g. another embedding model)
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
    from langchain_s3vectors.app.settings import store_from_env  # noqa: PLC0415

    return store_from_env(S3VECTORS_BACKEND=os.environ.get("S3VECTORS_BACKEND", "local"))


class EmptyUploadError(InvalidInputError):
    """An upload with no text to index."""


@dataclass
class Job:
    """One upload being indexed in the background."""

    id: str
    source: str
    status: str = "queued"
    result: dict[str, Any] | None = None
    error: str | None = None
    error_status: int = 400
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    #: Why the job was cancelled, when not by the ingest's own message.
    cancel_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The job as its status endpoint shows it."""
        body: dict[str, Any] = {"job": self.id, "source": self.source, "status": self.status}
        if self.result is not None:
            body["report"] = self.result
        if self.error is not None:
            body["error"] = self.error
        return body


class Jobs:
    """Bounded background indexing: one worker, a short queue, a status per upload."""

    def __init__(self, max_queued: int) -> None:
        """One worker thread; at most ``max_queued`` jobs wait behind the running one."""
        self.max_queued = max_queued
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="file-service-ingest")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.closed = False

    def submit(
        self,
        source: str,
        work: Callable[[Job], dict[str, Any]],
        cleanup: Callable[[], None] | None = None,
    ) -> Job:
        """Queue ``work``; 503 when the queue is full or the service is stopping.

        ``cleanup`` runs when the job ends, whether it ran or was cancelled first.
        """
        with self._lock:
            active = sum(job.status in {"queued", "running"} for job in self._jobs.values())
            if self.closed or active > self.max_queued:
                raise HTTPException(
                    503,
                    "the service is busy indexing other files; try again later",
                    headers={"Retry-After": "30"},
                )
            job = Job(id=str(next(self._ids)), source=source)
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS + self.max_queued + 1:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job, work, cleanup)
        return job

    def stop(self, source: str, reason: str, timeout: float) -> list[Job]:
        """Cancel every queued or running job of ``source`` and wait until each has stopped.

        A queued job never starts; a running one stops between two batches, and what
        it embedded before is written before it ends. Once this returns, no job writes
        a chunk of ``source`` any more. 503 when one does not stop within ``timeout``.
        """
        wanted = unicodedata.normalize("NFC", source)
        with self._lock:
            stopped = [
                job
                for job in self._jobs.values()
                if job.status in {"queued", "running"}
                and unicodedata.normalize("NFC", job.source) == wanted
            ]
            for job in stopped:
                job.cancel_reason = reason
                job.cancel.set()
                if job.status == "queued":  # it will never start (see _run)
                    job.status, job.error = "cancelled", reason
                    job.finished.set()
        for job in stopped:
            if not job.finished.wait(timeout):
                raise HTTPException(
                    503,
                    f"{source} is still being indexed and did not stop in time; try again",
                    headers={"Retry-After": "5"},
                )
        return stopped

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if it is still kept."""
        with self._lock:
            return self._jobs.get(job_id)

    def _run(
        self,
        job: Job,
        work: Callable[[Job], dict[str, Any]],
        cleanup: Callable[[], None] | None,
    ) -> None:
        try:
            with self._lock:  # a job cancelled while queued never starts
                if job.cancel.is_set():
                    job.status, job.error = "cancelled", job.cancel_reason
                    return
                job.status = "running"
            job.result = work(job)
            job.status = "done"
            if job.cancel_reason is not None:  # stopped after its last batch
                job.status, job.error = "cancelled", job.cancel_reason
        except IngestCancelledError as exc:
            job.status, job.error = "cancelled", job.cancel_reason or str(exc)
        except EmptyUploadError as exc:
            job.status, job.error, job.error_status = "failed", str(exc), 422
        except S3VectorsError as exc:
            job.status, job.error = "failed", str(exc)
            job.error_status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
        except Exception:
            logger.exception("indexing %s failed", job.source)
            job.status, job.error, job.error_status = "failed", "indexing failed", 500
        finally:
            if cleanup is not None:
                cleanup()
            job.finished.set()

    def shutdown(self) -> None:
        """Cancel every job (between two batches) and wait for the worker to stop."""
        with self._lock:
            self.closed = True
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=False)


class UploadLimit:
    """Refuse, from its ``Content-Length``, an upload over the limit before reading it.

    A plain ASGI middleware, so the endpoint still sees the client going away.
    """

    def __init__(self, app: Any, limit: int) -> None:
        """Wrap ``app``; ``limit`` in bytes (the multipart envelope gets 4 KiB more)."""
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Answer 413 for a POST /files declaring too large a body; else pass it on."""
        if scope["type"] == "http" and scope["path"] == "/files":
            declared = dict(scope["headers"]).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > self.limit + 4096:
                await _too_large(self.limit)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ApiKey:
    """The key requests must carry; never shown by ``repr``.

    Example:
        >>> key = ApiKey("k3y-value")
        >>> key.matches(b"k3y-value"), key.matches(b"guess"), "k3y" in repr(key)
        (True, False, False)
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        """Keep the key's bytes."""
        self._value = value.encode("utf-8")

    def matches(self, given: bytes) -> bool:
        """Compare in constant time (for keys of the same length)."""
        return hmac.compare_digest(given, self._value)

    def __repr__(self) -> str:
        """Never the key itself."""
        return "ApiKey(<hidden>)"


class ApiKeyAuth:
    """Answer ``401`` to a request without ``Authorization: Bearer <key>``, before the app.

    A plain ASGI middleware placed outside the others, so a refused request is not read,
    stored or indexed; :data:`OPEN_PATHS` pass without the key.
    """

    def __init__(self, app: Any, key: ApiKey) -> None:
        """Wrap ``app``."""
        self.app = app
        self.key = key

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Pass on a request with the key (or to an open path); answer 401 otherwise."""
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        scheme, _, token = dict(scope["headers"]).get(b"authorization", b"").partition(b" ")
        if scheme.lower() == b"bearer" and self.key.matches(token.strip()):
            await self.app(scope, receive, send)
            return
        detail = (
            "missing or wrong API key; send the header 'Authorization: Bearer <key>' with "
            f"the key the server was given ({API_KEY_ENV}); nothing was changed"
        )
        refused = JSONResponse(
            {"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await refused(scope, receive, send)


def safe_name(raw: str | None) -> str:
    """The source name for an uploaded file name: its last part, printable, no leading dots.

    Both ``/`` and ``\\`` separate folders (browsers on Windows send either).

    Example:
        >>> safe_name("..\\\\..\\\\win\\\\evil2.md"), safe_name("../notes.txt")
        ('evil2.md', 'notes.txt')
        >>> safe_name("C:evil.md"), safe_name("\\x00.bashrc.md")
        ('evil.md', 'bashrc.md')
    """
    name = PureWindowsPath((raw or "").replace("\x00", "")).name
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".").strip()
    if len(name.encode("utf-8")) > _NAME_BYTES:
        raise HTTPException(400, f"file name too long (over {_NAME_BYTES} bytes); rename it")
    return name


def create_app(
    store: S3VectorsStore | None = None,
    *,
    store_factory: Callable[[], S3VectorsStore] = default_store,
    max_upload_bytes: int | None = None,
    max_queued_jobs: int = DEFAULT_MAX_QUEUED_JOBS,
    wait_seconds: float = 30.0,
    api_key: str | None = None,
) -> FastAPI:
    """The file service around ``store`` (default: ``store_factory()`` on first request).

    Args:
        store: The store; default: built by ``store_factory`` on first use.
        store_factory: Builds the store.
        max_upload_bytes: Largest upload (413 beyond); default
            ``FILE_SERVICE_MAX_UPLOAD_BYTES`` or 10 MiB.
        max_queued_jobs: Uploads that may wait for the indexing worker (503 beyond).
        wait_seconds: Default of ``POST /files``'s ``wait``: how long a request waits
            for its job before answering 202.
        api_key: The key every request but :data:`OPEN_PATHS` must carry as
            ``Authorization: Bearer <key>`` (401 otherwise); default
            ``FILE_SERVICE_API_KEY``; unset or empty: no key needed.

    Example:
        .. code-block:: python

            from fastapi.testclient import TestClient

            client = TestClient(create_app(S3VectorsStore.local(None, embedding)))
            client.get("/files").json()  # []
    """
    limit = max_upload_bytes or int(
        os.environ.get("FILE_SERVICE_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
    )
    jobs = Jobs(max_queued_jobs)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await asyncio.to_thread(jobs.shutdown)

    app = FastAPI(title="langchain-s3vectors file service", lifespan=lifespan)
    app.state.store = store
    app.state.store_factory = store_factory
    app.state.store_lock = threading.Lock()
    app.state.jobs = jobs

    _add_middleware(app, limit, api_key or os.environ.get(API_KEY_ENV) or None)

    _add_error_handlers(app)
    _add_upload_routes(app, jobs, limit, wait_seconds)

    @app.get("/health")
    def health(store: StoreDep) -> dict[str, Any]:
        return {
            "status": "ok",
            "backend": type(store.client).__name__,
            "bucket": store.vector_bucket_name,
            "index": store.index_name,
            "index_exists": store.index_info() is not None,
        }

    @app.get("/files")
    def files(store: StoreDep) -> list[dict[str, Any]]:
        return [{"source": s, "chunks": n} for s, n in list_sources(store).items()]

    @app.delete("/files/{source:path}")
    def remove(store: StoreDep, source: str) -> dict[str, Any]:
        stopped = jobs.stop(source, f"{source} was deleted while being indexed", STOP_WAIT_SECONDS)
        deleted = delete_source(store, source)
        if not deleted and not stopped:
            raise HTTPException(404, f"no file {source!r} is indexed (see GET /files)")
        body: dict[str, Any] = {"source": source, "deleted": deleted}
        if stopped:
            body["cancelled_jobs"] = [job.id for job in stopped]
        return body

    @app.get("/search")
    def search(
        store: StoreDep,
        response: Response,
        q: Annotated[str, Query(min_length=1, description="The question or search text.")],
        k: Annotated[int, Query(ge=1, le=100)] = 4,
        mode: Mode = "similarity",
        filter: Annotated[
            str | None, Query(description='Metadata filter as JSON, e.g. {"source": "a.md"}')
        ] = None,
    ) -> list[dict[str, Any]]:
        hits = _search(store, mode, q, k, _parse_filter(filter))
        if mode == "fulltext":
            _notice_if_untokenised(store, q, hits, response)
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


def _add_middleware(app: FastAPI, limit: int, api_key: str | None) -> None:
    """The upload limit, and the API key check outside it (so it runs first)."""
    app.add_middleware(UploadLimit, limit=limit)
    if api_key is not None:  # added last, so it runs first: a refused upload is not read
        app.add_middleware(ApiKeyAuth, key=ApiKey(api_key))


def _search(
    store: S3VectorsStore, mode: Mode, q: str, k: int, where: dict[str, Any] | None
) -> list[tuple[Document, float | None]]:
    """The hits of one search in ``mode``; MMR has no score."""
    if mode == "similarity":
        return list(store.similarity_search_with_relevance_scores(q, k=k, filter=where))
    if mode == "mmr":
        return [(d, None) for d in store.max_marginal_relevance_search(q, k=k, filter=where)]
    if mode == "hybrid":
        return list(store.hybrid_search(q, k=k, filter=where))
    return list(store.fulltext_search(q, k=k, filter=where))


def _notice_if_untokenised(
    store: S3VectorsStore, q: str, hits: list[Any], response: Response
) -> None:
    """Set ``X-Search-Notice`` when the index's language explains an empty full-text search."""
    if not hits:
        notice = untokenised_notice(store.index, store.page_content_key, q, [], hybrid=False)
        if notice is not None:
            response.headers["X-Search-Notice"] = notice


def _add_error_handlers(app: FastAPI) -> None:
    """Package errors keep their status; a store that cannot be opened is a bare 503."""

    @app.exception_handler(S3VectorsError)
    async def _package_error(_: Request, exc: S3VectorsError) -> JSONResponse:
        status = next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    @app.exception_handler(OSError)
    @app.exception_handler(sqlite3.Error)
    @app.exception_handler(ConfigurationError)
    @app.exception_handler(ValidationError)
    async def _store_unavailable(_: Request, exc: Exception) -> JSONResponse:
        logger.error("the document store cannot be used: %s", _one_line(exc))
        detail = "the document store is unavailable; the server log says why"
        return JSONResponse({"detail": detail}, status_code=503)


def _one_line(exc: Exception) -> str:
    """``exc`` in one line; invalid settings as ``invalid settings: NAME: why; ...``."""
    if isinstance(exc, ValidationError):
        return settings_error_message(exc)
    return " ".join(str(exc).split())


def _validation_message(exc: RequestValidationError) -> str:
    """FastAPI's validation errors as one line: ``query parameter 'k': ...; ...``."""
    problems = []
    for error in exc.errors():
        where, *path = [str(part) for part in error.get("loc", ())] or ["request"]
        name = ".".join(path) or where
        kind = {"query": "query parameter", "path": "path parameter", "body": "form field"}
        problems.append(f"{kind.get(where, where)} {name!r}: {error.get('msg', 'invalid')}")
    return " ".join("; ".join(problems).split())


def _add_upload_routes(app: FastAPI, jobs: Jobs, limit: int, wait_seconds: float) -> None:
    """``POST /files`` (validated, then indexed by ``jobs``) and ``GET /jobs/{id}``."""

    @app.post("/files", status_code=201)
    async def upload(
        request: Request,
        response: Response,
        store: StoreDep,
        file: Annotated[UploadFile, File()],
        wait: Annotated[float | None, Query(ge=0, le=300)] = None,
    ) -> dict[str, Any]:
        name = safe_name(file.filename)
        if not name or Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
            supported = ", ".join(sorted(SUPPORTED_EXTENSIONS))
            raise HTTPException(415, f"unsupported file {name!r}; upload one of: {supported}")
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise HTTPException(413, _too_large_message(limit))
        if not data.strip():
            raise HTTPException(422, _empty_message(name))
        folder = Path(tempfile.mkdtemp(prefix="upload-"))
        (folder / name).write_bytes(data)
        try:
            job = jobs.submit(
                name,
                lambda job: _index_upload(store, folder, name, job),
                cleanup=lambda: shutil.rmtree(folder, ignore_errors=True),
            )
        except HTTPException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return await _wait_for(job, request, response, wait_seconds if wait is None else wait)

    @app.get("/jobs/{job_id}")
    def job_status(job_id: str) -> dict[str, Any]:
        job = jobs.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id!r} (jobs are kept for a while only)")
        return job.as_dict()


def _too_large_message(limit: int) -> str:
    return (
        f"the file is larger than this service accepts ({limit} bytes); split it, or raise "
        "FILE_SERVICE_MAX_UPLOAD_BYTES on the server"
    )


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": _too_large_message(limit)}, status_code=413)


def _empty_message(name: str) -> str:
    return (
        f"{name} has no text to index; nothing was changed (to remove an indexed file, "
        f"DELETE /files/{name})"
    )


def _index_upload(store: S3VectorsStore, folder: Path, name: str, job: Job) -> dict[str, Any]:
    """Index one saved upload (the job's work; the job removes the saved copy)."""
    path = folder / name
    # Each upload is saved in a folder of its own, and its name is its identity: an
    # upload replaces the indexed file of that name (take_over), whichever upload
    # folder that one came from.
    plan = ingest(store, [path], root=folder, dry_run=True, progress=False, take_over=True)
    if plan.failed:
        reason = plan.failed[0][1].replace(str(folder), "")
        msg = f"could not index {name}: {reason}"
        raise InvalidInputError(msg)
    if plan.chunks == 0:
        raise EmptyUploadError(_empty_message(name))
    report = ingest(
        store,
        [path],
        root=folder,
        progress=False,
        cancel=job.cancel,
        batch_size=EMBED_BATCH,
        take_over=True,
    )
    return {"source": name, **report.as_dict()}


async def _wait_for(job: Job, request: Request, response: Response, wait: float) -> dict[str, Any]:
    """The job's outcome if it ends within ``wait`` seconds, else 202 and where to follow it.

    A client that goes away while waiting cancels its job.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not job.finished.is_set():
        if await request.is_disconnected():
            job.cancel.set()
            logger.info("client went away; cancelling the indexing of %s", job.source)
            break
        if loop.time() >= deadline:
            response.status_code = 202
            response.headers["Location"] = f"/jobs/{job.id}"
            return job.as_dict()
        await asyncio.sleep(0.05)
    if job.status == "done" and job.result is not None:
        return job.result
    if job.status == "cancelled":
        raise HTTPException(409, job.error or "the indexing was cancelled")
    raise HTTPException(job.error_status, job.error or "indexing failed")


def _parse_filter(raw: str | None) -> dict[str, Any] | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"filter is not valid JSON: {exc}") from None
    except RecursionError:
        raise HTTPException(400, "filter is nested too deeply to read; flatten it") from None
    if not isinstance(value, dict):
        raise HTTPException(400, 'filter must be a JSON object, e.g. {"source": "a.md"}')
    return value


app = create_app()
