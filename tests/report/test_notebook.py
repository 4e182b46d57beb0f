"""The results notebook executes top to bottom against a results folder (as CI runs it) and shows
the leaderboard as a DataFrame, every figure, and the worst items with players."""

from __future__ import annotations

import pytest

from tests.fakes.audio_results import SUITE
from tests.fakes.cli import REPO

pytestmark = pytest.mark.slow


def test_notebook_shows_table_figures_and_worst_items(audio_results, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    from ztts_eval.report.context import load_suite
    from ztts_eval.report.figures import build_figures

    monkeypatch.setenv("ZTTS_RESULTS", str(audio_results))
    monkeypatch.setenv("ZTTS_SUITE", SUITE)
    monkeypatch.setenv("ZTTS_PROFILE", "lite")
    monkeypatch.setenv("ZTTS_WORST", "3")
    nb = nbformat.read(REPO / "notebooks" / "explore_results.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    text = "\n".join(o.get("text", "") for o in outputs)
    leaderboard = next(h for h in html if "ok / items" in h)
    assert "<table" in leaderboard and "ground-truth" in leaderboard and "| ground-truth |" not in text  # a table, not Markdown
    n_figures = len(build_figures(load_suite(audio_results, SUITE, "lite")))
    plots = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(plots) == n_figures >= 5 and f"{n_figures} figures shown" in text
    assert "worst 3 by wer.wer (lower is better)" in text
    audio = [h for h in html if "<audio" in h]
    assert len(audio) == 6 and "6 players" in text  # prompt + generated for each of the 3 worst
    assert all("data:audio/" in h or "base64" in h for h in audio)  # embedded: the notebook travels
