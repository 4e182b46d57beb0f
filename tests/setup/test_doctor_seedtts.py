"""`doctor --profile seedtts` lists every piece the seed-compatible stack needs, in one table."""

from __future__ import annotations

from tests.fakes.cli import run_cli


def test_doctor_lists_the_seedtts_pieces_at_once(tmp_path):
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "ZTTS_EVAL_ENVS": str(tmp_path / "envs")}
    proc = run_cli("doctor", "--profile", "seedtts", check=False, env=env)
    assert proc.returncode == 1
    missing = {tuple(l.split()[1:3]) for l in proc.stdout.splitlines() if l.startswith("MISSING")}
    assert missing == {
        ("hf", "openai/whisper-large-v3"),
        ("hf", "funasr/paraformer-zh"),
        ("env", "paraformer-zh"),
        ("hf", "bezzam/wavlm_large_finetune_seed_tts_eval"),
    }
    assert "4 of 10 piece(s) missing" in proc.stderr and "sim_wavlm.checkpoint=FILE" in proc.stdout
    # English-only suites: Chinese judged by nobody, so neither Paraformer piece is asked for
    en = run_cli("doctor", "--profile", "seedtts", "--metric-param", "wer_seedtts.zh=off", check=False, env=env)
    assert "paraformer" not in en.stdout and "2 of" in en.stderr
