"""The listening page in headless chromium: opened from disk, then served. Audio durations are
checked against the fixture's programmed durations; a scripted rater votes by keyboard only."""

from __future__ import annotations

import json
import threading

import pytest
import soundfile as sf

from tests.fakes.audio_results import SUITE
from tests.fakes.browser import AUDIO_STATE_JS, chromium, severe_errors, wait_for
from tests.fakes.cli import run_cli
from tests.fakes.scripted_rater import expected_win_rates, planned

pytestmark = pytest.mark.slow


def _press(browser, *keys):
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(browser)
    for k in keys:
        chain.send_keys(k)
    chain.perform()


def _start(browser, rater):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = wait_for(lambda: browser.find_elements(By.ID, "rater"), what="the rater field")[0]
    box.clear()
    box.send_keys(rater, Keys.ENTER)


def _vote_current(browser, key, questions, check_audio, results_dir):
    from selenium.webdriver.common.keys import Keys

    trial_id = wait_for(lambda: browser.execute_script("var t=document.getElementById('trial'); return t && t.dataset.trialId"))
    trial = next(t for t in key["trials"] if t["id"] == trial_id)
    if check_audio:
        states = wait_for(
            lambda: (s := browser.execute_script(AUDIO_STATE_JS, "#trial audio")) and all(x["ready"] >= 1 for x in s) and s,
            what=f"audio of {trial_id} to load",
        )
        truth = {
            "audio-prompt": sf.info(str(key["_prompts"][trial["item"]])).duration,
            "audio-a": sf.info(str(results_dir / key["_audio"][(trial["a"], trial["item"])])).duration,
            "audio-b": sf.info(str(results_dir / key["_audio"][(trial["b"], trial["item"])])).duration,
        }
        assert {s["id"]: round(s["duration"], 2) for s in states} == {k: round(v, 2) for k, v in truth.items()}
        assert all(s["error"] is None for s in states)
    keys = [{"A": "1", "tie": "2", "B": "3"}[planned(trial, q)] for q in questions]
    _press(browser, *keys, Keys.ENTER)
    wait_for(
        lambda: browser.execute_script(
            "var t=document.getElementById('trial'); return !t || t.dataset.trialId !== arguments[0]", trial_id
        )
    )
    return trial_id


def _truth(key, results_dir):
    """Item → prompt file and (system, item) → audio path, read from the run's own files."""
    from ztts_eval.pipeline.manifest import load_manifest
    from ztts_eval.pipeline.results import RunPaths, read_samples, run_manifest_path

    manifest = load_manifest(run_manifest_path(RunPaths(results_dir, SUITE, "alpha", "lite")))
    key["_prompts"] = {it.id: manifest.prompt_path(it) for it in manifest.items}
    key["_audio"] = {
        (s, r["item_id"]): r["audio_path"]
        for s in key["systems"]
        for r in read_samples(RunPaths(results_dir, SUITE, s, "lite").samples)
    }


def test_listening_page_from_disk_then_served(listening_test, audio_results, tmp_path):
    from ztts_eval.listen.server import make_server

    folder, key = listening_test
    _truth(key, audio_results)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with chromium(1100, 1000, downloads) as browser:
        browser.get((folder / "page" / "index.html").as_uri())
        _start(browser, "r01")
        seen = [_vote_current(browser, key, ["overall", "similarity"], True, audio_results)]
        shot = tmp_path / "listen-trial.png"
        browser.save_screenshot(str(shot))
        for _ in range(9):
            seen.append(_vote_current(browser, key, ["overall", "similarity"], True, audio_results))
        assert sorted(seen) == sorted(t["id"] for t in key["trials"])
        wait_for(lambda: browser.execute_script("return !!document.getElementById('done')"), what="the done screen")
        assert browser.execute_script("return document.getElementById('progress').value") == 10
        _press(browser, "e")
        export = wait_for(lambda: [p for p in downloads.glob("votes-*.json")], what="the exported votes file")[0]
        done_shot = tmp_path / "listen-done.png"
        browser.save_screenshot(str(done_shot))
        assert severe_errors(browser) == []
        print(f"\nscreenshots: {shot} {done_shot}")
        assert shot.stat().st_size > 10_000

        srv = make_server(folder, "127.0.0.1", 0)
        thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            browser.get(f"http://127.0.0.1:{srv.server_address[1]}/index.html")
            _start(browser, "r02")
            served = [_vote_current(browser, key, ["overall"], False, audio_results) for _ in range(3)]
            wait_for(lambda: (folder / "votes.jsonl").exists() and len((folder / "votes.jsonl").read_text().splitlines()) == 3)
            assert severe_errors(browser) == []
        finally:
            srv.shutdown()
            srv.server_close()
            thread.join(timeout=5)
    lines = [json.loads(l) for l in (folder / "votes.jsonl").read_text().splitlines()]
    assert [l["trial"] for l in lines] == served and {l["rater"] for l in lines} == {"r02"}
    assert all(l["answers"]["similarity"] is None for l in lines)  # optional question left open

    run_cli("listen", "--suite", SUITE, "--results", str(audio_results), "--tally", str(export), str(folder / "votes.jsonl"))
    result = json.loads((folder / "tally.json").read_text())
    counts = {t["id"]: 1 + (t["id"] in served) for t in key["trials"]}
    expected = expected_win_rates(key, counts)
    got = {(p["a"], p["b"]): p["win_rate_a"] for p in result["questions"]["overall"]["pairs"] if p["language"] == "all"}
    assert got == pytest.approx(expected, abs=1e-4)
    assert result["questions"]["overall"]["agreement"]["percent_agreement"] == 1.0  # one taste, two raters
    assert result["raters"] == ["r01", "r02"] and result["n_votes"] == 13
