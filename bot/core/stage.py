"""The stage interface: one step of the pipeline (ingest, classify, route, deliver, ...), run by the daemon."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class Stage(ABC):
    """One step of the pipeline: `run_once()` handles what is pending; `start(stop)` runs once at daemon start."""

    name: str
    interval_seconds: int

    @abstractmethod
    def run_once(self) -> int:
        """Process what is pending; return how many items were handled."""

    def start(self, stop: threading.Event) -> None:  # noqa: B027 - a hook: most stages need nothing
        """Called once before the daemon's first run; a stage with threads of its own (deliver's lanes) starts them."""
