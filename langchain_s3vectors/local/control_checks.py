"""Control-plane request checks of the embedded S3 Vectors client.

Buckets, indexes, encryption, bucket policies, index modes, metadata and full-text
search configurations, and tags: the service's rules beyond the service model, checked
by :class:`~langchain_s3vectors.local.control.ControlPlane` before anything is written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.local.validation import RequestChecker

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["CLASSIC_CUTOFF", "ControlChecker"]

#: Indexes in buckets created on or after this date cannot use CLASSIC mode.
CLASSIC_CUTOFF = datetime(2026, 9, 30, tzinfo=UTC).timestamp()


class ControlChecker(RequestChecker):
    """The checks of the control plane, over the shared core of :class:`RequestChecker`."""

    def encryption(self, op: str, config: Mapping[str, Any] | None) -> dict[str, Any]:
        """The encryption configuration to store (SSE-S3 when none is given)."""
        if not config:
            return {"sseType": "AES256"}
        sse = config.get("sseType", "AES256")
        if sse == "aws:kms" and not config.get("kmsKeyArn"):
            raise self._invalid(op, "kmsKeyArn is required when sseType is aws:kms")
        if sse == "AES256" and config.get("kmsKeyArn"):
            raise self._invalid(op, "kmsKeyArn can only be used with sseType aws:kms")
        return dict(config)

    def policy(self, op: str, policy: str) -> None:
        """A bucket policy is an IAM policy document: a JSON object with ``Statement``.

        The model calls it "the JSON that defines the policy" (User Guide, "Managing
        vector bucket policies"); the embedded store checks its shape, not its grammar.
        """
        try:
            document = json.loads(policy)
        except ValueError as exc:
            raise self._invalid(op, "The bucket policy is not valid JSON") from exc
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not isinstance(statements, (list, dict)):
            msg = (
                "The bucket policy is not a policy document: it must be a JSON object with a "
                '"Statement" list, e.g. {"Version": "2012-10-17", "Statement": [...]}'
            )
            raise self._invalid(op, msg)

    def index_mode(self, op: str, mode: str, bucket_created: float) -> None:
        """CLASSIC mode is only for buckets created before :data:`CLASSIC_CUTOFF`."""
        if mode == "CLASSIC" and bucket_created >= CLASSIC_CUTOFF:
            msg = (
                "CLASSIC index mode is only available to indexes in vector buckets created "
                "before 2026-09-30; use ENHANCED"
            )
            raise self._invalid(op, msg)

    def dimension(self, op: str, dimension: int) -> None:
        """An index dimension within the service's range."""
        if not limits.MIN_DIMENSION <= dimension <= limits.MAX_DIMENSION:
            msg = (
                f"Invalid dimension {dimension}: must be between {limits.MIN_DIMENSION} "
                f"and {limits.MAX_DIMENSION}"
            )
            raise self._invalid(op, msg)

    def metadata_configuration(self, op: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """The metadata configuration of a new index, checked."""
        result: dict[str, Any] = {}
        nfk = list(config.get("nonFilterableMetadataKeys") or [])
        if len(nfk) > limits.MAX_NON_FILTERABLE_KEYS:
            msg = (
                f"nonFilterableMetadataKeys has {len(nfk)} keys; at most "
                f"{limits.MAX_NON_FILTERABLE_KEYS} are allowed"
            )
            raise self._invalid(op, msg)
        if len(set(nfk)) != len(nfk):
            raise self._invalid(op, "nonFilterableMetadataKeys contains duplicate keys")
        for key in nfk:
            if len(key) > limits.METADATA_KEY_MAX_LENGTH:
                raise self._invalid(
                    op, f"Metadata key too long (max {limits.METADATA_KEY_MAX_LENGTH}): {key!r}"
                )
        if nfk:
            result["nonFilterableMetadataKeys"] = nfk
        text = config.get("textSearchConfigurations")
        if text is not None:
            result["textSearchConfigurations"] = self.text_configs(op, text)
        return result

    def text_configs(self, op: str, items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``textSearchConfigurations`` entries, checked and reduced to what is stored."""
        if len(items) > limits.MAX_TEXT_SEARCH_KEYS:
            msg = (
                f"At most {limits.MAX_TEXT_SEARCH_KEYS} textSearchConfigurations are "
                f"allowed, got {len(items)}"
            )
            raise self._invalid(op, msg)
        keys = [i["metadataKey"] for i in items]
        if len(set(keys)) != len(keys):
            raise self._invalid(op, "textSearchConfigurations contains duplicate metadata keys")
        out = []
        for item in items:
            if len(item["metadataKey"]) > limits.METADATA_KEY_MAX_LENGTH:
                raise self._invalid(op, f"Metadata key too long: {item['metadataKey']!r}")
            entry = {"metadataKey": item["metadataKey"]}
            if item.get("language"):
                entry["language"] = item["language"]
            out.append(entry)
        return out

    def new_index_mode(self, op: str, mode: str, config: Mapping[str, Any]) -> None:
        """A new index with full-text search must be ENHANCED."""
        if config.get("textSearchConfigurations") and mode != "ENHANCED":
            raise self._invalid(op, "Full-text search requires an ENHANCED index")

    def mode_change(self, op: str, mode: str, index: Mapping[str, Any]) -> None:
        """An index with full-text search must stay ENHANCED."""
        if mode == "CLASSIC" and index["metadata_config"].get("textSearchConfigurations"):
            raise self._invalid(op, "An index with full-text search must stay ENHANCED")

    def text_search_update(
        self, op: str, kwargs: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The ``(entries to add, keys to delete)`` of UpdateMetadataConfiguration."""
        add = (kwargs.get("add") or {}).get("textSearchConfigurations") or []
        delete = [
            d["metadataKey"]
            for d in (kwargs.get("delete") or {}).get("textSearchConfigurations") or []
        ]
        if not add and not delete:
            raise self._invalid(op, "Specify add or delete textSearchConfigurations")
        if "add" in kwargs and "delete" in kwargs:
            # The model: "Specify either add or delete, but not both."
            msg = (
                "Specify either add or delete, not both: send two "
                "UpdateMetadataConfiguration requests"
            )
            raise self._invalid(op, msg)
        return self.text_configs(op, add), delete

    def text_search_keys(
        self,
        op: str,
        index: Mapping[str, Any],
        add: list[dict[str, Any]],
        delete: list[str],
    ) -> dict[str, dict[str, Any]]:
        """The index's full-text searchable keys after an update, checked against it."""
        if index["index_mode"] != "ENHANCED":
            raise self._invalid(
                op, "Full-text search requires an ENHANCED index; call UpdateIndexMode first"
            )
        config = index["metadata_config"]
        current = {i["metadataKey"]: i for i in config.get("textSearchConfigurations", [])}
        for key in delete:
            if key not in current:
                raise self._invalid(
                    op, f"Metadata key {key!r} is not full-text searchable in this index"
                )
            del current[key]
        for item in add:
            if item["metadataKey"] in current:
                msg = f"Metadata key {item['metadataKey']!r} is already full-text searchable"
                raise self._protocol.conflict(op, msg)
            current[item["metadataKey"]] = item
        if len(current) > limits.MAX_TEXT_SEARCH_KEYS:
            raise self._invalid(
                op, f"At most {limits.MAX_TEXT_SEARCH_KEYS} full-text searchable keys per index"
            )
        return current

    # -- tags --------------------------------------------------------------------------

    def new_tags(self, op: str, tags: Mapping[str, Any] | None) -> None:
        """The tags of a new bucket or index."""
        if tags:
            self.tag_keys(op, list(tags))
            self.tag_count(op, tags)

    def tag_keys(self, op: str, keys: list[str]) -> None:
        """Tag keys starting with ``aws:`` are reserved for AWS (S3 User Guide, "Tagging")."""
        for key in keys:
            if key.lower().startswith("aws:"):
                msg = f"Tag key {key!r} is reserved: keys starting with 'aws:' belong to AWS"
                raise self._invalid(op, msg)

    def tag_count(self, op: str, tags: Mapping[str, Any]) -> None:
        """At most 50 tags per resource (model documentation of TagResource)."""
        if len(tags) > limits.MAX_TAGS:
            msg = (
                f"A resource can have at most {limits.MAX_TAGS} tags; this request would leave "
                f"{len(tags)}: remove some with UntagResource first"
            )
            raise self._invalid(op, msg)
