"""TTSDS2 audio loading against librosa itself: `librosa.load(path, sr=22050)` is what the reference
implementation calls, and ours must return the same samples (bit-identical) and the same length."""

from __future__ import annotations

import librosa  # the prosody extra installs it
import numpy as np
import pytest
import soundfile as sf

from tests.fakes.cli import DEMO
from ztts_eval.metrics.ttsds.audio import MIN_SAMPLES, TTSDS_SR, librosa_load, librosa_resample, load_ttsds

CLIPS = sorted((DEMO / "audio").glob("*.flac"))


def test_every_demo_clip_loads_as_librosa_does():
    assert len(CLIPS) == 12  # 16 kHz LibriSpeech, 22.05 kHz LJ Speech / espeak-ng, 48 kHz Common Voice
    for path in CLIPS:
        ref, sr = librosa.load(path, sr=TTSDS_SR)
        ours = librosa_load(path)
        assert sr == TTSDS_SR and ours.dtype == ref.dtype == np.float32
        assert ours.shape == ref.shape, path.name
        np.testing.assert_array_equal(ours, ref, err_msg=path.name)


@pytest.mark.parametrize("rate", [8000, 16000, 24000, 44100, 48000])
def test_other_rates_and_odd_lengths_match_librosa(tmp_path, rate):
    """Real speech at each common rate, cut to lengths where soxr alone returns one sample fewer than
    librosa's ceil(n · 22050 / sr): librosa pads those, so must we."""
    import soxr

    src = librosa_load(DEMO / "audio" / "libri2412_0000.flac")[:40000]
    x = librosa_resample(src, TTSDS_SR, rate)
    short = [
        n
        for n in range(9000, 9100)
        if len(soxr.resample(x[:n], rate, TTSDS_SR, quality="soxr_hq")) < np.ceil(n * TTSDS_SR / rate)
    ]
    if rate != 44100:  # 44.1 → 22.05 kHz is an exact halving: soxr's length is already the ceil
        assert short, "expected lengths where soxr alone is a sample short"
    for n in [*short[:3], 9001, 9002, len(x)]:
        path = tmp_path / f"{rate}_{n}.wav"
        sf.write(path, x[:n], rate, subtype="FLOAT")
        ref = librosa.load(path, sr=TTSDS_SR)[0]
        ours = librosa_load(path)
        assert ours.shape == ref.shape == (int(np.ceil(n * TTSDS_SR / rate)),)
        np.testing.assert_array_equal(ours, ref)


def test_multichannel_is_averaged_as_librosa_does(tmp_path):
    a = librosa_load(DEMO / "audio" / "lj002_0020.flac")
    b = librosa_load(DEMO / "audio" / "lj002_0035.flac")[: a.size]
    for channels in (np.stack([a, 0.5 * b], axis=1), np.stack([a, b, -a, 0.25 * b, a * b, 0.1 * a], axis=1)):
        path = tmp_path / f"{channels.shape[1]}ch.wav"
        sf.write(path, channels, 24000, subtype="FLOAT")
        np.testing.assert_array_equal(librosa_load(path), librosa.load(path, sr=TTSDS_SR)[0])


def test_padding_and_peak_normalisation(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, 0.25 * np.sin(np.arange(4000) / 7.0), 16000, subtype="FLOAT")
    x = load_ttsds(path)
    assert x.size == MIN_SAMPLES  # 4000 samples at 16 kHz → 5513 at 22.05 kHz → padded
    raw = librosa.load(path, sr=TTSDS_SR)[0]
    np.testing.assert_allclose(x[: raw.size], raw / (np.abs(raw).max() + 1e-6), rtol=0, atol=1e-7)
    assert np.all(x[raw.size :] == 0)
