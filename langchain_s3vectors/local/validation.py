"""Request checks of the embedded S3 Vectors client.

Every check of a request is here, in the order the real service applies them:

1. the service model (what boto3 checks on the client side, then the model's ``max``
   and ``enum`` constraints): :mod:`~langchain_s3vectors.local.params`;
2. the service's rules: names and ARNs, the documented limits on keys, dimensions,
   values, metadata, filters, query texts, tags and pages, and the rules that compare
   a request with the bucket or index it names (raises ``ValidationException``, or
   ``NotFoundException`` for another region's ARN).

:class:`RequestChecker` is the one object the control plane, the data plane and the
search call; it raises the error to send, or returns the request's values checked.
"""

from __future__ import annotations

import base64
import json
import math
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from langchain_s3vectors import limits
from langchain_s3vectors.filters import (
    ENHANCED_ONLY_OPERATORS,
    FilterError,
    check_filter_depth,
    filter_operators,
    validate_filter,
)
from langchain_s3vectors.local.params import (
    ModelChecker,
    field_problem,
    payload_too_large_message,
    request_payload_bytes,
)
from langchain_s3vectors.local.protocol import ARN_RE, scope_hash

if TYPE_CHECKING:
    from collections.abc import Mapping

    from botocore.exceptions import ClientError
    from botocore.model import ServiceModel

    from langchain_s3vectors.local.protocol import Protocol

__all__ = [
    "CLASSIC_CUTOFF",
    "RequestChecker",
    "field_problem",
    "payload_too_large_message",
    "request_payload_bytes",
]

#: Indexes in buckets created on or after this date cannot use CLASSIC mode.
CLASSIC_CUTOFF = datetime(2026, 9, 30, tzinfo=UTC).timestamp()

NAME_RE = re.compile(limits.NAME_PATTERN)
BUCKET_NAME_RE = re.compile(limits.BUCKET_NAME_PATTERN)

_REGION_RE = re.compile(r"[a-z0-9-]+")
_ACCOUNT_RE = re.compile(r"[0-9]{12}")


def check_home(region_name: str, account_id: str) -> None:
    """Refuse a region or account id that cannot appear in an ARN.

    Raises:
        ValueError: ``account_id`` is not twelve digits, or ``region_name`` does not
            look like a region.
    """
    if not _ACCOUNT_RE.fullmatch(account_id):
        msg = f"account_id must be twelve digits, got {account_id!r}"
        raise ValueError(msg)
    if not _REGION_RE.fullmatch(region_name):
        msg = f"region_name must look like 'us-east-1', got {region_name!r}"
        raise ValueError(msg)


class RequestChecker:
    """Validate requests before anything is read or written.

    Args:
        model: The ``s3vectors`` service model.
        protocol: Builds the errors (and knows the store's region and account).
    """

    def __init__(self, model: ServiceModel, protocol: Protocol) -> None:
        """Create the checker."""
        self._protocol = protocol
        self._model_checker = ModelChecker(model, protocol.error)

    def _invalid(self, operation: str, message: str) -> ClientError:
        return self._protocol.validation(operation, message)

    # -- the service model -------------------------------------------------------------

    def params(self, operation: str, params: dict[str, Any]) -> Any:
        """Check parameters against the service model (see :class:`ModelChecker`).

        A filter's nesting is checked first: botocore's validator walks documents
        recursively, and would exhaust Python's stack on a deep one.
        """
        if isinstance(params.get("filter"), dict):
            try:
                check_filter_depth(params["filter"])
            except FilterError as exc:
                raise self._invalid(operation, f"Invalid filter: {exc}") from exc
        return self._model_checker.params(operation, params)

    def invalid_field(self, op: str, path: str, constraint: str, value: Any) -> ClientError:
        """A ValidationException worded as the service words it, with ``fieldList``."""
        return self._model_checker.invalid_fields(
            op, [field_problem(path, constraint, value=value)]
        )

    def at_most(self, op: str, path: str, value: int, maximum: int) -> None:
        """Refuse a number over the model's maximum, as the service words it."""
        if value > maximum:
            constraint = f"Member must have value less than or equal to {maximum}"
            raise self.invalid_field(op, path, constraint, value)

    def page_size(
        self, op: str, kwargs: Mapping[str, Any], maximum: int, default: int | None = None
    ) -> int:
        """``maxResults`` of a list request, at most ``maximum``."""
        size = kwargs.get("maxResults", maximum if default is None else default)
        self.at_most(op, "maxResults", size, maximum)
        return int(size)

    # -- names, ARNs and tokens --------------------------------------------------------

    def name(self, operation: str, kind: str, name: str) -> None:
        """Check a bucket (``kind="vector bucket"``) or index name."""
        if kind == "vector bucket":
            # S3 User Guide, "Vector bucket naming rules": no dots in bucket names.
            lo, hi = limits.BUCKET_NAME_MIN_LENGTH, limits.BUCKET_NAME_MAX_LENGTH
            pattern, allowed = BUCKET_NAME_RE, "lowercase letters, digits and hyphens (-)"
        else:
            lo, hi = limits.INDEX_NAME_MIN_LENGTH, limits.INDEX_NAME_MAX_LENGTH
            pattern, allowed = NAME_RE, "lowercase letters, digits, hyphens (-) and dots (.)"
        if not lo <= len(name) <= hi or not pattern.match(name):
            msg = (
                f"Invalid {kind} name {name!r}: use {lo} to {hi} {allowed}, "
                "starting and ending with a letter or digit"
            )
            raise self._invalid(operation, msg)

    def _arn(self, operation: str, arn: str, *, want_index: bool) -> tuple[str, str | None]:
        match = ARN_RE.match(arn)
        if match is None or (want_index and match.group("index") is None):
            kind = "index" if want_index else "vector bucket"
            raise self._invalid(operation, f"Invalid {kind} ARN: {arn!r}")
        self._arn_home(operation, match)
        return match.group("bucket"), match.group("index")

    def _arn_home(self, operation: str, match: re.Match[str]) -> None:
        """Buckets are regional and belong to an account: another region's ARN is not here."""
        region, account = match.group("region"), match.group("account")
        home = self._protocol
        if region != home.region or account != home.account:
            kind = "index" if match.group("index") else "vector bucket"
            msg = (
                f"The {kind} ARN names region {region} and account {account}, but this "
                f"endpoint serves region {home.region} and account {home.account}"
            )
            raise self._protocol.not_found(operation, msg)

    def resource_arn(self, operation: str, arn: str) -> tuple[str, str | None]:
        """``(bucket, index or None)`` of the resource a tagging request names."""
        match = ARN_RE.match(arn)
        if match is None:
            raise self._invalid(operation, f"Invalid resource ARN: {arn!r}")
        self._arn_home(operation, match)
        return match.group("bucket"), match.group("index")

    def bucket(self, operation: str, params: Mapping[str, Any]) -> str:
        """The bucket a request names, by ``vectorBucketName`` or ``vectorBucketArn``."""
        name = params.get("vectorBucketName")
        arn = params.get("vectorBucketArn")
        if (name is None) == (arn is None):
            msg = "Specify exactly one of vectorBucketName and vectorBucketArn"
            raise self._invalid(operation, msg)
        if arn is not None:
            name, _ = self._arn(operation, arn, want_index=False)
        self.name(operation, "vector bucket", str(name))
        return str(name)

    def index(self, operation: str, params: Mapping[str, Any]) -> tuple[str, str]:
        """``(bucket, index)`` a request names, by ``indexArn`` or by the two names."""
        arn = params.get("indexArn")
        if arn is not None:
            if params.get("vectorBucketName") is not None or params.get("indexName") is not None:
                msg = "Specify either indexArn, or vectorBucketName and indexName, not both"
                raise self._invalid(operation, msg)
            bucket, index = self._arn(operation, arn, want_index=True)
            index = str(index)
        else:
            bucket = str(params.get("vectorBucketName") or "")
            index = str(params.get("indexName") or "")
            if not bucket or not index:
                msg = "Specify indexArn, or both vectorBucketName and indexName"
                raise self._invalid(operation, msg)
        self.name(operation, "vector bucket", bucket)
        self.name(operation, "index", index)
        return bucket, index

    def token(self, operation: str, token: str, scope: str) -> dict[str, Any]:
        """The payload of a ``nextToken``, which must have been issued for ``scope``."""
        try:
            payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        except (ValueError, TypeError) as exc:
            raise self._invalid(operation, "The provided nextToken is not valid") from exc
        if not isinstance(payload, dict) or payload.get("scope") != scope_hash(scope):
            msg = "The provided nextToken is not valid for this request"
            raise self._invalid(operation, msg)
        return payload

    # -- buckets and indexes -----------------------------------------------------------

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

    # -- vectors -----------------------------------------------------------------------

    def put_request(self, op: str, kwargs: dict[str, Any]) -> None:
        """The size of a PutVectors request: its payload and its number of vectors."""
        size = request_payload_bytes(kwargs)
        if size > limits.MAX_REQUEST_PAYLOAD_BYTES:
            raise self._invalid(op, payload_too_large_message(size))
        vectors = kwargs["vectors"]
        if len(vectors) > limits.MAX_PUT_VECTORS:
            msg = (
                f"Too many vectors in one PutVectors request: {len(vectors)} "
                f"(max {limits.MAX_PUT_VECTORS})"
            )
            raise self._invalid(op, msg)

    def keys(self, op: str, keys: list[str], maximum: int) -> list[str]:
        """The keys of a GetVectors or DeleteVectors request, each once, in order."""
        if len(keys) > maximum:
            msg = f"Too many keys in one {op} request: {len(keys)} (max {maximum})"
            raise self._invalid(op, msg)
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                raise self._invalid(op, f"Vector key is too long: {key[:64]!r}...")
        return list(dict.fromkeys(keys))

    def segment(self, op: str, kwargs: Mapping[str, Any]) -> tuple[int, int] | None:
        """``(segmentCount, segmentIndex)`` of a ListVectors request, or ``None``."""
        count = kwargs.get("segmentCount")
        index = kwargs.get("segmentIndex")
        if (count is None) != (index is None):
            raise self._invalid(op, "segmentCount and segmentIndex must be given together")
        if count is None or index is None:
            return None
        if index >= count:
            msg = f"segmentIndex {index} must be less than segmentCount {count}"
            raise self._invalid(op, msg)
        return int(count), int(index)

    def vectors(
        self, op: str, index: dict[str, Any], vectors: list[dict[str, Any]], batch: Any = None
    ) -> tuple[list[str], np.ndarray[Any, np.dtype[np.float32]], list[str | None]]:
        """Check PutVectors' vectors against the index and the service limits.

        Returns:
            The keys, the values as a float32 matrix, and each vector's metadata as
            compact JSON (``None`` when it has none).
        """
        dimension = index["dimension"]
        keys = [v["key"] for v in vectors]
        self._unique_keys(op, keys)
        data = [v["data"]["float32"] for v in vectors]
        for key, values in zip(keys, data, strict=True):
            if len(values) != dimension:
                msg = (
                    f"Invalid vector for key {key!r}: dimension {len(values)} does not match "
                    f"the index dimension {dimension}"
                )
                raise self._invalid(op, msg)
        if batch is None:
            batch = np.array(data, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            matrix = batch.astype(np.float32).reshape(len(keys), dimension)
        self._values(op, keys, matrix, index["metric"])
        non_filterable = set(index["metadata_config"].get("nonFilterableMetadataKeys", []))
        metadata_json = [
            self.metadata(op, v["key"], v.get("metadata"), non_filterable) for v in vectors
        ]
        return keys, matrix, metadata_json

    def _unique_keys(self, op: str, keys: list[str]) -> None:
        seen: set[str] = set()
        for key in keys:
            if len(key) > limits.KEY_MAX_LENGTH:
                msg = (
                    f"Vector key is too long ({len(key)} characters; max "
                    f"{limits.KEY_MAX_LENGTH}): {key[:64]!r}..."
                )
                raise self._invalid(op, msg)
            if key in seen:
                raise self._invalid(op, f"Duplicate vector key in one request: {key!r}")
            seen.add(key)

    def _values(
        self, op: str, keys: list[str], matrix: np.ndarray[Any, np.dtype[np.float32]], metric: str
    ) -> None:
        finite = np.isfinite(matrix).all(axis=1)
        if not finite.all():
            key = keys[int(np.flatnonzero(~finite)[0])]
            msg = (
                f"Invalid vector for key {key!r}: values must be finite float32 numbers "
                "(no NaN, Infinity, or values beyond float32 range)"
            )
            raise self._invalid(op, msg)
        if metric == "cosine":
            zero = ~matrix.any(axis=1)
            if zero.any():
                key = keys[int(np.flatnonzero(zero)[0])]
                msg = (
                    f"Invalid vector for key {key!r}: a zero vector has no direction and "
                    "cannot be stored in a cosine index"
                )
                raise self._invalid(op, msg)

    def metadata(self, op: str, key: str, metadata: Any, non_filterable: set[str]) -> str | None:
        """Check one vector's metadata; return it as compact JSON (``None`` if absent)."""
        if metadata is None:
            return None
        if not isinstance(metadata, dict):
            raise self._invalid(
                op, f"Invalid metadata for key {key!r}: metadata must be a JSON object"
            )
        if len(metadata) > limits.MAX_METADATA_KEYS:
            msg = (
                f"Invalid metadata for key {key!r}: {len(metadata)} keys "
                f"(max {limits.MAX_METADATA_KEYS})"
            )
            raise self._invalid(op, msg)
        filterable = self._metadata_entries(op, key, metadata, non_filterable)
        encoded = json.dumps(metadata, separators=(",", ":"), ensure_ascii=False)
        total = len(encoded.encode("utf-8"))
        if total > limits.MAX_METADATA_BYTES:
            msg = (
                f"Invalid metadata for key {key!r}: {total} bytes exceeds the "
                f"{limits.MAX_METADATA_BYTES}-byte limit per vector"
            )
            raise self._invalid(op, msg)
        if filterable:
            size = total if len(filterable) == len(metadata) else limits.json_size(filterable)
            if size > limits.MAX_FILTERABLE_METADATA_BYTES:
                msg = (
                    f"Invalid metadata for key {key!r}: filterable metadata is {size} bytes, "
                    f"over the {limits.MAX_FILTERABLE_METADATA_BYTES}-byte limit; declare "
                    "large keys in nonFilterableMetadataKeys when creating the index"
                )
                raise self._invalid(op, msg)
        return encoded

    def _metadata_entries(
        self, op: str, key: str, metadata: dict[str, Any], non_filterable: set[str]
    ) -> dict[str, Any]:
        """Check each metadata key and value; return the filterable entries."""
        filterable = {}
        for mkey, value in metadata.items():
            if not mkey or len(mkey) > limits.METADATA_KEY_MAX_LENGTH:
                msg = (
                    f"Invalid metadata for key {key!r}: metadata key {mkey[:80]!r} must be "
                    f"1 to {limits.METADATA_KEY_MAX_LENGTH} characters"
                )
                raise self._invalid(op, msg)
            problem = _metadata_value_problem(value)
            if problem:
                raise self._invalid(op, f"Invalid metadata for key {key!r}: {mkey!r} {problem}")
            if mkey not in non_filterable:
                filterable[mkey] = value
        return filterable

    # -- queries -----------------------------------------------------------------------

    def query(self, op: str, kwargs: Mapping[str, Any]) -> None:
        """What a QueryVectors request must hold, whatever the index."""
        self.at_most(op, "topK", kwargs["topK"], limits.MAX_TOP_K)
        if kwargs.get("queryVector") is None and not kwargs.get("queryTexts"):
            raise self._invalid(op, "Specify queryVector, queryTexts, or both")

    def query_mode(self, op: str, index: Mapping[str, Any], requested: str | None) -> str:
        """The mode a query runs in: the requested one, else the index's."""
        mode = requested or index["index_mode"]
        if mode == "CLASSIC" and index["index_mode"] != "CLASSIC":
            raise self._invalid(op, "queryMode CLASSIC is not available for this index")
        return str(mode)

    def query_filter(self, op: str, index: Mapping[str, Any], mode: str, flt: Any) -> None:
        """A query's filter, against the filter language and the index."""
        if flt is None:
            return
        non_filterable = index["metadata_config"].get("nonFilterableMetadataKeys", [])
        try:
            validate_filter(flt, non_filterable=non_filterable)
        except FilterError as exc:
            raise self._invalid(op, f"Invalid filter: {exc}") from exc
        enhanced_only = filter_operators(flt) & ENHANCED_ONLY_OPERATORS
        if enhanced_only and mode != "ENHANCED":
            names = ", ".join(sorted(enhanced_only))
            msg = (
                f"Invalid filter: {names} requires an ENHANCED index; switch it with "
                "UpdateIndexMode"
            )
            raise self._invalid(op, msg)

    def query_texts(
        self,
        op: str,
        index: Mapping[str, Any],
        texts: list[dict[str, Any]],
        fields: Mapping[str, Any],
    ) -> None:
        """A query's ``queryTexts``, against the index's full-text searchable keys."""
        if index["index_mode"] != "ENHANCED":
            raise self._invalid(op, "queryTexts requires an ENHANCED index")
        if len(texts) > limits.MAX_QUERY_TEXTS:
            raise self._invalid(op, f"At most {limits.MAX_QUERY_TEXTS} queryTexts are allowed")
        text_keys = [t["metadataKey"] for t in texts]
        if len(set(text_keys)) != len(text_keys):
            raise self._invalid(op, "Each queryTexts entry must use a different metadataKey")
        for t in texts:
            if len(t["text"]) > limits.QUERY_TEXT_MAX_LENGTH:
                raise self._invalid(
                    op, f"queryTexts text is longer than {limits.QUERY_TEXT_MAX_LENGTH} characters"
                )
            if t["metadataKey"] not in fields:
                msg = (
                    f"Metadata key {t['metadataKey']!r} is not full-text searchable in this "
                    "index; add it with UpdateMetadataConfiguration(add="
                    "{'textSearchConfigurations': [...]})"
                )
                raise self._invalid(op, msg)

    def query_vector(self, op: str, index: Mapping[str, Any], query_vector: Any) -> Any:
        """A query's vector as float32 (``None`` without one), against the index."""
        if query_vector is None:
            return None
        values = query_vector.get("float32") or []
        if len(values) != index["dimension"]:
            msg = (
                f"Invalid query vector: dimension {len(values)} does not match the index "
                f"dimension {index['dimension']}"
            )
            raise self._invalid(op, msg)
        with np.errstate(over="ignore"):
            query = np.asarray(values, dtype=np.float64).astype(np.float32)
        if not np.isfinite(query).all():
            raise self._invalid(op, "Invalid query vector: values must be finite float32 numbers")
        if index["metric"] == "cosine" and not query.any():
            raise self._invalid(
                op, "Invalid query vector: a zero vector cannot be used with a cosine index"
            )
        return query


def _metadata_value_problem(value: Any) -> str | None:
    if isinstance(value, bool | str):
        return None
    if isinstance(value, int | float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, list):
        return _list_value_problem(value)
    if value is None:
        return "is null; metadata values must be strings, numbers, booleans or lists of those"
    return (
        f"has unsupported type {type(value).__name__}; metadata values must be strings, "
        "numbers, booleans or lists of those"
    )


def _list_value_problem(value: list[Any]) -> str | None:
    for item in value:
        if isinstance(item, list | dict) or item is None:
            return "is a list; list elements must be strings, numbers or booleans"
        if isinstance(item, float) and not math.isfinite(item):
            return "is a list with a non-finite number"
    return None
