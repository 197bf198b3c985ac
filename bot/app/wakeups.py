"""Stage loops that wake at once when the stage before them commits work; the interval is a safety net.

In one process a stage wakes the next directly (`Wakeups.wake`); across processes the loop
announces it through the store (PostgreSQL NOTIFY) and a listener thread turns each notice into the
same wake. Who wakes whom is bot/app/chain.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.errors import EarshotError

log = logging.getLogger(__name__)


class Wakeups:
    """One event per channel: `wake(channel)` cuts the wait of the loop listening on it short."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def event(self, channel: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(channel, threading.Event())

    def wake(self, channel: str | None) -> None:
        if channel:
            self.event(channel).set()

    @property
    def channels(self) -> list[str]:
        with self._lock:
            return list(self._events)


@dataclass(kw_only=True)
class StageLoop:
    """Runs `work` until it reports nothing left, then sleeps until woken on `channel` or `interval` passes.

    When `work` handled something, the loop wakes `wakes` (the next stage) in this process, and
    `announce`s it to other processes.
    """

    name: str
    work: Callable[[], int]
    interval: float
    channel: str
    wakes: str | None
    wakeups: Wakeups
    stop: threading.Event
    announce: Callable[[str], None] | None = None

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name=f"earshot-{self.name}", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        event = self.wakeups.event(self.channel)
        while not self.stop.is_set():
            event.clear()
            try:
                handled = self.work()
            except EarshotError as err:  # a known failure (the model's worker died, say): one line, no traceback
                log.error("the %s stage failed: %s", self.name, err, extra={"stage": self.name})
                handled = 0
            except Exception:  # noqa: BLE001 - a failing pass is logged; the loop goes on at the next wake
                log.exception("the %s stage failed", self.name, extra={"stage": self.name})
                handled = 0
            if handled:
                self._wake_next()
                continue  # more may be waiting: go again before sleeping
            event.wait(self.interval)

    def _wake_next(self) -> None:
        self.wakeups.wake(self.wakes)
        if self.wakes and self.announce is not None:
            try:
                self.announce(self.wakes)
            except EarshotError as err:  # the database is down: the next stage still runs on its interval
                log.warning("could not wake other processes' %s: %s", self.wakes, err, extra={"stage": self.name})
