"""Serve an embedded S3 Vectors store over HTTP, speaking the real S3 Vectors protocol.

The app answers the Amazon S3 Vectors REST-JSON protocol exactly as botocore speaks
it, so ``boto3.client("s3vectors", endpoint_url=...)``, the AWS CLI
(``aws s3vectors --endpoint-url ...``) and any other S3 Vectors SDK can talk to a
:class:`~langchain_s3vectors.local.LocalS3VectorsClient` (or any other boto3-shaped
``s3vectors`` client) as if it were the service. Routes, status codes and error codes
come from botocore's ``s3vectors`` service model:

* ``POST /<OperationName>`` with a JSON body for most operations;
* ``GET`` / ``POST`` / ``DELETE`` ``/tags/{resourceArn}`` for the tag operations
  (``tagKeys`` in the query string for ``DELETE``).

Errors carry the status code of the model's error shape, an ``x-amzn-ErrorType``
header and a ``{"message": ...}`` body, so botocore raises ``ClientError`` with
``response["Error"]["Code"]`` equal to the service error code.

Given :class:`ServerCredentials` (an access key id and its secret), the server checks
AWS Signature Version 4 on every request and answers one that is unsigned, malformed,
out of date or wrongly signed with the 403 and error code the AWS front door gives,
changing nothing (:mod:`~langchain_s3vectors.server.sigv4`). Without credentials any
signature is accepted, and the server refuses to listen beyond loopback unless told
``allow_open_non_loopback``. A certificate and key (``tls_cert``, ``tls_key``) serve
``https://``.

Two switches simulate the real service for load tests: ``latency_ms`` adds a
non-blocking delay to every request, and ``enforce_write_caps`` applies the per-index
write limits (PutVectors + DeleteVectors: 1,000 requests/s and 2,500 vectors/s, as a
token bucket holding one second of capacity, or a strict one-second sliding window),
answering ``TooManyRequestsException`` (429) beyond them so botocore's retry handler is
exercised.

The package has one module per part: :mod:`~langchain_s3vectors.server.protocol` (the
REST-JSON codec), :mod:`~langchain_s3vectors.server.app` (:func:`create_app` and the
dispatcher), :mod:`~langchain_s3vectors.server.throttle` (:class:`WriteCaps`),
:mod:`~langchain_s3vectors.server.sigv4` (:class:`SigV4Verifier`) and
:mod:`~langchain_s3vectors.server.hosting` (:func:`run`, :func:`serve_in_thread`,
:func:`main`).

Requires the ``server`` extra: ``pip install "langchain-s3vectors[server]"``.

Example:
    >>> from langchain_s3vectors.server import create_app
    >>> app = create_app(None)  # an in-memory store
    >>> sorted(route.path for route in app.routes)[:2]
    ['/CreateIndex', '/CreateVectorBucket']

    From a shell, serve a store directory and point the AWS CLI at it::

        python -m langchain_s3vectors.server --path ./vectors --port 8000
        aws s3vectors list-vector-buckets --endpoint-url http://127.0.0.1:8000
"""

from __future__ import annotations

try:
    import starlette  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    msg = (
        "The S3 Vectors HTTP server needs the 'server' extra: "
        'pip install "langchain-s3vectors[server]"'
    )
    raise ImportError(msg) from exc

from langchain_s3vectors.server.app import MAX_REGIONS as MAX_REGIONS
from langchain_s3vectors.server.app import create_app
from langchain_s3vectors.server.hosting import (
    check_tls,
    is_loopback,
    main,
    refuse_open_exposure,
    run,
    serve_in_thread,
    warn_if_exposed,
)
from langchain_s3vectors.server.protocol import SERVICE_NAME as SERVICE_NAME
from langchain_s3vectors.server.sigv4 import ServerCredentials, SigV4Verifier
from langchain_s3vectors.server.throttle import WRITE_CAPS_MODES, WriteCaps

__all__ = [
    "WRITE_CAPS_MODES",
    "ServerCredentials",
    "SigV4Verifier",
    "WriteCaps",
    "check_tls",
    "create_app",
    "is_loopback",
    "main",
    "refuse_open_exposure",
    "run",
    "serve_in_thread",
    "warn_if_exposed",
]
