"""ZONOS2 speaker encoder, DAC codec and text normalisation, on tiny stand-ins in the real formats.

The ECAPA checkpoint's tensor names and shapes are written here from the spec's table
(docs/zonos2.md §5), independently of the module, and its forward pass is checked against a
functional re-derivation of the layers (docs/zonos2.md §5), so a naming or wiring slip in speaker.py fails a test.
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors")
from model_adapters.zonos2 import speaker as spk
from model_adapters.zonos2 import textnorm
from tests.fakes.cli import DEMO
from tests.fakes.zonos2_standins import FULL, TINY, spec_shapes, tiny_dac, tiny_ecapa
from ztts_eval.audio import load_audio, resample
from ztts_eval.hub import WeightsMissingError

F = torch.nn.functional
AUDIO = DEMO / "audio"
CLIP_A, CLIP_B = AUDIO / "lj002_0020.flac", AUDIO / "espeak_de-01.flac"


def reference_forward(sd: dict, feats: torch.Tensor, scale: int) -> torch.Tensor:
    """The encoder (docs/zonos2.md §5) written out with functional ops: reflect-padded TDNNs, Res2Net, SE, MFA, ASP, fc."""

    def conv(x, name, d=1, relu=True):
        w, b = sd[f"{name}.weight"].float(), sd[f"{name}.bias"].float()
        p = d * (w.shape[2] - 1) // 2
        y = F.conv1d(F.pad(x, (p, p), mode="reflect") if p else x, w, b, dilation=d)
        return F.relu(y) if relu else y

    h, outs = conv(feats.transpose(1, 2), "blocks.0.conv"), []
    for b, d in ((1, 2), (2, 3), (3, 4)):
        x = conv(h, f"blocks.{b}.tdnn1.conv")
        width = x.shape[1] // scale
        ys = [x[:, :width]]
        for i in range(1, scale):
            g = x[:, i * width : (i + 1) * width]
            ys.append(conv(g if i == 1 else g + ys[-1], f"blocks.{b}.res2net_block.blocks.{i - 1}.conv", d))
        x = conv(torch.cat(ys, 1), f"blocks.{b}.tdnn2.conv")
        s = conv(conv(x.mean(2, keepdim=True), f"blocks.{b}.se_block.conv1"), f"blocks.{b}.se_block.conv2", relu=False)
        h = h + x * torch.sigmoid(s)
        outs.append(h)
    h = conv(torch.cat(outs, 1), "mfa.conv")
    mu = h.mean(2, keepdim=True)
    sigma = (h - mu).pow(2).mean(2, keepdim=True).clamp(min=1e-12).sqrt()
    a = torch.softmax(
        conv(torch.tanh(conv(torch.cat([h, mu.expand_as(h), sigma.expand_as(h)], 1), "asp.tdnn.conv")), "asp.conv", relu=False),
        dim=2,
    )
    m = (a * h).sum(2, keepdim=True)
    s = (a * (h - m).pow(2)).sum(2, keepdim=True).clamp(min=1e-12).sqrt()
    return conv(torch.cat([m, s], 1), "fc", relu=False).squeeze(-1)


# ---- (1) speaker encoder --------------------------------------------------------------------------


def test_full_size_layout_matches_the_checkpoint_table():
    sd = spk.SpeakerEncoder(FULL).state_dict()
    want = {
        f"{n}.{s}": (shape if s == "weight" else shape[:1]) for n, shape in spec_shapes(FULL).items() for s in ("weight", "bias")
    }
    assert {k: tuple(v.shape) for k, v in sd.items()} == want
    assert len(sd) == 76 and sum(v.numel() for v in sd.values()) == 12_001_088


def test_tiny_encoder_embeds_real_clips(tmp_path):
    from safetensors.torch import load_file

    enc = spk.SpeakerEncoder.from_pretrained(str(tiny_ecapa(tmp_path / "ecapa")))
    a, b = load_audio(CLIP_A), load_audio(CLIP_B)
    ea, eb = enc.embed(a.samples, a.sample_rate), enc.embed(b.samples, b.sample_rate)
    assert ea.shape == eb.shape == (32,) and ea.dtype == np.float32
    assert np.all(np.isfinite(ea)) and np.all(np.isfinite(eb))
    assert np.abs(ea - eb).max() > 1e-3  # different speakers/clips give different vectors
    ea[:] = 0  # the cache hands out copies
    again = spk.SpeakerEncoder.from_pretrained(str(tmp_path / "ecapa"))
    np.testing.assert_array_equal(enc.embed(a.samples, a.sample_rate), again.embed(a.samples, a.sample_rate))
    assert len(enc._cache) == 2

    feats = enc.features(a.samples, a.sample_rate)
    assert feats.shape == (1, len(resample(a.samples, a.sample_rate, 24000)) // 256, 128)
    ref = reference_forward(load_file(str(tmp_path / "ecapa" / "model.safetensors")), feats, scale=4)
    torch.testing.assert_close(enc(feats), ref, rtol=1e-4, atol=1e-5)

    stereo = np.stack([a.samples, a.samples], axis=1)  # channels are averaged, as the server does
    np.testing.assert_allclose(enc.embed(stereo, a.sample_rate), enc.embed(a.samples, a.sample_rate), atol=1e-6)
    pcm = np.round(np.clip(a.samples, -1, 1) * 32767).astype(np.int16)
    np.testing.assert_array_equal(enc.embed(pcm, a.sample_rate), enc.embed(pcm / 32768.0, a.sample_rate))
    fp = enc.fingerprint()
    assert fp["weights"] and fp["config"]["enc_dim"] == 32 and fp["frontend"]["mel"] == "slaney/slaney"
    with pytest.raises(ValueError, match="too short"):
        enc.embed(np.zeros(1000, np.float32), 24000)


@pytest.mark.parametrize("clip", ["libri2412_0000.flac", "lj002_0020.flac", "cv_651325.flac"])  # 16, 22.05, 48 kHz
def test_front_end_resamples_as_torchaudio(tmp_path, clip):
    """The official front end resamples with torchaudio; ours must give the same log-mel input,
    checked against torchaudio 2.11's own resample (reference wheel) on real prompts."""
    from tests.fakes.reference_wheels import reference_torchaudio

    a = load_audio(AUDIO / clip)
    enc = spk.SpeakerEncoder(TINY)
    with reference_torchaudio(tmp_path / "ta") as ta:
        x24 = ta.functional.resample(torch.from_numpy(spk.quantize_s16(a.samples)), a.sample_rate, 24000)
    assert torch.equal(enc.features(a.samples, a.sample_rate), spk.log_mel(x24.numpy()))
    assert enc.fingerprint()["resampler"]["matches"] == "torchaudio 2.11 functional.resample"


def test_load_errors_name_every_bad_tensor(tmp_path):
    bad = tiny_ecapa(tmp_path / "bad", drop="blocks.2.res2net_block.blocks.1.conv.bias", reshape="asp.conv.weight")
    with pytest.raises(spk.SpeakerEncoderLoadError) as err:
        spk.SpeakerEncoder.from_pretrained(str(bad))
    msg = str(err.value)
    assert "missing: blocks.2.res2net_block.blocks.1.conv.bias" in msg
    assert "wrong shape: asp.conv.weight [3, 3, 3] (config wants [48, 8, 1])" in msg and "\n" not in msg


def test_absent_encoder_is_one_line(tmp_path, monkeypatch):
    with pytest.raises(WeightsMissingError, match="speaker_encoder=DIR"):
        spk.SpeakerEncoder.from_pretrained(str(tmp_path / "nowhere"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    with pytest.raises(WeightsMissingError) as err:
        spk.SpeakerEncoder.from_pretrained(spk.HUB_ID)
    assert spk.HUB_ID in str(err.value) and "speaker_encoder=DIR" in str(err.value) and "\n" not in str(err.value)


# ---- (2) mel front end ----------------------------------------------------------------------------


def test_slaney_front_end_matches_librosa():
    librosa = pytest.importorskip("librosa")
    ref_fb = librosa.filters.mel(sr=24000, n_fft=1024, n_mels=128, fmin=0, fmax=12000, htk=False, norm="slaney")
    fb = spk.slaney_mel_filterbank()
    assert fb.shape == (128, 513)
    np.testing.assert_allclose(fb, ref_fb, rtol=1e-5, atol=1e-8)
    htk = librosa.filters.mel(sr=24000, n_fft=1024, n_mels=128, fmin=0, fmax=12000, htk=True, norm="slaney")
    assert np.abs(fb - htk).max() > 1e-3  # the test can tell the scales apart

    wave = load_audio(CLIP_B, 24000).samples
    padded = np.pad(wave.astype(np.float64), 384, mode="reflect")
    mag = np.abs(librosa.stft(padded, n_fft=1024, hop_length=256, win_length=1024, window="hann", center=False))
    want = np.log(np.maximum(ref_fb.astype(np.float64) @ mag, 1e-5)).T
    got = spk.log_mel(wave)[0].numpy()
    assert got.shape == want.shape == (len(wave) // 256, 128)
    np.testing.assert_allclose(got, want, atol=2e-3)
    assert np.median(np.abs(got - want)) < 1e-5


# ---- (3) DAC codec --------------------------------------------------------------------------------


def test_dac_codec_round_trip_and_silence(tmp_path):
    from model_adapters.zonos2.codec import CodecConfigError, DacCodec

    codec = DacCodec.from_pretrained(str(tiny_dac(tmp_path / "dac")))
    codes = np.random.default_rng(0).integers(0, 1024, size=(9, 6))
    audio = codec.decode(codes)
    assert audio.dtype == np.float32 and audio.shape == (6 * 512,) and np.all(np.isfinite(audio))
    over = codes.copy()
    over[:, 2] = 1025  # special ids above the codebook clamp to 1023
    clamped = codes.copy()
    clamped[:, 2] = 1023
    np.testing.assert_array_equal(codec.decode(over), codec.decode(clamped))
    with pytest.raises(ValueError, match=r"\[9, frames\]"):
        codec.decode(codes[:8])

    clip = load_audio(CLIP_A)
    enc = codec.encode(clip.samples, clip.sample_rate)
    n44 = len(resample(clip.samples, clip.sample_rate, 44100))
    assert enc.shape == (9, -(-n44 // 512)) and enc.min() >= 0 and enc.max() <= 1023

    sil = codec.silence_codes()
    assert sil.shape == (9, 17) and sil.min() >= 0 and sil.max() <= 1023
    np.testing.assert_array_equal(sil, DacCodec.from_pretrained(str(tmp_path / "dac")).silence_codes(17))
    np.testing.assert_array_equal(sil, codec.encode(np.zeros(17 * 512, np.float32), 44100))
    fp = codec.fingerprint()
    assert fp["codec"] == "transformers.DacModel" and fp["silence"]["source"].startswith("computed")

    official = np.arange(9 * 17).reshape(9, 17) % 1024
    np.save(tmp_path / "silence.npy", official)
    forced = DacCodec.from_pretrained(str(tmp_path / "dac"), silence_codes=tmp_path / "silence.npy")
    np.testing.assert_array_equal(forced.silence_codes(17), official)
    assert forced.fingerprint()["silence"]["source"] == "override"
    with pytest.raises(ValueError, match="17 frames"):
        forced.silence_codes(10)
    np.save(tmp_path / "bad.npy", official[:4])
    with pytest.raises(ValueError, match="silence_codes="):
        DacCodec.from_pretrained(str(tmp_path / "dac"), silence_codes=tmp_path / "bad.npy")

    with pytest.raises(CodecConfigError, match="24000 Hz"):
        DacCodec.from_pretrained(
            str(tiny_dac(tmp_path / "dac24", downsampling_ratios=[2, 4, 5, 8], sampling_rate=24000, n_codebooks=9))
        )
    with pytest.raises(WeightsMissingError, match="descript/dac_44khz"):
        DacCodec.from_pretrained(str(tmp_path / "missing"))


# ---- (4) text normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", [*textnorm.LOCALES, "xx", ""])
def test_textnorm_without_nemo_returns_text(lang):
    if textnorm.available():
        pytest.skip("NeMo is installed here")
    for text in ("It costs $5, in 2024.", "", "  "):
        assert textnorm.normalize_text(text, lang) == (text, False)


def test_textnorm_with_a_stand_in_nemo(tmp_path, monkeypatch):
    calls = []

    class Normalizer:
        def __init__(self, input_case, lang, cache_dir, overwrite_cache):
            if lang == "it":
                raise RuntimeError("grammar failed to compile")
            self.lang = lang
            calls.append(("init", lang))

        def normalize(self, text, punct_post_process=False):
            calls.append((self.lang, text, punct_post_process))
            if "boom" in text:
                raise ValueError("bad input")
            return text.replace("2024", "twenty twenty-four").replace("5", "five")

    mods = {
        name: types.ModuleType(name)
        for name in (
            "pynini",
            "sacremoses",
            "nemo_text_processing",
            "nemo_text_processing.text_normalization",
            "nemo_text_processing.text_normalization.normalize",
        )
    }
    mods["nemo_text_processing.text_normalization.normalize"].Normalizer = Normalizer
    for name, mod in mods.items():
        monkeypatch.setitem(sys.modules, name, mod)
    monkeypatch.setattr(textnorm, "_NORMALIZERS", {})
    monkeypatch.setenv("ZTTS_EVAL_TEXTNORM_CACHE", str(tmp_path))
    textnorm.available.cache_clear()
    textnorm._has_sacremoses.cache_clear()
    try:
        got = textnorm.normalize_text("It was 2024. Then 3.5!", "en_us")
        assert got == ("It was twenty twenty-four. Then 3.five!", True)
        assert calls[-1] == ("en", "It was 2024 . Then 3.5 !", True)  # digit-punct spacing, Moses for en
        assert textnorm.normalize_text("Il a 5 ans", "fr_fr") == ("Il a five ans", True)
        assert calls[-1] == ("fr", "Il a 5 ans", False)
        textnorm.normalize_text("ABC 5", "ko")
        assert calls[-1] == ("ko", "abc 5", True)
        assert textnorm.normalize_text("价格是5。", "cmn") == ("价格是five。", True)
        assert textnorm.normalize_text("boom 5", "de") == ("boom 5", False)
        assert textnorm.normalize_text("Ho 5 anni", "it") == ("Ho 5 anni", False)
        textnorm.normalize_text("Ho 6 anni", "it")
        assert sum(c[0] == "init" for c in calls) == 5 and "compile" in textnorm.last_error("it")
        monkeypatch.setenv("ZONOS2_TTS_NORM", "0")
        assert textnorm.normalize_text("It was 2024.", "en_us") == ("It was 2024.", False)
    finally:
        textnorm.available.cache_clear()
        textnorm._has_sacremoses.cache_clear()
