"""Our plain-torch port of torchaudio's sinc resampler against torchaudio 2.11's own Python code
(from the reference wheel `make test-deps` downloads): on the repository's real speech clips at
every rate pair the ZONOS2 speaker encoder and MSR-UTMOS use, and on synthetic edge cases. The
acceptance bound is 1e-6; the port is in fact bit-identical, which is what the tests assert."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.fakes.cli import DEMO
from tests.fakes.reference_wheels import reference_torchaudio
from ztts_eval.audio import read_audio
from ztts_eval.metrics.common.sinc_resample import describe, resample_np, sinc_resample

# (source rate, target rate): speaker encoder → 24 kHz; MSR-UTMOS → allowed rate → 16 kHz
PAIRS = [
    (16000, 24000),
    (22050, 24000),
    (44100, 24000),
    (48000, 24000),
    (8000, 24000),
    (24000, 16000),
    (48000, 16000),
    (22050, 16000),
    (44100, 48000),
]
CLIPS = {16000: "libri2412_0000.flac", 22050: "lj002_0020.flac", 48000: "cv_651325.flac"}


@pytest.fixture(scope="module")
def ta(tmp_path_factory):
    with reference_torchaudio(tmp_path_factory.mktemp("torchaudio")) as module:
        yield module


@pytest.mark.parametrize("clip_sr", sorted(CLIPS))
def test_real_clips_bit_identical_to_torchaudio(ta, clip_sr):
    audio = read_audio(DEMO / "audio" / CLIPS[clip_sr])
    assert audio.sample_rate == clip_sr
    x = torch.from_numpy(audio.samples)
    for target in [t for t in (16000, 24000, 48000) if t != clip_sr]:
        ref = ta.functional.resample(x, clip_sr, target)
        ours = sinc_resample(x, clip_sr, target)
        assert ours.shape == ref.shape == (int(np.ceil(x.numel() * target / clip_sr)),)
        assert torch.equal(ours, ref), (clip_sr, target, float((ours - ref).abs().max()))
        np.testing.assert_array_equal(resample_np(audio.samples, clip_sr, target), ref.numpy())


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_edge_cases_bit_identical_to_torchaudio(ta, pair):
    a, b = pair
    gen = torch.Generator().manual_seed(a + b)
    cases = {
        "one_sample": torch.tensor([0.5]),
        "five_samples": torch.randn(5, generator=gen),
        "impulse": torch.nn.functional.one_hot(torch.tensor(777), 2001).float(),
        "full_scale_square": torch.sign(torch.sin(torch.arange(4410) * 2 * np.pi * 1000 / a)),
        "silence": torch.zeros(1234),
        "batch_2d": torch.randn(3, 9999, generator=gen),
        "batch_3d": torch.randn(2, 2, 1001, generator=gen),
        "float64": torch.randn(3001, generator=gen, dtype=torch.float64),
    }
    for name, x in cases.items():
        ref = ta.functional.resample(x, a, b)
        ours = sinc_resample(x, a, b)
        assert ours.dtype == ref.dtype and ours.shape == ref.shape, name
        assert torch.equal(ours, ref), (name, float((ours - ref).abs().max()))
    x = cases["batch_2d"]
    assert torch.equal(sinc_resample(x, a, b, kernel="transform"), ta.transforms.Resample(a, b)(x))
    for width, rolloff in ((3, 0.9), (16, 0.945)):
        ref = ta.functional.resample(x, a, b, lowpass_filter_width=width, rolloff=rolloff)
        assert torch.equal(sinc_resample(x, a, b, width, rolloff), ref)


def test_functional_and_transform_kernels_really_differ():
    """Not a no-op choice: the float32 and float64-built filter banks differ measurably at 22.05 kHz,
    which is why the fingerprint names which torchaudio path the port matches."""
    x = torch.randn(2, 20000, generator=torch.Generator().manual_seed(0))
    gap = float((sinc_resample(x, 22050, 24000) - sinc_resample(x, 22050, 24000, kernel="transform")).abs().max())
    assert 1e-6 < gap < 1e-3
    assert describe()["matches"].endswith("functional.resample")
    assert describe("transform")["matches"].endswith("transforms.Resample")


def test_soxr_is_not_what_torchaudio_does():
    """The deviation this module removes: soxr's output differs from torchaudio's by far more than
    the 1e-6 bound on real speech (16 kHz prompt → 24 kHz)."""
    from ztts_eval.audio import resample as soxr_resample

    audio = read_audio(DEMO / "audio" / CLIPS[16000])
    ours = resample_np(audio.samples, 16000, 24000)
    soxr = soxr_resample(audio.samples, 16000, 24000)
    n = min(ours.size, soxr.size)
    assert float(np.abs(ours[:n] - soxr[:n]).max()) > 1e-3


def test_bad_arguments_are_clear_errors():
    x = torch.zeros(10)
    assert sinc_resample(x, 16000, 16000) is x
    with pytest.raises(ValueError, match="positive integers"):
        sinc_resample(x, 22050.5, 16000)
    with pytest.raises(ValueError, match="positive integers"):
        sinc_resample(x, 0, 16000)
    with pytest.raises(TypeError, match="floating-point"):
        sinc_resample(torch.zeros(10, dtype=torch.int16), 8000, 16000)
    with pytest.raises(ValueError, match="kernel"):
        sinc_resample(x, 8000, 16000, kernel="kaiser")


def test_torchaudio_standin_resample_is_the_port(ta):
    from ztts_eval.metrics.common.torchaudio_compat import _make_module

    standin = _make_module()["torchaudio.functional"].resample
    x = torch.randn(4000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(standin(x, 44100, 16000), ta.functional.resample(x, 44100, 16000))
    with pytest.raises(NotImplementedError, match="sinc_interp_hann"):
        standin(x, 44100, 16000, resampling_method="sinc_interp_kaiser")
