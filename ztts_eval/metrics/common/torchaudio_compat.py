"""A minimal, faithful stand-in for the two torchaudio APIs that ReDimNet's and SpeechMOS's hub
code import, used only when the real torchaudio cannot be imported.

PyPI's torchaudio wheels are CUDA builds that fail to import beside CPU torch, and both hub
codebases import it at module level. ReDimNet needs `transforms.MelSpectrogram` (power spectrogram
of a centred, reflect-padded STFT, then an HTK triangular mel filterbank with norm=None); SpeechMOS
needs `functional.resample`, which it calls with sr == 16000 (we resample first), an identity; the
stand-in's is our bit-identical port (sinc_resample.py), so any other call also matches torchaudio. The module layout keeps torchaudio's buffer names (`spectrogram.window`,
`mel_scale.fb`) so checkpoints that saved them load strictly, and the checkpoint's own filterbank
is what runs. `install()` records which front end is active; metrics put it in their fingerprint.
"""

from __future__ import annotations

import importlib.machinery
import math
import sys
import types
from collections.abc import Callable

FRONTEND = {"name": None}


def hz_to_mel(f: float) -> float:
    return 2595.0 * math.log10(1.0 + f / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def melscale_fbanks(n_freqs: int, f_min: float, f_max: float, n_mels: int, sample_rate: int):
    """[n_freqs, n_mels] triangular HTK filters over linearly spaced FFT bins, unnormalised."""
    import torch

    all_freqs = torch.linspace(0, sample_rate // 2, n_freqs)
    m_pts = torch.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2)
    f_pts = mel_to_hz(m_pts)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts.unsqueeze(0) - all_freqs.unsqueeze(1)
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return torch.clamp(torch.minimum(down, up), min=0.0)


def _make_module():
    import torch
    from torch import nn

    class Spectrogram(nn.Module):
        def __init__(
            self,
            n_fft=400,
            win_length=None,
            hop_length=None,
            pad=0,
            window_fn: Callable = torch.hann_window,
            power=2.0,
            normalized=False,
            wkwargs=None,
            center=True,
            pad_mode="reflect",
            onesided=True,
        ):
            super().__init__()
            if pad or normalized or not onesided or power is None:
                raise NotImplementedError("ztts-eval's torchaudio stand-in supports pad=0, normalized=False, onesided, power")
            self.n_fft, self.win_length = n_fft, win_length or n_fft
            self.hop_length = hop_length or self.win_length // 2
            self.power, self.center, self.pad_mode = power, center, pad_mode
            self.register_buffer("window", window_fn(self.win_length, **(wkwargs or {})))

        def forward(self, x):
            shape = x.shape
            x = x.reshape(-1, shape[-1])
            spec = torch.stft(
                x,
                self.n_fft,
                self.hop_length,
                self.win_length,
                self.window,
                self.center,
                self.pad_mode,
                normalized=False,
                onesided=True,
                return_complex=True,
            )
            spec = spec.abs().pow(self.power)
            return spec.reshape(shape[:-1] + spec.shape[-2:])

    class MelScale(nn.Module):
        def __init__(self, n_mels=128, sample_rate=16000, f_min=0.0, f_max=None, n_stft=201, norm=None, mel_scale="htk"):
            super().__init__()
            if norm is not None or mel_scale != "htk":
                raise NotImplementedError("ztts-eval's torchaudio stand-in supports norm=None, mel_scale='htk'")
            self.register_buffer("fb", melscale_fbanks(n_stft, f_min, f_max or sample_rate / 2, n_mels, sample_rate))

        def forward(self, spec):
            return torch.matmul(spec.transpose(-1, -2), self.fb).transpose(-1, -2)

    class MelSpectrogram(nn.Module):
        def __init__(
            self,
            sample_rate=16000,
            n_fft=400,
            win_length=None,
            hop_length=None,
            f_min=0.0,
            f_max=None,
            pad=0,
            n_mels=128,
            window_fn=torch.hann_window,
            power=2.0,
            normalized=False,
            wkwargs=None,
            center=True,
            pad_mode="reflect",
            onesided=None,
            norm=None,
            mel_scale="htk",
        ):
            super().__init__()
            self.spectrogram = Spectrogram(
                n_fft,
                win_length,
                hop_length,
                pad,
                window_fn,
                power,
                normalized,
                wkwargs,
                center,
                pad_mode,
                True if onesided is None else onesided,
            )
            self.mel_scale = MelScale(n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm, mel_scale)

        def forward(self, x):
            return self.mel_scale(self.spectrogram(x))

    def resample(
        waveform, orig_freq, new_freq, lowpass_filter_width=6, rolloff=0.99, resampling_method="sinc_interp_hann", beta=None
    ):
        from ztts_eval.metrics.common.sinc_resample import sinc_resample

        if resampling_method != "sinc_interp_hann":
            raise NotImplementedError("ztts-eval's torchaudio stand-in supports resampling_method='sinc_interp_hann'")
        return sinc_resample(waveform, orig_freq, new_freq, lowpass_filter_width, rolloff)

    def module(name: str, package: bool = False) -> types.ModuleType:
        # a real spec: importlib.util.find_spec (used by transformers' availability probes) needs one
        mod = types.ModuleType(name)
        mod.__spec__ = importlib.machinery.ModuleSpec(name, loader=None, is_package=package)
        return mod

    root = module("torchaudio", package=True)
    root.__ztts_eval_standin__ = True
    transforms = module("torchaudio.transforms")
    transforms.Spectrogram, transforms.MelScale, transforms.MelSpectrogram = Spectrogram, MelScale, MelSpectrogram
    functional = module("torchaudio.functional")
    functional.resample, functional.melscale_fbanks = resample, melscale_fbanks
    root.transforms, root.functional = transforms, functional
    return {"torchaudio": root, "torchaudio.transforms": transforms, "torchaudio.functional": functional}


def install() -> str:
    """Make `import torchaudio` work: the real one if it imports, else the stand-in. Returns which."""
    if FRONTEND["name"] is not None:
        return FRONTEND["name"]
    try:
        import torchaudio  # noqa: F401

        FRONTEND["name"] = "torchaudio-" + getattr(torchaudio, "__version__", "?")
    except Exception:  # the CUDA wheel raises OSError; a missing one ImportError
        for name in [m for m in sys.modules if m == "torchaudio" or m.startswith("torchaudio.")]:
            del sys.modules[name]
        sys.modules.update(_make_module())
        FRONTEND["name"] = "ztts-eval-torchaudio-standin-1"
    return FRONTEND["name"]
