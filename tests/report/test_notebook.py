"""The results notebook executes top to bottom against a results folder (as CI runs it)."""

from __future__ import annotations

import pytest

from tests.fakes.cli import REPO
from tests.fakes.synthetic_results import make_rows, write_run

pytestmark = pytest.mark.slow


def test_notebook_reproduces_leaderboard(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    write_run(tmp_path, "ztts1-clean", "ground-truth", make_rows("ground-truth", {"en": (3.0, 80.0, 3.7)}), group="reference")
    write_run(tmp_path, "ztts1-clean", "zonos2-8b", make_rows("zonos2-8b", {"en": (2.0, 68.0, 3.9)}, seed=1))
    monkeypatch.setenv("ZTTS_RESULTS", str(tmp_path))
    monkeypatch.setenv("ZTTS_SUITE", "ztts1-clean")
    monkeypatch.setenv("ZTTS_PROFILE", "ztts1")
    nb = nbformat.read(REPO / "notebooks" / "explore_results.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "| ground-truth | ok / items |" in text and "ZONOS2 8B" in text  # published row beside measured
    assert "3 figures" in text
    assert "[" in text.splitlines()[-1]  # interval lines printed
