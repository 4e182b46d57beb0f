"""`--model audio`: existing files scored like any adapter's output, every lookup accounted for."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from model_adapters.base import AdapterError, SynthesisRequest
from model_adapters.existing_audio import ExistingAudioAdapter
from tests.fakes.cli import DEMO_MANIFEST, read_jsonl
from ztts_eval.pipeline.runner import RunConfig, run_evaluation


def request(item: str, seed: int = 0, language: str = "en") -> SynthesisRequest:
    return SynthesisRequest(item_id=item, text="Some text.", language=language, prompt_audio=None, seed=seed)


def loaded(**params) -> ExistingAudioAdapter:
    adapter = ExistingAudioAdapter(**params)
    adapter.load()
    return adapter


def test_scores_a_folder_written_by_another_adapter_identically(tmp_path):
    common = {"suite": str(DEMO_MANIFEST), "seeds": [0, 1], "metrics": ["f0_pyworld"]}
    tone = run_evaluation(RunConfig(model="test-tone", results_dir=tmp_path / "r", **common))
    tone_rows = {(r["item_id"], r["seed"]): r for r in read_jsonl(tone.paths.samples)}
    folder = tmp_path / "outputs"
    folder.mkdir()
    for (item, seed), row in tone_rows.items():  # a model's outputs on disk, one file per item and seed
        shutil.copyfile(tmp_path / "r" / row["audio_path"], folder / f"{item}_{seed}.flac")
    params = {"dir": str(folder), "template": "{id}_{seed}.flac", "group": "closed", "cloning": "false"}
    files = run_evaluation(
        RunConfig(
            model="audio", params=params, name="tone-files", results_dir=tmp_path / "r", cache_dir=tmp_path / "c2", **common
        )
    )
    file_rows = {(r["item_id"], r["seed"]): r for r in read_jsonl(files.paths.samples)}
    assert len(file_rows) == len(tone_rows) == 28 and files.stages["score:f0_pyworld"].computed == 28  # fresh cache
    for key, row in tone_rows.items():
        other = file_rows[key]
        assert other["status"] == row["status"] == "ok" and other["audio_sha256"] == row["audio_sha256"]
        assert other["scores"]["f0_pyworld"] == row["scores"]["f0_pyworld"] and other["duration_s"] == row["duration_s"]
    assert [g["columns"] for g in files.summary] == [g["columns"] for g in tone.summary]
    summary = json.loads(files.paths.summary.read_text())
    assert summary["group"] == "closed" and summary["zero_shot_cloning"] is False  # declared, not guessed


def test_missing_unreadable_and_empty_files_are_failed_rows_naming_item_and_path(tmp_path):
    rng = np.random.default_rng(0)
    stereo = (0.1 * rng.standard_normal((4800, 2))).astype(np.float32)
    sf.write(tmp_path / "good.wav", stereo, 48000, subtype="PCM_16")
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really")
    sf.write(tmp_path / "empty.wav", np.zeros(0, dtype=np.float32), 16000, subtype="PCM_16")
    good, missing, broken, empty = loaded(dir=str(tmp_path)).synthesize(
        [request("good"), request("missing"), request("broken"), request("empty")]
    )
    expected, _ = sf.read(tmp_path / "good.wav", dtype="float32")
    assert good.ok and good.sample_rate == 48000 and np.allclose(good.waveform, expected.mean(axis=1))
    assert good.diagnostics.extra["source_channels"] == 2
    for res, word in ((missing, "is missing"), (broken, "is unreadable"), (empty, "is empty")):
        assert res.diagnostics.error_kind == "failed" and res.waveform is None
        assert res.diagnostics.error.startswith(f"item {res.item_id}: {tmp_path / (res.item_id + '.wav')} {word}")


def test_lists_and_key_templates(tmp_path):
    sf.write(tmp_path / "a.wav", np.full(1600, 0.1, dtype=np.float32), 16000)
    sf.write(tmp_path / "b.wav", np.full(3200, 0.2, dtype=np.float32), 16000)
    (tmp_path / "wav.scp").write_text("utt_1 a.wav\nutt_2 b.wav\n", encoding="utf-8")
    scp = loaded(list=str(tmp_path / "wav.scp"), key="{key}", strip=r"seedtts-eval-[a-z_]+-")
    one, two, none = scp.synthesize([request("seedtts-eval-en-utt_1"), request("seedtts-eval-hard_zh-utt_2"), request("x-utt_3")])
    assert (len(one.waveform), len(two.waveform)) == (1600, 3200)
    assert none.diagnostics.error == f"item x-utt_3: no entry 'x-utt_3' in {tmp_path / 'wav.scp'}"
    (tmp_path / "gen.csv").write_text("id,seed,path\nit,0,a.wav\nit,1,b.wav\n", encoding="utf-8")
    csv = loaded(list=str(tmp_path / "gen.csv"))
    s0, s1, s2 = csv.synthesize([request("it", 0), request("it", 1), request("it", 2)])
    assert (len(s0.waveform), len(s1.waveform)) == (1600, 3200) and "no entry" in s2.diagnostics.error
    (tmp_path / "sub").mkdir()
    shutil.copyfile(tmp_path / "a.wav", tmp_path / "sub" / "it.wav")
    by_lang = loaded(dir=str(tmp_path), template="{language}/{id}.wav")
    (res,) = by_lang.synthesize([request("it", language="sub")])
    assert res.ok and len(res.waveform) == 1600
    (escape,) = loaded(dir=str(tmp_path / "sub"), template="../{id}.wav").synthesize([request("a")])
    assert "lies outside --param dir" in escape.diagnostics.error


def test_fingerprint_follows_file_contents_not_the_folder(tmp_path):
    first = tmp_path / "one"
    first.mkdir()
    sf.write(first / "it.wav", np.full(1600, 0.1, dtype=np.float32), 16000)
    shutil.copytree(first, tmp_path / "two")
    a, b = loaded(dir=str(first)).fingerprint(), loaded(dir=str(tmp_path / "two")).fingerprint()
    assert a == b and str(first) not in json.dumps(a)
    sf.write(tmp_path / "two" / "it.wav", np.full(1600, 0.2, dtype=np.float32), 16000)
    assert loaded(dir=str(tmp_path / "two")).fingerprint()["content_sha256"] != a["content_sha256"]
    assert loaded(dir=str(first), group="closed", cloning="no").fingerprint() == a  # declarations never change audio


@pytest.mark.parametrize(
    "params,message",
    [
        ({}, "exactly one of --param dir=FOLDER or --param list="),
        ({"dir": ".", "list": "x.scp"}, "exactly one of"),
        ({"dir": "/nonexistent-folder"}, "dir=/nonexistent-folder: folder not found"),
        ({"list": "/nonexistent.scp"}, "list=/nonexistent.scp: file not found"),
        ({"dir": ".", "group": "mine"}, "group='mine': use one of open, closed, reference"),
        ({"dir": ".", "cloning": "maybe"}, "cloning='maybe': use true or false"),
        ({"dir": ".", "template": "{utt}.wav"}, "unknown field(s) ['utt']"),
        ({"dir": ".", "strip": "("}, "strip='(': not a regular expression"),
    ],
)
def test_setup_errors_are_one_line_with_the_fix(params, message):
    with pytest.raises(AdapterError) as err:
        loaded(**params)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_bad_list_lines_name_the_line(tmp_path):
    (tmp_path / "wav.scp").write_text("utt_1 a.wav\nlonely\n", encoding="utf-8")
    with pytest.raises(AdapterError, match=r"wav\.scp:2: expected '<key> <path>'"):
        loaded(list=str(tmp_path / "wav.scp"))
    (tmp_path / "x.csv").write_text("name,file\nit,a.wav\n", encoding="utf-8")
    with pytest.raises(AdapterError, match="needs a header with 'id' and 'path'"):
        loaded(list=str(tmp_path / "x.csv"))


def test_cli_scores_a_folder_of_files(tmp_path):
    from tests.fakes.cli import run_cli

    folder = tmp_path / "wavs"
    folder.mkdir()
    manifest = read_jsonl(DEMO_MANIFEST)
    for row in manifest[:3]:  # three items have files; the rest must come back as failed rows
        shutil.copyfile(DEMO_MANIFEST.parent / row["prompt_audio"], folder / f"{row['id']}.flac")
    args = ("--model", "audio", "--param", f"dir={folder}", "--param", "template={id}.flac", "--suite", "demo")
    run_cli("run", *args, "--metrics", "f0_pyworld", "--results", str(tmp_path / "r"), "--no-report")
    rows = read_jsonl(tmp_path / "r" / "demo" / "audio" / "lite" / "samples.jsonl")
    ok = sorted(r["item_id"] for r in rows if r["status"] == "ok")
    assert ok == sorted(r["id"] for r in manifest[:3]) and len(rows) == len(manifest)
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == len(manifest) - 3 and all(str(folder / f"{r['item_id']}.flac") in r["error"] for r in failed)


def test_include_registers_a_file_adapter_and_metric(tmp_path, monkeypatch):
    from ztts_eval import registry

    monkeypatch.setattr(registry, "INCLUDED", {"ztts_eval.adapters": {}, "ztts_eval.metrics": {}})
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text(PLUGIN, encoding="utf-8")
    assert registry.include(plugin) == {"adapters": ["my-sine"], "metrics": ["peak_level"]}
    adapter = registry.adapter_class("my-sine")()
    (res,) = adapter.synthesize([request("it")])
    assert res.ok and res.sample_rate == 16000 and float(np.max(res.waveform)) == pytest.approx(0.25, abs=1e-3)
    assert registry.metric_class("peak_level").info.columns[0].name == "peak"
    clash = tmp_path / "clash.py"
    clash.write_text(PLUGIN.replace('"my-sine"', '"espeak-ng"'), encoding="utf-8")
    with pytest.raises(registry.RegistryError, match="'espeak-ng', which a built-in already uses"):
        registry.include(clash)
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module_xyz\n", encoding="utf-8")
    with pytest.raises(registry.RegistryError, match="broken.py: import failed \\(ModuleNotFoundError"):
        registry.include(broken)


def test_include_on_the_command_line(tmp_path):
    from tests.fakes.cli import run_cli

    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "my_plugin.py").write_text(PLUGIN, encoding="utf-8")
    include = ("--include", str(tmp_path / "plugins"))
    listing = run_cli("ls", *include)
    assert "my-sine" in listing.stdout and "peak_level" in listing.stdout
    run_cli(
        "run",
        *include,
        "--model",
        "my-sine",
        "--suite",
        "demo",
        "--metrics",
        "peak_level",
        "--results",
        str(tmp_path / "r"),
        "--no-report",
    )
    rows = read_jsonl(tmp_path / "r" / "demo" / "my-sine" / "lite" / "samples.jsonl")
    peaks = [r["scores"]["peak_level"]["peak"] for r in rows]
    assert len(peaks) == 14 and all(abs(p - 0.25) < 1e-3 for p in peaks)
    run_cli("report", *include, "--suite", "demo", "--results", str(tmp_path / "r"))
    bad = run_cli("ls", "--include", str(tmp_path / "none.py"), check=False)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "no such Python file" in bad.stderr


PLUGIN = '''
"""A custom adapter and metric kept in one unpackaged file."""
from typing import Any

import numpy as np

from model_adapters.base import Adapter, Capabilities, Diagnostics
from ztts_eval.audio import load_audio
from ztts_eval.metrics.base import OK, Column, MetricInfo, SampleMetric


class MySine(Adapter):
    name, version, group = "my-sine", "1", "open"

    @property
    def capabilities(self):
        return Capabilities(zero_shot_cloning=False, languages=None, deterministic=True)

    def synthesize(self, requests):
        t = np.arange(8000) / 16000
        return self.synthesize_each(requests, lambda r: (0.25 * np.sin(2 * np.pi * 220 * t), 16000, Diagnostics(eos_reached=True)))


class PeakLevel(SampleMetric):
    info = MetricInfo(
        name="peak_level", version="1", kind="sample", columns=(Column("peak", higher_is_better=None),),
        inputs=("audio",), scorer="numpy max |x|", extra="", family="lite",
    )

    def score_batch(self, inputs) -> list[dict[str, Any]]:
        return [{"status": OK, "peak": round(float(np.max(np.abs(load_audio(i.audio_path).samples))), 4)} for i in inputs]
'''
