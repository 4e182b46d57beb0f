"""Tiny local stand-ins for hub-hosted speaker and MOS models (the hubs are unreachable in CI).

Each writes the same *interface and file format* the real loaders read:
* a torch.hub directory with `hubconf.py` and `redimnet/model.py:ReDimNetWrap` (whose front end
  is pre-emphasis + `torchaudio.transforms.MelSpectrogram`, like the real one, so the strict load
  checks the `spec.torchfbank.*` buffer names) and a `{model}-{dataset}-{train}.pt` release file
  holding {"model_config", "state_dict"};
* a torch.hub directory with `speechmos/utmos22/strong/model.py:UTMOS22Strong` (forward(wave, sr),
  torchaudio imported at module level) and a plain state-dict `.pt`;
* an MSR-UTMOS Lightning-style `.ckpt` around a tiny transformers HuBERT, and its config folder.
"""

from __future__ import annotations

from pathlib import Path

REDIMNET_MODEL = '''
import torch, torchaudio
from torch import nn


class PreEmphasis(nn.Module):
    def __init__(self, coef=0.97):
        super().__init__()
        self.register_buffer("flipped_filter", torch.FloatTensor([-coef, 1.0]).unsqueeze(0).unsqueeze(0))

    def forward(self, x):
        x = nn.functional.pad(x.unsqueeze(1), (1, 0), "reflect")
        return nn.functional.conv1d(x, self.flipped_filter).squeeze(1)


class MelBanks(nn.Module):
    def __init__(self, n_mels=72, hop_length=160):
        super().__init__()
        self.torchfbank = nn.Sequential(nn.Identity(), PreEmphasis(), torchaudio.transforms.MelSpectrogram(
            sample_rate=16000, n_fft=512, win_length=400, hop_length=hop_length, f_min=20, f_max=7600,
            n_mels=n_mels, window_fn=torch.hamming_window))

    def forward(self, x):
        x = (self.torchfbank(x.float()) + 1e-6).log()
        return x - x.mean(dim=-1, keepdim=True)


class ReDimNetWrap(nn.Module):
    """Stand-in with ReDimNet's constructor keywords and I/O: [N, T] 16 kHz -> [N, embed_dim]."""

    def __init__(self, F=72, C=4, embed_dim=16, hop_length=160, **_):
        super().__init__()
        self.spec = MelBanks(n_mels=F, hop_length=hop_length)
        self.conv = nn.Conv1d(F, C * 4, 3, padding=1)
        self.linear = nn.Linear(C * 8, embed_dim)

    def forward(self, x):
        h = torch.relu(self.conv(self.spec(x)))
        return self.linear(torch.cat([h.mean(-1), h.std(-1)], dim=-1))
'''

REDIMNET_HUBCONF = """
dependencies = ["torch", "torchaudio"]
from redimnet.model import ReDimNetWrap


def ReDimNet(model_name, train_type="ptn", dataset="vox2"):
    raise RuntimeError("stand-in: ztts-eval builds the model from the release file itself")
"""

SPEECHMOS_MODEL = '''
import torch, torchaudio
from torch import nn


class UTMOS22Strong(nn.Module):
    """Stand-in with UTMOS22Strong's I/O: forward(wave [B, T], sr) -> MOS [B]."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 8, 400, stride=320)
        self.head = nn.Linear(8, 1)

    def forward(self, wave, sr):
        wave = torchaudio.functional.resample(wave, orig_freq=sr, new_freq=16000)
        frames = torch.relu(self.conv(wave.unsqueeze(1))).transpose(1, 2)
        return self.head(frames).mean(dim=1).squeeze(1) * 2 + 3
'''

SPEECHMOS_HUBCONF = """
dependencies = ["torch", "torchaudio"]
from speechmos.utmos22.strong.model import UTMOS22Strong


def utmos22_strong(progress=True, pretrained=True):
    return UTMOS22Strong()
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_redimnet(root: Path, seed: int = 0, name: str = "b6-vox2-ft_lm.pt") -> tuple[Path, Path]:
    """(hub directory, release weights file)."""
    import torch

    from ztts_eval.metrics.common.torch_hub import import_class
    from ztts_eval.metrics.common.torchaudio_compat import install

    hub = _write(
        root / "ReDimNet", {"hubconf.py": REDIMNET_HUBCONF, "redimnet/__init__.py": "", "redimnet/model.py": REDIMNET_MODEL}
    )
    install()
    config = {"F": 72, "C": 4, "embed_dim": 16, "hop_length": 160}
    torch.manual_seed(seed)
    model = import_class(hub, "redimnet.model", "ReDimNetWrap")(**config)
    weights = root / name
    torch.save({"model_config": config, "state_dict": model.state_dict()}, weights)
    return hub, weights


def make_speechmos(root: Path, seed: int = 0) -> tuple[Path, Path]:
    import torch

    from ztts_eval.metrics.common.torch_hub import import_class
    from ztts_eval.metrics.common.torchaudio_compat import install

    hub = _write(
        root / "SpeechMOS",
        {
            "hubconf.py": SPEECHMOS_HUBCONF,
            "speechmos/__init__.py": "",
            "speechmos/utmos22/__init__.py": "",
            "speechmos/utmos22/strong/__init__.py": "",
            "speechmos/utmos22/strong/model.py": SPEECHMOS_MODEL,
        },
    )
    install()
    torch.manual_seed(seed)
    model = import_class(hub, "speechmos.utmos22.strong.model", "UTMOS22Strong")()
    weights = root / "utmos22_strong_step7459_v1.pt"
    torch.save(model.state_dict(), weights)
    return hub, weights


def make_msr_utmos(root: Path, seed: int = 0, condition_sr: bool = True) -> tuple[Path, Path]:
    """(Lightning-style checkpoint, backbone config folder) around a tiny random HuBERT."""
    import torch
    from transformers import HubertConfig, HubertModel

    from ztts_eval.metrics.quality.msr_utmos_model import build_module

    torch.manual_seed(seed)
    config = HubertConfig(
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8, 8),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        do_stable_layer_norm=False,
        feat_extract_norm="group",
    )
    ssl_dir = root / "hubert-tiny"
    config.save_pretrained(ssl_dir)
    module = build_module(HubertModel(config), 16, condition_sr, n_listeners=20)
    ckpt = root / "msr-utmos-tiny.ckpt"
    torch.save(
        {
            "state_dict": module.state_dict(),
            "pytorch-lightning_version": "2.5.1",
            "hyper_parameters": {"ssl_model_path": "facebook/hubert-base-ls960", "condition_sr": condition_sr},
        },
        ckpt,
    )
    return ckpt, ssl_dir


def make_tiny_hubert(root: Path, layers: int = 8, seed: int = 0) -> Path:
    """A randomly initialised transformers HubertModel saved like the hub's (config.json + weights)."""
    import torch
    from transformers import HubertConfig, HubertModel

    torch.manual_seed(seed)
    config = HubertConfig(
        hidden_size=16,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=32,
        conv_dim=(8,) * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    model = HubertModel(config)
    with torch.no_grad():  # wider weights so different audio gives different units
        for p in model.parameters():
            if p.dim() > 1:
                p.normal_(0.0, 2.0 / p.shape[-1] ** 0.5)
    model.save_pretrained(root)
    return root


def make_tiny_allosaurus(root: Path, seed: int = 0) -> Path:
    """A model folder in allosaurus' layout (configs, phone list, inventory, model.pt state dict)."""
    import json

    import torch

    root.mkdir(parents=True, exist_ok=True)
    phones = ["a", "i", "u", "p", "t", "k", "s", "m"]
    pm = {
        "model": "mfcc_hires",
        "backend": "numpy",
        "sample_rate": 8000,
        "cmvn": "speaker",
        "window_size": 0.025,
        "window_shift": 0.01,
        "feature_window": 3,
        "dtype": "float32",
        "cep_size": 13,
        "bank_size": 13,
        "low_freq": 20,
        "high_freq": -200,
        "use_energy": False,
        "dither": 0.0,
    }
    am = {
        "model": "allosaurus",
        "hidden_size": 8,
        "layer_size": 1,
        "proj_size": 0,
        "feat_size": 39,
        "lang_size_dict": {},
        "phone_size": len(phones) + 1,
    }
    (root / "pm_config.json").write_text(json.dumps(pm))
    (root / "am_config.json").write_text(json.dumps(am))
    (root / "lm_config.json").write_text(json.dumps({"model": "phone_ipa", "backend": "numpy"}))
    (root / "phone.txt").write_text("\n".join(phones) + "\n")
    (root / "inventory").mkdir(exist_ok=True)
    (root / "inventory" / "index.json").write_text("[]")
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(39, 8, num_layers=1, bidirectional=True)
    head = torch.nn.Linear(16, len(phones) + 1)
    state = {f"blstm_layer.{k}": v for k, v in lstm.state_dict().items()}
    state.update({f"phone_layer.{k}": v for k, v in head.state_dict().items()})
    with torch.no_grad():  # a weak blank so that some phones are emitted
        state["phone_layer.bias"][0] = -2.0
    torch.save(state, root / "model.pt")
    return root


def make_tiny_mpm(root: Path, seed: int = 0) -> Path:
    """`model_config.yml` + `pytorch_model.bin`, as the hub's cdminix/masked_prosody_model."""
    import torch
    import yaml

    from ztts_eval.metrics.ttsds.mpm import build_mpm

    config = {
        "bins": 128,
        "dropout": 0.1,
        "filter_size": 16,
        "hidden_dim": 32,
        "kernel_size": 7,
        "max_length": 512,
        "n_heads": 2,
        "n_layers": 8,
    }
    torch.manual_seed(seed)
    model = build_mpm(**config)
    root.mkdir(parents=True, exist_ok=True)
    (root / "model_config.yml").write_text(yaml.safe_dump(config))
    torch.save(model.state_dict(), root / "pytorch_model.bin")
    return root


def make_tiny_zonos2(root: Path, seed: int = 0) -> dict[str, Path]:
    """A tiny ZONOS2 in the release format (params.json + model.pth nested under "model"), a tiny
    speaker encoder (config.json + model.safetensors) and a tiny 44.1 kHz DAC (save_pretrained)."""
    import json

    import torch

    from model_adapters.zonos2.config import Zonos2Config
    from model_adapters.zonos2.model import Zonos2Model, init_random_weights
    from tests.fakes.zonos2_standins import tiny_dac, tiny_ecapa

    model = init_random_weights(Zonos2Model(Zonos2Config.tiny()), std=0.2, seed=seed)
    (root / "model").mkdir(parents=True, exist_ok=True)
    (root / "model" / "params.json").write_text(json.dumps(model.cfg.to_params()))
    torch.save({"model": model.state_dict()}, root / "model" / "model.pth")
    return {"model": root / "model", "speaker_encoder": tiny_ecapa(root / "speaker"), "codec": tiny_dac(root / "dac")}
