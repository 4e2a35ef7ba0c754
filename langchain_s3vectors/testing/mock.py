"""``mock_s3vectors``: boto3's ``s3vectors`` clients answered in process, without a socket.

While a :class:`mock_s3vectors` block (or a function it decorates) runs, every request a
botocore ``s3vectors`` client sends is answered by an embedded S3 Vectors store through
the wire protocol of ``s3vectors-rag serve``: botocore serializes and signs the request
as for AWS, and instead of opening a connection hands it to a ``before-send`` event
handler, which answers it with
:class:`~langchain_s3vectors.server.inprocess.InProcessService` (the served routes,
request parsing, validation, error codes and headers) and returns the HTTP response
botocore then parses. Paginators, retries and ``client.exceptions`` work as
against AWS, because they are botocore's own.

Which clients it reaches, and why:

* botocore copies a session's event handlers into each client when the client is
  created, so a handler has to be in place before the client exists. Importing this
  module adds the handler to botocore's built-in handlers, which every session created
  afterwards registers, and to boto3's default session if one exists already. The
  handler does nothing outside a block, so a client created before the block (after the
  import) is answered inside it, and one created inside the block is answered only
  there: after the block its requests go where its endpoint says.
* The pytest plugin (``pip install "langchain-s3vectors[testing]"``) imports this module
  when pytest starts, so in a test run every client is reached. Outside pytest, import
  ``langchain_s3vectors.testing`` before creating sessions or clients: a client from a
  non-default session created before that import is not reached.
* Only the ``s3vectors`` service is answered; every other service (``s3``, ``sts``,
  ...) is left to whatever serves it, e.g. moto's ``mock_aws`` in the same test. The
  handler is registered for ``before-send.s3vectors`` ahead of all others: botocore
  still calls moto's generic ``before-send`` handler too, but uses the first answer,
  this one.
* aiobotocore clients are not served: aiobotocore sends and reads its own asynchronous
  way, and its releases pin botocore below the versions this package needs, so the two
  cannot be installed together. Point them at a served store (the
  ``s3vectors_endpoint`` fixture of the pytest plugin). Where an aiobotocore version does
  hand a request to this handler, awaiting the answer raises
  :data:`AIOBOTOCORE_NOT_SERVED` instead of letting the request out.

Inside a block the environment carries fake credentials (``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` are ``"testing"``), ``AWS_EC2_METADATA_DISABLED=true`` so no
credential lookup reaches the instance metadata service, and ``AWS_DEFAULT_REGION`` is
``us-east-1`` unless a region is set in the environment: any credentials are accepted,
and ``boto3.client("s3vectors")`` works with none configured. Requests signed for
another region than ``region_name`` get a store of their own, as from ``serve``.

Example:
    >>> import boto3
    >>> with mock_s3vectors():
    ...     client = boto3.client("s3vectors", region_name="us-east-1")
    ...     arn = client.create_vector_bucket(vectorBucketName="docs")["vectorBucketArn"]
    ...     [b["vectorBucketName"] for b in client.list_vector_buckets()["vectorBuckets"]]
    ['docs']
    >>> arn
    'arn:aws:s3vectors:us-east-1:000000000000:bucket/docs'

    As a decorator, each call gets a fresh store (``async def`` functions too)::

        @mock_s3vectors()
        def test_search():
            client = boto3.client("s3vectors")
            ...
"""

from __future__ import annotations

import functools
import inspect
import os
import threading
from typing import TYPE_CHECKING, Any, ParamSpec, Self, TypeVar, cast

import boto3
import botocore.handlers
from botocore.awsrequest import AWSResponse

from langchain_s3vectors.server.inprocess import InProcessService

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator
    from pathlib import Path
    from types import TracebackType

    from botocore.awsrequest import AWSPreparedRequest

__all__ = ["AIOBOTOCORE_NOT_SERVED", "EVENT", "mock_s3vectors"]

#: The botocore event the mock answers.
EVENT = "before-send.s3vectors"
#: Why an aiobotocore client under the mock fails, and what to use instead.
AIOBOTOCORE_NOT_SERVED = (
    "mock_s3vectors serves botocore clients only, not aiobotocore ones: point the "
    "aiobotocore client at a served store instead (endpoint_url from the "
    "s3vectors_endpoint pytest fixture, or `s3vectors-rag serve`)."
)
_UNIQUE_ID = "langchain-s3vectors-mock"
#: The environment of a block: fake credentials, no instance metadata lookups.
_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}

_P = ParamSpec("_P")
_R = TypeVar("_R")

_active: list[InProcessService] = []
_active_lock = threading.Lock()


class _Body(bytes):
    """A response body botocore reads as bytes; awaiting it (aiobotocore) fails clearly."""

    def __await__(self) -> Generator[Any, None, bytes]:
        raise RuntimeError(AIOBOTOCORE_NOT_SERVED)


class _RawResponse:
    """The ``raw`` of an :class:`AWSResponse`: what botocore streams the body from."""

    def __init__(self, body: bytes) -> None:
        self._body = _Body(body)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._body


class _ServedResponse(AWSResponse):  # type: ignore[misc]
    """An :class:`AWSResponse` whose ``content`` is a :class:`_Body`."""

    @property
    def content(self) -> bytes:
        return cast("_RawResponse", self.raw).read()


def _request_body(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    return bytes(body.read())  # a file-like body


def _before_send(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
    """Answer an ``s3vectors`` request when a mock is active (else let botocore send it)."""
    with _active_lock:
        service = _active[-1] if _active else None
    if service is None:
        return None
    status, headers, body = service.handle(
        request.method, request.url, dict(request.headers.items()), _request_body(request)
    )
    return _ServedResponse(request.url, status, headers, _RawResponse(body))


def _install() -> None:
    """Put the handler where every new session, and boto3's default one, registers it."""
    spec = (EVENT, _before_send, botocore.handlers.REGISTER_FIRST)
    if spec not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append(spec)
    default = boto3.DEFAULT_SESSION
    if default is not None:
        default.events.register_first(EVENT, _before_send, unique_id=_UNIQUE_ID)


_install()


class mock_s3vectors:  # noqa: N801 - named like the context managers of moto and unittest.mock
    """Answer boto3's ``s3vectors`` clients in process, from an embedded store.

    Use it as a context manager (``with mock_s3vectors() as mock:``) or as a decorator
    of a sync or ``async`` function, bare (``@mock_s3vectors``, as moto's ``@mock_aws``)
    or called (``@mock_s3vectors(path)``); each block or call gets its own store, in
    memory unless ``path`` names a store directory. See the module docstring for which
    clients it reaches.

    Args:
        path: A store directory to serve (kept after the block), or ``None`` for a
            fresh in-memory store.
        region_name: The region of that store; ARNs carry it.

    Example:
        >>> import boto3
        >>> with mock_s3vectors() as mock:
        ...     _ = boto3.client("s3vectors").create_vector_bucket(vectorBucketName="bk1")
        ...     got = mock.client.get_vector_bucket(vectorBucketName="bk1")
        >>> got["vectorBucket"]["vectorBucketArn"]
        'arn:aws:s3vectors:us-east-1:000000000000:bucket/bk1'
    """

    def __new__(cls, path: str | Path | Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        """A mock, or, used bare as a decorator (``@mock_s3vectors``), the decorated function."""
        if callable(path):
            return cls(**kwargs)(path)
        return super().__new__(cls)

    def __init__(self, path: str | Path | None = None, *, region_name: str = "us-east-1") -> None:
        """Keep the settings; nothing is opened before the block starts."""
        self.path = path
        self.region_name = region_name
        self._services: list[InProcessService] = []
        self._saved_env: list[dict[str, str | None]] = []

    @property
    def client(self) -> Any:
        """The embedded client behind the innermost block (to seed or inspect the store).

        Raises:
            RuntimeError: No block of this mock is active.
        """
        if not self._services:
            msg = "mock_s3vectors is not active: use `client` inside its with-block."
            raise RuntimeError(msg)
        return self._services[-1].client

    def start(self) -> Self:
        """Start answering (what ``__enter__`` does); pair with :meth:`stop`."""
        service = InProcessService(self.path, region_name=self.region_name)
        self._saved_env.append(_patch_environment())
        self._services.append(service)
        with _active_lock:
            _active.append(service)
        return self

    def stop(self) -> None:
        """Stop answering and close the store of the innermost block."""
        service = self._services.pop()
        with _active_lock:
            _active.remove(service)
        _restore_environment(self._saved_env.pop())
        service.close()

    def __enter__(self) -> Self:
        """Start answering."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop answering."""
        self.stop()

    def __call__(self, func: Callable[_P, _R]) -> Callable[_P, _R]:
        """Decorate ``func`` (sync or ``async``) to run each call inside a fresh block."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: _P.args, **kwargs: _P.kwargs) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return cast("Callable[_P, _R]", run_async)

        @functools.wraps(func)
        def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with self:
                return func(*args, **kwargs)

        return run


def _patch_environment() -> dict[str, str | None]:
    """Set the block's environment; return what to restore."""
    values = dict(_ENVIRONMENT)
    if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        values["AWS_DEFAULT_REGION"] = "us-east-1"
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    return saved


def _restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
