"""The ``s3vectors-rag`` command (see :mod:`langchain_s3vectors.app.cli.main`).

Needs the ``cli`` extra; without it, importing this package prints the install hint
and exits.
"""

from __future__ import annotations

import sys

try:
    import rich.console  # noqa: F401 - checked here so the hint comes first
    import typer  # noqa: F401
except ImportError:  # pragma: no cover - exercised in a subprocess test
    sys.stderr.write(
        'The s3vectors-rag command needs the cli extra: pip install "langchain-s3vectors[cli]"\n'
    )
    raise SystemExit(1) from None

from langchain_s3vectors.app.cli.main import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_UNHEALTHY,
    EXIT_USAGE,
    app,
    main,
    make_app,
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
