"""The HTML report's figures and sections, read from the plotly figures and the table model."""

from __future__ import annotations

import json

import pytest

from tests.fakes.audio_results import PITCH, SUITE
from ztts_eval.report.context import load_suite
from ztts_eval.report.figures import build_figures
from ztts_eval.report.style import GUIDE_COLOR, REFERENCE_COLOR
from ztts_eval.report.table import build_lines


def _trace_color(trace: dict) -> str | None:
    return (trace.get("marker") or {}).get("color") or (trace.get("line") or {}).get("color")


def test_one_colour_per_system_in_every_figure(audio_results):
    ctx = load_suite(audio_results, SUITE, "lite")
    figs = [fig.to_plotly_json() for _, fig in build_figures(ctx)]
    assert len(figs) >= 5
    seen: dict[str, set[str]] = {}
    for fig in figs:
        for trace in fig["data"]:
            seen.setdefault(trace["name"], set()).add(_trace_color(trace))
    systems = {n: c for n, c in seen.items() if n in ctx.systems}
    assert set(systems) == {"ground-truth", "alpha", "beta"}
    assert all(len(c) == 1 for c in systems.values()), systems  # never changes from plot to plot
    assert systems["ground-truth"] == {REFERENCE_COLOR}
    assert len({next(iter(c)) for c in systems.values()}) == 3  # distinct
    guide = [n for n in seen if n.startswith("y = x")]
    assert guide and seen[guide[0]] == {GUIDE_COLOR} and GUIDE_COLOR not in {next(iter(c)) for c in systems.values()}


def test_small_groups_show_every_point_and_axes_say_unit_and_direction(audio_results):
    ctx = load_suite(audio_results, SUITE, "lite")
    figs = dict(build_figures(ctx))
    dist = figs["Distribution of wer per system"].to_plotly_json()
    assert {t["type"] for t in dist["data"]} == {"box"} and all(t["boxpoints"] == "all" for t in dist["data"])
    assert dist["layout"]["yaxis"]["title"]["text"] == "wer (%) ↓ lower is better"
    assert dist["layout"]["xaxis"]["title"]["text"] == "language"
    bars = figs["Whole-set metric pitch_ttsds_lite"].to_plotly_json()
    assert bars["layout"]["yaxis"]["title"]["text"] == "pitch_ttsds_lite (score) ↑ higher is better"
    sim = figs["Distribution of sim per system"].to_plotly_json()
    assert "↑" in sim["layout"]["yaxis"]["title"]["text"]


def test_ground_truth_is_never_compared_with_itself(audio_results):
    ctx = load_suite(audio_results, SUITE, "lite")
    figs = dict(build_figures(ctx))
    bars = figs["Whole-set metric pitch_ttsds_lite"].to_plotly_json()
    assert [t["name"] for t in bars["data"]] == ["alpha", "beta"]  # ground truth's 100 is by construction
    scatter = figs["wer against ground truth"].to_plotly_json()
    assert "ground-truth" not in [t["name"] for t in scatter["data"]]
    _, lines = build_lines(ctx.summaries, SUITE, with_published=False)
    gt_pitch = next(l for l in lines if l.system == "ground-truth" and l.metric == PITCH.columns[0].name)
    assert {c.text for c in gt_pitch.cells.values()} == {"–"}
    alpha_pitch = next(l for l in lines if l.system == "alpha" and l.metric == PITCH.columns[0].name)
    assert alpha_pitch.cells["en"].value == pytest.approx(75.0)


def test_drilldown_rows_hold_prompt_reference_and_every_system(audio_results):
    from ztts_eval.report.html import write_html

    page = write_html(audio_results, SUITE, "lite").read_text()
    data = json.loads(page.split('id="drill-data">', 1)[1].split("</script>", 1)[0])
    assert [s["name"] for s in data["systems"]] == ["ground-truth", "alpha", "beta"]
    assert len(data["items"]) == 12 and data["note"] == ""
    item = data["items"][0]
    assert item["prompt"].startswith("../../suite/audio/p") and item["reference"].startswith("../../suite/audio/r")
    assert set(item["systems"]) == {"ground-truth", "alpha", "beta"}
    assert item["systems"]["alpha"]["audio"].startswith("../.cache/audio/")  # linked where it lies (no --bundle)
    assert "Audio players link into the results cache" in page
    assert '<div class="table-wrap"><table id="leaderboard">' in page


def test_listening_results_appear_in_the_report(audio_results):
    from ztts_eval.listen.page import write_listening_test
    from ztts_eval.listen.tally import write_tally
    from ztts_eval.report.html import write_html

    folder, key = write_listening_test(audio_results, SUITE, "lite", n_trials=6)
    votes = [{"test_id": key["test_id"], "trial": t["id"], "rater": "r1", "answers": {"overall": "A"}} for t in key["trials"]]
    (folder / "votes.jsonl").write_text("".join(json.dumps(v) + "\n" for v in votes))
    write_tally(folder, [folder / "votes.jsonl"])
    page = write_html(audio_results, SUITE, "lite").read_text()
    assert 'id="listening"' in page and "6 blind A/B vote(s) from 1 rater(s)" in page
    assert 'id="listen-overall"' in page and "agrees with raters" in page


def test_missing_audio_and_manifest_are_said_not_hidden(audio_results, tmp_path):
    from ztts_eval.pipeline.results import RunPaths, read_samples
    from ztts_eval.report.html import write_html

    row = read_samples(RunPaths(audio_results, SUITE, "beta", "lite").samples)[0]
    (audio_results / row["audio_path"]).unlink()  # a pruned cache
    (tmp_path / "suite" / "manifest.jsonl").rename(tmp_path / "suite" / "moved.jsonl")
    page = write_html(audio_results, SUITE, "lite").read_text()
    data = json.loads(page.split('id="drill-data">', 1)[1].split("</script>", 1)[0])
    entry = next(i for i in data["items"] if i["item"] == row["item_id"])
    assert entry["systems"]["beta"]["audio"] is None and entry["systems"]["alpha"]["audio"]
    assert entry["prompt"] is None
    assert "prompt and reference players are not shown" in data["note"] and "1 audio file(s) are missing" in data["note"]
    assert 'id="drill-note"' in page
    moved = write_html(audio_results, SUITE, "lite", manifest=tmp_path / "suite" / "moved.jsonl").read_text()
    assert "../../suite/audio/p" in moved  # --manifest points at the moved suite
