"""The daemon's jobs through a database outage: backoff, one "failing" line, one "recovered" line.

Every job reads and writes the store, and each stage is idempotent with its state in the
store, so a job that meets an unreachable database simply stops there: nothing is lost, and
the next job after the outage resumes from what was committed. While the database fails,
jobs wait out a jittered exponential backoff (1 s doubling to `max_backoff` seconds) instead
of hammering it, and no traceback is logged.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from bot.core import metrics
from bot.core.errors import StoreError

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseGuard:
    """Runs jobs; tracks whether the database answers; backs off while it does not."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        first_backoff: float = 1.0,
        max_backoff: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self.clock, self.first_backoff, self.max_backoff = clock, first_backoff, max_backoff
        self.rng = rng or random.Random()
        self.failing_since: float | None = None
        self.last_error: str | None = None
        self._failures = 0
        self._next_try = 0.0
        self._recovered_at: float | None = None
        self._lock = threading.Lock()
        metrics.DATABASE_UP.set(1)

    @property
    def failing(self) -> bool:
        return self.failing_since is not None

    def wrap(self, job: Callable[..., T], default: Any = None) -> Callable[..., T]:
        """`job`, run through the guard: during an outage it returns `default` instead of raising."""

        @wraps(job)
        def guarded(*args: Any, **kwargs: Any) -> T:
            return self.run(job, *args, default=default, **kwargs)

        return guarded

    def run(self, job: Callable[..., T], *args: Any, default: Any = None, **kwargs: Any) -> T:
        """`job(*args)`; `default` if the database is in backoff or fails now."""
        with self._lock:
            started = self.clock()
            if self.failing and started < self._next_try:
                return default
        try:
            result = job(*args, **kwargs)
        except StoreError as err:
            self._failed(err, started)
            return default
        self._succeeded(started)
        return result

    def _failed(self, err: StoreError, started: float) -> None:
        with self._lock:
            if self.failing_since is None and self._recovered_at is not None and started < self._recovered_at:
                return  # a job from before the recovery (another thread's), failing late: old news
            self.last_error = " ".join(str(err).split())[:300]
            if self.failing_since is None:
                self.failing_since = self.clock()
                log.warning("database failing: %s; retrying with backoff", self.last_error)
                metrics.DATABASE_UP.set(0)
            wait = min(self.max_backoff, self.first_backoff * 2 ** min(self._failures, 30))
            self._failures += 1
            self._next_try = self.clock() + wait * (0.5 + self.rng.random() / 2)

    def _succeeded(self, started: float) -> None:
        with self._lock:
            if self.failing_since is None or started < self.failing_since:
                return  # a job from before the outage (another thread's) proves nothing about now
            self._recovered_at = self.clock()
            down = self._recovered_at - self.failing_since
            self.failing_since, self._failures, self._next_try = None, 0, 0.0
            metrics.DATABASE_UP.set(1)
        log.warning("database recovered after %.0fs; resuming", down, extra={"outage_seconds": round(down, 1)})
