"""The per-item drill-down: prompt, reference and every system's audio side by side, one row per item.

The rows travel as JSON inside the page and `static/drilldown.js` renders them a page at a time,
sorted (worst items first by default) and filtered by language, flag and text. The script writes
every value with `textContent`, and the JSON is escaped so no result text can close its tag.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ztts_eval.report.assets import AudioLinks
from ztts_eval.report.context import SuiteResults
from ztts_eval.report.style import direction

STATIC = Path(__file__).with_name("static")


def script_json(data: Any) -> str:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' survive unescaped."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _transcript(row: dict[str, Any]) -> str:
    return next((sc.get("hyp_raw") for sc in row.get("scores", {}).values() if sc.get("hyp_raw")), "") or ""


def _prompt_note(ctx: SuiteResults) -> str:
    return f"prompt and reference players are not shown: {ctx.manifest_note}" if ctx.manifest is None else ""


def _missing_note(links: AudioLinks) -> str:
    if not links.missing:
        return ""
    return f"{len(links.missing)} audio file(s) are missing and have no player (first: {links.missing[0]})"


def drilldown_data(ctx: SuiteResults, links: AudioLinks) -> dict[str, Any]:
    """One entry per (item, seed) with each system's audio, status, flags and headline values."""
    metrics = [(info, col) for info, col in ctx.headline("sample") if col.get("higher_is_better") is not None]
    entries: dict[tuple[str, int], dict[str, Any]] = {}
    for system in ctx.systems:
        for r in ctx.rows[system]:
            key = (r["item_id"], r["seed"])
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = {
                    "item": r["item_id"],
                    "seed": r["seed"],
                    "language": r["language"],
                    "text": r["text"],
                    "prompt": links.url(ctx.prompt_file(r["item_id"])),
                    "reference": links.url(ctx.reference_file(r["item_id"])),
                    "systems": {},
                }
            values = {}
            for info, col in metrics:
                sc = r.get("scores", {}).get(info["name"], {})
                v = sc.get(col["name"])
                if not ctx.self_compared(system, info) and isinstance(v, (int, float)):
                    values[col["name"]] = round(float(v), 3)
            entry["systems"][system] = {
                "audio": links.url(ctx.audio_file(r)),
                "status": r["status"],
                "flags": list(r.get("flags") or []),
                "error": r.get("error") or "",
                "transcript": _transcript(r),
                "values": values,
            }
    return {
        "systems": [{"name": s, "color": ctx.colors[s], "reference": s == ctx.reference_system} for s in ctx.systems],
        "metrics": [
            {
                "name": col["name"],
                "higher_is_better": col["higher_is_better"],
                "unit": col.get("unit", ""),
                "direction": direction(col),
            }
            for _, col in metrics
        ],
        "items": list(entries.values()),
        "note": "; ".join(filter(None, [_prompt_note(ctx), _missing_note(links)])),
    }


def drilldown_section(ctx: SuiteResults, links: AudioLinks) -> str:
    data = drilldown_data(ctx, links)
    note = '<p class="note" id="drill-note"></p>' if data["note"] else ""  # filled by the script (escaped)
    return (
        '<h2 id="drill">Per-item drill-down</h2>'
        "<p>Prompt (the voice to match), the ground-truth recording and every system's audio for the same item, side by "
        "side. Sort by a metric (worst items first), filter by language, flag or text. A system's value is its headline "
        "score for that item; ground truth is never scored against itself.</p>"
        f"{note}"
        '<div class="drill-controls" id="drill-controls"></div>'
        '<div class="table-wrap"><table id="drilldown"></table></div><div id="drill-pager"></div>'
        f'<script type="application/json" id="drill-data">{script_json(data)}</script>'
        f"<script>{(STATIC / 'drilldown.js').read_text(encoding='utf-8')}</script>"
    )
