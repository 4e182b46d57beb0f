"""Whether two runs measured the same thing: one list of differences for the gate and the report.

A gate that compares a Seed-TTS ground-truth run with the demo espeak-ng baseline prints
"regressions" that mean nothing; so does a run over a limited subset against a full one. Every
summary records its suite, manifest checksum, limit, each metric's version, scorer label and
scorer fingerprint (metric + version + params + weights identity; package versions are kept
apart and only noted, since a patch release rarely moves a number and would otherwise block
every CI run), and per-group item counts. The gate refuses on any difference unless told
`--allow-mismatch`; the report flags side-by-side rows from different manifests or subsets.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ztts_eval.hashing import sha256_json


def scorer_identity(metric: Any) -> dict[str, Any]:
    """What a summary records of a metric: a fingerprint without package versions, and those apart."""
    packages = metric.versions()
    core = {k: v for k, v in metric.fingerprint().items() if k not in packages}
    return {"fingerprint": sha256_json(core), "packages": packages}


def limit_label(summary: dict[str, Any]) -> str:
    limit = summary.get("limit")
    return f"limit {limit['n']} ({limit['items']} of {limit['of']} items)" if limit else "full suite"


def _short(sha: str | None) -> str:
    return (sha or "none")[:12]


def differences(base: dict[str, Any], cand: dict[str, Any]) -> list[str]:
    """Every reason the candidate's numbers are not comparable with the baseline's, one per line."""
    out = []
    for key in ("suite", "profile"):
        if base.get(key) != cand.get(key):
            out.append(f"{key}: baseline {base.get(key)!r}, candidate {cand.get(key)!r}")
    if base.get("manifest_sha256") != cand.get("manifest_sha256"):
        out.append(
            f"manifest checksum: baseline {_short(base.get('manifest_sha256'))}, candidate {_short(cand.get('manifest_sha256'))}"
        )
    if base.get("limit") != cand.get("limit"):
        out.append(f"subset: baseline {limit_label(base)}, candidate {limit_label(cand)}")
    b_metrics = {m["name"]: m for m in base.get("metrics", [])}
    c_metrics = {m["name"]: m for m in cand.get("metrics", [])}
    b_scorers, c_scorers = base.get("scorers") or {}, cand.get("scorers") or {}
    for name, bm in b_metrics.items():
        cm = c_metrics.get(name)
        if cm is None:
            out.append(f"metric {name}: in the baseline, not run by the candidate")
            continue
        for key in ("version", "scorer"):
            if bm.get(key) != cm.get(key):
                out.append(f"metric {name}: {key} {bm.get(key)!r} in the baseline, {cm.get(key)!r} in the candidate")
        bf, cf = (b_scorers.get(name) or {}).get("fingerprint"), (c_scorers.get(name) or {}).get("fingerprint")
        if bf and cf and bf != cf:
            out.append(f"metric {name}: scorer fingerprint {_short(bf)} in the baseline, {_short(cf)} in the candidate")
    b_groups = {g["label"]: g for g in base.get("groups", [])}
    for g in cand.get("groups", []):
        bg = b_groups.get(g["label"])
        if bg is None:
            out.append(f"group {g['label']}: {g['n']} candidate item(s), missing from the baseline")
        elif bg.get("n") != g.get("n"):
            out.append(f"group {g['label']}: {bg.get('n')} item(s) in the baseline, {g.get('n')} in the candidate")
    return out


def notes(base: dict[str, Any], cand: dict[str, Any]) -> list[str]:
    """What differs without making numbers incomparable by itself: scorer package versions, and
    what an older baseline did not record."""
    out = []
    b_scorers, c_scorers = base.get("scorers"), cand.get("scorers")
    if not b_scorers or not c_scorers:
        side = "baseline" if not b_scorers else "candidate"
        out.append(f"the {side} records no scorer fingerprints (written by an older ztts-eval): fingerprints not compared")
        return out
    for name in sorted(set(b_scorers) & set(c_scorers)):
        bp, cp = b_scorers[name].get("packages", {}), c_scorers[name].get("packages", {})
        changed = [f"{p} {bp.get(p)} → {cp.get(p)}" for p in sorted(set(bp) | set(cp)) if bp.get(p) != cp.get(p)]
        if changed:
            out.append(f"metric {name}: package versions differ ({', '.join(changed)})")
    return out


def markdown_section(diffs: list[str], extra_notes: list[str]) -> str:
    if not diffs and not extra_notes:
        return ""
    lines = ["", "#### Not comparable (allowed with --allow-mismatch)" if diffs else "#### Notes", ""]
    lines += [f"- {d}" for d in diffs]
    if diffs and extra_notes:
        lines += ["", "Notes:", ""]
    lines += [f"- {n}" for n in extra_notes]
    return "\n".join(lines) + "\n"


def flag_incomparable(summaries: list[dict[str, Any]]) -> list[str]:
    """Mark systems whose runs used another manifest or a limited subset than most rows of the
    table (in place, on the system name) and return one warning line per marked system."""
    if not summaries:
        return []
    counts = Counter((s.get("manifest_sha256"), repr(s.get("limit"))) for s in summaries)
    common = next(s for s in summaries if (s.get("manifest_sha256"), repr(s.get("limit"))) == counts.most_common(1)[0][0])
    warnings = []
    for s in summaries:
        diffs = []
        if s.get("manifest_sha256") != common.get("manifest_sha256"):
            diffs.append(f"manifest {_short(s.get('manifest_sha256'))} (most rows: {_short(common.get('manifest_sha256'))})")
        if s.get("limit") != common.get("limit"):
            diffs.append(f"{limit_label(s)} (most rows: {limit_label(common)})")
        if diffs:
            warnings.append(f"{s['system']}: {'; '.join(diffs)} — not comparable with the other rows")
            s["system"] = f"{s['system']} †"
    return warnings
