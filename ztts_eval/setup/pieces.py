"""Every piece a run needs, listed before any work: packages, binaries, worker environments, API
keys, model weights and code at their pinned revisions.

A new user on an offline GPU box used to learn them one failed run at a time (Qwen3-ASR, then the
ReDimNet code, then SpeechMOS, HuBERT, MPM, Allosaurus, the DS-WED k-means). The pieces are
derived from the same constants and typed parameters the loaders use (hub ids, torch.hub refs,
release URLs), so a parameter that points a metric at a local folder replaces the piece it
overrides. `doctor` checks them, `models download` fetches the downloadable ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ztts_eval import registry
from ztts_eval.setup.params import declared_params

DOWNLOADABLE = ("hf", "torch_hub", "file", "archive")
ADAPTER_BINARIES = {"espeak-ng": "espeak-ng", "flite": "flite"}  # as model_adapters.command_tts.require_binary
ADAPTER_PACKAGES = {"zonos2": (("torch", "safetensors", "transformers"), "zonos2")}


@dataclass(frozen=True)
class Piece:
    kind: str  # package | binary | env | key | hf | torch_hub | file | archive | supplied
    name: str  # what to look for: a module, a binary, a hub id, an owner/repo, a URL, a path
    needed_by: str  # "metric wer", "model zonos2"
    ref: str | None = None  # hub revision, torch.hub ref, or the parameter a supplied file comes from
    fix: str = ""  # the exact fix when it is missing

    @property
    def label(self) -> str:
        return f"{self.name}@{self.ref[:12]}" if self.ref and self.kind in ("hf", "torch_hub") else self.name


def _typed(kind: str, name: str, given: dict[str, Any]) -> dict[str, Any]:
    cls = registry.adapter_class(name) if kind == "model" else registry.metric_class(name)
    return {**{k: s.default for k, s in declared_params(cls).items()}, **given}


def _hf(repo_id: str, revision: str | None, by: str, param: str) -> Piece:
    if repo_id.startswith(("/", ".", "~")):
        return Piece("supplied", repo_id, by, param, f"{repo_id} must be a model directory (set by {param})")
    fix = f"ztts-eval models download (or huggingface-cli download {repo_id}), or set {param}=DIR"
    return Piece("hf", repo_id, by, revision, fix)


def _supplied(path: str | None, by: str, param: str, what: str) -> Piece:
    return Piece("supplied", path or "", by, param, f"{what}: set {param}=PATH (no public download exists)")


def metric_pieces(name: str, given: dict[str, Any]) -> list[Piece]:
    cls = registry.metric_class(name)
    p, by, mp = _typed("metric", name, given), f"metric {name}", f"--metric-param {name}"
    out = [
        Piece("package", mod, by, None, f"pip install -e '.[{cls.info.extra}]'") for mod in getattr(cls, "required_modules", ())
    ]
    if name == "wer":
        from ztts_eval.metrics.wer.qwen3_asr import MODELS

        out.append(_hf(MODELS.get(p["model"], p["model"]), p["revision"], by, f"{mp}.model"))
    elif name in ("sim", "utmos22"):
        metric = cls(**given)
        if not p["hub_dir"]:
            out.append(
                Piece("torch_hub", cls.repo.owner_repo, by, cls.repo.ref, f"ztts-eval models download, or set {mp}.hub_dir=CLONE")
            )
        if not p["weights"]:
            out.append(Piece("file", metric.weights_url(), by, None, f"ztts-eval models download, or set {mp}.weights=FILE"))
    elif name == "sim_wavlm":
        if p["checkpoint"]:
            out.append(_supplied(p["checkpoint"], by, f"{mp}.checkpoint", "seed-tts-eval's wavlm_large_finetune.pth"))
        else:
            fix = f"ztts-eval models download (or huggingface-cli download {p['repo']}), or set {mp}.checkpoint=FILE"
            out.append(Piece("hf", p["repo"], by, p["revision"], fix))
    elif name == "wer_seedtts":
        out.append(_hf(p["whisper"], p["whisper_revision"], by, f"{mp}.whisper"))
        if p["zh"] == "paraformer":
            out.append(_hf(p["paraformer"], p["paraformer_revision"], by, f"{mp}.paraformer"))
            if not p["paraformer_python"]:
                out.append(
                    Piece(
                        "env", "paraformer-zh", by, None, f"ztts-eval env create paraformer-zh (or {mp}.paraformer_python=PATH)"
                    )
                )
    elif name == "utmos":
        out.append(_supplied(p["checkpoint"], by, f"{mp}.checkpoint", "the MSR-UTMOS Lightning checkpoint"))
        out.append(
            _hf(p["ssl_config"], None, by, f"{mp}.ssl_config")
            if p["ssl_config"]
            else _supplied(None, by, f"{mp}.ssl_config", "its backbone config folder")
        )
    elif name in ("ttsds_prosody", "dswed"):
        metric = cls(**given)
        features = p["features"] if name == "ttsds_prosody" else "hubert_sr"
        if "hubert_sr" in features:
            out.append(_hf(metric.ssl.model_ref, None, by, f"{mp}.hubert"))
        if name == "ttsds_prosody" and "mpm" in features:
            out.append(_hf(p["mpm"], None, by, f"{mp}.mpm"))
        if name == "ttsds_prosody" and "allosaurus_sr" in features and not p["allosaurus_model"]:
            from ztts_eval.metrics.ttsds.allosaurus_rate import MODEL_URL

            out.append(
                Piece("archive", MODEL_URL, by, "allosaurus", f"ztts-eval models download, or set {mp}.allosaurus_model=DIR")
            )
        if name == "dswed" and not str(p["kmeans"] or "").startswith("fit:"):
            out.append(_supplied(p["kmeans"], by, f"{mp}.kmeans", "the 50-unit HuBERT k-means (or fit:AUDIO_DIR)"))
    return out


def adapter_pieces(name: str, given: dict[str, Any]) -> list[Piece]:
    cls = registry.adapter_class(name)
    p, by = _typed("model", name, given), f"model {name}"
    out: list[Piece] = []
    if name in ADAPTER_BINARIES:
        out.append(Piece("binary", name, by, None, f"sudo apt-get install {ADAPTER_BINARIES[name]}"))
    modules, extra = ADAPTER_PACKAGES.get(name, ((), ""))
    out += [Piece("package", mod, by, None, f"pip install -e '.[{extra}]'") for mod in modules]
    if name == "zonos2":
        for param in ("model", "speaker_encoder", "codec"):
            out.append(_hf(p[param], p["revision"] if param == "model" else None, by, f"--param {param}"))
    env_name = getattr(cls, "env_name", "")
    if env_name and not p.get("python"):
        out.append(Piece("env", env_name, by, None, f"ztts-eval env create {env_name} (or --param python=PATH)"))
    if env_name and "model" in p:
        out.append(_hf(str(p["model"]), p.get("revision"), by, "--param model"))
    key_env = getattr(cls, "key_env", "")
    if key_env:
        out.append(Piece("key", key_env, by, None, f"export {key_env}=… (read from the environment only, never stored)"))
    return out


def pieces_for(
    model: str | None,
    metrics: list[str],
    params: dict[str, Any] | None = None,
    metric_params: dict[str, dict[str, Any]] | None = None,
) -> list[Piece]:
    """Everything `run --model MODEL` with these metrics needs, without duplicates (HuBERT is shared)."""
    out: list[Piece] = []
    if model:
        out += adapter_pieces(model, params or {})
    for name in metrics:
        out += metric_pieces(name, (metric_params or {}).get(name, {}))
    seen: dict[tuple[str, str, str | None], Piece] = {}
    for piece in out:
        key = (piece.kind, piece.name, piece.ref)
        if key in seen and piece.kind != "supplied":
            prev = seen[key]
            seen[key] = Piece(prev.kind, prev.name, f"{prev.needed_by}, {piece.needed_by}", prev.ref, prev.fix)
        else:
            seen.setdefault(key, piece)
    return list(seen.values())
