"""Names → lazily imported classes for adapters and metrics, plus profiles and suites.

Entries are "module:attr" strings, imported only when used, so `ztts-eval --help` and
`ztts-eval ls` never import torch. Third-party packages add adapters or metrics through the
entry-point groups `ztts_eval.adapters` and `ztts_eval.metrics`.
"""

from __future__ import annotations

import difflib
import importlib
import os
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

ADAPTERS: dict[str, str] = {
    "espeak-ng": "model_adapters.espeak_ng:EspeakNgAdapter",
    "flite": "model_adapters.flite:FliteAdapter",
    "ground-truth": "model_adapters.ground_truth:GroundTruthAdapter",
    "test-tone": "model_adapters.tone:TestToneAdapter",
    "elevenlabs": "model_adapters.vendors.elevenlabs:ElevenLabsAdapter",
    "cartesia": "model_adapters.vendors.cartesia:CartesiaAdapter",
    "fish-audio": "model_adapters.vendors.fish_audio:FishAudioAdapter",
    "openai-speech": "model_adapters.vendors.openai_speech:OpenAISpeechAdapter",
    "qwen3-tts": "model_adapters.workers.qwen3_tts:Qwen3TtsAdapter",
    "zonos-v0.1": "model_adapters.workers.zonos_v01:ZonosV01Adapter",
    "zonos2": "model_adapters.zonos2.adapter:Zonos2Adapter",
    "zonos2-server": "model_adapters.zonos2.server_client:Zonos2ServerAdapter",
    "audio": "model_adapters.existing_audio:ExistingAudioAdapter",
}

METRICS: dict[str, str] = {
    "wer_pocketsphinx": "ztts_eval.metrics.wer.wer_pocketsphinx:PocketsphinxWer",
    "sim_resemblyzer": "ztts_eval.metrics.sim.sim_resemblyzer:ResemblyzerSim",
    "dnsmos": "ztts_eval.metrics.quality.dnsmos:Dnsmos",
    "f0_pyworld": "ztts_eval.metrics.ttsds.f0_pyworld:PyworldF0",
    "f0_dist_pyworld": "ztts_eval.metrics.ttsds.f0_dist_pyworld:PyworldF0Distance",
    "wer": "ztts_eval.metrics.wer.wer_qwen3:Qwen3Wer",
    "sim": "ztts_eval.metrics.sim.sim_redimnet:ReDimNetSim",
    "utmos": "ztts_eval.metrics.quality.msr_utmos:MsrUtmos",
    "utmos22": "ztts_eval.metrics.quality.utmos22:Utmos22",
    "dswed": "ztts_eval.metrics.dswed.dswed:DsWed",
    "ttsds_prosody": "ztts_eval.metrics.ttsds.ttsds_prosody:TtsdsProsody",
    "pitch_ttsds_lite": "ztts_eval.metrics.ttsds.pitch_ttsds_lite:PitchTtsdsLite",
    "wer_seedtts": "ztts_eval.metrics.wer.wer_seedtts:SeedTtsWer",
    "sim_wavlm": "ztts_eval.metrics.sim.sim_wavlm:WavLMSim",
}

# A profile is an ordered list of metrics run together. `ztts1` is the faithful ZTTS1 stack
# (Qwen3-ASR WER, ReDimNet SIM, MSR-UTMOS, TTSDS2 prosody, DS-WED) plus `sim_wavlm`, an extra
# column so ZTTS1 results can be read beside seed-compatible similarity; `seedtts` is
# Seed-TTS-Eval's own scoring (Whisper-large-v3 / Paraformer-zh WER, WavLM-Large SIM).
PROFILES: dict[str, list[str]] = {
    "lite": ["wer_pocketsphinx", "sim_resemblyzer", "dnsmos", "f0_pyworld", "f0_dist_pyworld", "pitch_ttsds_lite"],
    # "quality" is MSR-UTMOS (`utmos`) when a checkpoint is configured, else UTMOS22 (`utmos22`).
    "ztts1": ["wer", "sim", "quality", "ttsds_prosody", "dswed", "sim_wavlm"],
    "seedtts": ["wer_seedtts", "sim_wavlm"],
}

REPO_ROOT = Path(__file__).resolve().parent.parent
# Shipped inside the package (so `pip install .` finds them, not only a repository checkout).
PACKAGE_DATA = Path(__file__).resolve().parent / "data"
SUITES: dict[str, str] = {"demo": "demo/manifest.jsonl"}


class RegistryError(LookupError):
    pass


# Filled by include(): names from Python files loaded with --include, checked before entry points.
INCLUDED: dict[str, dict[str, str]] = {"ztts_eval.adapters": {}, "ztts_eval.metrics": {}}


def include(path: str | Path) -> dict[str, list[str]]:
    """Load adapters/metrics from a Python file (or every *.py in a folder) without packaging it.

    Like lm-eval's --include_path: each module is imported under a private name, and every Adapter
    subclass (by its `name`) and Metric subclass (by `info.name`) defined in it is registered.
    Returns {"adapters": [...], "metrics": [...]}; a name that would shadow a built-in is an error.
    """
    import hashlib
    import importlib.util
    import sys

    from model_adapters.base import Adapter
    from ztts_eval.metrics.base import Metric

    root = Path(path)
    files = sorted(root.glob("*.py")) if root.is_dir() else [root]
    if not root.exists() or not files:
        raise RegistryError(f"--include {path}: no such Python file or folder with *.py files")
    added: dict[str, list[str]] = {"adapters": [], "metrics": []}
    for file in files:
        resolved = file.resolve()
        mod_name = f"ztts_eval_include_{file.stem}_{hashlib.sha256(str(resolved).encode()).hexdigest()[:8]}"
        if mod_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(mod_name, resolved)
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                del sys.modules[mod_name]
                raise RegistryError(f"--include {file}: import failed ({type(exc).__name__}: {exc})") from None
        module = sys.modules[mod_name]
        for attr, obj in vars(module).items():
            if not isinstance(obj, type) or obj.__module__ != mod_name or getattr(obj, "__abstractmethods__", None):
                continue
            if issubclass(obj, Adapter):
                kind, group, builtin, name = "adapters", "ztts_eval.adapters", ADAPTERS, obj.name
            elif issubclass(obj, Metric) and getattr(obj, "info", None) is not None:
                kind, group, builtin, name = "metrics", "ztts_eval.metrics", METRICS, obj.info.name
            else:
                continue
            if name in builtin:
                raise RegistryError(f"--include {file}: {attr} is named {name!r}, which a built-in already uses; rename it")
            INCLUDED[group][name] = f"{mod_name}:{attr}"
            added[kind].append(name)
    return added


def _with_plugins(builtin: dict[str, str], group: str) -> dict[str, str]:
    table = {**builtin, **INCLUDED.get(group, {})}
    for ep in entry_points(group=group):
        table.setdefault(ep.name, ep.value)
    return table


def adapter_names() -> dict[str, str]:
    return _with_plugins(ADAPTERS, "ztts_eval.adapters")


def metric_names() -> dict[str, str]:
    return _with_plugins(METRICS, "ztts_eval.metrics")


def _lookup(kind: str, table: dict[str, str], name: str) -> str:
    if name in table:
        return table[name]
    close = difflib.get_close_matches(name, table, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise RegistryError(f"unknown {kind} {name!r}{hint} (known: {', '.join(sorted(table))})")


def import_target(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def adapter_class(name: str) -> type:
    return import_target(_lookup("model", adapter_names(), name))


def metric_class(name: str) -> type:
    return import_target(_lookup("metric", metric_names(), name))


def profile_metrics(profile: str, metric_params: dict[str, dict[str, str]] | None = None) -> list[str]:
    """The profile's metric names, with the quality slot resolved (never both MOS predictors)."""
    if profile not in PROFILES:
        raise RegistryError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    return resolve_quality(PROFILES[profile], metric_params)


def resolve_quality(names: list[str], metric_params: dict[str, dict[str, str]] | None = None) -> list[str]:
    """The `quality` slot is MSR-UTMOS when its checkpoint is configured, else UTMOS22."""
    quality = "utmos" if (metric_params or {}).get("utmos", {}).get("checkpoint") else "utmos22"
    return [quality if name == "quality" else name for name in names]


def manifests_dir() -> Path:
    return Path(os.environ.get("ZTTS_EVAL_MANIFESTS", REPO_ROOT / "manifests"))


def suites_dir() -> Path:
    """Where registered suites live: the package's data, or ZTTS_EVAL_SUITES."""
    return Path(os.environ.get("ZTTS_EVAL_SUITES", PACKAGE_DATA))


def suite_manifest(suite: str) -> Path:
    """A registered suite name, or a path to a manifest file (RegistryError, one line, otherwise)."""
    if suite in SUITES:
        return suites_dir() / SUITES[suite]
    path = Path(suite)
    if path.is_file():
        return path
    if path.suffix == ".jsonl" or os.sep in suite:
        raise RegistryError(f"suite {suite!r}: no such manifest file (a registered name is one of {', '.join(SUITES)})")
    return Path(_lookup("suite", SUITES, suite))
