"""The ``s3vectors-rag`` command: ingest, query and manage an S3 Vectors index.

Needs the ``cli`` extra (``pip install "langchain-s3vectors[cli]"``). The store comes
from the settings (environment and ``.env``, see ``env.example``) or, with
``--local PATH``, from the embedded local backend at ``PATH``.

Example:
    .. code-block:: console

        $ s3vectors-rag --local ./kb ingest docs/
        $ s3vectors-rag --local ./kb query "how do I rotate keys?" -k 3 --json
        $ s3vectors-rag sources
        $ s3vectors-rag health

Every command that prints results takes ``--json``. Failures print one line on
stderr and exit with a non-zero code: 1 for errors, 2 for bad usage, 3 when a health
check fails.

Commands that only read (``query``, ``sources``, ``stats``, ``health``, ``export``,
``ingest --dry-run``) never create anything: on the local backend they refuse a path
that holds no store, and open the store read-only, so a store on a read-only mount can
be read. Commands that write refuse a read-only store in one line, and say so on
stderr when they create a new store. ``export`` writes to a temporary file next to the
target and renames it only when the whole export succeeded. Progress and warnings
from long work go to stderr as log lines.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

try:
    import typer
    from rich.console import Console
    from rich.table import Table
except ImportError:  # pragma: no cover - exercised in a subprocess test
    sys.stderr.write(
        'The s3vectors-rag command needs the cli extra: pip install "langchain-s3vectors[cli]"\n'
    )
    raise SystemExit(1) from None

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from langchain_s3vectors.app.settings import S3VectorsSettings, boto3_session, build_store
from langchain_s3vectors.errors import S3VectorsError, translate_client_error
from langchain_s3vectors.local.storage import DB_FILENAME

if TYPE_CHECKING:
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = ["EXIT_ERROR", "EXIT_UNHEALTHY", "EXIT_USAGE", "app", "main", "make_app"]

#: Builds the store for a command from the resolved settings.
StoreFactory = Callable[[S3VectorsSettings], "S3VectorsStore"]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNHEALTHY = 3

_MODES = ("similarity", "mmr", "hybrid", "fulltext")
_SNIPPET = 300

JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
LocalOpt = Annotated[
    Path | None,
    typer.Option("--local", help="Use the embedded local backend stored in this directory."),
]
BucketOpt = Annotated[
    str | None, typer.Option("--bucket", help="Vector bucket (default: S3_VECTOR_BUCKET_NAME).")
]
IndexOpt = Annotated[
    str | None,
    typer.Option("--index", help="Vector index (default: S3_VECTOR_INDEX_NAME or documents)."),
]
PathsArg = Annotated[list[Path], typer.Argument(help="Files and folders to ingest.")]
ChunkSizeOpt = Annotated[int, typer.Option("--chunk-size", min=1, help="Characters per chunk.")]
ChunkOverlapOpt = Annotated[
    int, typer.Option("--chunk-overlap", min=0, help="Characters shared by adjacent chunks.")
]
RootOpt = Annotated[
    Path | None,
    typer.Option("--root", help="Sources are paths relative to this folder (default: cwd)."),
]
PruneOpt = Annotated[
    bool,
    typer.Option(
        "--prune",
        help="Also delete sources whose files are gone from the folders given "
        "(only sources ingested from the same --root).",
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="Show what would be added, updated and deleted; change nothing."
    ),
]
ShardOpt = Annotated[
    str | None,
    typer.Option(
        "--shard",
        help="Ingest only share I of N of the sources (e.g. 0/4); run N such processes, "
        "on any machines, to fill one index with each chunk exactly once.",
    ),
]
TextArg = Annotated[str, typer.Argument(help="The question or search text.")]
KOpt = Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="Results to return.")]
FilterOpt = Annotated[
    str | None,
    typer.Option("--filter", help='Metadata filter as JSON, e.g. {"source": "docs/a.md"}.'),
]
ModeOpt = Annotated[str, typer.Option("--mode", help="similarity, mmr, hybrid or fulltext.")]
SourceArg = Annotated[str, typer.Argument(help="The source to delete, as `sources` shows it.")]
ExportArg = Annotated[Path, typer.Argument(help="JSON Lines file to write ('-': stdout).")]
ImportArg = Annotated[Path, typer.Argument(help="JSON Lines file written by `export`.")]
LegacyBucketOpt = Annotated[
    str, typer.Option("--bucket", help="Regular S3 bucket holding the legacy layout.")
]
PrefixOpt = Annotated[str, typer.Option("--prefix", help="Folder holding files/ and vectors/.")]
ServeLocalOpt = Annotated[
    Path | None, typer.Option("--local", help="Store directory to serve (default: in memory).")
]
HostOpt = Annotated[str, typer.Option("--host", help="Interface to bind.")]
PortOpt = Annotated[int, typer.Option("--port", help="TCP port.")]
LatencyOpt = Annotated[float, typer.Option("--latency-ms", help="Delay added to each request.")]
CapsOpt = Annotated[
    bool,
    typer.Option("--enforce-write-caps", help="Answer 429 beyond the per-index write caps."),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Log only warnings, not one line per request.")
]

#: What a command does with the store: read it, change an existing one, or create one.
READ, CHANGE, CREATE = "read", "change", "create"


class _State:
    """What the global options resolved to; the store is built on first use."""

    def __init__(
        self, factory: StoreFactory, settings: S3VectorsSettings, local: Path | None = None
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.local = local
        self._stores: dict[bool, S3VectorsStore] = {}

    @property
    def store(self) -> S3VectorsStore:
        """The store for a command that writes (created when missing)."""
        return self.writer()

    def reader(self) -> S3VectorsStore:
        """The store for a command that only reads: never created, opened read-only."""
        self.check_local(READ)
        return self._build(read_only=True)

    def writer(self, *, create: bool = True) -> S3VectorsStore:
        """The store for a command that writes; ``create=False``: it must exist."""
        self.check_local(CREATE if create else CHANGE)
        return self._build(read_only=False)

    def _build(self, *, read_only: bool) -> S3VectorsStore:
        if read_only not in self._stores:
            settings = self.settings
            if read_only and settings.backend == "local":
                settings = settings.model_copy(update={"local_read_only": True})
            self._stores[read_only] = self.factory(settings)
        return self._stores[read_only]

    @property
    def where(self) -> str:
        """The local store's path as the user gave it."""
        path = self.settings.local_path
        return f"--local {path}" if self.local is not None else f"S3VECTORS_LOCAL_PATH={path}"

    def local_problem(self, kind: str) -> str | None:
        """Why a command of this kind cannot use the local store, or None."""
        if self.settings.backend != "local":
            return None
        path = self.settings.local_path.expanduser()
        database = path / DB_FILENAME
        if path.exists() and not path.is_dir():
            return (
                f"{self.where} is a file, not a store folder: pass the folder that holds "
                f"{DB_FILENAME} (or a new folder's path to create a store)."
            )
        if kind != CREATE and not database.is_file():
            return (
                f"no store at {self.where}: {database} does not exist. Check the path; "
                f"`s3vectors-rag --local {path} ingest FOLDER` creates a store there."
            )
        return None if kind == READ else self._write_problem(database)

    def _write_problem(self, database: Path) -> str | None:
        """Why the local store cannot be written, or None."""
        if self.settings.local_read_only:
            return (
                "the local store is opened read-only (S3VECTORS_LOCAL_READ_ONLY=true) and "
                "this command writes: unset S3VECTORS_LOCAL_READ_ONLY to change the store."
            )
        existing = database if database.exists() else _nearest_existing(database.parent)
        if not os.access(existing, os.W_OK) or not os.access(existing.parent, os.W_OK):
            return (
                f"the store at {self.where} is read-only ({existing} is not writable) and "
                "this command writes. Commands that read (query, sources, stats, export) "
                "still work; to change the store, use a writable copy of the folder."
            )
        return None

    def check_local(self, kind: str) -> None:
        """Refuse, in one line and before any work, a store this command cannot use."""
        problem = self.local_problem(kind)
        if problem is not None:
            raise _fail(problem)
        if self.settings.backend == "local" and kind == CREATE and not self._stores:
            path = self.settings.local_path.expanduser()
            if not (path / DB_FILENAME).exists():
                typer.echo(f"Creating a new store in {path}.", err=True)


def _nearest_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor (where a new store would be created)."""
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


class _CliLogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The CLI's stderr handler for the package's log lines (progress, warnings)."""


def _log_to_stderr(ctx: typer.Context) -> None:
    """Show the package's INFO log lines (ingest progress) on stderr while a command runs."""
    log = logging.getLogger("langchain_s3vectors")
    level = log.level
    handler = _CliLogHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)

    def restore() -> None:
        log.removeHandler(handler)
        log.setLevel(level)

    ctx.call_on_close(restore)


def _fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    first = " ".join(str(message).split())
    typer.echo(f"Error: {first}", err=True)
    return typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the package's errors into one line on stderr and an exit code."""
    try:
        yield
    except S3VectorsError as exc:
        raise _fail(str(exc)) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise _fail(f"invalid settings: {problems}") from None
    except (ClientError, BotoCoreError) as exc:
        raise _fail(str(translate_client_error(exc, operation="request"))) from None
    except OSError as exc:
        raise _fail(str(exc)) from None
    except sqlite3.Error as exc:
        raise _fail(f"the local store cannot be used: {exc}") from None


def _state(ctx: typer.Context) -> _State:
    state = ctx.find_object(_State)
    if state is None:  # pragma: no cover - the callback always sets it
        msg = "internal error: no CLI state"
        raise RuntimeError(msg)
    return state


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _console() -> Console:
    return Console(soft_wrap=True)


def _parse_filter(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        msg = f"--filter is not valid JSON: {exc}"
        raise typer.BadParameter(msg) from None
    if not isinstance(value, dict):
        msg = '--filter must be a JSON object, e.g. {"source": "docs/a.md"}'
        raise typer.BadParameter(msg)
    return value


def make_app(store_factory: StoreFactory | None = None) -> typer.Typer:  # noqa: C901, PLR0915
    """Build the ``s3vectors-rag`` application.

    Args:
        store_factory: Builds the store from the resolved settings; default
            :func:`~langchain_s3vectors.app.settings.build_store`.

    Example:
        >>> from typer.testing import CliRunner
        >>> result = CliRunner().invoke(make_app(), ["--help"])
        >>> result.exit_code
        0
    """
    factory: StoreFactory = store_factory or build_store
    app = typer.Typer(
        name="s3vectors-rag",
        help="Ingest, search and manage documents in Amazon S3 Vectors (or a local copy).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _global(
        ctx: typer.Context,
        local: LocalOpt = None,
        bucket: BucketOpt = None,
        index: IndexOpt = None,
    ) -> None:
        overrides: dict[str, Any] = {}
        if local is not None:
            overrides.update({"backend": "local", "local_path": local})
        if bucket:
            overrides["bucket_name"] = bucket
        if index:
            overrides["index_name"] = index
        with _errors():
            settings = S3VectorsSettings(**overrides)
        ctx.obj = _State(factory, settings, local)
        _log_to_stderr(ctx)

    @app.command()
    def init(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
        """Create the vector bucket and index if they do not exist."""
        with _errors():
            store = _state(ctx).store
            store.ensure_index()
            info = store.index_info() or {}
        result = {
            "bucket": store.vector_bucket_name,
            "index": store.index_name,
            "dimension": info.get("dimension"),
            "distance_metric": info.get("distanceMetric"),
        }
        if as_json:
            _print_json(result)
        else:
            _console().print(
                f"Index [bold]{result['index']}[/] in bucket [bold]{result['bucket']}[/] is "
                f"ready ({result['dimension']} dimensions, {result['distance_metric']})."
            )

    @app.command()
    def ingest(
        ctx: typer.Context,
        paths: PathsArg,
        *,
        chunk_size: ChunkSizeOpt = 1000,
        chunk_overlap: ChunkOverlapOpt = 150,
        root: RootOpt = None,
        prune: PruneOpt = False,
        shard: ShardOpt = None,
        dry_run: DryRunOpt = False,
        as_json: JsonOpt = False,
    ) -> None:
        """Ingest files and folders (.txt .md .rst .html .pdf); unchanged chunks are skipped."""
        from langchain_s3vectors.app.ingest import check_paths  # noqa: PLC0415
        from langchain_s3vectors.app.ingest import ingest as run_ingest  # noqa: PLC0415
        from langchain_s3vectors.app.sharding import Shard  # noqa: PLC0415

        _check_chunking(chunk_size, chunk_overlap)
        state = _state(ctx)
        with _errors():
            check_paths(paths)
            if shard is not None:
                Shard.parse(shard)  # a bad --shard is refused before a store is created
            store = _dry_run_store(state) if dry_run else state.writer()
            report = run_ingest(
                store,
                paths,
                root=root,
                chunk_size=chunk_size,
                chunk_overlap=chunk_overlap,
                prune=prune,
                shard=shard,
                dry_run=dry_run,
            )
        if as_json:
            _print_json(report.as_dict())
            return
        _print_ingest_report(report)

    @app.command()
    def query(
        ctx: typer.Context,
        text: TextArg,
        *,
        k: KOpt = 4,
        filter_json: FilterOpt = None,
        mode: ModeOpt = "similarity",
        as_json: JsonOpt = False,
    ) -> None:
        """Search the index (similarity, mmr, hybrid or fulltext)."""
        if mode not in _MODES:
            msg = f"--mode must be one of {', '.join(_MODES)}, not {mode!r}"
            raise typer.BadParameter(msg)
        where = _parse_filter(filter_json)
        if not text.strip():
            raise _fail(
                "the query is empty: give some text to search for, e.g. "
                "s3vectors-rag query 'how do I rotate keys?'",
                EXIT_USAGE,
            )
        with _errors():
            store = _state(ctx).reader()
            _require_index(store)
            hits: list[tuple[Any, float | None]]
            # Every score printed is "higher is better"; its kind says what it measures.
            if mode == "similarity":
                kind = "relevance"
                hits = list(store.similarity_search_with_relevance_scores(text, k=k, filter=where))
            elif mode == "mmr":
                kind = None
                docs = store.max_marginal_relevance_search(text, k=k, filter=where)
                hits = [(doc, None) for doc in docs]
            elif mode == "hybrid":
                kind = "rrf"
                hits = list(store.hybrid_search(text, k=k, filter=where))
            else:
                kind = "bm25"
                hits = list(store.fulltext_search(text, k=k, filter=where))
        rows = [
            {
                "id": doc.id,
                "score": score,
                "score_kind": kind,
                "metadata": doc.metadata,
                "text": doc.page_content,
            }
            for doc, score in hits
        ]
        if as_json:
            _print_json(rows)
            return
        console = _console()
        if not rows:
            console.print("No results.")
        for rank, row in enumerate(rows, start=1):
            score = "" if row["score"] is None else f"  {row['score_kind']} {row['score']:.4f}"
            console.print(f"{rank}. {row['id']}{score}", markup=False, style="bold")
            snippet = " ".join(str(row["text"]).split())
            if len(snippet) > _SNIPPET:
                snippet = snippet[:_SNIPPET] + "..."
            console.print(snippet, markup=False)

    @app.command()
    def sources(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
        """List the ingested sources and their chunk counts."""
        from langchain_s3vectors.app.admin import list_sources  # noqa: PLC0415

        with _errors():
            counts = list_sources(_state(ctx).reader())
        if as_json:
            _print_json(counts)
            return
        table = Table("source", "chunks")
        for source, count in counts.items():
            table.add_row(source, str(count))
        console = _console()
        console.print(table)
        console.print(f"{len(counts)} sources, {sum(counts.values())} chunks.")

    @app.command("delete-source")
    def delete_source_command(
        ctx: typer.Context, source: SourceArg, *, as_json: JsonOpt = False
    ) -> None:
        """Delete every chunk of one source."""
        from langchain_s3vectors.app.admin import delete_source  # noqa: PLC0415

        with _errors():
            deleted = delete_source(_state(ctx).writer(create=False), source)
        if as_json:
            _print_json({"source": source, "deleted": deleted})
        elif deleted:
            _console().print(f"Deleted {deleted} chunks of {source}.", markup=False)
        if not deleted:
            raise _fail(f"no chunks with source {source!r} (see `s3vectors-rag sources`).")

    @app.command()
    def stats(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
        """Describe the index: vectors, dimension, metric, mode, keys."""
        from langchain_s3vectors.app.admin import index_stats  # noqa: PLC0415

        with _errors():
            result = index_stats(_state(ctx).reader())
        if as_json:
            _print_json(result)
            return
        table = Table("property", "value")
        for key, value in result.items():
            shown = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
            table.add_row(key, shown)
        _console().print(table)

    @app.command()
    def health(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
        """Check credentials, endpoint, bucket, index and embedding; explain problems."""
        from langchain_s3vectors.app.admin import HealthCheck, HealthReport, health_check  # noqa: PLC0415

        state = _state(ctx)
        problem = state.local_problem(READ)
        with _errors():
            if problem is None:
                report = health_check(state.reader())
            else:
                report = HealthReport([HealthCheck("store", ok=False, message=problem)])
        if as_json:
            _print_json(report.as_dict())
        else:
            console = _console()
            for check in report.checks:
                mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
                console.print(f"{mark} {check.name}: ", end="")
                console.print(check.message, markup=False)
        if not report.ok:
            raise typer.Exit(EXIT_UNHEALTHY)

    @app.command("export")
    def export_command(ctx: typer.Context, file: ExportArg, *, as_json: JsonOpt = False) -> None:
        """Export every vector (key, data, metadata) as JSON Lines.

        The file is written under a temporary name and renamed when complete, so a
        failed export leaves an existing file as it was.
        """
        from langchain_s3vectors.app.admin import export_jsonl  # noqa: PLC0415

        with _errors():
            store = _state(ctx).reader()
            _require_index(store)
            if str(file) == "-":
                export_jsonl(store, sys.stdout)
                return
            count = _write_atomically(file, lambda handle: export_jsonl(store, handle))
        if as_json:
            _print_json({"file": str(file), "vectors": count})
        else:
            _console().print(f"Exported {count} vectors to {file}.", markup=False)

    @app.command("import")
    def import_command(ctx: typer.Context, file: ImportArg, *, as_json: JsonOpt = False) -> None:
        """Import vectors from a JSON Lines file (upsert by key)."""
        from langchain_s3vectors.app.admin import import_jsonl  # noqa: PLC0415

        with _errors(), file.open(encoding="utf-8") as handle:
            count = import_jsonl(_state(ctx).writer(), handle)
        if as_json:
            _print_json({"file": str(file), "vectors": count})
        else:
            _console().print(f"Imported {count} vectors from {file}.", markup=False)

    @app.command("migrate-legacy")
    def migrate_legacy_command(
        ctx: typer.Context,
        *,
        bucket: LegacyBucketOpt,
        prefix: PrefixOpt = "",
        as_json: JsonOpt = False,
    ) -> None:
        """Move a legacy files/ + vectors/*.json S3 layout into the index (resumable)."""
        from langchain_s3vectors.app.migrate import migrate_legacy  # noqa: PLC0415

        state = _state(ctx)
        with _errors():
            report = migrate_legacy(
                state.store,
                _s3_client(state.settings),
                bucket,
                prefix=prefix,
                model_name=state.settings.embedding_model,
            )
        if as_json:
            _print_json(report.as_dict())
        else:
            console = _console()
            console.print(
                f"{report.files_migrated} files migrated, {report.files_skipped} skipped, "
                f"{len(report.files_failed)} failed; {report.chunks_written} chunks written "
                f"({report.embeddings_reused} embeddings reused, "
                f"{report.embeddings_computed} computed).",
                markup=False,
            )
            for key, reason in report.files_failed:
                console.print(f"failed {key}: {reason}", markup=False)
        if report.files_failed:
            raise typer.Exit(EXIT_ERROR)

    @app.command()
    def serve(
        ctx: typer.Context,
        *,
        local: ServeLocalOpt = None,
        host: HostOpt = "127.0.0.1",
        port: PortOpt = 8000,
        latency_ms: LatencyOpt = 0.0,
        enforce_write_caps: CapsOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        """Serve a local store over the S3 Vectors HTTP API (for boto3, the AWS CLI, SDKs).

        The store is the one given by ``--local`` (before or after ``serve``); without
        one, an in-memory store that is lost at exit. One log line per request unless
        ``--quiet``.
        """
        try:
            from langchain_s3vectors.server import run  # noqa: PLC0415
        except ImportError as exc:
            hint = 'pip install "langchain-s3vectors[server]"'
            raise _fail(f"serve needs the server extra: {hint} ({exc})") from None
        path = _serve_path(_state(ctx), local)
        with _errors():
            _serve(
                run,
                path,
                host,
                port,
                quiet=quiet,
                latency_ms=latency_ms,
                enforce_write_caps=enforce_write_caps,
            )

    return app


def _serve(
    run: Callable[..., None],
    path: Path | None,
    host: str,
    port: int,
    *,
    quiet: bool,
    **options: Any,
) -> None:
    """Bind, say where the server listens and what it serves, serve until Ctrl+C."""
    what = f"the store in {path}" if path else "an in-memory store (lost at exit)"
    # Bound here, so the address printed is the real one (also with --port 0) and
    # clients may connect as soon as it is printed.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family)
    bound = listener.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    typer.echo(
        f"Serving {what} over the S3 Vectors API at http://{shown}:{bound} "
        "(no authentication). Press Ctrl+C to stop.",
        err=True,
    )
    with suppress(KeyboardInterrupt):  # Ctrl+C is how the server is stopped
        run(
            path,
            host,
            bound,
            **options,
            fd=listener.detach(),
            log_level="warning" if quiet else "info",
            access_log=not quiet,
        )
    typer.echo(f"Stopped serving {what}.", err=True)


def _check_chunking(chunk_size: int, chunk_overlap: int) -> None:
    """Refuse chunk options that cannot work, naming the option, before any work."""
    from langchain_s3vectors.app.ingest import MAX_CHUNK_SIZE  # noqa: PLC0415

    if chunk_size > MAX_CHUNK_SIZE:
        raise _fail(
            f"--chunk-size {chunk_size} is too large: each chunk's text is stored in its "
            f"vector's metadata (40 KB at most), so the largest size that always fits is "
            f"{MAX_CHUNK_SIZE} characters. Use --chunk-size {MAX_CHUNK_SIZE} or less.",
            EXIT_USAGE,
        )
    if chunk_overlap >= chunk_size:
        raise _fail(
            f"--chunk-overlap {chunk_overlap} must be smaller than --chunk-size {chunk_size}.",
            EXIT_USAGE,
        )


def _serve_path(state: _State, local: Path | None) -> Path | None:
    """The store folder ``serve`` serves: its own --local, else the global one."""
    if local is not None and state.local is not None and local != state.local:
        raise _fail(
            f"two store folders given: --local {state.local} before serve and --local "
            f"{local} after it; give one.",
            EXIT_USAGE,
        )
    path = local if local is not None else state.local
    if path is None:
        return None
    serving = _State(state.factory, state.settings.model_copy(update={"local_path": path}), path)
    serving.check_local(CREATE)
    return path


def _require_index(store: S3VectorsStore) -> None:
    """Refuse, before any other work, to read an index that does not exist."""
    if store.index_info() is None:
        raise _fail(
            f"index {store.index_name!r} does not exist in bucket "
            f"{store.vector_bucket_name!r}: check --index / S3_VECTOR_INDEX_NAME, or ingest "
            "something first."
        )


def _write_atomically(file: Path, write: Callable[[Any], int]) -> int:
    """Write ``file`` through a temporary file in its folder, renamed on success only."""
    folder = file.parent
    if not folder.is_dir():
        raise _fail(f"cannot write {file}: the folder {folder} does not exist.")
    temporary = folder / f".{file.name}.{os.getpid()}.partial"
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            count = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return count


def _dry_run_store(state: _State) -> S3VectorsStore:
    """The store a dry run reads: read-only, or an empty one where none exists yet."""
    settings = state.settings
    if settings.backend == "local" and not (settings.local_path / DB_FILENAME).is_file():
        problem = state.local_problem(CREATE)
        if problem is not None:
            raise _fail(problem)
        from langchain_s3vectors.vectorstores import S3VectorsStore  # noqa: PLC0415

        return S3VectorsStore.local(
            None,
            None,
            vector_bucket_name=settings.effective_bucket_name,
            index_name=settings.index_name,
        )
    return state.reader()


def _print_ingest_report(report: Any) -> None:
    console = _console()
    if report.dry_run:
        console.print(
            f"Dry run: {report.files} files, {report.chunks} chunks: would add "
            f"{report.added}, update {report.updated}, leave {report.unchanged} unchanged "
            f"and delete {report.deleted}. Nothing was changed.",
            markup=False,
        )
    else:
        console.print(
            f"{report.files} files, {report.chunks} chunks: {report.added} added, "
            f"{report.updated} updated, {report.unchanged} unchanged, "
            f"{report.deleted} deleted in {report.seconds:.1f}s.",
            markup=False,
        )
    verb = "would remove" if report.dry_run else "removed"
    for source in report.removed_sources:
        console.print(f"{verb} {source}", markup=False)
    for source, reason in [*report.failed, *report.skipped]:
        console.print(f"skipped {source}: {reason}", markup=False)
    for source, note in report.notes:
        console.print(f"note {source}: {note}", markup=False)


def _s3_client(settings: S3VectorsSettings) -> Any:
    return boto3_session(settings).client("s3")


app = make_app()


def main() -> None:
    """Run ``s3vectors-rag``."""
    app()


if __name__ == "__main__":
    main()
