"""The conformance suite of ``tests/unit_tests/local``, run through the HTTP server.

Every test of that suite runs here once more with ``client`` bound to a boto3 client
that talks to :mod:`langchain_s3vectors.server` on loopback (see ``conftest.py`` in
this directory): what boto3 sees over the wire must match what it sees in process.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SUITE = Path(__file__).parents[1] / "unit_tests" / "local" / "test_conformance.py"
_spec = importlib.util.spec_from_file_location("_conformance_suite_over_http", _SUITE)
assert _spec is not None
assert _spec.loader is not None
_suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_suite)

# Tests and module-level fixtures of the suite become this module's own.
globals().update({name: value for name, value in vars(_suite).items() if not name.startswith("__")})
