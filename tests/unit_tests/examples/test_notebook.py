"""examples/notebook.ipynb runs top to bottom in a fresh kernel and shows what it claims."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from .conftest import EXAMPLES

NOTEBOOK = EXAMPLES / "notebook.ipynb"


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


def test_saved_notebook_has_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.get("execution_count") for c in code)
    assert all(_text(c) for c in code), "save the notebook with its outputs"


def test_notebook_executes(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=240, resources={"metadata": {"path": str(EXAMPLES)}}
    ).execute()
    out = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    files = len([p for p in (EXAMPLES / "data").iterdir() if p.name != "metadata.json"])
    assert f"{files} files -> " in out
    assert "added: 0 updated: 0 unchanged: " in out
    assert "InvalidFilterError: filter: unknown operator '$contains'" in out
    hybrid = next(line for line in out.splitlines() if line.startswith("hybrid:"))
    assert hybrid.startswith("hybrid:     [('sqlite-busy-timeout.md#0'")
    similarity = next(line for line in out.splitlines() if line.startswith("similarity:"))
    assert not similarity.startswith("similarity: ['sqlite-busy-timeout.md#0'")
    assert "'sqlite-busy-timeout.md'" in out  # the retriever cell
    assert "Error" not in out.replace("InvalidFilterError", "")
