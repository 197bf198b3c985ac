"""The pipeline's stages: ingest → classify → route → deliver. Each is idempotent.

A post's stage lives in the store, so a crash mid-batch resumes where it stopped: a
cursor is saved in the same transaction as the posts it covers, labels in the same
transaction as the stage change.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.app.config import PipelineSettings
from bot.app.guard import DatabaseGuard
from bot.core import metrics
from bot.core.clock import utcnow
from bot.core.errors import AuthFailed, RateLimited, SourceError, StoreError
from bot.core.posts import DeadLetter, Post
from bot.core.sanitize import payload_text
from bot.store import Store, StoredPost, Transaction
from bot.store.stages import STAGE_INGESTED, STAGE_SKIPPED
from classifiers.base import Classifier
from classifiers.relevance import BrandTerms, Relevance
from classifiers.settings import ClassifierSettings
from connectors.base import Batch, Connector
from connectors.health import SourceHealth
from connectors.settings import EngagementSettings

log = logging.getLogger(__name__)
MAX_FETCHES_PER_TICK = 50  # a connector that never says `exhausted` still yields the worker


class Stage(Protocol):
    """A later stage (route, deliver) plugged in by bot.routing."""

    name: str
    interval_seconds: int

    def run_once(self) -> int:
        """Process what is pending; return how many items were handled."""


@dataclass(frozen=True, kw_only=True)
class IngestResult:
    source: str
    new: int = 0
    seen_again: int = 0
    skipped: int = 0
    error: str | None = None


class Pipeline:
    """Runs each stage over the store; the daemon schedules these methods.

    It gets the sections it needs (`pipeline:`, `connectors.engagement:`, `classifier:`), not the Config.
    """

    def __init__(
        self,
        store: Store,
        connectors: Sequence[Connector],
        *,
        classifier: Callable[[], Classifier],
        settings: PipelineSettings,
        engagement: EngagementSettings,
        classifier_settings: ClassifierSettings,
        stages: Sequence[Stage] = (),
        clock: Callable[[], float] = time.monotonic,
        brand: BrandTerms | None = None,
    ) -> None:
        self.settings = settings
        self.engagement = engagement
        self.classifier_settings = classifier_settings
        self.store = store
        self.connectors = list(connectors)
        self.stages = list(stages)
        self._classifier_factory = classifier
        self._classifier: Classifier | None = None
        self._loading = threading.RLock()  # classify lanes share one model and one relevance check, made once
        self._in_flight: set[int] = set()  # posts a classify lane of this process has claimed
        self._claims = threading.Lock()
        self.brand = brand  # None: every post counts as about the brand
        self._relevance: Relevance | None = None
        self.health = SourceHealth(store, clock=clock)
        self.database = DatabaseGuard()
        self.stop = threading.Event()  # set on shutdown: long passes end after their current batch
        self.fleet = False  # True in the daemon: other processes may share the store
        self._own_polls: dict[str, datetime | None] = {}  # when this process last polled each source

    @property
    def classifier_loaded(self) -> bool:
        """Whether the model is loaded (for /readyz)."""
        return self._classifier is not None

    @property
    def classifier(self) -> Classifier:
        """The classifier, loaded on first use and then kept."""
        with self._loading:
            if self._classifier is None:
                self._classifier = self._classifier_factory()
            return self._classifier

    def close(self) -> None:
        """Stop the classifier's worker, if any, and release the database connections."""
        if self._classifier is not None:
            self._classifier.close()
        self.store.engine.dispose()

    # --- ingest -------------------------------------------------------------------------

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
                letters = _dead_letters(name, batch)
                saved = self.store.save_batch(
                    name,
                    batch.posts,
                    batch.next_cursor,
                    skipped=len(batch.skipped),
                    dead=letters,
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
            _budget_left(connector)
        self.health.succeeded(name)
        if new or skipped:
            log.info(
                "ingested from %s", name, extra={"source": name, "new": new, "seen_again": seen, "skipped": skipped}
            )
        return IngestResult(source=name, new=new, seen_again=seen, skipped=skipped)

    def refresh_engagement(self, connector: Connector) -> int:
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

    # --- classify -----------------------------------------------------------------------

    def classify_pending(self) -> int:
        """Label every post waiting at `ingested`, one batch per transaction, until none is left or stop.

        Each batch is claimed `FOR UPDATE SKIP LOCKED` in the transaction that stores its labels: on
        PostgreSQL processes classify disjoint batches, and a process that dies releases its claim.
        """
        done = 0
        while not self.stop.is_set() and (count := self.classify_batch()):
            done += count
        if done:
            log.info("classified posts", extra={"count": done, "model_version": self.classifier.version})
        return done

    def classify_batch(self) -> int:
        """Claim, classify and label one batch in one transaction; returns how many posts.

        Lanes of one process (see `classify_lanes`) may run this at once: each claims posts no other
        lane holds, and releases them only once its transaction has ended.
        """
        claimed: set[int] = set()
        try:
            with self.store.transaction() as tx:
                with self._claims:
                    pending = tx.claim_posts(STAGE_INGESTED, self.settings.batch_size, exclude=self._in_flight)
                    claimed = {item.id for item in pending}
                    self._in_flight |= claimed
                return self._label(tx, pending) if pending else 0
        finally:
            with self._claims:
                self._in_flight -= claimed

    @property
    def classify_lanes(self) -> int:
        """Classify loops to run: two when the model has a process of its own, so that it works on one
        batch while the other lane stores the batch before; one otherwise (they would share one GIL)."""
        return 2 if self.classifier_settings.own_process else 1

    def _label(self, tx: Transaction, pending: list[StoredPost]) -> int:
        """Classify the claimed posts and store their labels in `tx`; returns how many."""
        settings = self.classifier_settings
        posts = [item.post for item in pending]
        started = time.perf_counter()
        labels = self.classifier.classify(posts)
        if self.relevance is not None:
            labels = self.relevance.judge(posts, labels)
        metrics.classified(len(pending), time.perf_counter() - started)
        skip = [
            item.id
            for item, label in zip(pending, labels, strict=True)
            if not label.about_brand
            or (settings.other_languages == "skip" and label.language not in settings.languages)
        ]
        tx.save_labels([(item.id, label) for item, label in zip(pending, labels, strict=True)], skip=skip)
        return len(pending)

    @property
    def relevance(self) -> Relevance | None:
        """The about-the-brand check, with the classifier's frozen embeddings for ambiguous names."""
        with self._loading:
            if self._relevance is None and self.brand is not None:
                topics = [t for t in self.classifier_settings.topics if t.name != self.classifier_settings.other_topic]
                context = [text for t in topics for text in (t.description, *t.examples) if text]
                self._relevance = Relevance(self.brand, getattr(self.classifier, "embed", None), context)
            return self._relevance

    # --- later stages -------------------------------------------------------------------

    def run_stage(self, stage: Stage) -> int:
        """Run a plugged-in stage (route, deliver) once."""
        handled = stage.run_once()
        if handled:
            log.info("%s stage handled %d", stage.name, handled, extra={"stage": stage.name, "count": handled})
        return handled

    def run_once(self) -> None:
        """Every job once, in pipeline order: for `earshot run --once`, cron and tests."""
        for connector in self.connectors:
            self.ingest(connector)
        self.classify_pending()
        for connector in self.connectors:
            self.refresh_engagement(connector)
        for stage in self.stages:
            while self.run_stage(stage):
                pass


def _fetch(connector: Connector, cursor: dict[str, object] | None) -> Batch:
    """`connector.fetch`, with a connector bug reported as a failing source rather than a crashed job."""
    try:
        return connector.fetch(cursor)
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


def _budget_left(connector: Connector) -> None:
    """Publish what is left of a polled source's request budget."""
    budget = getattr(connector, "budget", None)
    if budget is not None:
        metrics.BUDGET_REMAINING.labels(source=connector.name).set(budget.remaining())


def _first_stage(post: Post) -> str:
    """Deleted posts are stored for the record but never classified or routed."""
    return STAGE_SKIPPED if post.is_deleted else STAGE_INGESTED
