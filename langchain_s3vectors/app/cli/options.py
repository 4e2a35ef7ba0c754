"""The command-line options and arguments, each defined once and shared by the commands.

Each name is an ``Annotated`` type a command uses as a parameter's annotation, e.g.
``as_json: JsonOpt = False``.
"""

from pathlib import Path
from typing import Annotated

import typer

from langchain_s3vectors.limits import MAX_TOP_K

__all__ = [
    "AccessKeyOpt",
    "AllowOpenOpt",
    "BucketOpt",
    "CapsOpt",
    "ChunkOverlapOpt",
    "ChunkSizeOpt",
    "DryRunOpt",
    "ExportArg",
    "FilterOpt",
    "HostOpt",
    "ImportArg",
    "IndexOpt",
    "JsonOpt",
    "KOpt",
    "LatencyOpt",
    "LegacyBucketOpt",
    "LocalOpt",
    "ModeOpt",
    "PathsArg",
    "PortOpt",
    "PrefixOpt",
    "PruneOpt",
    "QuietOpt",
    "ReembedOpt",
    "RootOpt",
    "SecretKeyOpt",
    "ServeLocalOpt",
    "ShardOpt",
    "SourceArg",
    "TakeOverOpt",
    "TextArg",
    "TextLanguageOpt",
    "TlsCertOpt",
    "TlsKeyOpt",
]

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
TextLanguageOpt = Annotated[
    str | None,
    typer.Option(
        "--text-search-language",
        help="Full-text search language of a new index: en fr es pt it de nl zh ja ko "
        "(default: TEXT_SEARCH_LANGUAGE or en). An existing index keeps its own.",
    ),
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
TakeOverOpt = Annotated[
    bool,
    typer.Option(
        "--take-over",
        help="Overwrite sources stored from another --root (this folder, moved); "
        "by default such files are skipped so another folder's copy is not overwritten.",
    ),
]
ReembedOpt = Annotated[
    bool,
    typer.Option(
        "--reembed",
        help="The index was built with another embedding model of the same dimension: "
        "embed every file again with the current model and record it as the index's.",
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
KOpt = Annotated[
    int,
    typer.Option(
        "-k", "--k", min=1, max=MAX_TOP_K, help=f"Results to return (1 to {MAX_TOP_K:,})."
    ),
]
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
PortOpt = Annotated[
    int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")
]
LatencyOpt = Annotated[
    float, typer.Option("--latency-ms", min=0.0, help="Delay added to each request.")
]
CapsOpt = Annotated[
    bool,
    typer.Option("--enforce-write-caps", help="Answer 429 beyond the per-index write caps."),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Log only warnings, not one line per request.")
]
AccessKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--access-key-id",
        help="Serve only requests signed (SigV4) with this access key id "
        "(default: $S3VECTORS_SERVE_ACCESS_KEY_ID).",
    ),
]
SecretKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--secret-access-key",
        help="Its secret (default: $S3VECTORS_SERVE_SECRET_ACCESS_KEY; prefer the variable, "
        "since other users can see a command line).",
    ),
]
TlsCertOpt = Annotated[
    Path | None, typer.Option("--tls-cert", help="PEM certificate file: serve https://.")
]
TlsKeyOpt = Annotated[
    Path | None, typer.Option("--tls-key", help="PEM private key file of --tls-cert.")
]
AllowOpenOpt = Annotated[
    bool,
    typer.Option(
        "--allow-open-non-loopback",
        help="Serve without credentials on a non-loopback --host (private networks only).",
    ),
]
