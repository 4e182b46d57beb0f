"""ReDimNet SIM, UTMOS22 and MSR-UTMOS: real loading code against local stand-ins of the same
interface and file formats (hub weights are unreachable here), plus the numerical contracts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.cli import DEMO, read_jsonl, run_cli
from tests.fakes.reference_wheels import reference_torchaudio
from tests.fakes.standins import make_msr_utmos, make_redimnet, make_speechmos
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.base import NOT_COVERED, MetricSetupError, ScoreInput

AUDIO = DEMO / "audio"


def inp(path: Path, prompt: Path | None = None, key: str = "k") -> ScoreInput:
    return ScoreInput(key, key, 0, "en", "t", "text", path, sha256_file(path), prompt, sha256_file(prompt) if prompt else None)


@pytest.fixture(scope="module")
def redimnet(tmp_path_factory):
    return make_redimnet(tmp_path_factory.mktemp("redimnet"))


@pytest.fixture(scope="module")
def sim(redimnet):
    from ztts_eval.metrics.sim.sim_redimnet import ReDimNetSim

    hub, weights = redimnet
    m = ReDimNetSim(hub_dir=str(hub), weights=str(weights))
    m.preflight()
    m.setup()
    return m


def test_torchaudio_standin_equals_torchaudio(tmp_path):
    """The stand-in front end is bit-for-bit torchaudio 2.11's MelSpectrogram (its Python code, with
    the CUDA-linked .so files removed; `make test` downloads that 1.7 MB wheel, no dependencies)."""
    import torch

    kwargs = dict(
        sample_rate=16000,
        n_fft=512,
        win_length=400,
        hop_length=160,
        f_min=20,
        f_max=7600,
        n_mels=72,
        window_fn=torch.hamming_window,
    )
    with reference_torchaudio(tmp_path) as ta:
        ref = ta.transforms.MelSpectrogram(**kwargs)
    from ztts_eval.metrics.common.torchaudio_compat import _make_module

    ours = _make_module()["torchaudio.transforms"].MelSpectrogram(**kwargs)
    x = torch.randn(3, 16000 + 123)
    assert torch.equal(ref(x), ours(x))
    assert sorted(ref.state_dict()) == sorted(ours.state_dict()) == ["mel_scale.fb", "spectrogram.window"]


def test_sim_same_audio_is_100_and_speakers_differ(sim):
    a, b = AUDIO / "libri2412_0000.flac", AUDIO / "lj002_0020.flac"
    same, other = sim.score_batch([inp(a, prompt=a), inp(b, prompt=a, key="k2")])
    assert same["sim"] == pytest.approx(100.0, abs=1e-3)
    assert other["sim"] < 99.0
    (gt,) = sim.score_batch([inp(b, prompt=None)])
    assert gt["status"] == NOT_COVERED  # clean-set ground truth: no same-speaker prompt


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 24000, 44100, 48000])
def test_sim_resamples_every_rate(sim, tmp_path, rate):
    from ztts_eval.audio import load_audio, resample

    src = load_audio(AUDIO / "lj002_0035.flac")
    path = tmp_path / f"x{rate}.wav"
    sf.write(path, resample(src.samples, src.sample_rate, rate), rate)
    (row,) = sim.score_batch([inp(path, prompt=AUDIO / "lj002_0020.flac", key=f"r{rate}")])
    assert np.isfinite(row["sim"]) and -100 <= row["sim"] <= 100


def test_sim_stereo_and_very_short_clips(sim, tmp_path):
    x = sf.read(AUDIO / "lj002_0020.flac")[0]
    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.stack([x, x], axis=1), 22050)
    tiny = tmp_path / "tiny.wav"
    sf.write(tiny, x[:200], 22050)  # 9 ms
    a, b = sim.score_batch([inp(stereo, prompt=AUDIO / "lj002_0020.flac", key="s"), inp(tiny, prompt=stereo, key="t")])
    assert a["sim"] == pytest.approx(100.0, abs=0.05)  # mono mix of identical channels = the original
    assert np.isfinite(b["sim"])


def test_sim_fingerprint_and_strict_checkpoint(redimnet, tmp_path):
    import torch

    from ztts_eval.metrics.sim.sim_redimnet import ReDimNetSim

    hub, weights = redimnet
    metric = ReDimNetSim(hub_dir=str(hub), weights=str(weights))
    with pytest.raises(MetricSetupError, match="preflight"):
        metric.fingerprint()  # a fingerprint reads what preflight located; it never locates or loads
    metric.preflight()
    fp = metric.fingerprint()
    assert fp["repo"].startswith("IDRnD/ReDimNet:") and fp["frontend"] and len(fp["weights"]) == 64
    ckpt = torch.load(weights, weights_only=True)
    del ckpt["state_dict"]["spec.torchfbank.2.mel_scale.fb"]
    broken = tmp_path / "broken.pt"
    torch.save(ckpt, broken)
    m = ReDimNetSim(hub_dir=str(hub), weights=str(broken))
    with pytest.raises(RuntimeError, match="mel_scale.fb"):
        m.setup()


def test_sim_missing_weights_and_untrusted_code_are_one_line_errors(tmp_path, monkeypatch):
    from ztts_eval.metrics.sim.sim_redimnet import ReDimNetSim

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("ZTTS_EVAL_OFFLINE", "1")
    with pytest.raises(MetricSetupError) as err:
        ReDimNetSim().preflight()
    assert "\n" not in str(err.value) and "sim.hub_dir" in str(err.value)
    monkeypatch.delenv("ZTTS_EVAL_OFFLINE")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(MetricSetupError, match="sim.trust_repo=true"):
        ReDimNetSim().preflight()  # never runs GitHub code without an explicit opt-in


@pytest.fixture(scope="module")
def utmos22(tmp_path_factory):
    from ztts_eval.metrics.quality.utmos22 import Utmos22

    hub, weights = make_speechmos(tmp_path_factory.mktemp("speechmos"))
    m = Utmos22(hub_dir=str(hub), weights=str(weights))
    m.setup()
    return m


def test_utmos22_deterministic_and_named(utmos22):
    a = utmos22.score_batch([inp(AUDIO / "libri2412_0000.flac")])[0]
    b = utmos22.score_batch([inp(AUDIO / "libri2412_0000.flac")])[0]
    assert a == b and np.isfinite(a["utmos22"]) and a["input_sr"] == 16000
    assert "UTMOS22" in utmos22.info.scorer and "MSR" not in utmos22.info.scorer


@pytest.fixture(scope="module")
def msr(tmp_path_factory):
    from ztts_eval.metrics.quality.msr_utmos import MsrUtmos

    ckpt, ssl = make_msr_utmos(tmp_path_factory.mktemp("msr"))
    m = MsrUtmos(checkpoint=str(ckpt), ssl_config=str(ssl))
    m.preflight()
    m.setup()
    return m


def test_msr_utmos_rescaling_and_listener_average(msr, tmp_path):
    """The input is resampled as the authors' demo does: torchaudio's own resample (from the
    reference wheel) 22.05 → 24 → 16 kHz gives the waveform we check the MOS against."""
    import torch

    from ztts_eval.audio import load_audio
    from ztts_eval.metrics.quality.msr_utmos_model import zero_mean_unit_var

    audio = load_audio(AUDIO / "lj002_0020.flac")  # 22.05 kHz
    mos, rate, feed = msr.mos(audio.samples, audio.sample_rate)
    assert (rate, feed) == (24000, 16000)
    with reference_torchaudio(tmp_path) as ta:
        x = ta.functional.resample(ta.functional.resample(torch.from_numpy(np.array(audio.samples)), 22050, 24000), 24000, 16000)
    wave = zero_mean_unit_var(x[None])
    with torch.no_grad():
        outs = [float(msr._model(wave, torch.tensor([i]), torch.tensor([1]))) for i in range(1, 11)]
    assert mos == pytest.approx(3 + 2 * np.mean(outs), abs=1e-5)
    assert 1.0 < mos < 5.0


@pytest.mark.parametrize(
    "rate,expected", [(8000, 16000), (16000, 16000), (22050, 24000), (24000, 24000), (44100, 48000), (48000, 48000)]
)
def test_msr_utmos_only_feeds_allowed_rates(msr, rate, expected, tmp_path):
    path = tmp_path / f"{rate}.wav"
    t = np.arange(rate) / rate
    sf.write(path, 0.3 * np.sin(2 * np.pi * 220 * t), rate)
    (row,) = msr.score_batch([inp(path, key=str(rate))])
    assert row["input_sr"] == rate and row["model_sr"] == expected and np.isfinite(row["utmos"])
    assert msr.score_batch([inp(path, key=str(rate))])[0]["utmos"] == row["utmos"]  # deterministic


def test_msr_utmos_configuration_errors(tmp_path):
    from ztts_eval.metrics.quality.msr_utmos import MsrUtmos

    with pytest.raises(MetricSetupError, match="utmos.checkpoint"):
        MsrUtmos().preflight()
    ckpt, ssl = make_msr_utmos(tmp_path)
    cfg = ssl / "config.json"
    cfg.write_text(cfg.read_text().replace('"model_type"', '"auto_map": {"AutoModel": "x.Y"}, "model_type"'))
    m = MsrUtmos(checkpoint=str(ckpt), ssl_config=str(ssl))
    with pytest.raises(MetricSetupError, match="trust_remote_code"):
        m.setup()


@pytest.mark.slow
def test_ztts1_profile_fills_wer_sim_and_quality(tmp_path, redimnet):
    from tests.fakes.tiny_qwen3_asr import make_tiny_qwen3_asr

    asr = make_tiny_qwen3_asr(tmp_path / "asr")
    hub, weights = redimnet
    mos_hub, mos_weights = make_speechmos(tmp_path / "mos")
    common = [
        "--profile",
        "ztts1",
        "--metrics",
        "wer,sim,quality",
        "--suite",
        "demo",
        "--results",
        str(tmp_path / "r"),
        "--no-report",
        "--metric-param",
        f"wer.model={asr}",
        "--metric-param",
        "wer.max_new_tokens=4",
        "--metric-param",
        f"sim.hub_dir={hub}",
        "--metric-param",
        f"sim.weights={weights}",
    ]
    run_cli(
        "run",
        "--model",
        "ground-truth",
        *common,
        "--metric-param",
        f"utmos22.hub_dir={mos_hub}",
        "--metric-param",
        f"utmos22.weights={mos_weights}",
    )
    rows = {r["item_id"]: r for r in read_jsonl(tmp_path / "r" / "demo" / "ground-truth" / "ztts1" / "samples.jsonl")}
    assert rows["demo-en-01"]["scores"]["sim"]["status"] == "ok"  # same-speaker reference: prompt vs recording
    assert set(rows["demo-en-01"]["scores"]) == {"wer", "sim", "utmos22"}
    ckpt, ssl = make_msr_utmos(tmp_path / "msr")
    run_cli(
        "run",
        "--model",
        "espeak-ng",
        *common,
        "--metric-param",
        f"utmos.checkpoint={ckpt}",
        "--metric-param",
        f"utmos.ssl_config={ssl}",
    )
    rows = read_jsonl(tmp_path / "r" / "demo" / "espeak-ng" / "ztts1" / "samples.jsonl")
    assert all(set(r["scores"]) == {"wer", "sim", "utmos"} for r in rows)  # MSR-UTMOS configured: never both


def test_ztts1_without_speaker_weights_stops_before_work(tmp_path):
    from tests.fakes.tiny_qwen3_asr import make_tiny_qwen3_asr

    asr = make_tiny_qwen3_asr(tmp_path / "asr")
    proc = run_cli(
        "run",
        "--profile",
        "ztts1",
        "--model",
        "espeak-ng",
        "--suite",
        "demo",
        "--results",
        str(tmp_path / "r"),
        "--metric-param",
        f"wer.model={asr}",
        check=False,
        env={"ZTTS_EVAL_OFFLINE": "1", "TORCH_HOME": str(tmp_path / "torch")},
    )
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    # every missing piece in one answer (header + one line each), the speaker model among them
    assert proc.returncode == 2 and "missing piece(s), nothing was run" in lines[0]
    sim = [l for l in lines[1:] if l.strip().startswith("metric sim:")]  # its code and its weights
    assert len(sim) == 2 and all("ReDimNet" in l for l in sim) and "Traceback" not in proc.stderr
    assert not (tmp_path / "r" / "demo").exists()


@pytest.mark.real_weights
def test_real_redimnet_and_utmos22_from_the_torch_hub_cache():
    """Runs where the real files are cached (TORCH_HOME/hub/checkpoints and the pinned repos)."""
    from ztts_eval.metrics.quality.utmos22 import Utmos22
    from ztts_eval.metrics.sim.sim_redimnet import ReDimNetSim

    sim_metric, mos = ReDimNetSim(), Utmos22()
    sim_metric.setup()
    mos.setup()
    a, b = AUDIO / "libri2412_0000.flac", AUDIO / "libri2412_0001.flac"
    c = AUDIO / "lj002_0020.flac"
    same, diff = sim_metric.score_batch([inp(b, prompt=a), inp(c, prompt=a, key="d")])
    assert same["sim"] > diff["sim"] + 20
    assert 2.5 < mos.score_batch([inp(a)])[0]["utmos22"] < 5.0
