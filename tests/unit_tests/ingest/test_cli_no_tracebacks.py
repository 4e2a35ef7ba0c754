"""Every s3vectors-rag command answers malformed input with one ``Error:`` line, no traceback.

The cases are a table per command; a command without cases fails the test, so a new
command gets its malformed inputs too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from langchain_s3vectors.app.cli import EXIT_UNHEALTHY
from langchain_s3vectors.app.cli.main import COMMANDS

pytestmark = pytest.mark.usefixtures("clean_env")

DEEP = '{"$and": [' * 2000 + '{"a": 1}' + "]}" * 2000

#: Per command: ``(arguments, expected exit code)``. ``{kb}`` is an existing store,
#: ``{new}`` a folder that does not exist, ``{file}`` a regular file, ``{odd}`` a file
#: of an unsupported kind, ``{docs}`` a
#: folder of documents, ``{bad}`` a JSON Lines file with every kind of broken line.
CASES: dict[str, list[tuple[tuple[str, ...], int]]] = {
    "init": [
        (("--local", "{new}", "--index", "x", "init"), 1),
        (("--local", "{file}", "init"), 1),
        (("--local", "{new}", "--index", "Bad_Name!", "init"), 1),
        (("--local", "{new}", "--bucket", "x", "init"), 1),
    ],
    "ingest": [
        (("--local", "{kb}", "ingest"), 2),
        (("--local", "{kb}", "ingest", "{new}"), 1),
        (("--local", "{kb}", "ingest", "{odd}"), 1),
        (("--local", "{kb}", "ingest", "{docs}", "--chunk-size", "0"), 2),
        (("--local", "{kb}", "ingest", "{docs}", "--chunk-size", "ten"), 2),
        (("--local", "{kb}", "ingest", "{docs}", "--chunk-size", "10", "--chunk-overlap", "20"), 2),
        (("--local", "{kb}", "ingest", "{docs}", "--chunk-size", "999999999"), 2),
        (("--local", "{kb}", "ingest", "{docs}", "--shard", "5/2"), 1),
        (("--local", "{kb}", "ingest", "{docs}", "--shard", "x"), 1),
        (("--local", "{file}", "ingest", "{docs}"), 1),
    ],
    "query": [
        (("--local", "{kb}", "query"), 2),
        (("--local", "{kb}", "query", " "), 2),
        (("--local", "{kb}", "query", "x", "--filter", "{oops"), 2),
        (("--local", "{kb}", "query", "x", "--filter", "[1, 2]"), 2),
        (("--local", "{kb}", "query", "x", "--filter", DEEP), 2),
        (("--local", "{kb}", "query", "x", "--filter", '{"a": {"$like": 1}}'), 1),
        (("--local", "{kb}", "query", "x", "--filter", '{"a": {"$in": []}}'), 1),
        (("--local", "{kb}", "query", "x", "--filter", '{"$and": []}'), 1),
        (("--local", "{kb}", "query", "x", "--mode", "psychic"), 2),
        (("--local", "{kb}", "query", "x", "-k", "0"), 2),
        (("--local", "{kb}", "query", "x", "-k", "100001"), 2),
        (("--local", "{kb}", "--index", "other", "query", "x"), 1),
        (("--local", "{new}", "query", "x"), 1),
    ],
    "sources": [
        (("--local", "{new}", "sources"), 1),
        (("--local", "{file}", "sources"), 1),
        (("--local", "{kb}", "--bucket", "no", "sources"), 1),
    ],
    "delete-source": [
        (("--local", "{kb}", "delete-source"), 2),
        (("--local", "{kb}", "delete-source", "nothing.md"), 1),
        (("--local", "{new}", "delete-source", "a.md"), 1),
    ],
    "stats": [
        (("--local", "{new}", "stats"), 1),
        (("--local", "{kb}", "--index", "Bad_Name!", "stats"), 1),
    ],
    "health": [
        (("--local", "{new}", "health"), EXIT_UNHEALTHY),
        (("--local", "{file}", "health"), EXIT_UNHEALTHY),
    ],
    "export": [
        (("--local", "{kb}", "export"), 2),
        (("--local", "{kb}", "export", "{new}/out.jsonl"), 1),
        (("--local", "{kb}", "export", "{docs}"), 1),
        (("--local", "{new}", "export", "{tmp}/out.jsonl"), 1),
    ],
    "import": [
        (("--local", "{kb}", "import"), 2),
        (("--local", "{kb}", "import", "{new}.jsonl"), 1),
        (("--local", "{kb}", "import", "{docs}"), 1),
        (("--local", "{kb}", "import", "{binary}"), 1),
        *((("--local", "{kb}", "import", f"{{bad{i}}}"), 1) for i in range(7)),
    ],
    "migrate-legacy": [
        (("--local", "{kb}", "migrate-legacy"), 2),
        (("--local", "{kb}", "migrate-legacy", "--bucket", "legacy"), 1),
    ],
    "serve": [
        (("serve", "--local", "{file}"), 1),
        (("serve", "--port", "99999"), 2),
        (("serve", "--port", "-1"), 2),
        (("serve", "--latency-ms", "-5"), 2),
        (("--local", "{kb}", "serve", "--local", "{new}"), 2),
    ],
}

BAD_LINES = [
    "{not json",
    "[1, 2]",
    '{"key": "k"}',
    '{"key": "k", "data": []}',
    '{"key": "k", "data": ["a", "b"]}',
    '{"key": "k", "data": [1.0, 2.0], "metadata": [1]}',
    '{"key": "k", "data": [1.0, 2.0, 3.0]}',  # the wrong dimension for the store
]


@pytest.fixture
def places(runner: CliRunner, app: Any, tmp_path: Path) -> dict[str, str]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("Readers continue while a writer commits.")
    kb = tmp_path / "kb"
    result = runner.invoke(app, ["--local", str(kb), "ingest", str(docs)])
    assert result.exit_code == 0, result.output
    file = tmp_path / "file.txt"
    file.write_text("not a store")
    odd = tmp_path / "notes.xyz"
    odd.write_text("an unsupported kind of file")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    found = {
        "kb": str(kb),
        "new": str(tmp_path / "new"),
        "file": str(file),
        "odd": str(odd),
        "docs": str(docs),
        "tmp": str(tmp_path),
        "binary": str(binary),
    }
    for i, line in enumerate(BAD_LINES):
        bad = tmp_path / f"bad{i}.jsonl"
        bad.write_text(f'{{"key": "fine", "data": [0.5]}}\n{line}\n')
        found[f"bad{i}"] = str(bad)
    return found


def test_every_command_has_malformed_inputs() -> None:
    assert set(CASES) == {name for name, _ in COMMANDS}


@pytest.mark.parametrize(
    ("command", "args", "code"),
    [(command, args, code) for command, cases in CASES.items() for args, code in cases],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else None,
)
def test_malformed_input_is_one_line_without_a_traceback(
    runner: CliRunner,
    app: Any,
    places: dict[str, str],
    command: str,
    args: tuple[str, ...],
    code: int,
) -> None:
    argv = [re.sub(r"\{(\w+)\}", lambda m: places.get(m[1], m[0]), arg) for arg in args]
    result = runner.invoke(app, argv)
    shown = f"{command} {argv!s:.300}: {result.output[-2000:]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    assert result.exit_code == code, shown
    if code == EXIT_UNHEALTHY:
        assert "FAIL" in result.stdout, shown
        return
    if "{new}" in args and command in {"init", "ingest", "import"}:
        assert not Path(places["new"]).exists(), f"{shown}: a refused command created a store"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1, shown
    assert lines[-1] == errors[0], shown
