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
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

from langchain_s3vectors.errors import S3VectorsError, translate_client_error
from langchain_s3vectors.settings import S3VectorsSettings, boto3_session, build_store

if TYPE_CHECKING:
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = ["app", "main", "make_app"]

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
    typer.Option("--prune", help="Also delete sources whose files are gone from the folders."),
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


class _State:
    """What the global options resolved to; the store is built on first use."""

    def __init__(self, factory: StoreFactory, settings: S3VectorsSettings) -> None:
        self.factory = factory
        self.settings = settings
        self._store: S3VectorsStore | None = None

    @property
    def store(self) -> S3VectorsStore:
        if self._store is None:
            self._store = self.factory(self.settings)
        return self._store


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
            :func:`~langchain_s3vectors.settings.build_store`.

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
        ctx.obj = _State(factory, settings)

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
        as_json: JsonOpt = False,
    ) -> None:
        """Ingest files and folders (.txt .md .rst .html .pdf); unchanged chunks are skipped."""
        from langchain_s3vectors.ingest import ingest as run_ingest  # noqa: PLC0415

        with _errors():
            report = run_ingest(
                _state(ctx).store,
                paths,
                root=root,
                chunk_size=chunk_size,
                chunk_overlap=chunk_overlap,
                prune=prune,
                shard=shard,
            )
        if as_json:
            _print_json(report.as_dict())
        else:
            console = _console()
            console.print(
                f"{report.files} files, {report.chunks} chunks: {report.added} added, "
                f"{report.updated} updated, {report.unchanged} unchanged, "
                f"{report.deleted} deleted in {report.seconds:.1f}s."
            )
            for source in report.removed_sources:
                console.print(f"removed {source}", markup=False)
            for source, reason in report.failed:
                console.print(f"skipped {source}: {reason}", markup=False)

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
        with _errors():
            store = _state(ctx).store
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
        from langchain_s3vectors.manage import list_sources  # noqa: PLC0415

        with _errors():
            counts = list_sources(_state(ctx).store)
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
        from langchain_s3vectors.manage import delete_source  # noqa: PLC0415

        with _errors():
            deleted = delete_source(_state(ctx).store, source)
        if as_json:
            _print_json({"source": source, "deleted": deleted})
        elif deleted:
            _console().print(f"Deleted {deleted} chunks of {source}.", markup=False)
        if not deleted:
            raise _fail(f"no chunks with source {source!r} (see `s3vectors-rag sources`).")

    @app.command()
    def stats(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
        """Describe the index: vectors, dimension, metric, mode, keys."""
        from langchain_s3vectors.manage import index_stats  # noqa: PLC0415

        with _errors():
            result = index_stats(_state(ctx).store)
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
        from langchain_s3vectors.manage import health_check  # noqa: PLC0415

        with _errors():
            report = health_check(_state(ctx).store)
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
        """Export every vector (key, data, metadata) as JSON Lines."""
        from langchain_s3vectors.manage import export_jsonl  # noqa: PLC0415

        with _errors():
            if str(file) == "-":
                export_jsonl(_state(ctx).store, sys.stdout)
                return
            with file.open("w", encoding="utf-8") as handle:
                count = export_jsonl(_state(ctx).store, handle)
        if as_json:
            _print_json({"file": str(file), "vectors": count})
        else:
            _console().print(f"Exported {count} vectors to {file}.", markup=False)

    @app.command("import")
    def import_command(ctx: typer.Context, file: ImportArg, *, as_json: JsonOpt = False) -> None:
        """Import vectors from a JSON Lines file (upsert by key)."""
        from langchain_s3vectors.manage import import_jsonl  # noqa: PLC0415

        with _errors(), file.open(encoding="utf-8") as handle:
            count = import_jsonl(_state(ctx).store, handle)
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
        from langchain_s3vectors.migrate import migrate_legacy  # noqa: PLC0415

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
        *,
        local: ServeLocalOpt = None,
        host: HostOpt = "127.0.0.1",
        port: PortOpt = 8000,
        latency_ms: LatencyOpt = 0.0,
        enforce_write_caps: CapsOpt = False,
    ) -> None:
        """Serve a local store over the S3 Vectors HTTP API (for boto3, the AWS CLI, SDKs)."""
        try:
            from langchain_s3vectors.server import run  # noqa: PLC0415
        except ImportError as exc:
            hint = 'pip install "langchain-s3vectors[server]"'
            raise _fail(f"serve needs the server extra: {hint} ({exc})") from None
        with _errors():
            run(local, host, port, latency_ms=latency_ms, enforce_write_caps=enforce_write_caps)

    return app


def _s3_client(settings: S3VectorsSettings) -> Any:
    return boto3_session(settings).client("s3")


app = make_app()


def main() -> None:
    """Run ``s3vectors-rag``."""
    app()


if __name__ == "__main__":
    main()
