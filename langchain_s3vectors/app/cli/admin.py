"""Commands over an index's documents: sources, delete-source, stats, health, export, import.

Each is a thin shell over :mod:`langchain_s3vectors.app.admin`, imported when the
command runs.
"""

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from langchain_s3vectors.app.cli.options import ExportArg, ImportArg, JsonOpt, SourceArg
from langchain_s3vectors.app.cli.state import (
    EXIT_UNHEALTHY,
    READ,
    console,
    errors,
    fail,
    get_state,
    print_json,
    require_index,
)

__all__ = ["delete_source", "export", "health", "import_", "sources", "stats"]


def sources(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
    """List the ingested sources and their chunk counts."""
    from rich.table import Table  # noqa: PLC0415

    from langchain_s3vectors.app.admin import list_sources  # noqa: PLC0415

    with errors():
        counts = list_sources(get_state(ctx).reader())
    if as_json:
        print_json(counts)
        return
    table = Table("source", "chunks")
    for source, count in counts.items():
        table.add_row(source, str(count))
    out = console()
    out.print(table)
    out.print(f"{len(counts)} sources, {sum(counts.values())} chunks.")


def delete_source(ctx: typer.Context, source: SourceArg, *, as_json: JsonOpt = False) -> None:
    """Delete every chunk of one source."""
    from langchain_s3vectors.app.admin import delete_source as run_delete  # noqa: PLC0415

    with errors():
        deleted = run_delete(get_state(ctx).writer(create=False), source)
    if as_json:
        print_json({"source": source, "deleted": deleted})
    elif deleted:
        console().print(f"Deleted {deleted} chunks of {source}.", markup=False)
    if not deleted:
        raise fail(f"no chunks with source {source!r} (see `s3vectors-rag sources`).")


def stats(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
    """Describe the index: vectors, dimension, metric, mode, keys."""
    from rich.table import Table  # noqa: PLC0415

    from langchain_s3vectors.app.admin import index_stats  # noqa: PLC0415

    with errors():
        result = index_stats(get_state(ctx).reader())
    if as_json:
        print_json(result)
        return
    table = Table("property", "value")
    for key, value in result.items():
        shown = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
        table.add_row(key, shown)
    console().print(table)


def health(ctx: typer.Context, *, as_json: JsonOpt = False) -> None:
    """Check credentials, endpoint, bucket, index and embedding; explain problems."""
    from langchain_s3vectors.app.admin import HealthCheck, HealthReport, health_check  # noqa: PLC0415

    state = get_state(ctx)
    problem = state.local_problem(READ)
    with errors():
        if problem is None:
            report = health_check(state.reader())
        else:
            report = HealthReport([HealthCheck("store", ok=False, message=problem)])
    if as_json:
        print_json(report.as_dict())
    else:
        out = console()
        for check in report.checks:
            mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
            out.print(f"{mark} {check.name}: ", end="")
            out.print(check.message, markup=False)
    if not report.ok:
        raise typer.Exit(EXIT_UNHEALTHY)


def export(ctx: typer.Context, file: ExportArg, *, as_json: JsonOpt = False) -> None:
    """Export every vector (key, data, metadata) as JSON Lines.

    The file is written under a temporary name and renamed when complete, so a
    failed export leaves an existing file as it was.
    """
    from langchain_s3vectors.app import admin  # noqa: PLC0415

    with errors():
        store = get_state(ctx).reader()
        require_index(store)
        if str(file) == "-":
            admin.export_jsonl(store, sys.stdout)
            return
        count = _write_atomically(file, lambda handle: admin.export_jsonl(store, handle))
    if as_json:
        print_json({"file": str(file), "vectors": count})
    else:
        console().print(f"Exported {count} vectors to {file}.", markup=False)


def import_(ctx: typer.Context, file: ImportArg, *, as_json: JsonOpt = False) -> None:
    """Import vectors from a JSON Lines file (upsert by key)."""
    from langchain_s3vectors.app.admin import check_jsonl, import_jsonl  # noqa: PLC0415

    with errors(), file.open(encoding="utf-8") as handle:
        check_jsonl(handle)  # a bad line is refused before a store is created
        count = import_jsonl(get_state(ctx).writer(), handle, checked=True)
    if as_json:
        print_json({"file": str(file), "vectors": count})
    else:
        console().print(f"Imported {count} vectors from {file}.", markup=False)


def _write_atomically(file: Path, write: Callable[[Any], int]) -> int:
    """Write ``file`` through a temporary file in its folder, renamed on success only."""
    folder = file.parent
    if not folder.is_dir():
        raise fail(f"cannot write {file}: the folder {folder} does not exist.")
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
