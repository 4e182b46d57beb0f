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
