"""What every command shares: the resolved options, the store, errors and output.

:class:`CliState` holds what the global options resolved to and builds the store on
first use, read-only for commands that only read. :func:`errors` turns the package's
errors into one line on stderr and an exit code; :func:`fail` builds that exit.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from langchain_s3vectors.local import DB_FILENAME

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from langchain_s3vectors.app.settings import S3VectorsSettings
    from langchain_s3vectors.base import S3VectorsStoreBase
    from langchain_s3vectors.searcher import S3VectorsSearcher
    from langchain_s3vectors.vectorstores import S3VectorsStore

__all__ = [
    "CHANGE",
    "CREATE",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_UNHEALTHY",
    "EXIT_USAGE",
    "READ",
    "CliState",
    "StoreFactory",
    "console",
    "errors",
    "fail",
    "get_state",
    "log_to_stderr",
    "parse_filter",
    "print_json",
    "require_index",
]

#: Builds the store for a command from the resolved settings.
StoreFactory = Callable[["S3VectorsSettings"], "S3VectorsStore"]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNHEALTHY = 3
#: Stopped by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: What a command does with the store: read it, change an existing one, or create one.
READ, CHANGE, CREATE = "read", "change", "create"


class CliState:
    """What the global options resolved to; the store is built on first use.

    ``factory`` builds the store from the settings; ``None`` (the command line's own)
    means :func:`~langchain_s3vectors.app.settings.build_store`, and then a command that
    only searches gets an :class:`~langchain_s3vectors.searcher.S3VectorsSearcher`,
    which does not import LangChain's ``VectorStore`` (a faster cold start).
    """

    def __init__(
        self,
        factory: StoreFactory | None,
        settings: S3VectorsSettings,
        local: Path | None = None,
    ) -> None:
        """Keep the factory, the settings and the ``--local`` path as given."""
        self.factory = factory
        self.settings = settings
        self.local = local
        self._stores: dict[bool, S3VectorsStore] = {}
        self._searcher: S3VectorsSearcher | None = None

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
        if self.settings.backend == "local":  # refused before a store is created
            from langchain_s3vectors.index import check_names  # noqa: PLC0415

            check_names(self.settings.effective_bucket_name, self.settings.index_name)
        self.check_local(CREATE if create else CHANGE)
        return self._build(read_only=False)

    def searcher(self) -> S3VectorsSearcher:
        """The store for a command that only searches: as :meth:`reader`, but lighter."""
        self.check_local(READ)
        if self.factory is not None:
            return self._build(read_only=True)
        if self._searcher is None:
            from langchain_s3vectors.app.settings import build_store  # noqa: PLC0415
            from langchain_s3vectors.searcher import S3VectorsSearcher  # noqa: PLC0415

            settings = self._settings(read_only=True)
            self._searcher = build_store(settings, store_cls=S3VectorsSearcher)
        return self._searcher

    def _build(self, *, read_only: bool) -> S3VectorsStore:
        if read_only not in self._stores:
            settings = self._settings(read_only=read_only)
            if self.factory is None:
                from langchain_s3vectors.app.settings import build_store  # noqa: PLC0415

                self._stores[read_only] = build_store(settings)
            else:
                self._stores[read_only] = self.factory(settings)
        return self._stores[read_only]

    def _settings(self, *, read_only: bool) -> S3VectorsSettings:
        """The settings, read-only for the local backend when the command only reads."""
        if read_only and self.settings.backend == "local":
            return self.settings.model_copy(update={"local_read_only": True})
        return self.settings

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
            raise fail(problem)
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


def log_to_stderr(ctx: typer.Context) -> None:
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


def fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """Print ``message`` as one ``Error:`` line on stderr; the exit to raise."""
    first = " ".join(str(message).split())
    typer.echo(f"Error: {first}", err=True)
    return typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    """Turn the package's errors into one line on stderr and an exit code."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415
    from pydantic import ValidationError  # noqa: PLC0415

    from langchain_s3vectors.errors import (  # noqa: PLC0415
        PartialWriteError,
        S3VectorsError,
        translate_client_error,
    )

    try:
        yield
    except PartialWriteError as exc:
        raise fail(_partial_write_message(exc)) from None
    except S3VectorsError as exc:
        raise fail(str(exc)) from None
    except ValidationError as exc:
        from langchain_s3vectors.app.settings import settings_error_message  # noqa: PLC0415

        raise fail(settings_error_message(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise fail(str(translate_client_error(exc, operation="request"))) from None
    except OSError as exc:
        raise fail(str(exc)) from None
    except sqlite3.Error as exc:
        raise fail(f"the local store cannot be used: {exc}") from None


def _partial_write_message(exc: Any) -> str:
    """A failed write in the user's terms: the cause, what was stored, how to resume."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    return (
        f"{cause} ({len(exc.stored_ids)} vectors were written before the failure, "
        f"{len(exc.failed_ids)} were not; writes are upserts, so running the same "
        "command again after fixing the cause is safe and completes it.)"
    )


def get_state(ctx: typer.Context) -> CliState:
    """The state the global options left on the context."""
    state = ctx.find_object(CliState)
    if state is None:  # pragma: no cover - the callback always sets it
        msg = "internal error: no CLI state"
        raise RuntimeError(msg)
    return state


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def console() -> Console:
    """A rich console for human-readable output."""
    from rich.console import Console  # noqa: PLC0415

    return Console(soft_wrap=True)


def parse_filter(raw: str | None) -> dict[str, Any] | None:
    """The ``--filter`` JSON object, or None; a bad one is a usage error."""
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        msg = f"--filter is not valid JSON: {exc}"
        raise typer.BadParameter(msg) from None
    except RecursionError:
        msg = "--filter is nested too deeply to read; flatten it"
        raise typer.BadParameter(msg) from None
    if not isinstance(value, dict):
        msg = '--filter must be a JSON object, e.g. {"source": "docs/a.md"}'
        raise typer.BadParameter(msg)
    return value


def require_index(store: S3VectorsStoreBase) -> None:
    """Refuse, before any other work, to read an index that does not exist."""
    if store.index_info() is None:
        raise fail(
            f"index {store.index_name!r} does not exist in bucket "
            f"{store.vector_bucket_name!r}: check --index / S3_VECTOR_INDEX_NAME, or ingest "
            "something first."
        )
