"""The README runs as written: every shell block, in order, in a fresh copy of the repository.

How a block runs
    Every fenced block tagged ``bash``, ``sh``, ``shell`` or ``console`` in README.md is
    run, in the order of the README, by ``bash -e -o pipefail`` in the root of a copy of
    the repository (the files git tracks or would track, as they are in the working tree;
    no ``.venv``, no stores, no ``.env``), so a command that fails fails the test. Each
    block is a shell of its own, as in a new terminal: a block that needs an ``export``
    writes it. The environment is that of a machine with no AWS set-up (no ``AWS_*``
    variables, no ``~/.aws`` files, no instance metadata) and no activated venv (``PATH``
    holds no directory with ``s3vectors-rag``), offline (``HF_HUB_OFFLINE=1``); ``curl``
    fails on HTTP errors (``--fail-with-body``, from a ``.curlrc`` of the test).

The venv of the copy
    ``make demo`` is not run again (it is what built the venv this test runs in, and it
    would take minutes): the copy's ``.venv`` is a symbolic link to this interpreter's
    environment (``sys.prefix``), which has the package, its extras and the console
    scripts, and ``PYTHONPATH`` puts the copy first, so ``.venv/bin/python``,
    ``.venv/bin/s3vectors-rag`` and the examples import the copy's code, exactly as the
    editable install of a fresh clone would. It costs nothing, where a venv of its own
    would cost a minute of pip even from a warm cache.

Comments README authors put before a block (one HTML comment on the line just before
the fence)
    ``<!-- readme-test: skip: REASON -->``
        The block is not run: only ``make demo``/``make test`` themselves (they would run
        this test again), and what needs an AWS account, the network, or files and host
        names of the reader's own (a TLS certificate). The set of
        skipped blocks is checked against :data:`SKIPPED` below: a new skip is added there,
        on purpose.
    ``<!-- readme-test: background PORT -->``
        The block is one command that starts a server listening on ``PORT``
        (``uvicorn``, ``s3vectors-rag serve``). It is started in the background, the next
        blocks run once it prints that it listens, and it is stopped at the end. ``PORT``
        is replaced by a free port in this block and every later one, so parallel runs
        cannot collide.
    Any other block runs as it is: a new section's commands are tested by being there. An
    unmarked block that starts ``uvicorn`` or ``s3vectors-rag ... serve`` is refused with
    this hint, and each section keeps its stores in directories of its own (checked too).
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
STARTS = re.compile(r"<!--\s*readme-test")
#: A command that starts a long-running server.
SERVER = re.compile(r"^\s*(?:\S*/)?(?:uvicorn\s|s3vectors-rag\s.*\bserve\b)")
SHELLS = frozenset({"bash", "sh", "shell", "console"})
MARKER = re.compile(r"<!--\s*readme-test:\s*(?P<kind>skip|background)\b:?\s*(?P<arg>.*?)\s*-->")
#: First command of each block that is deliberately not run, and why.
SKIPPED = {
    "make demo": "builds the venv this test reuses; make test runs this test",
    "aws s3vectors create-vector-bucket --vector-bucket-name my-knowledge-base": "AWS account",
    "make lint        # ruff check + ruff format --check": "make test runs this test",
    "export S3VECTORS_SERVE_ACCESS_KEY_ID=AKIDLOCAL": "a certificate and a host name",
}
#: Seconds a block or a server start may take (the CLI block loads the model a few times).
BLOCK_TIMEOUT = 600
#: Variables passed on to the blocks; everything else (AWS_*, settings, venvs) is left out.
KEPT = ("HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "S3VECTORS_CACHE_DIR", "XDG_CACHE_HOME")


@dataclass
class Block:
    """One fenced shell block of the README."""

    line: int
    text: str
    section: str
    kind: str = "run"  # run | skip | background
    arg: str = ""

    @property
    def first_command(self) -> str:
        return next(line.strip() for line in self.text.splitlines() if line.strip())


@dataclass
class Server:
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)


def readme_blocks(text: str) -> list[Block]:
    """The shell blocks of a Markdown text, with the readme-test comment before each."""
    blocks: list[Block] = []
    lines = text.splitlines()
    section = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        if re.match(r"#{1,2}\s", line):  # a subsection belongs to its section
            section = line.lstrip("#").strip()
        fence = re.match(r"^(```+)\s*(\S*)", line)
        if not fence:
            index += 1
            continue
        end = next(
            (n for n in range(index + 1, len(lines)) if lines[n].startswith(fence.group(1))),
            len(lines),
        )
        if fence.group(2) in SHELLS:
            block = Block(index + 1, "\n".join(lines[index + 1 : end]) + "\n", section)
            marker = MARKER.search(lines[index - 1]) if index else None
            if marker:
                block.kind, block.arg = marker.group("kind"), marker.group("arg")
            blocks.append(block)
        index = end + 1
    return blocks


def test_the_readme_markers_are_well_formed() -> None:
    """Every marker sits just before a shell block; servers name a port and one command."""
    text = README.read_text(encoding="utf-8")
    blocks = readme_blocks(text)
    marked = {block.line - 1 for block in blocks if block.kind != "run"}
    lines = text.splitlines()
    stray = [n + 1 for n, line in enumerate(lines) if MARKER.search(line) and n + 1 not in marked]
    assert stray == [], f"readme-test comments not just before a shell block: lines {stray}"
    broken = [
        n + 1 for n, line in enumerate(lines) if STARTS.search(line) and not MARKER.search(line)
    ]
    assert broken == [], f"readme-test comments that do not parse: lines {broken}"
    for block in blocks:
        if block.kind == "background":
            assert block.arg.isdigit(), f"line {block.line}: background needs a port"
            commands = [c for c in block.text.splitlines() if c.strip() and c[0] != "#"]
            assert len(commands) == 1, f"line {block.line}: a background block is one command"
    for block in blocks:
        if block.kind == "run":
            servers = [line for line in block.text.splitlines() if SERVER.search(line)]
            assert servers == [], (
                f"README line {block.line}: {servers[0]!r} starts a server: put it in a block "
                "of its own, marked <!-- readme-test: background PORT --> (see this docstring)"
            )
    skipped = {b.first_command: b.arg for b in blocks if b.kind == "skip"}
    assert set(skipped) == set(SKIPPED), "a README block is skipped that SKIPPED does not list"
    assert all(reason for reason in skipped.values()), "a skip says why"


def test_the_readme_names_no_stale_test_count() -> None:
    text = README.read_text(encoding="utf-8")
    counts = re.findall(r"\b\d[\d,]*\s+(?:tests|passed|skipped)\b", text)
    assert counts == [], f"counts that go stale with every new test: {counts}"


def test_the_readme_explains_every_conditional_skip() -> None:
    """Each test file that can skip (beyond a missing optional package) is named."""
    text = README.read_text(encoding="utf-8")
    skipping = sorted(
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("*.py")
        if path.name != Path(__file__).name
        and re.search(r"pytest\.skip\(|mark\.skipif\(", path.read_text(encoding="utf-8"))
    )
    assert skipping, "no conditional skips found: the scan is broken"
    unexplained = [path for path in skipping if f"`{path}`" not in text]
    assert unexplained == [], f"README does not say why these tests skip: {unexplained}"


def _store_dirs(block_text: str, *, python: bool) -> set[str]:
    if python:
        return set(re.findall(r"\.local\(\s*[\"']([^\"']+)[\"']", block_text))
    dirs = set(re.findall(r"--local\s+(\S+)", block_text))
    dirs |= set(re.findall(r"S3VECTORS_LOCAL_PATH=(\S+)", block_text))
    if "examples.file_service:app" in block_text and "S3VECTORS_LOCAL_PATH=" not in block_text:
        dirs.add(".s3vectors")  # the file service's default store
    return dirs


def test_sections_of_the_readme_do_not_share_a_store() -> None:
    """Following the README in order never writes one section's data into another's store."""
    text = README.read_text(encoding="utf-8")
    by_section: dict[str, set[str]] = {}
    section = ""
    for part in re.split(r"(^```\w*\n.*?^```)", text, flags=re.MULTILINE | re.DOTALL):
        headings = re.findall(r"^#{1,2}\s+(.+)$", part, flags=re.MULTILINE)
        if not part.startswith("```"):
            section = headings[-1] if headings else section
            continue
        dirs = _store_dirs(part, python=part.startswith("```python"))
        by_section.setdefault(section, set()).update(PurePosixPath(d).as_posix() for d in dirs)
    assert len([dirs for dirs in by_section.values() if dirs]) >= 3, by_section
    sections = sorted(by_section.items())
    clashes = [
        f"{first!r} uses {a}, {second!r} uses {b}"
        for (first, first_dirs), (second, second_dirs) in itertools.combinations(sections, 2)
        for a, b in itertools.product(sorted(first_dirs), sorted(second_dirs))
        if PurePosixPath(b).is_relative_to(a) or PurePosixPath(a).is_relative_to(b)
    ]
    assert clashes == [], (
        "sections share a store; give each its own directory (e.g. .s3vectors-<topic>)"
    )


# --------------------------------------------------------------------- running them


def _copy_of_the_repository(target: Path) -> Path:
    """The files git tracks (or would), as they are in the working tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)
    return target


def _environment(clone: Path, home: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in KEPT if name in os.environ}
    # os.path.exists, not Path.exists: a folder on PATH this user cannot enter (root's,
    # when the tests run as another user with root's PATH) holds nothing it can run.
    path = [
        entry
        for entry in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
        if entry and not os.path.exists(os.path.join(entry, "s3vectors-rag"))  # noqa: PTH110, PTH118
    ]
    curlrc = home / ".curlrc"
    curlrc.write_text("--fail-with-body\n--silent\n--show-error\n")
    env.update(
        PATH=os.pathsep.join(path),
        PYTHONPATH=str(clone),
        HF_HUB_OFFLINE="1",
        CURL_HOME=str(home),
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    env["HOME"] = str(home)  # no ~/.aws, ~/.curlrc or ~/.config of the machine
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(block: Block, clone: Path, env: dict[str, str]) -> Server:
    command = next(c for c in block.text.splitlines() if c.strip() and c[0] != "#")
    process = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    server = Server(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line)
            if f":{block.arg}" in line:
                server.ready.set()
        server.ready.set()  # it exited: the caller sees it is not running

    threading.Thread(target=read, daemon=True).start()
    started = server.ready.wait(BLOCK_TIMEOUT)
    assert started, f"README line {block.line}: no listening line:\n{''.join(server.output)}"
    assert process.poll() is None, (
        f"README line {block.line}: the server did not start:\n{''.join(server.output)}"
    )
    return server


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGINT)  # Ctrl+C, as a user stops it
        try:
            server.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(10)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in reversed(started):
        _stop(server)


def _with_ports(text: str, ports: dict[str, int]) -> str:
    for old, new in ports.items():
        text = re.sub(rf"(?<![\d.]){old}(?!\d)", str(new), text)
    return text


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_shell_block_of_the_readme_runs(tmp_path: Path, servers: list[Server]) -> None:
    for tool in ("bash", "git", "curl"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to run the README's commands")
    venv = Path(sys.prefix)
    missing = [
        n for n in ("python", "s3vectors-rag", "uvicorn", "aws") if not (venv / "bin" / n).exists()
    ]
    assert missing == [], f"{venv} lacks {missing}: run the tests from the venv make demo builds"
    clone = _copy_of_the_repository(tmp_path / "clone")
    (clone / ".venv").symlink_to(venv, target_is_directory=True)
    home = tmp_path / "home"
    home.mkdir()
    env = _environment(clone, home)
    where = subprocess.run(
        [".venv/bin/python", "-c", "import langchain_s3vectors as m; print(m.__file__)"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(clone), f"the copy's venv imports {where}"
    ports: dict[str, int] = {}
    ran = []
    for block in readme_blocks(README.read_text(encoding="utf-8")):
        if block.kind == "skip":
            continue
        if block.kind == "background":
            ports[block.arg] = _free_port()
            block.arg = str(ports[block.arg])
        text = _with_ports(block.text, ports)
        if block.kind == "background":
            block.text = text
            servers.append(_start(block, clone, env))
            continue
        try:
            result = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", text],
                cwd=clone,
                env=env,
                capture_output=True,
                text=True,
                timeout=BLOCK_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"README line {block.line} ran for {BLOCK_TIMEOUT} s: if it starts a server, "
                "mark it <!-- readme-test: background PORT --> (see this test's docstring)"
            )
        assert result.returncode == 0, (
            f"README line {block.line} ({block.section}) failed with exit code "
            f"{result.returncode}:\n{text}\n--- stdout\n{result.stdout}\n--- stderr\n"
            f"{result.stderr}"
        )
        ran.append(block.line)
    assert len(ran) >= 4, "fewer README blocks ran than the README has"
