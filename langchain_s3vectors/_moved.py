"""Old import paths of modules that moved, kept working with a deprecation warning.

The RAG tool (settings, embeddings, ingestion, the CLI, ...) moved to
:mod:`langchain_s3vectors.app`. Each old module is a shim made by :func:`moved_module`:
any name read from it comes from the new module, with a ``DeprecationWarning`` that
names the new path. Private names and the new module's logger are not forwarded.

Example:
    >>> import warnings
    >>> getattr_ = moved_module("old.path", "langchain_s3vectors.limits")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getattr_("KEY_MAX_LENGTH")
    1024
    >>> str(caught[0].message)
    'old.path is deprecated: import KEY_MAX_LENGTH from langchain_s3vectors.limits instead.'
"""

from __future__ import annotations

import importlib
import logging
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["moved_module"]


def moved_module(old: str, new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` that forwards ``old``'s names to ``new``, warning on each use.

    ``dir()`` of the old module lists only its own names, so tools that walk a
    module's attributes (doctest collection, IDEs) do not trigger the warning.

    Args:
        old: The deprecated module's dotted path.
        new: The module that now holds the code.

    Returns:
        The ``__getattr__`` to assign at the old module's top level.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - installed as a module's __getattr__
        missing = AttributeError(f"module {old!r} has no attribute {name!r}")
        if name.startswith("_"):
            raise missing
        value = getattr(importlib.import_module(new), name)
        if isinstance(value, logging.Logger):  # a module's logger is named after it
            raise missing
        warnings.warn(
            f"{old} is deprecated: import {name} from {new} instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    return __getattr__
