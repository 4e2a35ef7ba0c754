"""The README's "Testing code that uses S3 Vectors" examples: verbatim, and passing.

They run as a user runs them: ``pytest examples/testing`` in a fresh process, with the
fixtures coming from the ``s3vectors`` plugin the package registers (no conftest.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples" / "testing").glob("test_*.py"))
JS_SCRIPT = ROOT / "tests" / "js" / "nearest.mjs"


def test_the_readme_shows_every_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing code that uses S3 Vectors", 1)[1].split("\n## ", 1)[0]
    assert [p.name for p in EXAMPLES] == [
        "test_with_boto3.py",
        "test_with_javascript.py",
        "test_with_langchain_aws.py",
    ]
    for path in [*EXAMPLES, JS_SCRIPT]:
        assert path.read_text(encoding="utf-8") in section, path.name


def test_the_examples_pass_with_the_installed_plugin() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "examples/testing"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    if shutil.which("node"):
        assert re.match(r"4 passed", summary), summary
    else:  # the JavaScript example skips itself without Node.js
        assert re.match(r"3 passed, 1 skipped", summary), summary
