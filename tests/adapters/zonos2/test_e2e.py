"""ZONOS2 end to end on CPU: a tiny random model saved as params.json + model.pth → our engine
generates with a fixed seed → deterministic codes → a tiny random DAC decodes them → finite audio
of exactly frames × 512 samples; and a run through the harness."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model_adapters.base import AdapterError, SynthesisRequest
from tests.fakes.cli import DEMO, read_jsonl, run_cli
from tests.fakes.standins import make_tiny_zonos2

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    return make_tiny_zonos2(tmp_path_factory.mktemp("zonos2"))


def adapter(dirs, **params):
    from model_adapters.zonos2.adapter import Zonos2Adapter

    a = Zonos2Adapter(**{k: str(v) for k, v in dirs.items()}, device="cpu", max_frames=48, **params)
    a.load()
    return a


def reqs():
    return [
        SynthesisRequest("a", "Hello there.", "en", DEMO / "audio" / "lj002_0020.flac", seed=1),
        SynthesisRequest("b", "Bonjour à tous.", "fr", DEMO / "audio" / "libri2412_0000.flac", seed=2),
    ]


def test_generate_and_decode_deterministically(dirs):
    first = adapter(dirs).synthesize(reqs())
    again = adapter(dirs).synthesize(reqs())
    for r, s in zip(first, again):
        assert r.ok, r.diagnostics.error
        assert r.sample_rate == 44100 and r.waveform.dtype == np.float32 and np.all(np.isfinite(r.waveform))
        frames = r.diagnostics.extra["eos_frame"] if r.diagnostics.eos_reached else r.waveform.size // 512
        assert r.waveform.size == frames * 512  # DAC hop: exactly 512 samples per frame
        assert np.array_equal(r.waveform, s.waveform)  # per-request seeded sampling
        assert r.diagnostics.extra["frames"] <= 48 + 9  # max_frames (+ the EOS countdown)
    assert not np.array_equal(first[0].waveform[:1000], first[1].waveform[:1000])


def test_batch_composition_does_not_change_a_request(dirs):
    alone = adapter(dirs).synthesize(reqs()[:1])[0]
    together = adapter(dirs).synthesize(reqs())[0]
    assert np.array_equal(alone.waveform, together.waveform)


def test_missing_weights_are_one_line(dirs, tmp_path):
    from model_adapters.zonos2.adapter import Zonos2Adapter

    with pytest.raises(AdapterError) as err:
        Zonos2Adapter(
            model=str(tmp_path / "nope"), speaker_encoder=str(dirs["speaker_encoder"]), codec=str(dirs["codec"]), device="cpu"
        ).load()
    assert "\n" not in str(err.value) and "model=" in str(err.value)


def test_run_zonos2_through_the_harness(dirs, tmp_path):
    params = [x for k, v in dirs.items() for x in ("--param", f"{k}={v}")]
    run_cli(
        "run",
        "--model",
        "zonos2",
        "--suite",
        "demo",
        "--results",
        str(tmp_path),
        "--metrics",
        "f0_pyworld",
        "--no-report",
        "--param",
        "device=cpu",
        "--param",
        "max_frames=40",
        *params,
    )
    rows = read_jsonl(tmp_path / "demo" / "zonos2" / "lite" / "samples.jsonl")
    assert len(rows) == 14 and all(r["status"] in ("ok", "failed") for r in rows)
    assert sum(r["status"] == "ok" for r in rows) >= 10
    meta = json.loads((tmp_path / "demo" / "zonos2" / "lite" / "run.json").read_text())
    assert meta["adapter"]["fingerprint"]["params"]["max_frames"] in (40, "40")
