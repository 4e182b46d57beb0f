"""Typed parameter declarations for adapters and metrics, and the one CLI-string → value parser.

`--param speeed=200` used to run at the default speed and put `speeed` in the fingerprint; a
metric's unknown key died as a Python TypeError. Declarations are read from each class's
`__init__` signatures along its MRO (keyword arguments forwarded through `**kwargs` reach the
parent's), plus the class's `param_sources` (functions or {name: default} tables a constructor
forwards its `**kwargs` to). Types come from the annotations, or from the default when the
annotation is `Any`. Every value is checked before any work: unknown names get a "did you mean",
ill-typed values name the expected type.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TYPES = ("int", "float", "bool", "str", "any")  # "any": passed through as given (the class coerces it)
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}
_NONE = {"", "none", "null"}
_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false", "str": "text", "any": "a value"}


class ParamError(ValueError):
    """An unknown or ill-typed parameter: stops the run before any work."""


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # one of TYPES
    default: Any
    optional: bool  # None ("none"/"null"/empty on the command line) is accepted

    def describe(self) -> str:
        kind = self.type + (" | None" if self.optional and self.type != "any" else "")
        return f"{self.name} ({kind}, default {self.default!r})"


def _kind(annotation: Any, default: Any) -> tuple[str, bool]:
    """(type, optional) from an annotation (a string under `from __future__ import annotations`)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    parts = [p.strip() for p in str(text).replace("Optional[", "").rstrip("]").split("|")]
    optional = "None" in parts or default is None
    named = [p for p in parts if p != "None"]
    if len(named) == 1 and named[0] in ("int", "float", "bool", "str"):
        return named[0], optional
    if len(named) == 1 and named[0] in ("Path", "os.PathLike[str]"):
        return "str", optional
    if isinstance(default, bool):  # `Any = False`: a flag that also accepts its string forms
        return "bool", optional
    if isinstance(default, int | float) and not isinstance(default, bool):
        return type(default).__name__, optional
    if isinstance(default, str) and named in (["Any"], ["str"], []):
        return ("str" if named == ["str"] else "any"), optional
    return "any", True


def _typed(annotation: Any, default: Any) -> tuple[str, Any, bool]:
    kind, optional = _kind(annotation, default)
    return kind, default, optional


def _from_signature(func: Callable[..., Any], out: dict[str, ParamSpec]) -> bool:
    """Add a callable's keyword parameters; True when it forwards extra keywords (`**kwargs`)."""
    forwards = False
    for p in inspect.signature(func).parameters.values():
        if p.name == "self" or p.kind is p.VAR_POSITIONAL:
            continue
        if p.kind is p.VAR_KEYWORD:
            forwards = True
            continue
        default = None if p.default is p.empty else p.default
        out.setdefault(p.name, ParamSpec(p.name, *_typed(p.annotation, default)))
    return forwards


def _from_table(table: Mapping[str, Any], out: dict[str, ParamSpec]) -> None:
    for name, default in table.items():
        out.setdefault(name, default if isinstance(default, ParamSpec) else ParamSpec(name, *_typed("Any", default)))


def declared_params(cls: type) -> dict[str, ParamSpec]:
    """Every parameter a class accepts, by name. The contract bases (Adapter, Metric) accept
    anything through `**params`; a declaration stops there, which is what makes it strict."""
    out: dict[str, ParamSpec] = {}
    for klass in cls.__mro__:
        if klass.__module__ in ("model_adapters.base", "ztts_eval.metrics.base") or klass is object:
            break
        if "__init__" in vars(klass) and not _from_signature(vars(klass)["__init__"], out):
            break  # a constructor without **kwargs forwards nothing further up
    for source in getattr(cls, "param_sources", ()):
        if isinstance(source, Mapping):
            _from_table(source, out)
        else:
            _from_signature(source, out)
    return dict(sorted(out.items()))


def coerce(spec: ParamSpec, value: Any, where: str) -> Any:
    """A CLI string (or an already typed value from the Python API) as the declared type."""
    if not isinstance(value, str):
        ok = value is None and spec.optional or spec.type == "any"
        ok = ok or (spec.type == "bool" and isinstance(value, bool))
        ok = ok or (spec.type in ("int", "float") and isinstance(value, int) and not isinstance(value, bool))
        ok = ok or (spec.type == "float" and isinstance(value, float)) or (spec.type == "str" and value is not None)
        if not ok:
            raise ParamError(f"{where}: {spec.name} takes {_WORDS[spec.type]}, got {value!r}")
        return float(value) if spec.type == "float" and value is not None else value
    text = value.strip().lower()
    if spec.type in ("str", "any"):
        return None if spec.optional and spec.type == "str" and text in ("none", "null") else value
    if spec.optional and text in _NONE:
        return None
    if spec.type == "bool" and text in _TRUE | _FALSE:
        return text in _TRUE
    try:
        return int(text) if spec.type == "int" else float(text) if spec.type == "float" else _invalid()
    except ValueError:
        pass
    hint = " (or none)" if spec.optional else ""
    raise ParamError(f"{where}: {spec.name} takes {_WORDS[spec.type]}{hint} (default {spec.default!r}), got {value!r}")


def _invalid() -> Any:
    raise ValueError


def check_params(kind: str, owner: str, cls: type, given: Mapping[str, Any]) -> dict[str, Any]:
    """The given parameters as typed values; ParamError naming the valid ones and the closest match."""
    specs = declared_params(cls)
    flag = "--param" if kind == "model" else "--metric-param"
    typed: dict[str, Any] = {}
    for name, value in given.items():
        label = f"{flag} {name}={value}" if kind == "model" else f"{flag} {owner}.{name}={value}"
        if name not in specs:
            close = difflib.get_close_matches(name, specs, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            valid = ", ".join(specs) or "none"
            raise ParamError(f"{label}: {kind} {owner} has no parameter {name!r}{hint} (valid: {valid})")
        typed[name] = coerce(specs[name], value, label)
    return typed


def describe_params(cls: type) -> list[str]:
    """One line per parameter, for `ztts-eval ls --params NAME`."""
    return [spec.describe() for spec in declared_params(cls).values()]


def by_metric(triples: list[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    """`--metric-param METRIC.KEY=VALUE` triples as {metric: {key: value}} (the last value of a key wins)."""
    out: dict[str, dict[str, str]] = {}
    for metric, key, value in triples:
        out.setdefault(metric, {})[key] = value
    return out
