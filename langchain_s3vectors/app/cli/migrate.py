"""``migrate-legacy``: move a legacy ``files/`` + ``vectors/*.json`` S3 layout into the index."""

from typing import Any

import typer

from langchain_s3vectors.app.cli.options import JsonOpt, LegacyBucketOpt, PrefixOpt
from langchain_s3vectors.app.cli.state import (
    EXIT_ERROR,
    console,
    errors,
    get_state,
    print_json,
)

__all__ = ["migrate_legacy"]


def migrate_legacy(
    ctx: typer.Context,
    *,
    bucket: LegacyBucketOpt,
    prefix: PrefixOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Move a legacy files/ + vectors/*.json S3 layout into the index (resumable)."""
    from langchain_s3vectors.app.migrate import migrate_legacy as run_migration  # noqa: PLC0415
    from langchain_s3vectors.app.settings import boto3_session  # noqa: PLC0415

    state = get_state(ctx)
    with errors():
        report = run_migration(
            state.store,
            boto3_session(state.settings).client("s3"),
            bucket,
            prefix=prefix,
            model_name=state.settings.embedding_model,
        )
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if report.files_failed:
        raise typer.Exit(EXIT_ERROR)


def _print_report(report: Any) -> None:
    out = console()
    out.print(
        f"{report.files_migrated} files migrated, {report.files_skipped} skipped, "
        f"{len(report.files_failed)} failed; {report.chunks_written} chunks written "
        f"({report.embeddings_reused} embeddings reused, "
        f"{report.embeddings_computed} computed).",
        markup=False,
    )
    for key, reason in report.files_failed:
        out.print(f"failed {key}: {reason}", markup=False)
