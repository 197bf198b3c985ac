"""Progress of long work: a bar on a terminal (rich), a plain log line every tenth otherwise."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

log = logging.getLogger(__name__)


class Progress:
    """`advance()` once per step; `close()` at the end. A rich bar when `stream` is a terminal."""

    def __init__(self, total: int, description: str, *, stream: TextIO | None = None) -> None:
        self.total, self.description, self.done = max(total, 0), description, 0
        stream = stream or sys.stderr
        self._bar: Any = None
        self._logged_tenth = 0
        if stream.isatty() and self.total:
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(transient=False)
            self._bar.start()
            self._task = self._bar.add_task(description, total=self.total)

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if self._bar is not None:
            self._bar.update(self._task, advance=steps)
            return
        tenth = self.done * 10 // self.total if self.total else 10
        if tenth > self._logged_tenth:
            self._logged_tenth = tenth
            log.info("%s: %d/%d (%d%%)", self.description, self.done, self.total, 100 * self.done // self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
