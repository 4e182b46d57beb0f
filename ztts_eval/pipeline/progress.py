"""Progress bars on stderr for long stages; silent when stderr is not a terminal (CI logs)."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self._bar = total, desc, None

    def __enter__(self) -> Progress:
        if sys.stderr.isatty() and self.total:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc=self.desc, unit="item", leave=False, file=sys.stderr)
        return self

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()


class StagesProgress:
    """One display for stages that run at once (the Ray executor): a bar over all work so far, its
    line naming each stage's done/total. Totals grow as generation makes audio to score; the counts
    are kept (and readable) even when nothing is drawn."""

    def __init__(self, desc: str) -> None:
        self.desc, self.done, self.total, self._bar = desc, {}, {}, None

    def __enter__(self) -> StagesProgress:
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=0, desc=self.desc, unit="task", leave=False, file=sys.stderr)
        return self

    def add_total(self, stage: str, n: int) -> None:
        self.total[stage] = self.total.get(stage, 0) + n
        self.done.setdefault(stage, 0)
        self._draw(0)

    def update(self, stage: str, n: int) -> None:
        self.done[stage] = self.done.get(stage, 0) + n
        self._draw(n)

    def line(self) -> str:
        return " · ".join(f"{s} {self.done[s]}/{self.total.get(s, 0)}" for s in self.done)

    def _draw(self, n: int) -> None:
        if self._bar is not None:
            self._bar.total = sum(self.total.values())
            self._bar.set_postfix_str(self.line(), refresh=False)
            self._bar.update(n)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
