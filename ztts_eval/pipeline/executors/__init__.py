"""Where the stages run: `local` (this process, the default) or `ray` (a Ray cluster, overlapped).

Ray is an optional extra (`pip install -e '.[ray]'`); it is imported only when `--executor ray`
is asked for, so the base install, `--help` and the lite demo never need it.
"""

from __future__ import annotations

from typing import Any

from ztts_eval.pipeline.executors.base import Executor, StageOutcome, StagePlan

EXECUTORS = ("local", "ray")

__all__ = ["EXECUTORS", "Executor", "StageOutcome", "StagePlan", "make_executor"]


def make_executor(name: str = "local", **options: Any) -> Executor:
    """`options` go to the Ray executor (address, gen_actors, …); the local one takes none."""
    if name == "local":
        if any(v is not None for v in options.values()):
            given = ", ".join(k for k, v in options.items() if v is not None)
            raise ValueError(f"--{given.replace('_', '-')}: only with --executor ray")
        from ztts_eval.pipeline.executors.local import LocalExecutor

        return LocalExecutor()
    if name == "ray":
        from ztts_eval.pipeline.executors.ray_driver import RayExecutor

        return RayExecutor(**{k: v for k, v in options.items() if v is not None})
    raise ValueError(f"--executor takes {' or '.join(EXECUTORS)}, got {name!r}")
