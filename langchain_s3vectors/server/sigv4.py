"""AWS Signature Version 4 checks: who may call the server.

:class:`SigV4Verifier` is an ASGI middleware. Given :class:`ServerCredentials` (one
access key id and its secret), it answers every request that is not signed with them
before the request reaches the protocol layer, so a refused request changes nothing.
The signature is recomputed from the request with botocore's own SigV4 signer (the
canonical request, the string to sign and the derived signing key) and compared in
constant time. The body is always part of the signature: ``UNSIGNED-PAYLOAD`` is not
accepted.

What a refused request gets: the service model declares no authentication errors, so
the answers are those of the AWS front door for REST-JSON services (the
``x-amzn-ErrorType`` header names the code, the body carries ``message``), all with
status 403:

========================================  ==============================================
Request                                   Error code
========================================  ==============================================
no ``Authorization`` header               ``MissingAuthenticationTokenException``
a malformed ``Authorization`` header, no  ``IncompleteSignatureException``
``X-Amz-Date``, ``host`` not signed
another access key id, or a session       ``UnrecognizedClientException``
token (the server has none)
``X-Amz-Date`` more than 15 minutes from  ``InvalidSignatureException`` ("Signature
the server's clock, either way            expired" / "Signature not yet current")
a scope for another service or date, or   ``InvalidSignatureException``
a signature that does not match
========================================  ==============================================

The 15 minutes are the window AWS documents for SigV4 requests ("RequestExpired" in the
common errors of the AWS API references). Any region is accepted: the server keeps a
store per region (see :mod:`~langchain_s3vectors.server.app`).

Example:
    >>> ServerCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")
    ServerCredentials(access_key_id=<hidden>, secret_access_key=<hidden>)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from langchain_s3vectors import limits
from langchain_s3vectors.server.protocol import SERVICE_NAME, ServiceError, error_response

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "ACCESS_KEY_ENV",
    "MAX_CLOCK_SKEW",
    "SECRET_KEY_ENV",
    "ServerCredentials",
    "SigV4Verifier",
    "verify",
]

#: Environment variable holding the access key id the server accepts.
ACCESS_KEY_ENV = "S3VECTORS_SERVE_ACCESS_KEY_ID"
#: Environment variable holding that key's secret.
SECRET_KEY_ENV = "S3VECTORS_SERVE_SECRET_ACCESS_KEY"  # noqa: S105 - a name, not a secret
#: How far ``X-Amz-Date`` may be from the server's clock, either way.
MAX_CLOCK_SKEW = dt.timedelta(minutes=15)

_ALGORITHM = "AWS4-HMAC-SHA256"
#: The parts of a credential scope: access key id, date, region, service, terminator.
_SCOPE_PARTS = 5
_ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
_MISSING = "MissingAuthenticationTokenException"
_INCOMPLETE = "IncompleteSignatureException"
_UNRECOGNIZED = "UnrecognizedClientException"
_INVALID = "InvalidSignatureException"


@dataclass(frozen=True, repr=False)
class ServerCredentials:
    """The one access key the server accepts; never shown by ``repr`` or ``str``.

    Args:
        access_key_id: Letters, digits, ``.``, ``_`` or ``-`` (1 to 128 characters).
        secret_access_key: The secret; any non-blank text without spaces.

    Raises:
        ValueError: A key id or secret of the wrong form (the message never shows it).

    Example:
        >>> creds = ServerCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI")
        >>> "wJalrXUtnFEMI" in repr(creds) or "AKIDEXAMPLE" in str(creds)
        False
    """

    access_key_id: str
    secret_access_key: str

    def __post_init__(self) -> None:
        """Check the form of both parts."""
        if not _ACCESS_KEY_ID.fullmatch(self.access_key_id or ""):
            msg = (
                "The server's access key id must be 1 to 128 letters, digits, '.', '_' or "
                f"'-' (set {ACCESS_KEY_ENV} or --access-key-id)."
            )
            raise ValueError(msg)
        secret = self.secret_access_key or ""
        if not secret or any(ch.isspace() for ch in secret):
            msg = (
                "The server's secret access key must be non-empty and without spaces "
                f"(set {SECRET_KEY_ENV} or --secret-access-key)."
            )
            raise ValueError(msg)

    def __repr__(self) -> str:
        """Name the type, never the values."""
        return "ServerCredentials(access_key_id=<hidden>, secret_access_key=<hidden>)"

    __str__ = __repr__

    @classmethod
    def resolve(
        cls,
        access_key_id: str | None,
        secret_access_key: str | None,
        environ: Mapping[str, str] | None = None,
    ) -> ServerCredentials | None:
        """The credentials given, else those of the environment, else ``None`` (open mode).

        Each part comes from its argument when given, else from
        :data:`ACCESS_KEY_ENV` / :data:`SECRET_KEY_ENV`. Empty values count as unset.

        Raises:
            ValueError: Only one of the two parts is set, or a part is malformed.

        Example:
            >>> ServerCredentials.resolve(None, None, environ={}) is None
            True
            >>> ServerCredentials.resolve("AKID", "s3cr3t", environ={}) is not None
            True
        """
        env = os.environ if environ is None else environ
        key_id = access_key_id or env.get(ACCESS_KEY_ENV) or None
        secret = secret_access_key or env.get(SECRET_KEY_ENV) or None
        if key_id is None and secret is None:
            return None
        if key_id is None or secret is None:
            msg = (
                "Give both the access key id and the secret access key "
                f"({ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or --access-key-id and "
                "--secret-access-key), or neither for an open server on loopback."
            )
            raise ValueError(msg)
        return cls(key_id, secret)


@dataclass(frozen=True)
class _Authorization:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def _parse_authorization(value: str) -> _Authorization:
    """Split an Authorization header into its parts, or refuse it as incomplete."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != _ALGORITHM:
        raise ServiceError(403, _INCOMPLETE, f"Unsupported AWS 'algorithm': '{algorithm}'.")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, part = item.strip().partition("=")
        if sep:
            parts[name] = part
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not parts.get(name)]
    if missing:
        msg = " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
        raise ServiceError(403, _INCOMPLETE, msg)
    scope = parts["Credential"].split("/")
    if len(scope) != _SCOPE_PARTS or scope[4] != "aws4_request" or not all(scope):
        msg = (
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/aws4_request."
        )
        raise ServiceError(403, _INCOMPLETE, msg)
    signed = tuple(parts["SignedHeaders"].split(";"))
    if "host" not in signed:
        msg = "'Host' must be a 'SignedHeader' in the AWS Authorization."
        raise ServiceError(403, _INCOMPLETE, msg)
    return _Authorization(scope[0], scope[1], scope[2], scope[3], signed, parts["Signature"])


def _check_date(amz_date: str, scope_date: str, now: dt.datetime) -> None:
    """Refuse a missing or malformed ``X-Amz-Date``, one out of scope, or one too far off."""
    if not amz_date:
        msg = "Authorization header requires existence of an 'X-Amz-Date' header."
        raise ServiceError(403, _INCOMPLETE, msg)
    try:
        when = dt.datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        msg = f"Date must be in ISO-8601 'basic format' (yyyyMMdd'T'HHmmss'Z'). Got '{amz_date}'."
        raise ServiceError(403, _INCOMPLETE, msg) from None
    if scope_date != amz_date[:8]:
        msg = (
            f"Date in Credential scope does not match YYYYMMDD from X-Amz-Date: "
            f"'{scope_date}' != '{amz_date[:8]}'."
        )
        raise ServiceError(403, _INVALID, msg)
    stamp = now.strftime(SIGV4_TIMESTAMP)
    if when < now - MAX_CLOCK_SKEW:
        edge = (now - MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        msg = f"Signature expired: {amz_date} is now earlier than {edge} ({stamp} - 15 min.)"
        raise ServiceError(403, _INVALID, msg)
    if when > now + MAX_CLOCK_SKEW:
        edge = (now + MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        msg = (
            f"Signature not yet current: {amz_date} is still later than {edge} ({stamp} + 15 min.)"
        )
        raise ServiceError(403, _INVALID, msg)


def _expected_signature(
    credentials: ServerCredentials,
    auth: _Authorization,
    scope: dict[str, Any],
    headers: HTTPHeaders,
    amz_date: str,
    payload_hash: str,
) -> str:
    """The signature botocore computes for this request with the server's secret.

    The canonical request is built from the method, the path as sent (``raw_path``),
    the query string as sent, the signed headers and the SHA-256 of the body
    (``payload_hash``); botocore then derives the signing key for the scope's date,
    region and service.
    """
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    query = scope.get("query_string", b"").decode("latin-1")
    # Only the path and query of this URL are read: the host is one of the headers.
    url = "http://localhost" + raw_path.decode("latin-1")
    if query:
        url += "?" + query
    request = AWSRequest(method=scope["method"], url=url)
    request.context["timestamp"] = amz_date
    secret = Credentials(credentials.access_key_id, credentials.secret_access_key)
    signer = SigV4Auth(secret, auth.service, auth.region)
    # botocore picks the headers to sign and hashes the body itself when it signs; here
    # both are given: the headers the caller named in SignedHeaders, as they arrived,
    # and the hash of the body received (so UNSIGNED-PAYLOAD never matches).
    signer.headers_to_sign = lambda _request: headers
    signer.payload = lambda _request: payload_hash
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


def verify(
    credentials: ServerCredentials,
    scope: dict[str, Any],
    payload_hash: str,
    now: dt.datetime | None = None,
) -> None:
    """Check the request's SigV4 signature; return quietly or raise the service's 403.

    Args:
        credentials: The key the server accepts.
        scope: The ASGI scope of the request (method, paths, query string, headers).
        payload_hash: The hex SHA-256 of the whole request body.
        now: The server's clock (UTC); default: now.

    Raises:
        ServiceError: The request is unsigned, malformed, out of date or wrongly signed.
    """
    raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
    authorization = next((v for k, v in raw_headers if k == "authorization"), None)
    if authorization is None:
        raise ServiceError(403, _MISSING, "Missing Authentication Token")
    auth = _parse_authorization(authorization)
    amz_date = next((v for k, v in raw_headers if k == "x-amz-date"), "")
    _check_date(amz_date, auth.date, now or dt.datetime.now(dt.UTC))
    if auth.service != SERVICE_NAME:
        msg = f"Credential should be scoped to correct service: '{SERVICE_NAME}'."
        raise ServiceError(403, _INVALID, msg)
    known = hmac.compare_digest(
        auth.access_key_id.encode("utf-8"), credentials.access_key_id.encode("utf-8")
    )
    if not known or any(k == "x-amz-security-token" for k, _ in raw_headers):
        msg = "The security token included in the request is invalid."
        raise ServiceError(403, _UNRECOGNIZED, msg)
    signed = HTTPHeaders()
    for name, value in raw_headers:
        if name in auth.signed_headers:
            signed[name] = value
    if set(auth.signed_headers) - set(signed):
        msg = "A header named in SignedHeaders is missing from the request."
        raise ServiceError(403, _INVALID, msg)
    expected = _expected_signature(credentials, auth, scope, signed, amz_date, payload_hash)
    if not hmac.compare_digest(expected.encode("ascii"), auth.signature.encode("ascii", "replace")):
        msg = (
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )
        raise ServiceError(403, _INVALID, msg)


class SigV4Verifier:
    """ASGI middleware: pass on only requests signed with ``credentials``.

    The body is read first (to the payload limit; the rest is hashed and dropped, so
    the protocol layer still answers an oversized body), checked, and replayed to the
    app; a refused request is answered here and never reaches the app.

    Args:
        app: The ASGI app to protect.
        credentials: The key the server accepts.

    Example:
        >>> from starlette.applications import Starlette
        >>> guarded = SigV4Verifier(Starlette(), ServerCredentials("AKID", "secret"))
        >>> guarded.credentials
        ServerCredentials(access_key_id=<hidden>, secret_access_key=<hidden>)
    """

    def __init__(self, app: Any, credentials: ServerCredentials) -> None:
        """Wrap ``app``."""
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Check an HTTP request, then hand it (and its body) to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, payload_hash = await _read_body(receive)
        try:
            verify(self.credentials, scope, payload_hash)
        except ServiceError as exc:
            await error_response(exc.status, exc.code, exc.message)(scope, receive, send)
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                message: dict[str, Any] = await receive()
                return message
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _read_body(receive: Any) -> tuple[bytes, str]:
    """The body to replay and the hex SHA-256 of the whole body.

    A body over :data:`~langchain_s3vectors.limits.MAX_REQUEST_PAYLOAD_BYTES` is hashed
    to its end but only ``limit + 1`` bytes of it are kept: enough for the protocol
    layer to refuse it as too large once its signature is checked.
    """
    limit = limits.MAX_REQUEST_PAYLOAD_BYTES
    chunks: list[bytes] = []
    size = 0
    digest = hashlib.sha256()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        digest.update(chunk)
        if size <= limit:
            chunks.append(chunk[: limit + 1 - size])
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), digest.hexdigest()
