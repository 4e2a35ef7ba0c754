"""The ``s3vectors-rag`` command (see :mod:`langchain_s3vectors.app.cli.main`)."""

from __future__ import annotations

from langchain_s3vectors.app.cli.main import (
    EXIT_ERROR,
    EXIT_UNHEALTHY,
    EXIT_USAGE,
    app,
    main,
    make_app,
)

__all__ = ["EXIT_ERROR", "EXIT_UNHEALTHY", "EXIT_USAGE", "app", "main", "make_app"]
