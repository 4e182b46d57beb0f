"""The HTML report in headless chromium: the bundled folder plays after being moved, one colour per
system across plots (read from the plotly JSON in the page), the drill-down sorts and filters, the
page fits a narrow screen, published rows stand apart. Screenshots are saved for review."""

from __future__ import annotations

import shutil

import pytest

from tests.fakes.audio_results import LANGS, PER_LANG, SUITE, prompt_seconds, system_seconds
from tests.fakes.browser import AUDIO_STATE_JS, chromium, severe_errors, wait_for
from tests.fakes.cli import run_cli
from tests.fakes.synthetic_results import make_rows, write_run

pytestmark = pytest.mark.slow

COLORS_JS = """
return Array.from(document.querySelectorAll('.js-plotly-plot')).map(function (d) {
  return d.data.map(function (t) { return [t.name, (t.marker && t.marker.color) || (t.line && t.line.color) || null]; });
});
"""


def _expected_durations() -> dict[str, list[float]]:
    """Item id → durations of prompt, reference, ground truth, alpha, beta (the fixture's program)."""
    out, i = {}, 0
    for lang in LANGS:
        for j in range(PER_LANG):
            ref = prompt_seconds(i) - 0.1
            out[f"{lang}-{j:02d}"] = [prompt_seconds(i), ref, ref, system_seconds(0, i), system_seconds(1, i)]
            i += 1
    return out


def _rows(browser) -> list[str]:
    return browser.execute_script("return Array.from(document.querySelectorAll('#drilldown tbody tr')).map(r => r.dataset.item)")


def _choose(browser, select_id: str, value: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, select_id)).select_by_value(value)


def test_bundled_report_travels_and_reads_well(audio_results, tmp_path):
    run_cli("report", "--suite", SUITE, "--profile", "lite", "--results", str(audio_results), "--bundle")
    artifact = tmp_path / "ci-artifact" / "report"
    shutil.move(str(audio_results / SUITE / "report-lite"), artifact)
    shutil.move(str(audio_results), tmp_path / "results-gone")  # nothing left to link to
    published = tmp_path / "published"
    write_run(published, "ztts1-clean", "ground-truth", make_rows("ground-truth", {"en": (3.0, 80.0, 3.7)}), group="reference")
    write_run(published, "ztts1-clean", "zonos2-8b", make_rows("zonos2-8b", {"en": (2.0, 68.0, 3.9)}, seed=1))
    run_cli("report", "--suite", "ztts1-clean", "--profile", "ztts1", "--results", str(published), "--html")

    with chromium(1400, 1800) as browser:
        browser.get((artifact / "index.html").as_uri())
        wait_for(lambda: browser.execute_script("return document.querySelectorAll('.js-plotly-plot .main-svg').length") >= 5)
        colors: dict[str, set[str]] = {}
        for fig in browser.execute_script(COLORS_JS):
            for name, color in fig:
                colors.setdefault(name, set()).add(color)
        assert all(len(colors[s]) == 1 for s in ("ground-truth", "alpha", "beta")), colors
        assert len({next(iter(colors[s])) for s in ("ground-truth", "alpha", "beta")}) == 3

        assert _rows(browser)[0] == "de-01"  # worst WER first: beta's 24 % on de-01, de-05, en-03 (then by id)
        browser.execute_script("document.querySelectorAll('#drilldown audio').forEach(a => a.load())")
        states = wait_for(
            lambda: (s := browser.execute_script(AUDIO_STATE_JS, "#drilldown audio")) and all(x["ready"] >= 1 for x in s) and s,
            what="every drill-down player to load from the moved folder",
        )
        assert len(states) == 12 * 5 and all(s["src"].startswith("audio/") for s in states)
        got = browser.execute_script(
            "return Array.from(document.querySelectorAll('#drilldown tbody tr')).map(r => "
            "[r.dataset.item, Array.from(r.querySelectorAll('audio')).map(a => Math.round(a.duration * 100) / 100)])"
        )
        expected = _expected_durations()
        assert {item: d for item, d in got} == {k: [round(x, 2) for x in v] for k, v in expected.items()}

        _choose(browser, "drill-lang", "en")
        assert sorted(_rows(browser)) == [f"en-{j:02d}" for j in range(PER_LANG)]
        _choose(browser, "drill-flag", "clipped")
        assert _rows(browser) == ["en-03"]
        _choose(browser, "drill-lang", "")
        _choose(browser, "drill-flag", "")
        _choose(browser, "drill-sort", "item")
        assert _rows(browser)[0] == "de-00"
        shot = tmp_path / "report-bundled.png"
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(shot))
        assert severe_errors(browser) == []

        browser.set_window_size(420, 900)
        wait_for(lambda: browser.execute_script("return window.innerWidth") <= 420)
        fits = browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        wrap = browser.execute_script(
            "var w = document.getElementById('drilldown').parentElement; return [w.scrollWidth, w.clientWidth]"
        )
        assert fits and wrap[0] > wrap[1]  # the page fits; the wide table scrolls inside its own box
        narrow = tmp_path / "report-narrow.png"
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(narrow))

        browser.set_window_size(1400, 1000)
        browser.get((published / "ztts1-clean" / "report-ztts1.html").as_uri())
        style = browser.execute_script(
            "var td = document.querySelector('tr.src-published td'); var s = getComputedStyle(td);"
            "return [s.backgroundImage, s.fontStyle, document.querySelectorAll('tr.src-published .badge').length]"
        )
        assert "repeating-linear-gradient" in style[0] and style[1] == "italic" and style[2] > 0
        assert severe_errors(browser) == []
        print(f"\nscreenshots: {shot} {narrow}")
    assert shot.stat().st_size > 20_000
