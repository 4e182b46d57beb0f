"""MSR-UTMOS (Nishikawa et al. 2025, "MSR-UTokyo-SaruLab"; github.com/sarulab-speech/msr-utmos at
ccf5e98) rebuilt as our own module, so a released Lightning checkpoint loads with
`torch.load(weights_only=True)` and no Lightning, Gradio or network.

Architecture (the authors' `SSLMOSLightningModule`): a Hugging Face SSL backbone's last hidden
state, + a sampling-rate embedding (3 ids: 16/24/48 kHz) when `condition_sr`, + a listener
embedding (1000 ids), → Linear(H,H) → SiLU → Linear(H,1) → mean over frames → tanh.
MOS = 3 + 2·output, averaged over listener ids 1..10 as the authors' demo does.
State-dict names keep the authors' spellings (`pred_liner`, `listenr_embedding`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

ALLOWED_RATES = (16000, 24000, 48000)


def model_rate(sr: int) -> int:
    """The allowed rate audio is resampled to: the input rate if allowed, else the next one up."""
    for rate in ALLOWED_RATES:
        if sr <= rate:
            return rate
    return ALLOWED_RATES[-1]


def build_module(ssl: Any, hidden: int, condition_sr: bool, n_listeners: int = 1000):
    import torch
    from torch import nn

    class MsrUtmos(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.ssl_model = ssl
            self.pred_liner = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))
            self.listenr_embedding = nn.Embedding(n_listeners, hidden)
            self.condition_sr = condition_sr
            if condition_sr:
                self.sr_embedding = nn.Embedding(len(ALLOWED_RATES), hidden)

        def forward(self, wave, listener_ids, sr_ids=None):
            h = self.ssl_model(wave).last_hidden_state
            if self.condition_sr:
                h = h + self.sr_embedding(sr_ids)[:, None, :]
            h = h + self.listenr_embedding(listener_ids)[:, None, :]
            return torch.tanh(self.pred_liner(h).mean(dim=1)).squeeze(-1)

    return MsrUtmos()


def load_checkpoint(ckpt_path: Path, ssl_dir: Path | None, trust_remote_code: bool):
    """Build the module from a Lightning .ckpt (state_dict + hyper_parameters) and a backbone config."""
    from transformers import AutoConfig, AutoModel

    from ztts_eval.metrics.common.torch_hub import load_weights

    ckpt = load_weights(ckpt_path)
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ValueError(f"{ckpt_path}: no 'state_dict' (expected the authors' Lightning checkpoint)")
    hparams = ckpt.get("hyper_parameters", {}) or {}
    state = ckpt["state_dict"]
    if ssl_dir is None:
        raise ValueError(f"{ckpt_path}: pass the backbone config folder ({hparams.get('ssl_model_path', 'ssl_model_path')})")
    config = AutoConfig.from_pretrained(str(ssl_dir), trust_remote_code=trust_remote_code, local_files_only=True)
    if getattr(config, "auto_map", None) and not trust_remote_code:
        raise PermissionError(
            f"backbone {ssl_dir} needs its own Python code (auto_map); allow it with utmos.trust_remote_code=true"
        )
    ssl = AutoModel.from_config(config, trust_remote_code=trust_remote_code)
    hidden = state["pred_liner.0.weight"].shape[0]
    condition_sr = bool(hparams.get("condition_sr", "sr_embedding.weight" in state))
    module = build_module(ssl, hidden, condition_sr, n_listeners=state["listenr_embedding.weight"].shape[0])
    module.load_state_dict(state, strict=True)
    module.eval()
    return module, {
        "condition_sr": condition_sr,
        "hidden": hidden,
        "backbone": type(ssl).__name__,
        "sfi": hasattr(ssl, "set_sample_rate"),
        "ssl_model_path": hparams.get("ssl_model_path"),
    }


def zero_mean_unit_var(x):
    """The wav2vec2 feature extractor's per-utterance normalisation (non-SFI backbones)."""
    import torch

    return (x - x.mean(dim=-1, keepdim=True)) / torch.sqrt(x.var(dim=-1, unbiased=False, keepdim=True) + 1e-7)
