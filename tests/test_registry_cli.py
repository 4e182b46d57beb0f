"""Registry and CLI: lazy imports, helpful errors, language table."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fakes.cli import REPO, run_cli
from ztts_eval import registry
from ztts_eval.languages import LANGUAGES, UnknownLanguageError, backend_code, get_language


@pytest.mark.parametrize("argv", [["--help"], ["ls"], ["run", "--help"], ["validate", "demo"]])
def test_cli_never_imports_torch(argv):
    code = (
        "import sys\nfrom ztts_eval.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'resemblyzer', 'librosa') if m in sys.modules]\n"
        "assert not heavy, heavy\nprint('clean')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "clean" in proc.stdout


def test_ls_lists_everything():
    out = run_cli("ls").stdout
    for name in ("espeak-ng", "flite", "ground-truth", "test-tone", "wer_pocketsphinx", "sim_resemblyzer", "dnsmos", "ztts1"):
        assert name in out


def test_unknown_model_suggests_close_names():
    with pytest.raises(registry.RegistryError, match="did you mean espeak-ng"):
        registry.adapter_class("espeak")
    proc = run_cli("run", "--model", "espek-ng", "--suite", "demo", check=False)
    assert proc.returncode == 2 and "did you mean espeak-ng" in proc.stderr


def test_unknown_profile_is_a_clear_error_and_pending_ztts1_metrics_are_listed():
    proc = run_cli("run", "--model", "test-tone", "--suite", "demo", "--profile", "ztts2", check=False)
    assert proc.returncode == 2 and "unknown profile 'ztts2'" in proc.stderr and "lite" in proc.stderr
    listing = run_cli("ls").stdout
    assert "ztts1    wer, sim, utmos (MSR-UTMOS, when configured) or utmos22, ttsds_prosody, dswed, sim_wavlm" in listing
    assert "seedtts  wer_seedtts, sim_wavlm" in listing


def test_lite_and_ztts1_metric_names_never_collide():
    lite_columns = {c.name for n in registry.PROFILES["lite"] for c in registry.metric_class(n).info.columns}
    assert not lite_columns & {"wer", "sim", "utmos", "cer"}
    for n in registry.PROFILES["lite"]:
        assert registry.metric_class(n).info.family == "lite"


def test_seedtts_columns_are_named_apart_from_ztts1_ones():
    """Seed-compatible numbers never take a ZTTS1 column's name (sim_wavlm is never `sim`)."""
    seed = {c.name for n in registry.PROFILES["seedtts"] for c in registry.metric_class(n).info.columns}
    assert seed == {"wer_seedtts", "sim_wavlm"}
    assert "sim_wavlm" in registry.PROFILES["ztts1"] and registry.metric_class("sim_wavlm").info.family == "seedtts"
    assert registry.profile_metrics("seedtts") == ["wer_seedtts", "sim_wavlm"]


def test_language_table():
    assert len(LANGUAGES) == 17
    assert get_language("tl").name == "Filipino"
    assert backend_code("zh", "espeak_ng") == "cmn"
    assert {c for c, l in LANGUAGES.items() if l.unit == "char"} == {"zh", "ja", "ko", "th"}
    with pytest.raises(UnknownLanguageError, match="expected one of"):
        get_language("english")


def test_language_set_parameter():
    from ztts_eval.languages import language_set

    assert language_set("all") == frozenset(LANGUAGES)
    assert language_set("en, de") == {"en", "de"}
    with pytest.raises(UnknownLanguageError):
        language_set("en,english")
    with pytest.raises(UnknownLanguageError):
        language_set(" , ")
