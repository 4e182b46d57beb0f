"""Trial sampling, the blindness of the page, vote checks and the tally against programmed votes."""

from __future__ import annotations

import json

import pytest

from tests.fakes.audio_results import SUITE
from tests.fakes.cli import run_cli
from tests.fakes.scripted_rater import expected_win_rates, planned
from ztts_eval.listen import ListenError
from ztts_eval.listen.page import write_listening_test
from ztts_eval.listen.tally import write_tally


def test_trials_cover_languages_and_pairs_and_prefer_metric_disagreements(listening_test):
    _, key = listening_test
    trials = key["trials"]
    assert len(trials) == 10 and len({t["id"] for t in trials}) == 10
    assert {t["language"] for t in trials} == {"en", "de"}
    assert {tuple(sorted((t["a"], t["b"]))) for t in trials} == {
        ("alpha", "beta"),
        ("alpha", "ground-truth"),
        ("beta", "ground-truth"),
    }
    # the fixture programs wer (alpha better than beta) against sim (beta better): every alpha–beta trial disagrees
    assert all(t["reason"].startswith("metrics disagree") for t in trials if {t["a"], t["b"]} == {"alpha", "beta"})
    assert len({(t["item"], *sorted((t["a"], t["b"]))) for t in trials}) == 10  # no (item, pair) twice
    assert 0 < sum(t["a"] == min(t["a"], t["b"]) for t in trials) < 10  # A/B order is randomised


def test_page_is_blind_and_self_contained(listening_test):
    folder, key = listening_test
    page = (folder / "page" / "index.html").read_text()
    assert "alpha" not in page and "beta" not in page and "ground-truth" not in page  # no system names
    assert not (folder / "page" / "key.json").exists()
    data = json.loads(page.split("id='test-data'>", 1)[1].split("</script>", 1)[0])
    urls = {u for t in data["trials"] for u in (t["prompt"], t["a"], t["b"])}
    assert all(u.startswith("audio/") and (folder / "page" / u).is_file() for u in urls)
    assert "&lt;b&gt;" not in page and "<b>&</b>" not in page  # item text only inside escaped JSON
    assert "\\u003cb\\u003e\\u0026\\u003c/b\\u003e" in page


def test_rebuilding_is_stable_and_refuses_to_orphan_votes(listening_test, audio_results):
    folder, key = listening_test
    _, again = write_listening_test(audio_results, SUITE, "lite", n_trials=10, questions=("overall", "similarity"))
    assert again["test_id"] == key["test_id"]
    (folder / "votes.jsonl").write_text('{"x": 1}\n')
    with pytest.raises(ListenError, match="holds votes for test"):
        write_listening_test(audio_results, SUITE, "lite", n_trials=4)


def test_bad_requests_are_one_line_errors(audio_results, tmp_path):
    for args, message in (
        (("--systems", "alpha"), "two or more systems"),
        (("--systems", "alpha,nope"), "unknown system(s) nope"),
        (("--questions", "loudness"), "questions are overall"),
        (("--manifest", str(tmp_path / "missing.jsonl")), "pass --manifest"),
    ):
        proc = run_cli("listen", "--suite", SUITE, "--results", str(audio_results), *args, check=False)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def _votes(key, rater, trials=None, question_answers=True):
    out = []
    for t in key["trials"] if trials is None else trials:
        answers = {"overall": planned(t, "overall")}
        if question_answers:
            answers["similarity"] = planned(t, "similarity")
        out.append({"test_id": key["test_id"], "trial": t["id"], "rater": rater, "answers": answers})
    return out


def test_tally_gives_the_planned_win_rates_and_metric_agreement(listening_test, tmp_path):
    folder, key = listening_test
    export = tmp_path / "votes-r1.json"
    export.write_text(json.dumps({"test_id": key["test_id"], "rater": "r1", "votes": _votes(key, "r1")}))
    served = tmp_path / "votes.jsonl"
    second = _votes(key, "r2", key["trials"][:4])
    second[0]["answers"]["overall"] = {"A": "B", "B": "A", "tie": "A"}[second[0]["answers"]["overall"]]  # one disagreement
    served.write_text("".join(json.dumps(v) + "\n" for v in second))
    _, result = write_tally(folder, [export, served])
    overall = result["questions"]["overall"]
    expected = expected_win_rates(key, {t["id"]: 1 for t in key["trials"]})  # r1 alone; r2 added by hand below
    got = {(p["a"], p["b"]): p for p in overall["pairs"] if p["language"] == "all"}
    r2_scores: dict = {}
    for v, t in zip(second, key["trials"][:4]):
        x, y = sorted((t["a"], t["b"]))
        a = v["answers"]["overall"]
        winner = None if a == "tie" else (t["a"] if a == "A" else t["b"])
        r2_scores.setdefault((x, y), []).append(0.5 if winner is None else float(winner == x))
    for pair, p in got.items():
        n1 = sum(1 for t in key["trials"] if tuple(sorted((t["a"], t["b"]))) == pair)
        extra = r2_scores.get(pair, [])
        assert p["n"] == n1 + len(extra)
        assert p["win_rate_a"] == pytest.approx((expected[pair] * n1 + sum(extra)) / (n1 + len(extra)), abs=1e-4)
        if p["n"] >= 2:
            assert p["ci95"][0] <= p["win_rate_a"] <= p["ci95"][1]
    strengths = [s["system"] for s in overall["strengths"]]
    assert strengths == ["alpha", "ground-truth", "beta"]  # the rater's taste
    assert overall["agreement"]["n_trials_multi"] == 4
    assert overall["agreement"]["percent_agreement"] == pytest.approx(3 / 4)
    sim_q = {m["column"]: m for m in result["questions"]["similarity"]["metrics"]}
    assert sim_q["sim"]["rate"] == 1.0 and sim_q["sim"]["n"] == 14  # similarity votes follow the sim metric exactly
    wer = {m["column"]: m for m in overall["metrics"]}["wer"]
    wer_rank = {"ground-truth": 0, "alpha": 1, "beta": 2}  # programmed WER: 2 < 5..7 < 12..24 on every item
    by_id = {t["id"]: t for t in key["trials"]}
    decided = [
        (by_id[v["trial"]], v["answers"]["overall"]) for v in _votes(key, "r1") + second if v["answers"]["overall"] != "tie"
    ]
    agree = sum(wer_rank[t["a"] if a == "A" else t["b"]] < wer_rank[t["b"] if a == "A" else t["a"]] for t, a in decided)
    assert (wer["n"], wer["agree"], wer["n_metric_ties"]) == (len(decided), agree, 0)
    assert wer["rate"] == pytest.approx(agree / len(decided), abs=1e-4)
    assert json.loads((folder / "tally.json").read_text())["test_id"] == key["test_id"]


def test_votes_from_another_test_or_with_bad_fields_name_their_place(listening_test, tmp_path):
    folder, key = listening_test
    good = _votes(key, "r1")[:1]
    for bad, message in (
        ({**good[0], "test_id": "0" * 16}, "not '"),
        ({**good[0], "rater": "Jane Doe"}, "rater id"),
        ({**good[0], "answers": {"overall": "left"}}, "answers.overall"),
        ({**good[0], "trial": "t999"}, "unknown trial"),
    ):
        path = tmp_path / "v.jsonl"
        path.write_text(json.dumps(good[0]) + "\n" + json.dumps(bad) + "\n")
        proc = run_cli("listen", "--out", str(folder), "--tally", str(path), check=False)
        assert proc.returncode == 2 and f"{path}:2" in proc.stderr and message in proc.stderr, proc.stderr
