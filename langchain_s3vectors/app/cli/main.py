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

The commands live in one module per group (:mod:`.ingesting`, :mod:`.search`,
:mod:`.admin`, :mod:`.migrate`, :mod:`.serve`), their options in :mod:`.options` and
what they share in :mod:`.state`. Each command imports what it needs when it runs, so
``query`` never loads the ingestion, loading or admin code.

Every command that prints results takes ``--json``. Failures print one line on
stderr and exit with a non-zero code: 1 for errors, 2 for bad usage, 3 when a health
check fails, 130 when Ctrl-C stopped an ingest (what was stored stays; running the
same command again finishes it).

Commands that only read (``query``, ``sources``, ``stats``, ``health``, ``export``,
``ingest --dry-run``) never create anything: on the local backend they refuse a path
that holds no store, and open the store read-only, so a store on a read-only mount can
be read. Commands that write refuse a read-only store in one line, and say so on
stderr when they create a new store. ``export`` writes to a temporary file next to the
target and renames it only when the whole export succeeded. Progress and warnings
from long work go to stderr as log lines.
"""

import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

from langchain_s3vectors.app.cli import admin, ingesting, migrate, search, serve
from langchain_s3vectors.app.cli.options import BucketOpt, IndexOpt, LocalOpt, TextLanguageOpt
from langchain_s3vectors.app.cli.state import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_UNHEALTHY,
    EXIT_USAGE,
    CliState,
    StoreFactory,
    errors,
    log_to_stderr,
)

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_UNHEALTHY",
    "EXIT_USAGE",
    "app",
    "main",
    "make_app",
]

#: Every command, by name, in the order ``--help`` lists them.
COMMANDS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("init", ingesting.init),
    ("ingest", ingesting.ingest),
    ("query", search.query),
    ("sources", admin.sources),
    ("delete-source", admin.delete_source),
    ("stats", admin.stats),
    ("health", admin.health),
    ("export", admin.export),
    ("import", admin.import_),
    ("migrate-legacy", migrate.migrate_legacy),
    ("serve", serve.serve),
)


def make_app(store_factory: StoreFactory | None = None) -> typer.Typer:
    """Build the ``s3vectors-rag`` application.

    Args:
        store_factory: Builds the store from the resolved settings; default
            :func:`~langchain_s3vectors.app.settings.build_store`.

    Returns:
        The Typer application; call it to run the command line.

    Example:
        >>> from typer.testing import CliRunner
        >>> result = CliRunner().invoke(make_app(), ["--help"])
        >>> result.exit_code
        0
    """
    cli = typer.Typer(
        cls=_OneLineErrors,
        name="s3vectors-rag",
        help="Ingest, search and manage documents in Amazon S3 Vectors (or a local copy).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    cli.callback()(_global_options(store_factory))
    for name, command in COMMANDS:
        cli.command(name)(command)
    return cli


class _OneLineErrors(TyperGroup):
    """The command group; a usage error is one ``Error:`` line on stderr, not a panel."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,  # noqa: FBT001, FBT002 - click's signature
        **extra: Any,
    ) -> Any:
        """Run the command line; in standalone mode, print errors in one line and exit."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            message = " ".join(exc.format_message().split())
            context = getattr(exc, "ctx", None)
            hint = f" (see `{context.command_path} --help`)" if context is not None else ""
            typer.echo(f"Error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(EXIT_ERROR)
        sys.exit(code if isinstance(code, int) else 0)


def _global_options(store_factory: StoreFactory | None) -> Callable[..., None]:
    """The callback that resolves the global options into the commands' state."""

    def global_options(
        ctx: typer.Context,
        local: LocalOpt = None,
        bucket: BucketOpt = None,
        index: IndexOpt = None,
        text_search_language: TextLanguageOpt = None,
    ) -> None:
        from langchain_s3vectors.app.settings import S3VectorsSettings  # noqa: PLC0415

        overrides: dict[str, Any] = {}
        if local is not None:
            overrides.update({"backend": "local", "local_path": local})
        if bucket:
            overrides["bucket_name"] = bucket
        if index:
            overrides["index_name"] = index
        if text_search_language is not None:
            overrides["text_search_language"] = text_search_language
        with errors():
            settings = S3VectorsSettings(**overrides)
        ctx.obj = CliState(store_factory, settings, local)
        log_to_stderr(ctx)

    return global_options


app = make_app()


def main() -> None:
    """Run ``s3vectors-rag``."""
    app()


if __name__ == "__main__":
    main()
