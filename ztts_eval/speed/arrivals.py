"""Load settings: closed-loop concurrency levels and open-loop arrival schedules, parsed from the CLI.

A closed loop keeps C requests in flight (a new one starts when one ends), which measures a
server at a fixed concurrency. An open loop sends on a schedule that does not wait for answers
(Poisson arrivals at R/s, or a ramp whose rate grows linearly), which is how real traffic arrives
and the only way to see queueing collapse. Schedules are drawn from a seeded generator so a
setting replays exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

RATE_SPEC = re.compile(r"^(poisson|constant|ramp):([0-9.]+)(?:-([0-9.]+))?/s$")


@dataclass(frozen=True)
class Setting:
    label: str  # "c=4", "poisson:8/s", "ramp:1-16/s"
    mode: str  # "closed" | "open"
    concurrency: int | None = None
    rate: str | None = None  # the open-loop spec as given
    requests: int | None = None  # measured requests (closed loop; open loop: cap on arrivals)
    duration_s: float | None = None


def parse_concurrency(text: str) -> list[int]:
    try:
        levels = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise ValueError(f"--concurrency takes comma-separated integers, e.g. 1,4,16,64; got {text!r}") from None
    if not levels or any(c < 1 for c in levels) or len(set(levels)) != len(levels):
        raise ValueError(f"--concurrency needs distinct levels >= 1, got {text!r}")
    return levels


def check_rate(spec: str) -> str:
    """Validate `poisson:R/s`, `constant:R/s` or `ramp:R1-R2/s`; return it unchanged."""
    m = RATE_SPEC.match(spec.strip())
    if not m or (m.group(1) == "ramp") != (m.group(3) is not None):
        raise ValueError(f"--rate takes poisson:R/s, constant:R/s or ramp:R1-R2/s (e.g. poisson:8/s, ramp:1-16/s); got {spec!r}")
    rates = [float(g) for g in m.groups()[1:] if g is not None]
    if any(r <= 0 for r in rates):
        raise ValueError(f"--rate {spec!r}: rates must be > 0")
    return spec.strip()


def schedule(spec: str, duration_s: float | None, max_requests: int | None, seed: int = 0) -> np.ndarray:
    """Send times (seconds from the setting's start) for an open-loop spec, within the duration and count."""
    m = RATE_SPEC.match(check_rate(spec))
    assert m is not None
    kind, r0 = m.group(1), float(m.group(2))
    r1 = float(m.group(3)) if m.group(3) else r0
    if duration_s is None and (max_requests is None or kind == "ramp"):
        raise ValueError(f"--rate {spec}: needs --duration" + ("" if kind == "ramp" else " or --requests") + " to end")
    horizon = duration_s if duration_s is not None else 4.0 * max_requests / min(r0, r1) + 1.0
    # Arrivals of a (possibly time-varying) Poisson process: unit-rate arrivals mapped through the
    # inverse of the integrated rate Λ(t) = r0 t + (r1 - r0) t² / (2 T). Constant: a fixed grid.
    n_max = int(np.ceil(max(r0, r1) * horizon * 1.5 + 20)) if max_requests is None else max_requests
    if kind == "constant":
        unit = np.arange(n_max, dtype=np.float64)
    else:
        unit = np.cumsum(np.random.default_rng(seed).exponential(1.0, size=n_max))
    if r1 == r0:
        times = unit / r0
    else:
        slope = (r1 - r0) / horizon
        times = (-r0 + np.sqrt(r0 * r0 + 2 * slope * unit)) / slope
    keep = times < horizon if duration_s is not None else np.ones_like(times, dtype=bool)
    times = times[keep]
    return times[:max_requests] if max_requests is not None else times


def settings_from(concurrency: list[int], rates: list[str], requests: int | None, duration_s: float | None) -> list[Setting]:
    out = [Setting(f"c={c}", "closed", concurrency=c, requests=requests, duration_s=duration_s) for c in concurrency]
    out += [Setting(check_rate(r), "open", rate=check_rate(r), requests=requests, duration_s=duration_s) for r in rates]
    return out
