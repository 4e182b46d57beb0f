"""Write a listening test: a page folder raters can open from disk or be served, plus the key.

    listen-<profile>/page/index.html   the page: trials, player, keyboard, progress, vote export
    listen-<profile>/page/audio/       every prompt and system audio it plays, named by content hash
    listen-<profile>/key.json          which system each trial's A and B are, with metric values

The key stays outside page/ (it is never served or shipped), so the page cannot tell a rater which
system is which: it holds trial ids, texts and audio URLs only. The test id is a hash of the key,
so a vote names the exact test it belongs to.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ztts_eval.hashing import sha256_json
from ztts_eval.listen import ListenError
from ztts_eval.listen.trials import judged_metrics, sample_trials
from ztts_eval.pipeline.results import atomic_write_text, listen_dir, read_json_file
from ztts_eval.pipeline.run_metadata import utc_now
from ztts_eval.report.assets import AudioLinks, write_page
from ztts_eval.report.context import SuiteResults, load_suite
from ztts_eval.report.drilldown import script_json

STATIC = Path(__file__).with_name("static")
QUESTIONS = {
    "overall": "Which do you prefer overall?",
    "similarity": "Which sounds more like the prompt's voice?",
    "naturalness": "Which sounds more natural?",
}


def page_html(public: dict[str, Any]) -> str:
    css = (STATIC / "listen.css").read_text(encoding="utf-8")
    js = (STATIC / "listen.js").read_text(encoding="utf-8")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><link rel='icon' href='data:,'><title>Listening test</title>"
        f"<style>{css}</style></head><body><main id='app'><noscript>This page needs JavaScript.</noscript></main>"
        f"<script type='application/json' id='test-data'>{script_json(public)}</script><script>{js}</script></body></html>"
    )


def _refuse_to_orphan_votes(out_dir: Path, test_id: str) -> None:
    """Rebuilding the same test is a no-op; replacing a test that already has votes is refused."""
    old_key, votes = out_dir / "key.json", out_dir / "votes.jsonl"
    if old_key.exists() and votes.exists() and votes.stat().st_size:
        old_id = read_json_file(old_key).get("test_id")
        if old_id != test_id:
            raise ListenError(f"{out_dir} holds votes for test {old_id}; pass --out to build a new test elsewhere")


def build_test(
    ctx: SuiteResults, out_dir: Path, systems: list[str], n_trials: int, questions: list[str], seed: int = 0
) -> dict[str, Any]:
    """Sample trials, copy their audio beside the page, write page/index.html and key.json."""
    bad = [q for q in questions if q not in QUESTIONS]
    if bad or "overall" not in questions:
        raise ListenError(f"questions are overall (always) plus similarity and/or naturalness; got {', '.join(questions)}")
    if ctx.manifest is None:
        raise ListenError(f"the listening test plays each item's prompt, but {ctx.manifest_note}; pass --manifest PATH")
    trials = sample_trials(ctx, systems, n_trials, seed)
    page_dir = out_dir / "page"
    links = AudioLinks(page_dir, bundle=True)
    public_trials = []
    rows = {s: {(r["item_id"], r["seed"]): r for r in ctx.rows[s]} for s in systems}
    for t in trials:
        public_trials.append(
            {
                "id": t.id,
                "language": t.language,
                "text": t.text,
                "prompt": links.url(ctx.prompt_file(t.item)),
                "a": links.url(ctx.audio_file(rows[t.a][(t.item, t.seed)])),
                "b": links.url(ctx.audio_file(rows[t.b][(t.item, t.seed)])),
            }
        )
    key = {
        "suite": ctx.suite,
        "profile": ctx.profile,
        "systems": sorted(set(systems)),
        "questions": questions,
        "seed": seed,
        "manifest_sha256": ctx.manifest.sha256,
        "metrics": [
            {
                "metric": info["name"],
                "column": col["name"],
                "higher_is_better": col["higher_is_better"],
                "scorer": info.get("scorer"),
            }
            for info, col in judged_metrics(ctx)
        ],
        "trials": [asdict(t) for t in trials],
    }
    key["test_id"] = sha256_json({**key, "public": public_trials})[:16]
    _refuse_to_orphan_votes(out_dir, key["test_id"])
    key["created"] = utc_now()
    public = {
        "test_id": key["test_id"],
        "questions": [{"id": q, "text": QUESTIONS[q]} for q in questions],
        "trials": public_trials,
    }
    write_page(page_dir / "index.html", page_html(public))
    atomic_write_text(out_dir / "key.json", json.dumps(key, indent=2, ensure_ascii=False) + "\n")
    return key


def write_listening_test(
    results_dir: Path,
    suite: str,
    profile: str,
    systems: list[str] | None = None,
    n_trials: int = 40,
    questions: tuple[str, ...] = ("overall",),
    seed: int = 0,
    out_dir: Path | None = None,
    manifest: Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    ctx = load_suite(Path(results_dir), suite, profile, manifest)
    out = Path(out_dir) if out_dir else listen_dir(results_dir, suite, profile)
    key = build_test(ctx, out, list(systems) if systems else ctx.systems, n_trials, list(questions), seed)
    return out, key
