"""Tracks each source's health: one "failing" line and one "recovered" line, not one per tick."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.core.errors import AuthFailed, RateLimited, SourceError
from bot.store import Store

log = logging.getLogger(__name__)


class SourceHealth:
    """Records successes and failures in the store and decides when a source may poll again."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.clock = clock
        self._resume_at: dict[str, float] = {}
        self._stopped: set[str] = set()

    def may_poll(self, source: str) -> bool:
        """False while a source is stopped (auth failed) or waiting out a rate limit."""
        return source not in self._stopped and self.clock() >= self._resume_at.get(source, 0.0)

    def failed(self, source: str, err: SourceError) -> None:
        stopped = isinstance(err, AuthFailed)
        before = self.store.source_failed(source, f"{type(err).__name__}: {err}", stopped=stopped)
        if stopped:
            self._stopped.add(source)
            log.error("source %s stopped: credentials refused: %s", source, err, extra={"source": source})
            return
        if isinstance(err, RateLimited):
            self._resume_at[source] = self.clock() + err.retry_after
        if before.status == "ok":
            log.warning("source %s failing: %s", source, err, extra={"source": source})

    def succeeded(self, source: str) -> None:
        before = self.store.source_succeeded(source)
        if before.status != "ok":
            log.info("source %s recovered", source, extra={"source": source})
