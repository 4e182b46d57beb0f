"""ZTTS1-ITW from VoxBlink2: in-the-wild prompts stratified by predicted quality, same-speaker pairs.

The report's in-the-wild set draws 1,618 clips over 17 languages "across 10 uniform bins spanning
UTMOS 1–4" (manifests/README.md). Quality strata matter because a model's cloning quality depends
on prompt quality; uniform bins stop clean clips from dominating. Each item pairs a prompt with a
*second* utterance of the same speaker: its transcript is the target text and its audio the
reference, which gives the ground-truth row a real same-speaker similarity (docs/decisions.md §1).

Inputs, as the release and its official scripts lay them out (VoxBlink2/ScriptsForVoxBlink2 README
and `cropper_audio.py`): the release's `meta/<spk>/<video>/<utt>.txt` timestamp files (the cropper
reads the first frame from line 8 and the last from the final line, first tab-separated field, at
25 frames/s), and the cropper's output `<out>/<spk>/<video>/<utt>.wav`. Transcripts and languages
are not in `meta/`: the release ships Whisper annotations separately (`asr_res/<spk>/…`, format not
documented publicly), so the user provides one table (TRANSCRIPTS_HEADER, manifests/README.md).
The quality predictor is injected as `score(path) -> float`, so tests pass a deterministic function
and the CLI a real MOS model; its name is recorded with every score.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ztts_eval.languages import LANGUAGES
from ztts_eval.pipeline.manifest import Item
from ztts_eval.suites.common import (
    AudioWriter,
    BuildError,
    BuildResult,
    DropLog,
    bounds,
    file_fingerprint,
    finish,
    need,
    prepare_out_dir,
    probe_audio,
    rng_for,
    safe_name,
)

TRANSCRIPTS_HEADER = ("utt", "language", "text")  # TSV, UTF-8; utt = <spk>/<video>/<utt> as in meta/
FPS = 25  # VoxBlink2 timestamps are video frames at 25 frames/s (cropper_audio.py: frame2second)
LICENSE = "CC-BY-NC-SA-4.0 (VoxBlink2 annotations); audio rights remain with the YouTube uploaders"


@dataclass(frozen=True)
class Utt:
    utt_id: str
    speaker: str
    language: str
    text: str
    audio: str  # relative to the audio folder
    path: Path
    duration: float
    video: str
    start: float | None
    end: float | None


def read_timestamps(path: Path) -> tuple[float, float]:
    """(start, end) seconds of one `meta/<spk>/<video>/<utt>.txt`, read as the official cropper does."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) < 8:
        raise ValueError(f"{len(lines)} line(s); frames start on line 8")
    first, last = (int(line.strip().split("\t")[0]) for line in (lines[7], lines[-1]))
    if last < first:
        raise ValueError(f"last frame {last} before first frame {first}")
    return first / FPS, last / FPS


def _read_release(
    meta_dir: Path, audio_dir: Path, table: Path, counts: dict[str, int], drops: DropLog
) -> tuple[list[Utt], Counter]:
    """One Utt per transcript row whose timestamps and cropped audio exist; every other row dropped."""
    rows = table.read_text(encoding="utf-8").splitlines()
    header = tuple(c.strip() for c in rows[0].split("\t")) if rows else ()
    if header[:3] != TRANSCRIPTS_HEADER:
        raise BuildError(
            f"{table}: first line must be the header {chr(9).join(TRANSCRIPTS_HEADER)!r} (tab-separated), got {header!r}"
        )
    utts, seen, out_of_scope = [], set(), Counter()
    for lineno, line in enumerate(rows[1:], start=2):
        if not line.strip():
            continue
        cols, where = line.split("\t"), f"{table.name}:{lineno}"
        uid = cols[0].strip()
        parts = uid.split("/")
        if len(cols) < 3 or len(parts) != 3 or not all(parts) or ".." in parts:
            drops.add(where, "transcript_malformed", "expected <spk>/<video>/<utt><TAB>language<TAB>text")
            continue
        lang, text = cols[1].strip(), cols[2].strip()
        if lang not in counts:
            out_of_scope[lang] += 1  # not an error: a language the recipe does not ask for
            continue
        if uid in seen:
            drops.add(uid, "duplicate_utt", where, lang)
            continue
        seen.add(uid)
        if not text:
            drops.add(uid, "text_empty", where, lang)
            continue
        stamps = meta_dir / f"{uid}.txt"
        if not stamps.is_file():
            drops.add(uid, "timestamps_missing", f"{where}: no meta/{uid}.txt", lang)
            continue
        try:
            start, end = read_timestamps(stamps)
        except (ValueError, UnicodeDecodeError) as exc:
            drops.add(uid, "timestamps_malformed", f"meta/{uid}.txt: {exc}", lang)
            continue
        duration, reason = probe_audio(audio_dir / f"{uid}.wav")
        if reason:
            drops.add(uid, reason, f"{where}: {uid}.wav (the cropper's output path)", lang)
            continue
        utts.append(Utt(uid, parts[0], lang, text, f"{uid}.wav", audio_dir / f"{uid}.wav", duration, parts[1], start, end))
    return utts, out_of_scope


def quality_bin(score: float, lo: float, hi: float, n_bins: int) -> tuple[float, int]:
    """Clip to [lo, hi]; equal-width, left-closed bins (edge tolerance 1e-9); hi falls in the last."""
    clipped = min(max(score, lo), hi)
    return clipped, min(n_bins - 1, int((clipped - lo) / ((hi - lo) / n_bins) + 1e-9))


def select_across_bins(by_bin: list[list[Utt]], count: int, max_per_speaker: int, rng: Any) -> list[tuple[int, Utt]]:
    """Round-robin over bins 0..n-1 in a seeded order within each bin, one pick per bin per round.

    Bins that run dry drop out and the others keep drawing, so a sparse bin's shortfall is spread
    over the rest deterministically; per-bin counts differ by at most one among bins that did not
    run dry (extras go to lower bins). A speaker is used at most `max_per_speaker` times.
    """
    queues = []
    for members in by_bin:
        q = sorted(members, key=lambda u: u.utt_id)
        rng.shuffle(q)
        queues.append(q)
    pos, used, chosen = [0] * len(queues), Counter(), []
    while len(chosen) < count:
        progressed = False
        for b, q in enumerate(queues):
            while pos[b] < len(q) and used[q[pos[b]].speaker] >= max_per_speaker:
                pos[b] += 1
            if pos[b] < len(q) and len(chosen) < count:
                chosen.append((b, q[pos[b]]))
                used[q[pos[b]].speaker] += 1
                pos[b] += 1
                progressed = True
        if not progressed:
            break
    return chosen


def build_ztts1_itw(
    meta_dir: Path,
    audio_dir: Path,
    transcripts: Path,
    out_dir: Path,
    recipe: dict[str, Any],
    score: Callable[[Path], float],
    *,
    score_name: str | None = None,
) -> BuildResult:
    """Build ZTTS1-ITW from the release's `meta/`, the cropper's output folder and a transcript table."""
    meta_dir, audio_dir, transcripts, out_dir = Path(meta_dir), Path(audio_dir), Path(transcripts), Path(out_dir)
    if not meta_dir.is_dir():
        raise BuildError(f"{meta_dir}: VoxBlink2 meta/ folder not found (the release's <spk>/<video>/<utt>.txt timestamps)")
    if not audio_dir.is_dir():
        raise BuildError(f"{audio_dir}: VoxBlink2 audio folder not found (cropper_audio.py --save_dir)")
    if not transcripts.is_file():
        raise BuildError(f"{transcripts}: transcript table not found (TSV utt, language, text; see manifests/README.md)")
    counts: dict[str, int] = {k: int(v) for k, v in need(recipe, "counts").items()}
    unknown = sorted(set(counts) - set(LANGUAGES))
    if unknown:
        raise BuildError(f"recipe: unknown language code(s) in counts: {', '.join(unknown)}")
    seed, suite = need(recipe, "seed"), recipe.get("suite", "ztts1-itw")
    p_lo, p_hi = bounds(recipe, "prompt_duration_s", (3.0, 15.0))
    r_lo, r_hi = bounds(recipe, "reference_duration_s", (1.0, 30.0))
    quality = recipe.get("quality", {})
    q_lo, q_hi = bounds(quality, "clip", (1.0, 4.0))
    n_bins = int(quality.get("bins", 10))
    model = score_name or quality.get("model", "unnamed")
    per_speaker = int(recipe.get("max_prompts_per_speaker", 1))
    prepare_out_dir(out_dir)
    drops, writer = DropLog(), AudioWriter(out_dir, recipe.get("audio_format", "flac16"))
    utts, out_of_scope = _read_release(meta_dir, audio_dir, transcripts, counts, drops)
    by_speaker: dict[tuple[str, str], list[Utt]] = {}
    for u in utts:
        by_speaker.setdefault((u.language, u.speaker), []).append(u)

    def references(u: Utt) -> list[Utt]:
        return [
            o
            for o in by_speaker[(u.language, u.speaker)]
            if o.utt_id != u.utt_id and r_lo <= o.duration <= r_hi and o.text.casefold() != u.text.casefold()
        ]

    items, shortfall, bins_report, not_scored = [], {}, {}, {}
    for lang, count in counts.items():
        candidates = []
        for u in (u for u in utts if u.language == lang):
            if not p_lo <= u.duration <= p_hi:
                drops.add(
                    u.utt_id,
                    "prompt_duration_out_of_bounds",
                    f"{u.duration:.2f} s outside [{p_lo}, {p_hi}]; may still be a reference",
                    lang,
                )
            elif not references(u):
                drops.add(u.utt_id, "no_second_utterance", f"speaker {u.speaker} has no other usable {lang} utterance", lang)
            else:
                candidates.append(u)
        cap = recipe.get("max_scored_per_language")
        if cap is not None and len(candidates) > int(cap):
            rng_for(seed, suite, lang, "cap").shuffle(candidates)
            not_scored[lang] = len(candidates) - int(cap)
            candidates = sorted(candidates[: int(cap)], key=lambda u: u.utt_id)
        scored: dict[str, tuple[float, float, int]] = {}
        by_bin: list[list[Utt]] = [[] for _ in range(n_bins)]
        for u in candidates:
            try:
                raw = float(score(u.path))
            except Exception as exc:  # a scorer failure drops the clip, visibly
                drops.add(u.utt_id, "score_failed", f"{type(exc).__name__}: {exc}", lang)
                continue
            if not math.isfinite(raw):
                drops.add(u.utt_id, "score_failed", f"non-finite score {raw}", lang)
                continue
            clipped, b = quality_bin(raw, q_lo, q_hi, n_bins)
            scored[u.utt_id] = (raw, clipped, b)
            by_bin[b].append(u)
        chosen = select_across_bins(by_bin, count, per_speaker, rng_for(seed, suite, lang, "bins"))
        chosen.sort(key=lambda bu: (bu[0], bu[1].utt_id))
        bins_report[lang] = {
            "candidates": [len(m) for m in by_bin],
            "selected": [sum(b == i for b, _ in chosen) for i in range(n_bins)],
        }
        ref_rng = rng_for(seed, suite, lang, "references")
        for k, (b, u) in enumerate(chosen, start=1):
            options = sorted(references(u), key=lambda o: o.utt_id)
            other_video = [o for o in options if o.video != u.video]
            if recipe.get("prefer_reference_from_other_video", True) and other_video:
                options = other_video
            ref = ref_rng.choice(options)
            items.append(
                _item(
                    f"{suite}-{lang}-{k:04d}",
                    suite,
                    lang,
                    u,
                    ref,
                    scored[u.utt_id],
                    b,
                    model,
                    (q_lo + b * (q_hi - q_lo) / n_bins, q_lo + (b + 1) * (q_hi - q_lo) / n_bins),
                    writer,
                )
            )
        if len(chosen) < count:
            shortfall[lang] = count - len(chosen)
    source = {
        "kind": "local",
        "dataset_id": recipe.get("dataset", {}).get("id", "VoxBlink2"),
        "metadata": file_fingerprint({transcripts.name: transcripts}),
        "quality_model": model,
    }
    details = {
        "quality_model": model,
        "clip": [q_lo, q_hi],
        "bins": bins_report,
        "not_scored": not_scored,
        "out_of_scope_languages": dict(sorted(out_of_scope.items())),
        "prompt_duration_s": [p_lo, p_hi],
        "reference_duration_s": [r_lo, r_hi],
    }
    return finish(
        out_dir,
        items,
        builder="ztts_eval.suites.voxblink2",
        recipe=recipe,
        source=source,
        writer=writer,
        drops=drops,
        shortfall=shortfall,
        details=details,
    )


def _item(
    id_: str,
    suite: str,
    lang: str,
    prompt: Utt,
    ref: Utt,
    score: tuple[float, float, int],
    b: int,
    model: str,
    edges: tuple[float, float],
    writer: AudioWriter,
) -> Item:
    p_rel, p_sha = writer.put(prompt.path, f"audio/{lang}/{safe_name(prompt.utt_id)}", prompt.audio)
    r_rel, r_sha = writer.put(ref.path, f"audio/{lang}/{safe_name(ref.utt_id)}", ref.audio)
    extra = {
        "speaker": prompt.speaker,
        "prompt_utt": prompt.utt_id,
        "prompt_video": prompt.video,
        "prompt_start": prompt.start,
        "prompt_end": prompt.end,
        "prompt_duration_s": round(prompt.duration, 3),
        "reference_utt": ref.utt_id,
        "reference_video": ref.video,
        "reference_duration_s": round(ref.duration, 3),
        "same_video": prompt.video == ref.video,
        "utmos": round(score[0], 4),
        "utmos_clipped": round(score[1], 4),
        "utmos_bin_range": [round(edges[0], 4), round(edges[1], 4)],
        "quality_model": model,
        "text_source": "transcript table (VoxBlink2's Whisper annotations); a pseudo-label, not a human transcript",
    }
    return Item(
        id=id_,
        suite=suite,
        subset="itw",
        language=lang,
        text=ref.text,
        prompt_audio=p_rel,
        prompt_sha256=p_sha,
        prompt_text=prompt.text,
        speaker_id=f"voxblink2:{prompt.speaker}",
        reference_audio=r_rel,
        reference_sha256=r_sha,
        utmos_bin=b,
        source=f"VoxBlink2 {prompt.utt_id}; reference {ref.utt_id}",
        license=LICENSE,
        extra={k: v for k, v in extra.items() if v is not None},
    )
