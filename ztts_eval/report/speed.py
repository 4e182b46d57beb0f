"""Speed in the leaderboard and the HTML report: one line per system × load setting, and its plots.

The table states the load (closed-loop concurrency or open-loop rate) and where the model ran
(hardware), because a TTFA without them means nothing. Quality columns compare the streamed audio
with the same items' one-shot audio (Δ = streamed − one-shot). Plots: TTFA and RTF (p50, p95 with
bootstrap intervals) against concurrency, latency CDFs, and the chunk timeline of the worst request
against a real-time player's clock.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from typing import Any

from ztts_eval.pipeline.results import RunPaths, load_speed, read_speed_rows

HEADER = [
    "System",
    "Load",
    "Model runs on",
    "TTFA p50 (s)",
    "TTFA p95 (s)",
    "RTF p50",
    "RTF p95",
    "req/s",
    "audio s/s",
    "underruns",
    "streaming",
    "client",
    "quality (streamed vs one-shot)",
]


def _q(setting: dict[str, Any], measure: str, p: str) -> str:
    v = setting["measures"].get(measure, {}).get(p)
    return "" if v is None else f"{v:.3f}"


def _quality(setting: dict[str, Any]) -> str:
    parts = []
    for q in setting.get("quality") or []:
        if q.get("n"):
            parts.append(f"{q['column']} {q['streamed']:.2f} vs {q['one_shot']:.2f} (Δ {q['delta']:+.2f}, n={q['n']})")
    return "; ".join(parts)


def speed_rows(summaries: list[dict[str, Any]]) -> list[list[str]]:
    rows = []
    for s in sorted(summaries, key=lambda s: s["system"]):
        for st in s["settings"]:
            verdict = st["stream"]
            client = "OVERLOADED" if st["client"]["overloaded"] else "ok"
            rows.append(
                [
                    s["system"],
                    st["label"],
                    s["hardware"]["model_runs_on"],
                    _q(st, "ttfa_s", "p50"),
                    _q(st, "ttfa_s", "p95"),
                    _q(st, "rtf", "p50"),
                    _q(st, "rtf", "p95"),
                    f"{st['requests_per_s']:.2f}",
                    f"{st['audio_s_per_s']:.2f}",
                    f"{st['n_underruns']}/{st['n_ok']}",
                    ("yes" if verdict["streaming"] else "no") + ("" if verdict["adapter_streams"] else " (cannot stream)"),
                    client,
                    _quality(st),
                ]
            )
    return rows


def to_markdown(rows: list[list[str]], title: str) -> str:
    out = [f"## {title}", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    legend = (
        "TTFA: first audible audio; RTF: generation time ÷ audio duration; underruns: requests where a real-time "
        "player starved > 100 ms; streaming: median TTFA ÷ generation time < 0.95; client OVERLOADED: the load "
        "generator itself ran late, so these timings understate the server"
    )
    return "\n".join(out + ["", legend, ""])


def to_csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return buf.getvalue()


def _figures(summaries: list[dict[str, Any]], rows_by_system: dict[str, list[dict[str, Any]]]) -> list[tuple[str, Any]]:
    import plotly.graph_objects as go

    figs = []
    for measure, title in (("ttfa_s", "Time to first audio (s)"), ("rtf", "Real-time factor")):
        fig = go.Figure()
        for s in summaries:
            closed = [st for st in s["settings"] if st["mode"] == "closed" and st["measures"][measure].get("n")]
            for p in ("p50", "p95"):
                ys = [st["measures"][measure][p] for st in closed]
                err = [st["measures"][measure]["ci95"][p] for st in closed]
                fig.add_trace(
                    go.Scatter(
                        x=[st["concurrency"] for st in closed],
                        y=ys,
                        mode="lines+markers",
                        name=f"{s['system']} {p}",
                        error_y={
                            "type": "data",
                            "symmetric": False,
                            "array": [e[1] - y for e, y in zip(err, ys)],
                            "arrayminus": [y - e[0] for e, y in zip(err, ys)],
                        },
                    )
                )
        fig.update_layout(title=f"{title} vs concurrency (95% bootstrap intervals)", xaxis_type="log", xaxis_title="concurrency")
        figs.append((f"{title} vs concurrency", fig))
    fig = go.Figure()
    for system, rows in rows_by_system.items():
        for label in dict.fromkeys(r["setting"] for r in rows):
            lat = sorted(r["latency_s"] for r in rows if r["setting"] == label and r["status"] == "ok" and not r["warmup"])
            if lat:
                fig.add_trace(
                    go.Scatter(
                        x=lat,
                        y=[(i + 1) / len(lat) for i in range(len(lat))],
                        mode="lines",
                        name=f"{system} {label}",
                        line={"shape": "hv"},
                    )
                )
    fig.update_layout(title="Latency CDF per load setting", xaxis_title="total latency (s)", yaxis_title="share of requests")
    figs.append(("Latency CDFs", fig))
    for s in summaries:
        worst = max(
            (st["worst_request"] for st in s["settings"] if st.get("worst_request")),
            key=lambda w: (w["worst_stall_s"], w["latency_s"]),
            default=None,
        )
        if not worst or not worst["chunks"]:
            continue
        t = [c[0] for c in worst["chunks"]]
        audio = [sum(c[1] for c in worst["chunks"][: i + 1]) / worst["sample_rate"] for i in range(len(t))]
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=t, y=audio, mode="lines+markers", line={"shape": "hv"}, name="audio received (s)"))
        fig.add_trace(
            go.Scatter(
                x=[t[0], t[0] + audio[-1]],
                y=[0, audio[-1]],
                mode="lines",
                line={"dash": "dot"},
                name="real-time playback from the first chunk",
            )
        )
        fig.update_layout(
            title=f"{s['system']}: worst request {worst['item_id']} (worst stall {worst['worst_stall_s']:.3f} s)",
            xaxis_title="seconds since the request was sent",
            yaxis_title="seconds of audio",
        )
        figs.append((f"Chunk timeline of {s['system']}'s worst request", fig))
    return figs


def speed_section(results_dir: Path, suite: str, profile: str) -> str:
    """The HTML block (table + plots) for every speed result of a suite and profile; "" when there are none."""
    summaries = load_speed(results_dir, suite, profile)
    if not summaries:
        return ""
    esc = html.escape
    rows = speed_rows(summaries)
    table = ['<table id="speed"><thead><tr>'] + [f'<th class="l">{esc(h)}</th>' for h in HEADER] + ["</tr></thead><tbody>"]
    table += ["<tr>" + "".join(f'<td class="l">{esc(c)}</td>' for c in r) + "</tr>" for r in rows]
    parts = ["<h2>Real-time serving benchmark</h2>", "".join(table) + "</tbody></table>"]
    by_system = {}
    for s in summaries:
        path = RunPaths(Path(results_dir), suite, s["system"], profile).speed_requests
        by_system[s["system"]] = read_speed_rows(path) if path.exists() else []
    for i, (title, fig) in enumerate(_figures(summaries, by_system)):
        parts.append(f"<h3>{esc(title)}</h3>" + fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"speedfig{i}"))
    return "".join(parts)
