"""The ingest and engagement stages: fetch each source from its saved cursor, store posts, then cursor.

One `Intake` holds what every source's stages share (their health, whether other processes poll
too); each connector gets an `IngestStage` and an `EngagementStage` over it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core import metrics
from bot.core.clock import utcnow
from bot.core.errors import AuthFailed, RateLimited, SourceError, StoreError
from bot.core.posts import DeadLetter, Post
from bot.core.sanitize import payload_text
from bot.core.stage import Stage
from bot.store import Store
from bot.store.stages import STAGE_INGESTED, STAGE_SKIPPED
from connectors.base import Batch, Connector
from connectors.health import SourceHealth
from connectors.settings import EngagementSettings

log = logging.getLogger(__name__)
MAX_FETCHES_PER_TICK = 50  # a connector that never says `exhausted` still yields the worker


@dataclass(frozen=True, kw_only=True)
class IngestResult:
    source: str
    new: int = 0
    seen_again: int = 0
    skipped: int = 0
    error: str | None = None


class Intake:
    """Ingests and re-polls sources into the store, minding each source's health."""

    def __init__(
        self, store: Store, engagement: EngagementSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store, self.engagement = store, engagement
        self.health = SourceHealth(store, clock=clock)
        self.fleet = False  # True in the daemon: other processes may share the store
        self._own_polls: dict[str, datetime | None] = {}  # when this process last polled each source

    def ingest(self, connector: Connector) -> IngestResult:
        """Fetch from the saved cursor until the source is exhausted; store posts, then cursor.

        In a fleet (daemons sharing one PostgreSQL) one process polls a source at a time, under an
        advisory lock per source, and only when no process polled it within its interval.
        """
        name = connector.name
        if not self.health.may_poll(name):
            return IngestResult(source=name)
        with self.store.exclusive(f"ingest:{name}") as mine:
            if not mine or (self.fleet and self._polled_elsewhere(name, connector.interval_seconds)):
                return IngestResult(source=name)
            result = self._ingest(connector)
            if self.fleet:
                self._own_polls[name] = self.store.source_state(name).last_success_at
            return result

    def refresh(self, connector: Connector) -> int:
        """Re-poll metrics of complaints still worth watching; returns snapshots added."""
        settings = self.engagement
        if not settings.enabled or not self.health.may_poll(connector.name):
            return 0
        since = utcnow() - timedelta(hours=settings.max_age_hours)
        posts = [item.post for item in self.store.posts_to_watch(connector.name, since, settings.max_posts)]
        if not posts:
            return 0
        try:
            updates = connector.refresh(posts)
        except (RateLimited, AuthFailed, SourceError) as err:
            self.health.failed(connector.name, err)
            return 0
        return self.store.save_engagement(updates)

    def _polled_elsewhere(self, source: str, interval_seconds: float) -> bool:
        """Another process polled `source` within its interval (this process's own polls do not count)."""
        last = self.store.source_state(source).last_success_at
        if last is None or last == self._own_polls.get(source):
            return False
        return utcnow() - last < timedelta(seconds=0.9 * interval_seconds)

    def _ingest(self, connector: Connector) -> IngestResult:
        name = connector.name
        new = seen = skipped = 0
        try:
            for _ in range(MAX_FETCHES_PER_TICK):
                batch = _fetch(connector, self.store.load_cursor(name))
                saved = self.store.save_batch(
                    name,
                    batch.posts,
                    batch.next_cursor.to_json(),
                    skipped=len(batch.skipped),
                    dead=_dead_letters(name, batch),
                    stage_for=_first_stage,
                )
                new, seen, skipped = new + saved.new, seen + saved.seen_again, skipped + len(batch.skipped)
                if batch.exhausted:
                    break
        except SourceError as err:
            metrics.INGEST_ERRORS.labels(source=name).inc()
            if isinstance(err, RateLimited):
                metrics.rate_limited(name, err.retry_after)
            self.health.failed(name, err)
            return IngestResult(source=name, new=new, seen_again=seen, skipped=skipped, error=str(err))
        finally:
            if connector.budget is not None:  # what is left of a polled source's request budget
                metrics.BUDGET_REMAINING.labels(source=name).set(connector.budget.remaining())
        self.health.succeeded(name)
        if new or skipped:
            log.info(
                "ingested from %s", name, extra={"source": name, "new": new, "seen_again": seen, "skipped": skipped}
            )
        return IngestResult(source=name, new=new, seen_again=seen, skipped=skipped)


class IngestStage(Stage):
    """One source's intake, run on the source's interval; handles the posts it stored new."""

    name = "ingest"

    def __init__(self, connector: Connector, intake: Intake) -> None:
        self.connector, self.intake = connector, intake
        self.interval_seconds = connector.interval_seconds

    def run_once(self) -> int:
        return self.intake.ingest(self.connector).new


class EngagementStage(Stage):
    """One source's engagement re-poll, run on `connectors.engagement.interval_seconds`."""

    name = "engagement"

    def __init__(self, connector: Connector, intake: Intake) -> None:
        self.connector, self.intake = connector, intake
        self.interval_seconds = intake.engagement.interval_seconds

    def run_once(self) -> int:
        return self.intake.refresh(self.connector)


def _fetch(connector: Connector, stored: dict[str, Any] | None) -> Batch:
    """`connector.fetch` from the stored cursor; a connector bug is reported as a failing source, not a crash."""
    try:
        return connector.fetch(connector.cursor_type.load(stored))
    except (SourceError, StoreError):
        raise
    except Exception as err:  # noqa: BLE001 - one source's bug must not look like silence
        log.error("source %s raised %s", connector.name, type(err).__name__, exc_info=True)
        raise SourceError(f"{connector.name}: unexpected {type(err).__name__}: {str(err)[:200]}") from err


def _dead_letters(source: str, batch: Batch) -> list[DeadLetter]:
    """The batch's skipped records, logged (without their payload) and kept as dead letters."""
    letters = []
    for item in batch.skipped:
        log.warning("skipped a record from %s: %s", source, item.reason, extra={"source": source})
        letters.append(
            DeadLetter(source=source, reason=item.reason, native_id=item.native_id, payload=payload_text(item.payload))
        )
    return letters


def _first_stage(post: Post) -> str:
    """Deleted posts are stored for the record but never classified or routed."""
    return STAGE_SKIPPED if post.is_deleted else STAGE_INGESTED
