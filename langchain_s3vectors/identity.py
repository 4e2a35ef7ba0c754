"""Embedding identity: which model built an index's vectors, recorded on the index.

Vectors of two embedding models are not comparable, even when they have the same
dimension: a query embedded by one model against vectors of another returns
plausible-looking nonsense. An :class:`EmbeddingIdentity` names what makes vectors
comparable: the model, the dimension and whether the vectors are normalised. The
runtime that computes them (PyTorch, ONNX Runtime, int8 weights) is not part of it:
the same model on another runtime gives the same vector space.

Where the record lives: **tags on the index** (TagResource, ListTagsForResource),
three of them, under the ``langchain-s3vectors:`` prefix (:data:`MODEL_TAG`,
:data:`DIMENSION_TAG`, :data:`NORMALIZED_TAG`). Tags live beside the index on AWS and
on the embedded client alike, cost no vector (a sentinel record would show up in
queries, listings, counts and exports), and are read with one request. GetIndex does
not return tags, but it returns the index ARN they are read by; the store needs
GetIndex anyway. IAM: reading the record needs ``s3vectors:ListTagsForResource``;
writing it, once per index, ``s3vectors:TagResource``. Without those permissions the
store still works: it says once, in a warning naming the action, that the embedding
model is not checked (or not recorded).

:class:`IdentityGuard` is what a store does with it: the record is read once per
store (cached), checked before the first search with a query vector and before the
first write, and written on the first write to an index that has none (an index
made before records existed keeps working and gets one then). A mismatch raises
:class:`~langchain_s3vectors.errors.EmbeddingMismatchError` naming both models and
the fix, unless the store allows the change (``allow_embedding_change=True``): then
a search warns once, and a write records the new identity.

Example:
    >>> from langchain_s3vectors.identity import EmbeddingIdentity
    >>> a = EmbeddingIdentity("sentence-transformers/all-MiniLM-L6-v2", 384, normalized=True)
    >>> b = EmbeddingIdentity("all-MiniLM-L6-v2", 384, normalized=True)
    >>> a.differences(b)
    []
    >>> EmbeddingIdentity.from_tags(a.tags()) == a
    True
    >>> a.differences(EmbeddingIdentity("BAAI/bge-small-en-v1.5", 384))
    ['model']
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, replace
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from langchain_s3vectors.errors import (
    AccessDeniedError,
    DimensionMismatchError,
    EmbeddingMismatchError,
    InvalidInputError,
    ResourceNotFoundError,
    ServiceError,
    TransientServiceError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from langchain_s3vectors.index import S3VectorsIndex

__all__ = [
    "DIMENSION_TAG",
    "MODEL_TAG",
    "NORMALIZED_TAG",
    "EmbeddingIdentity",
    "IdentityGuard",
    "identity_of",
    "store_identity",
]

logger = logging.getLogger(__name__)

_PREFIX = "langchain-s3vectors:"
#: Tag holding the embedding model's name.
MODEL_TAG = _PREFIX + "embedding-model"
#: Tag holding the vectors' dimension.
DIMENSION_TAG = _PREFIX + "embedding-dimension"
#: Tag saying whether the vectors are normalised (``true`` / ``false``).
NORMALIZED_TAG = _PREFIX + "embedding-normalized"

#: Longest tag value AWS accepts (Tagging best practices: values up to 256 characters).
_MAX_TAG_VALUE = 256
#: Characters AWS accepts in a tag value; others are replaced by ``_`` when recorded.
_TAG_UNSAFE = re.compile(r"[^\w .:/=+\-@]", re.UNICODE)
#: Name prefixes that name the same model (sentence-transformers resolves a bare
#: name of its own models to this organisation).
_SAME_MODEL_PREFIXES = ("sentence-transformers/",)


def _tag_safe(text: str) -> str:
    return _TAG_UNSAFE.sub("_", text)[:_MAX_TAG_VALUE]


@dataclass(frozen=True)
class EmbeddingIdentity:
    """What built a set of vectors: model, dimension and normalisation.

    Args:
        model: The model's name (hub name, API model id, or a directory: its last part
            is kept, so the same model in another folder on another machine matches).
        dimension: The vectors' dimension, when known.
        normalized: Whether the vectors have unit length, when known.

    Raises:
        InvalidInputError: An empty model name or a dimension below 1.
    """

    model: str
    dimension: int | None = None
    normalized: bool | None = None

    def __post_init__(self) -> None:
        """Check the fields; keep only the last part of a directory path."""
        name = str(self.model).strip()
        if "/" in name or "\\" in name:
            path = PurePath(name.replace("\\", "/"))
            if name.startswith(("/", ".", "~")) or len(path.parts) > 2:  # noqa: PLR2004
                name = path.name
        if not name:
            msg = "EmbeddingIdentity needs a model name, e.g. 'all-MiniLM-L6-v2'"
            raise InvalidInputError(msg)
        if self.dimension is not None and int(self.dimension) < 1:
            msg = f"EmbeddingIdentity dimension must be at least 1, not {self.dimension}"
            raise InvalidInputError(msg)
        object.__setattr__(self, "model", name)

    @property
    def model_key(self) -> str:
        """The model name as compared: case-folded, tag-safe, without a synonym prefix.

        Example:
            >>> EmbeddingIdentity("sentence-transformers/all-MiniLM-L6-v2").model_key
            'all-minilm-l6-v2'
        """
        name = _tag_safe(self.model).casefold()
        for prefix in _SAME_MODEL_PREFIXES:
            name = name.removeprefix(prefix)
        return name

    def describe(self) -> str:
        """The identity in words, for messages.

        Example:
            >>> EmbeddingIdentity("all-MiniLM-L6-v2", 384, normalized=True).describe()
            'all-MiniLM-L6-v2 (384 dimensions, normalised)'
        """
        parts = []
        if self.dimension is not None:
            parts.append(f"{self.dimension} dimensions")
        if self.normalized is not None:
            parts.append("normalised" if self.normalized else "not normalised")
        return f"{self.model} ({', '.join(parts)})" if parts else self.model

    def differences(self, other: EmbeddingIdentity) -> list[str]:
        """What makes vectors of ``self`` and ``other`` incomparable (``[]``: nothing).

        A dimension or normalisation unknown on either side is not a difference.
        """
        found = []
        if self.model_key != other.model_key:
            found.append("model")
        if None not in (self.dimension, other.dimension) and self.dimension != other.dimension:
            found.append("dimension")
        if None not in (self.normalized, other.normalized) and self.normalized != other.normalized:
            found.append("normalisation")
        return found

    def with_dimension(self, dimension: int | None) -> EmbeddingIdentity:
        """This identity with its dimension filled in (when it had none)."""
        if self.dimension is not None or dimension is None:
            return self
        return replace(self, dimension=dimension)

    def tags(self) -> dict[str, str]:
        """The index tags that record this identity."""
        tags = {MODEL_TAG: _tag_safe(self.model)}
        if self.dimension is not None:
            tags[DIMENSION_TAG] = str(self.dimension)
        if self.normalized is not None:
            tags[NORMALIZED_TAG] = "true" if self.normalized else "false"
        return tags

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> EmbeddingIdentity | None:
        """The identity an index's tags record, or ``None`` when they record none."""
        model = tags.get(MODEL_TAG)
        if not model:
            return None
        dimension = tags.get(DIMENSION_TAG, "")
        normalized = tags.get(NORMALIZED_TAG)
        return cls(
            model,
            int(dimension) if dimension.isdigit() and int(dimension) > 0 else None,
            None if normalized not in {"true", "false"} else normalized == "true",
        )


def identity_of(embeddings: Any) -> EmbeddingIdentity | None:
    """The identity of an embedding model object, or ``None`` when it cannot be told.

    An ``embedding_identity`` attribute wins; otherwise the model name comes from
    ``model_name`` (sentence-transformers, Hugging Face), ``model`` (OpenAI, Ollama,
    Cohere) or ``model_id`` (Bedrock), and normalisation from sentence-transformers'
    ``encode_kwargs``.

    Example:
        >>> from langchain_core.embeddings import DeterministicFakeEmbedding
        >>> identity_of(DeterministicFakeEmbedding(size=4)) is None
        True
    """
    if embeddings is None:
        return None
    explicit = getattr(embeddings, "embedding_identity", None)
    if isinstance(explicit, EmbeddingIdentity):
        return explicit
    for attribute in ("model_name", "model", "model_id"):
        name = getattr(embeddings, attribute, None)
        if isinstance(name, str) and name.strip():
            break
    else:
        return None
    encode = getattr(embeddings, "encode_kwargs", None)
    normalized = None
    if isinstance(encode, dict):
        normalized = bool(encode.get("normalize_embeddings", False))
    return EmbeddingIdentity(name, None, normalized)


def store_identity(
    given: EmbeddingIdentity | None, embeddings: Any, dimension: int | None
) -> EmbeddingIdentity | None:
    """A store's identity: ``given``, else :func:`identity_of` ``embeddings``; ``None``: unknown.

    ``dimension`` (when known) fills in an identity that has none.

    Example:
        >>> store_identity(EmbeddingIdentity("my-model"), None, 4).dimension
        4
    """
    identity = given or identity_of(embeddings)
    return None if identity is None else identity.with_dimension(dimension)


class IdentityGuard:
    """Reads, checks and records the embedding identity of one index, once per store.

    Args:
        index: The index.
        current: The identity of the store's embeddings (``None``: not known; nothing
            is checked or recorded). Called when needed, so a lazily loaded model can
            fill in its dimension.
        allow_change: Accept a mismatch: a search warns once, a write records the new
            identity (re-embed the whole index, or vectors of two models get mixed).
    """

    def __init__(
        self,
        index: S3VectorsIndex,
        current: Callable[[], EmbeddingIdentity | None],
        *,
        allow_change: bool = False,
    ) -> None:
        """Nothing is read until the first check."""
        self.index = index
        self.current = current
        self.allow_change = allow_change
        self._lock = threading.Lock()
        self._read = False
        self._recorded: EmbeddingIdentity | None = None
        self._searched = False
        self._written = False
        self._warned: set[str] = set()

    @property
    def searched(self) -> bool:
        """Whether :meth:`before_search` has checked (nothing more to do before a search)."""
        return self._searched

    # -- the record ----------------------------------------------------------------

    def recorded(self, *, refresh: bool = False) -> EmbeddingIdentity | None:
        """The identity the index records (``None``: none, no index, or tags unreadable).

        Read with one ListTagsForResource (and a GetIndex for the ARN when the index
        has not been seen yet), then cached; ``refresh`` reads it again.
        """
        with self._lock:
            if self._read and not refresh:
                return self._recorded
            info = self.index.description if not refresh else None
            info = info or self.index.info()
            if info is None:
                return None  # no index: nothing recorded (and nothing cached)
            self._recorded = self._read_tags(info)
            self._read = True
            return self._recorded

    def _read_tags(self, info: Mapping[str, Any]) -> EmbeddingIdentity | None:
        arn = info.get("indexArn")
        # Not every client has the tagging API (it is optional for a test double).
        list_tags = getattr(self.index.client, "list_tags_for_resource", None)
        if not arn or list_tags is None:
            return None
        try:
            response = self.index.request("list_tags_for_resource", list_tags, {"resourceArn": arn})
        except ResourceNotFoundError:
            return None
        except (AccessDeniedError, ServiceError) as exc:
            if isinstance(exc, TransientServiceError):
                raise
            why = "is not allowed" if isinstance(exc, AccessDeniedError) else f"failed: {exc}"
            self._warn_once(
                "read",
                f"cannot read the tags of {self.index.resource} (s3vectors:ListTagsForResource "
                f"{why}): the embedding model its vectors were built with is not checked",
            )
            return None
        return EmbeddingIdentity.from_tags(response.get("tags") or {})

    def _record(self, identity: EmbeddingIdentity) -> None:
        info = self.index.description or self.index.info()
        arn = (info or {}).get("indexArn")
        tag = getattr(self.index.client, "tag_resource", None)
        if not arn or tag is None:
            return
        try:
            self.index.request("tag_resource", tag, {"resourceArn": arn, "tags": identity.tags()})
        except (AccessDeniedError, ServiceError) as exc:
            if isinstance(exc, TransientServiceError):
                raise
            why = "is not allowed" if isinstance(exc, AccessDeniedError) else f"failed: {exc}"
            self._warn_once(
                "write",
                f"cannot tag {self.index.resource} (s3vectors:TagResource {why}): the "
                "embedding model of its vectors is not recorded, so a later change of model "
                "goes unnoticed",
            )
            return
        with self._lock:
            self._recorded, self._read = identity, True

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            logger.warning("%s", message)

    # -- checks --------------------------------------------------------------------

    def mismatch(self, *, dimension: int | None = None) -> tuple[str, bool] | None:
        """Why the store's embeddings do not fit the index, and whether that may be allowed.

        Compares with the recorded identity; an index without a record is compared by
        dimension only (GetIndex's). Raises nothing itself.

        Returns:
            ``None`` when they fit; else the one-line reason and whether
            ``allow_change`` can accept it (not when the dimensions differ).
        """
        ours = self.current()
        if ours is None:
            return None
        ours = ours.with_dimension(dimension)
        recorded = self.recorded()
        if recorded is not None:
            differences = ours.differences(recorded)
            if not differences:
                return None
            changeable = "dimension" not in differences
            return self._message(recorded, ours, changeable=changeable), changeable
        have = (self.index.description or {}).get("dimension")
        if have is not None and ours.dimension is not None and int(have) != ours.dimension:
            message = (
                f"{self.index.resource} holds {have}-dimensional vectors but the embedding "
                f"model is {ours.describe()}: use the model the index was built with, or "
                "ingest into a new index (another index name)"
            )
            return message, False
        return None

    def _message(
        self, recorded: EmbeddingIdentity, ours: EmbeddingIdentity, *, changeable: bool
    ) -> str:
        fix = "ingest into a new index (another index name)"
        if changeable:
            fix += (
                ", or re-embed this one with the new model (s3vectors-rag ingest --reembed, "
                "ALLOW_EMBEDDING_CHANGE=true, or allow_embedding_change=True)"
            )
        return (
            f"{self.index.resource} was built with {recorded.describe()} but the embedding "
            f"model is {ours.describe()}: vectors of different models are not comparable. "
            f"Use {recorded.model} again, or {fix}"
        )

    def check(self, *, dimension: int | None = None) -> bool:
        """Raise on a mismatch the store does not allow.

        Returns:
            Whether the index records another identity and the change is allowed
            (the caller should then re-embed what it writes).

        Raises:
            EmbeddingMismatchError: The identities differ and the change is not allowed.
            DimensionMismatchError: The dimensions differ (nothing makes those comparable).
        """
        found = self.mismatch(dimension=dimension)
        if found is None:
            return False
        message, changeable = found
        if not changeable:
            raise DimensionMismatchError(message)
        if not self.allow_change:
            raise EmbeddingMismatchError(message)
        self._warn_once("change", message + " (allowed by allow_embedding_change)")
        return True

    def before_search(self) -> None:
        """:meth:`check`, once per store, before the first search with a query vector."""
        if self._searched:
            return
        if self.current() is None:
            self._searched = True  # nothing to compare: no request at all
            return
        if self.index.description is None and self.index.info() is None:
            return  # no index yet: check again next time
        self.check()
        self._searched = True

    def before_write(self, dimension: int) -> None:
        """:meth:`check` once; record the identity when the index has none.

        When a change is allowed, the new identity replaces the recorded one.
        """
        if self._written:
            return
        changed = self.check(dimension=dimension)
        ours = self.current()
        if ours is not None and (changed or self.recorded() is None):
            self._record(ours.with_dimension(dimension))
        self._written = True
