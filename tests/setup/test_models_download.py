"""`models download` against a loopback hub, then `doctor` and a ztts1 run offline from the folder.

The loopback server (tests/fakes/loopback_hub.py) serves the tests' tiny checkpoints of the real
architectures in the hub's HTTP layout (HF_ENDPOINT) and GitHub's zipball/release layout
(ZTTS_EVAL_GITHUB_ENDPOINT). After the download the server is stopped, HF_HUB_OFFLINE is set and
the HF and torch.hub caches point at empty folders: only the models folder can answer.
"""

from __future__ import annotations

import io
import json
import tarfile

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("huggingface_hub")

from tests.fakes.cli import DEMO, run_cli
from tests.fakes.loopback_hub import LoopbackHub
from ztts_eval.hashing import sha256_file
from ztts_eval.metrics.quality.utmos22 import REPO as SPEECHMOS
from ztts_eval.metrics.quality.utmos22 import WEIGHTS_URL as SPEECHMOS_WEIGHTS
from ztts_eval.metrics.sim.sim_redimnet import REPO as REDIMNET
from ztts_eval.metrics.sim.sim_redimnet import WEIGHTS_URL as REDIMNET_WEIGHTS
from ztts_eval.metrics.sim.sim_wavlm import FILENAME as WAVLM_FILE
from ztts_eval.metrics.sim.sim_wavlm import MIRROR as WAVLM_MIRROR
from ztts_eval.metrics.ttsds.allosaurus_rate import MODEL_URL as ALLOSAURUS_URL

KMEANS = f"dswed.kmeans=fit:{DEMO / 'audio'}"  # the one piece with no public download: a seeded fit


def wavlm_digest(tiny) -> str:
    """The tiny stand-in is not the pinned release file: its digest is accepted explicitly."""
    return "sim_wavlm.sha256=" + sha256_file(tiny["hf"][WAVLM_MIRROR] / WAVLM_FILE)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from tests.fakes.standins import make_redimnet, make_speechmos, make_tiny_allosaurus, make_tiny_hubert, make_tiny_mpm
    from tests.fakes.tiny_qwen3_asr import make_tiny_qwen3_asr
    from tests.fakes.tiny_unispeech_sv import write_checkpoint

    root = tmp_path_factory.mktemp("tiny")
    write_checkpoint(root / "wavlm" / WAVLM_FILE)  # the mirror repo holds the seed-tts-eval file as is
    redimnet_code, redimnet_weights = make_redimnet(root / "redimnet")
    speechmos_code, speechmos_weights = make_speechmos(root / "speechmos")
    allosaurus = make_tiny_allosaurus(root / "allosaurus" / "latest")
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w:gz") as tf:
        tf.add(allosaurus, arcname="latest")  # as the release's latest.tar.gz extracts: latest/<files>
    return {
        "hf": {
            "Qwen/Qwen3-ASR-1.7B": make_tiny_qwen3_asr(root / "qwen3-asr"),
            "facebook/hubert-base-ls960": make_tiny_hubert(root / "hubert"),
            "cdminix/masked_prosody_model": make_tiny_mpm(root / "mpm"),
            WAVLM_MIRROR: root / "wavlm",
        },
        "code": {REDIMNET: redimnet_code, SPEECHMOS: speechmos_code},
        "files": {
            REDIMNET_WEIGHTS.format(name="b6-vox2-ft_lm.pt"): redimnet_weights.read_bytes(),
            SPEECHMOS_WEIGHTS: speechmos_weights.read_bytes(),
            ALLOSAURUS_URL: tar.getvalue(),
        },
    }


@pytest.fixture(scope="module")
def offline_env(tmp_path_factory):
    empty = tmp_path_factory.mktemp("empty-caches")
    return {
        "HF_HOME": str(empty / "hf"),
        "HF_HUB_CACHE": str(empty / "hf" / "hub"),
        "TORCH_HOME": str(empty / "torch"),
        "HF_HUB_OFFLINE": "1",
        "ZTTS_EVAL_OFFLINE": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


@pytest.fixture(scope="module")
def models(tiny, offline_env, tmp_path_factory):
    """Download everything ztts1 needs from the loopback hub; return (folder, hub commits, requests)."""
    dest = tmp_path_factory.mktemp("models")
    with LoopbackHub() as hub:
        commits = {repo: hub.add_repo(repo, folder) for repo, folder in tiny["hf"].items()}
        for repo, folder in tiny["code"].items():
            hub.add_github_code(repo.owner_repo, repo.ref, folder)
        for url, data in tiny["files"].items():
            hub.add_github_file(url, data)
        env = {**offline_env, "HF_HUB_OFFLINE": "0", "ZTTS_EVAL_OFFLINE": "0", "HF_ENDPOINT": hub.url}
        env["ZTTS_EVAL_GITHUB_ENDPOINT"] = hub.url
        args = ("models", "download", "--profile", "ztts1", "--metric-param", KMEANS, "--dest", str(dest))
        first = run_cli(*args, env=env)
        again = run_cli(*args, env=env)  # everything held: nothing fetched twice
        requests = list(hub.requests)
    return dest, commits, requests, first, again


def test_download_fills_the_folder_and_locks_every_file(models, tiny):
    dest, commits, requests, first, again = models
    assert first.stdout.count("fetched") == 9 and "FAILED" not in first.stdout
    assert again.stdout.count("have") == 9 and "fetched" not in again.stdout
    lock = json.loads((dest / "ztts-models.lock.json").read_text())["pieces"]
    assert set(lock) == {
        "hf:Qwen/Qwen3-ASR-1.7B",
        "hf:facebook/hubert-base-ls960",
        "hf:cdminix/masked_prosody_model",
        f"hf:{WAVLM_MIRROR}",
        "torch_hub:IDRnD/ReDimNet",
        "torch_hub:tarepan/SpeechMOS",
        f"file:{REDIMNET_WEIGHTS.format(name='b6-vox2-ft_lm.pt')}",
        f"file:{SPEECHMOS_WEIGHTS}",
        "archive:allosaurus",
    }
    for repo, commit in commits.items():  # unpinned on the command line: the lock records what was got
        entry = lock[f"hf:{repo}"]
        assert entry["revision"] == commit and entry["requested"] is None
        assert set(entry["files"]) == {str(p.relative_to(tiny["hf"][repo])) for p in tiny["hf"][repo].rglob("*") if p.is_file()}
    for entry in lock.values():  # every recorded checksum is the file on disk
        for rel, sha in entry["files"].items():
            path = dest / entry["path"] / rel if entry["kind"] != "file" else dest / entry["path"]
            assert sha256_file(path) == sha, (entry["path"], rel)
    assert lock["torch_hub:IDRnD/ReDimNet"]["revision"] == REDIMNET.ref
    assert (dest / "torch_hub" / f"IDRnD_ReDimNet_{REDIMNET.ref}" / "hubconf.py").is_file()
    assert (dest / "archives" / "allosaurus" / "latest" / "model.pt").is_file()
    assert f"GET /IDRnD/ReDimNet/zipball/{REDIMNET.ref}" in requests
    assert "not downloadable" not in first.stderr  # the k-means is fitted, so nothing is left


def test_doctor_lists_every_missing_piece_at_once_then_passes_offline_from_the_folder(models, offline_env):
    dest = models[0]
    before = run_cli("doctor", "--profile", "ztts1", "--model", "zonos2", check=False, env=offline_env)
    assert before.returncode == 1
    missing = [l.split()[1:3] for l in before.stdout.splitlines() if l.startswith("MISSING")]
    assert ["hf", "Zyphra/ZONOS2"] in missing and ["hf", "Qwen/Qwen3-ASR-1.7B"] in missing
    assert ["torch_hub", "IDRnD/ReDimNet@c994fce84d59"] in missing and ["archive", ALLOSAURUS_URL] in missing
    assert ["supplied", "--metric-param"] in missing  # the DS-WED k-means, named with its parameter
    assert ["hf", WAVLM_MIRROR] in missing  # the seed-compatible similarity column of ztts1
    assert len(missing) == 13 and "13 of 25 piece(s) missing" in before.stderr
    after = run_cli("doctor", "--profile", "ztts1", "--metric-param", KMEANS, "--models", str(dest), check=False, env=offline_env)
    assert after.returncode == 0, after.stdout
    assert "MISSING" not in after.stdout and f"{dest}/hf/Qwen/Qwen3-ASR-1.7B (models folder" in after.stdout


@pytest.mark.slow
def test_ztts1_run_needs_no_network_with_the_models_folder(models, offline_env, tmp_path, tiny):
    dest, commits = models[0], models[1]
    out = tmp_path / "results"
    proc = run_cli("run", "--profile", "ztts1", "--model", "test-tone", "--suite", "demo", "--limit", "2",
                   "--metric-param", KMEANS, "--metric-param", wavlm_digest(tiny), "--models", str(dest),
                   "--results", str(out), "--no-report",
                   check=False, env=offline_env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "demo" / "test-tone" / "ztts1" / "summary.json").read_text())
    assert [m["name"] for m in summary["metrics"]] == ["wer", "sim", "utmos22", "ttsds_prosody", "dswed", "sim_wavlm"]
    en = next(g for g in summary["groups"] if g["language"] == "en")
    assert en["columns"]["wer"]["n"] == en["columns"]["sim"]["n"] == 2  # one English item × seeds 0, 1 (DS-WED)
    meta = json.loads((out / "demo" / "test-tone" / "ztts1" / "run.json").read_text())
    assert commits["Qwen/Qwen3-ASR-1.7B"] in json.dumps(meta["metrics"]["wer"])  # the locked commit is the identity
