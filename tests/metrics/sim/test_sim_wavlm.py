"""sim_wavlm against a tiny seeded checkpoint in the real `wavlm_large_finetune.pth` layout.

The golden numbers were computed by the upstream code itself — UniSpeech's `ECAPA_TDNN_SMALL`
(seed-tts-eval @ 752f429) over s3prl's WavLM (@ ec8064b) with hooks as s3prl's upstream sets them —
loaded with the state dict of `tests/fakes/tiny_unispeech_sv.py` (seed 0) and fed the two signals
below; our transformers-based rebuild must reproduce them.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.fakes.tiny_unispeech_sv import write_checkpoint
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.base import MetricSetupError, ScoreInput

torch = pytest.importorskip("torch")

UPSTREAM_A = [-2.215988, -1.329985, -0.102224, 7.178286, -0.709786, 1.94128]
UPSTREAM_B = [-2.737953, -1.323871, -0.263666, 6.597108, -1.203348, 2.05833]
UPSTREAM_COS = 0.9749777913093567


def signals():
    t = np.arange(24000) / 24000.0
    a = (0.3 * np.sin(2 * np.pi * 220 * t) * np.exp(-t)).astype(np.float32)[:16000]
    b = (0.2 * np.sin(2 * np.pi * 330 * t + 0.5) + 0.05 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    return a, b


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_checkpoint(tmp_path_factory.mktemp("sv") / "wavlm_large_finetune.pth")


def test_rebuild_matches_upstream_embeddings(checkpoint):
    from ztts_eval.metrics.sim.wavlm_ecapa import load_model

    model = load_model(checkpoint)
    a, b = signals()
    with torch.no_grad():
        ea, eb = model(torch.from_numpy(a)[None]), model(torch.from_numpy(b)[None])
    assert ea.shape == (1, 256)
    np.testing.assert_allclose(ea[0, :6].numpy(), UPSTREAM_A, atol=2e-5)
    np.testing.assert_allclose(eb[0, :6].numpy(), UPSTREAM_B, atol=2e-5)
    assert torch.nn.functional.cosine_similarity(ea, eb).item() == pytest.approx(UPSTREAM_COS, abs=1e-6)


def inputs_for(tmp_path, rate_b: int = 16000):
    a, b = signals()
    sf.write(tmp_path / "gen.wav", a, 16000, subtype="FLOAT")
    sf.write(tmp_path / "prompt.wav", np.stack([b, -b], axis=1), rate_b, subtype="FLOAT")  # stereo: channel 0 is used
    return ScoreInput(
        key="i#0",
        item_id="i",
        seed=0,
        language="en",
        subset="en",
        text="x",
        audio_path=tmp_path / "gen.wav",
        audio_sha256="ga",
        prompt_path=tmp_path / "prompt.wav",
        prompt_sha256=f"pb{rate_b}",
    )


def test_metric_end_to_end_from_a_local_checkpoint(checkpoint, tmp_path):
    from ztts_eval.metrics.sim.sim_wavlm import WavLMSim

    metric = WavLMSim(checkpoint=str(checkpoint), sha256=sha256_file(checkpoint), device="cpu")
    metric.preflight()
    fp = metric.fingerprint()
    assert fp["checkpoint_sha256"] == sha256_file(checkpoint) and "checkpoint" not in fp["params"]
    assert "transforms.Resample" in fp["resampler"]["matches"]
    metric.setup()
    [row] = metric.score_batch([inputs_for(tmp_path)])
    assert row["status"] == "ok"
    assert row["sim_wavlm"] == pytest.approx(100 * UPSTREAM_COS, abs=1e-4)


def test_other_rates_go_through_torchaudios_resampler(checkpoint, tmp_path):
    from ztts_eval.metrics.common.sinc_resample import sinc_resample
    from ztts_eval.metrics.sim.sim_wavlm import WavLMSim

    metric = WavLMSim(checkpoint=str(checkpoint), sha256=sha256_file(checkpoint), device="cpu")
    metric.preflight()
    metric.setup()
    inp = inputs_for(tmp_path, rate_b=24000)
    got = metric.embed(inp.prompt_path, inp.prompt_sha256)
    _, b = signals()
    with torch.no_grad():
        want = metric._model(sinc_resample(torch.from_numpy(b)[None], 24000, 16000, kernel="transform"))[0].numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    with torch.no_grad():  # and it is not the 16 kHz reading of the same samples
        assert np.abs(got - metric._model(torch.from_numpy(b)[None])[0].numpy()).max() > 1e-3


def test_checksum_mismatch_names_the_fix(checkpoint):
    from ztts_eval.metrics.sim.sim_wavlm import PINNED_SHA256, WavLMSim

    with pytest.raises(MetricSetupError) as exc:
        WavLMSim(checkpoint=str(checkpoint)).preflight()
    msg = str(exc.value)
    assert PINNED_SHA256 in msg and f"sim_wavlm.sha256={sha256_file(checkpoint)}" in msg and "\n" not in msg


def test_missing_or_wrong_files_are_one_line_errors(tmp_path, monkeypatch):
    from ztts_eval.metrics.sim.sim_wavlm import WavLMSim

    with pytest.raises(MetricSetupError, match="does not exist.*sim_wavlm.checkpoint="):
        WavLMSim(checkpoint=str(tmp_path / "nope.pth")).preflight()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(MetricSetupError, match="HF_HUB_OFFLINE.*sim_wavlm.checkpoint="):
        WavLMSim(repo="ztts-eval-test/not-cached-anywhere").preflight()
    torch.save({"state_dict": {"w": torch.zeros(1)}}, tmp_path / "other.pth")
    metric = WavLMSim(checkpoint=str(tmp_path / "other.pth"), sha256=sha256_file(tmp_path / "other.pth"), device="cpu")
    metric.preflight()
    with pytest.raises(MetricSetupError, match="no 'model' state dict"):
        metric.setup()


def test_pickled_objects_are_refused_not_executed(tmp_path):
    from ztts_eval.metrics.sim.wavlm_ecapa import CheckpointError, load_model

    torch.save({"model": {"x": torch.zeros(1)}, "args": Exception("arbitrary object")}, tmp_path / "p.pth")
    with pytest.raises(CheckpointError, match="weights_only=True"):
        load_model(tmp_path / "p.pth")


def test_a_key_the_architecture_lacks_is_an_error(tmp_path):
    from tests.fakes.tiny_unispeech_sv import unispeech_sv_state
    from ztts_eval.metrics.sim.wavlm_ecapa import CheckpointError, load_model

    sd = unispeech_sv_state()
    sd["feature_extract.model.encoder.layers.0.self_attn.extra.weight"] = torch.zeros(2)
    torch.save({"model": sd}, tmp_path / "x.pth")
    with pytest.raises(CheckpointError, match="unexpected"):
        load_model(tmp_path / "x.pth")
