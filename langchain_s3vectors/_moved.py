"""Old import paths of modules that moved, kept working with a deprecation warning.

The RAG tool (settings, embeddings, ingestion, the CLI, ...) moved to
:mod:`langchain_s3vectors.app`. Each old module is a shim made by :func:`moved_module`:
any name read from it comes from the new module, with a ``DeprecationWarning`` that
names the new path.

Example:
    >>> import warnings
    >>> getattr_, dir_ = moved_module("old.path", "langchain_s3vectors.limits")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getattr_("KEY_MAX_LENGTH")
    1024
    >>> str(caught[0].message)
    'old.path is deprecated: import KEY_MAX_LENGTH from langchain_s3vectors.limits instead.'
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["moved_module"]


def moved_module(old: str, new: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` that forward ``old``'s names to ``new``.

    Args:
        old: The deprecated module's dotted path.
        new: The module that now holds the code.

    Returns:
        ``(__getattr__, __dir__)`` to assign at the old module's top level.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 - installed as a module's __getattr__
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(importlib.import_module(new), name)
        warnings.warn(
            f"{old} is deprecated: import {name} from {new} instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    def __dir__() -> list[str]:  # noqa: N807 - installed as a module's __dir__
        return sorted(dir(importlib.import_module(new)))

    return __getattr__, __dir__
