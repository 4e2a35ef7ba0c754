"""``init`` and ``ingest``: create the index, fill it from files and folders."""

import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

import typer

from langchain_s3vectors.app.cli.options import (
    ChunkOverlapOpt,
    ChunkSizeOpt,
    DryRunOpt,
    JsonOpt,
    PathsArg,
    PruneOpt,
    ReembedOpt,
    RootOpt,
    ShardOpt,
    TakeOverOpt,
)
from langchain_s3vectors.app.cli.state import (
    CREATE,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliState,
    console,
    errors,
    fail,
    get_state,
    print_json,
)
from langchain_s3vectors.local import DB_FILENAME

if TYPE_CHECKING:
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = ["ingest", "init"]


def init(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
    """Create the vector bucket and index if they do not exist."""
    with errors():
        store = get_state(ctx).store
        store.ensure_index()
        info = store.index_info() or {}
        _note_language(get_state(ctx), store)
    result = {
        "bucket": store.vector_bucket_name,
        "index": store.index_name,
        "dimension": info.get("dimension"),
        "distance_metric": info.get("distanceMetric"),
    }
    if as_json:
        print_json(result)
    else:
        console().print(
            f"Index [bold]{result['index']}[/] in bucket [bold]{result['bucket']}[/] is "
            f"ready ({result['dimension']} dimensions, {result['distance_metric']})."
        )


def ingest(
    ctx: typer.Context,
    paths: PathsArg,
    *,
    chunk_size: ChunkSizeOpt = 1000,
    chunk_overlap: ChunkOverlapOpt = 150,
    root: RootOpt = None,
    prune: PruneOpt = False,
    shard: ShardOpt = None,
    take_over: TakeOverOpt = False,
    reembed: ReembedOpt = False,
    dry_run: DryRunOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Ingest files and folders (.txt .md .rst .html .pdf); unchanged chunks are skipped."""
    from langchain_s3vectors.app.discovery import (  # noqa: PLC0415
        check_paths,
        check_something_to_read,
    )
    from langchain_s3vectors.app.ingest import ingest as run_ingest  # noqa: PLC0415
    from langchain_s3vectors.app.sharding import Shard  # noqa: PLC0415

    _check_chunking(chunk_size, chunk_overlap)
    state = get_state(ctx)
    if reembed:
        state.settings = state.settings.model_copy(update={"allow_embedding_change": True})
    cancel = threading.Event()
    with errors(), nullcontext() if dry_run else _interruptible(cancel):
        check_paths(paths)
        if not prune:  # an emptied folder may be pruned
            check_something_to_read(paths)
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
            take_over=take_over,
            cancel=cancel,
        )
        if not dry_run:
            _note_language(state, store)
    if as_json:
        print_json(report.as_dict())
        return
    _print_ingest_report(report)


@contextmanager
def _interruptible(cancel: threading.Event) -> Iterator[None]:
    """Within the block, the first Ctrl-C stops the ingest after its current batch.

    What was stored stays, and the exit (130) says so; a second Ctrl-C stops at once.
    """
    from langchain_s3vectors.app.ingest import IngestCancelledError  # noqa: PLC0415

    def on_interrupt(_signum: int, _frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        typer.echo("Stopping after the current batch (Ctrl-C again to stop now)...", err=True)

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if main else None
    try:
        yield
    except IngestCancelledError as exc:
        raise fail(f"Interrupted: {exc}.", EXIT_INTERRUPTED) from None
    except KeyboardInterrupt:
        raise fail(
            "Interrupted: the chunks written so far stay stored; run the same command "
            "again to finish (stored chunks are skipped).",
            EXIT_INTERRUPTED,
        ) from None
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def _note_language(state: CliState, store: "S3VectorsStore") -> None:
    """Say so when the language asked for is not the existing index's (it stays)."""
    settings = state.settings
    if "text_search_language" not in settings.model_fields_set:
        return
    if store.index.description is None and store.index.info() is None:
        return
    config = store.index.text_search_config(store.page_content_key)
    have = None if config is None else config.get("language")
    if have != settings.text_search_language:
        what = "no full-text search" if config is None else have or "the standard analyser"
        typer.echo(
            f"Note: index {store.index_name!r} already exists with {what}; "
            f"--text-search-language / TEXT_SEARCH_LANGUAGE "
            f"{settings.text_search_language} applies to a new index only (use another "
            "--index).",
            err=True,
        )


def _check_chunking(chunk_size: int, chunk_overlap: int) -> None:
    """Refuse chunk options that cannot work, naming the option, before any work."""
    from langchain_s3vectors.app.loaders import MAX_CHUNK_SIZE  # noqa: PLC0415

    if chunk_size > MAX_CHUNK_SIZE:
        raise fail(
            f"--chunk-size {chunk_size} is too large: each chunk's text is stored in its "
            f"vector's metadata (40 KB at most), so the largest size that always fits is "
            f"{MAX_CHUNK_SIZE} characters. Use --chunk-size {MAX_CHUNK_SIZE} or less.",
            EXIT_USAGE,
        )
    if chunk_overlap >= chunk_size:
        raise fail(
            f"--chunk-overlap {chunk_overlap} must be smaller than --chunk-size {chunk_size}.",
            EXIT_USAGE,
        )


def _dry_run_store(state: CliState) -> "S3VectorsStore":
    """The store a dry run reads: read-only, or an empty one where none exists yet."""
    settings = state.settings
    if settings.backend == "local" and not (settings.local_path / DB_FILENAME).is_file():
        problem = state.local_problem(CREATE)
        if problem is not None:
            raise fail(problem)
        from langchain_s3vectors.vectorstores import S3VectorsStore  # noqa: PLC0415

        return S3VectorsStore.local(
            None,
            None,
            vector_bucket_name=settings.effective_bucket_name,
            index_name=settings.index_name,
        )
    return state.reader()


def _print_ingest_report(report: Any) -> None:
    from langchain_s3vectors.app.discovery import UNSUPPORTED  # noqa: PLC0415
    from langchain_s3vectors.app.loaders import SUPPORTED_EXTENSIONS  # noqa: PLC0415

    out = console()
    skipped = _skipped_summary(report.skipped_by_reason())
    if report.dry_run:
        out.print(
            f"Dry run: {report.files} files, {report.chunks} chunks: would add "
            f"{report.added}, update {report.updated}, leave {report.unchanged} unchanged "
            f"and delete {report.deleted}{skipped}. Nothing was changed.",
            markup=False,
        )
    else:
        out.print(
            f"{report.files} files, {report.chunks} chunks: {report.added} added, "
            f"{report.updated} updated, {report.unchanged} unchanged, "
            f"{report.deleted} deleted in {report.seconds:.1f}s{skipped}.",
            markup=False,
        )
    verb = "would remove" if report.dry_run else "removed"
    for source in report.removed_sources:
        out.print(f"{verb} {source}", markup=False)
    unsupported: Counter[str] = Counter()
    for source, reason in [*report.failed, *report.skipped]:
        if reason.startswith(UNSUPPORTED):
            unsupported[reason[len(UNSUPPORTED) :].strip()] += 1
        else:
            out.print(f"skipped {source}: {reason}", markup=False)
    if unsupported:
        types = ", ".join(f"{ext} ({count})" for ext, count in unsupported.most_common())
        out.print(
            f"skipped {_files(unsupported.total())} of unsupported types: {types}; supported: "
            f"{' '.join(sorted(SUPPORTED_EXTENSIONS))}",
            markup=False,
        )
    for source, note in report.notes:
        out.print(f"note {source}: {note}", markup=False)


def _skipped_summary(counts: dict[str, int]) -> str:
    """``"; skipped 3 files: 2 unsupported type, 1 no text"``, or ``""`` if none were.

    Example:
        >>> _skipped_summary({"unsupported": 2, "no_text": 1, "unreadable": 0})
        '; skipped 3 files: 2 unsupported type, 1 no text'
    """
    words = {
        "unsupported": "unsupported type",
        "no_text": "no text",
        "unreadable": "unreadable",
        "other_root": "from another folder",
        "duplicate": "read once already",
    }
    parts = [f"{count} {words.get(kind, kind)}" for kind, count in counts.items() if count]
    total = sum(counts.values())
    if not total:
        return ""
    return f"; skipped {_files(total)}: {', '.join(parts)}"


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"
