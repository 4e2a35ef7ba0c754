"""Request checks of the embedded S3 Vectors client: the shared core.

Every request is checked in the order the real service applies the checks:

1. the service model (what boto3 checks on the client side, then the model's ``max``
   and ``enum`` constraints): :mod:`~langchain_s3vectors.local.params`;
2. the service's rules: names and ARNs, the documented limits on keys, dimensions,
   values, metadata, filters, query texts, tags and pages, and the rules that compare
   a request with the bucket or index it names (raises ``ValidationException``, or
   ``NotFoundException`` for another region's ARN).

:class:`RequestChecker` holds what every plane needs (the service model, names, ARNs,
page sizes and tokens); the checks of each plane live beside it, in
:mod:`~langchain_s3vectors.local.control_checks`,
:mod:`~langchain_s3vectors.local.data_checks` and
:mod:`~langchain_s3vectors.local.query_checks`. A check raises the error to send, or
returns the request's values checked.
"""

from __future__ import annotations

import base64
import json
import re
from typing import TYPE_CHECKING, Any

from langchain_s3vectors import limits
from langchain_s3vectors.filters import FilterError, check_filter_depth
from langchain_s3vectors.local.params import ModelChecker, field_problem
from langchain_s3vectors.local.protocol import ARN_RE, scope_hash

if TYPE_CHECKING:
    from collections.abc import Mapping

    from botocore.exceptions import ClientError
    from botocore.model import ServiceModel

    from langchain_s3vectors.local.protocol import Protocol

__all__ = ["RequestChecker", "check_home"]

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
