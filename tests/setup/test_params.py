"""Typed parameters: every adapter and metric declares its parameters; a misspelt or ill-typed
value stops the run before any work, naming the valid ones."""

from __future__ import annotations

import re

import pytest

from tests.fakes.cli import run_cli
from ztts_eval import registry
from ztts_eval.setup.params import ParamError, ParamSpec, check_params, coerce, declared_params


def _cli_text(default):
    if default is None:
        return "none"
    if isinstance(default, bool):
        return "true" if default else "false"
    return str(default)


def _classes():
    for name in registry.adapter_names():
        yield "model", name, registry.adapter_class(name)
    for name in registry.metric_names():
        yield "metric", name, registry.metric_class(name)


@pytest.mark.parametrize(("kind", "name", "cls"), list(_classes()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_declared_default_round_trips_through_the_cli_and_the_constructor(kind, name, cls):
    """Declarations are read from the real constructors: each default, written as a user would on
    the command line, parses back to itself and the class accepts the whole set."""
    specs = declared_params(cls)
    given = {p: _cli_text(s.default) for p, s in specs.items() if not (s.type == "any" and s.default is None)}
    typed = check_params(kind, name, cls, given)
    for p, value in typed.items():
        assert value == specs[p].default, (p, value)
    cls(**typed)  # the constructor takes every declared name (nothing declared that it would refuse)


def test_declarations_follow_kwargs_forwarding_and_stop_at_the_contract_base():
    eleven = declared_params(registry.adapter_class("elevenlabs"))
    assert {"model_id", "voice_id"} <= set(eleven)  # its own
    assert {"timeout_s", "max_attempts", "allow_http"} <= set(eleven)  # forwarded to the vendor base
    zonos2 = declared_params(registry.adapter_class("zonos2"))
    assert {"mode", "quality_mode", "temperature", "top_k"} <= set(zonos2)  # **conditioning → shared_params
    assert zonos2["top_k"].type == "int" and zonos2["quality_mode"].type == "bool"
    assert declared_params(registry.metric_class("wer_pocketsphinx")) == {}  # base **params accepts nothing declared
    assert declared_params(registry.adapter_class("espeak-ng")) == {
        "pitch": ParamSpec("pitch", "int", 50, False),
        "speed": ParamSpec("speed", "int", 160, False),
    }


@pytest.mark.parametrize(
    ("spec", "text", "value"),
    [
        (ParamSpec("n", "int", 1, False), " 42 ", 42),
        (ParamSpec("x", "float", 1.0, False), "0.5", 0.5),
        (ParamSpec("x", "float", None, True), "none", None),
        (ParamSpec("b", "bool", False, False), "Yes", True),
        (ParamSpec("b", "bool", True, False), "off", False),
        (ParamSpec("s", "str", "a", False), "none", "none"),  # a required string keeps the word
        (ParamSpec("s", "str", None, True), "null", None),
        (ParamSpec("a", "any", None, True), "th:word", "th:word"),
    ],
)
def test_coerce_parses_cli_strings(spec, text, value):
    assert coerce(spec, text, "--param") == value


@pytest.mark.parametrize(
    ("spec", "text", "message"),
    [
        (ParamSpec("n", "int", 1, False), "1.5", "n takes an integer (default 1), got '1.5'"),
        (ParamSpec("b", "bool", False, False), "ture", "b takes true or false"),
        (ParamSpec("x", "float", 1.0, False), "none", "x takes a number"),
    ],
)
def test_ill_typed_values_name_the_expected_type(spec, text, message):
    with pytest.raises(ParamError, match=re.escape(message)):
        coerce(spec, text, "--param")


def test_unknown_metric_param_suggests_the_closest_name():
    with pytest.raises(ParamError, match=r"metric wer has no parameter 'modle'; did you mean model\? \(valid: backend,"):
        check_params("metric", "wer", registry.metric_class("wer"), {"modle": "x"})


def test_misspelt_param_stops_the_run_before_any_work(tmp_path):
    proc = run_cli(
        "run", "--model", "espeak-ng", "--suite", "demo", "--param", "speeed=200", "--results", str(tmp_path), check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "ztts-eval: error: --param speeed=200: model espeak-ng has no parameter 'speeed'; did you mean speed? (valid: pitch, speed)"
    )
    assert list(tmp_path.iterdir()) == []  # nothing generated, nothing cached
    proc = run_cli(
        "run", "--model", "test-tone", "--suite", "demo", "--metric-param", "wer.modle=x", "--metrics", "wer", check=False
    )
    assert proc.returncode == 2 and "did you mean model?" in proc.stderr and "Traceback" not in proc.stderr


def test_typed_params_reach_the_fingerprint(tmp_path):
    run_cli("run", "--model", "test-tone", "--suite", "demo", "--metrics", "none", "--limit", "2", "--param", "seconds_per_char=0.05",
            "--results", str(tmp_path), "--no-report")  # fmt: skip
    import json

    meta = json.loads((tmp_path / "demo" / "test-tone" / "lite" / "run.json").read_text())
    assert meta["params"] == {"seconds_per_char": 0.05}
    assert meta["adapter"]["fingerprint"]["params"]["seconds_per_char"] == 0.05


def test_ls_params_lists_names_types_and_defaults():
    out = run_cli("ls", "--params", "espeak-ng").stdout
    assert "pitch (int, default 50)" in out and "speed (int, default 160)" in out
    proc = run_cli("ls", "--params", "espek", check=False)
    assert proc.returncode == 2 and "did you mean espeak-ng" in proc.stderr
