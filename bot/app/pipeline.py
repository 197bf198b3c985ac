"""The pipeline: ingest → classify → route → deliver, each a stage with `run_once()`. Each is idempotent.

A post's stage lives in the store, so a crash mid-batch resumes where it stopped: a cursor is
saved in the same transaction as the posts it covers, labels in the same transaction as the
stage change. Which stage wakes which is `bot/app/chain.py`; the daemon runs the stages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from bot.app.config import PipelineSettings
from bot.app.guard import DatabaseGuard
from bot.core.stage import Stage
from bot.store import Store
from classifiers.base import Classifier
from classifiers.relevance import BrandTerms
from classifiers.settings import ClassifierSettings
from classifiers.stage import ClassifyStage
from connectors.base import Connector
from connectors.health import SourceHealth
from connectors.settings import EngagementSettings
from connectors.stage import EngagementStage, IngestResult, IngestStage, Intake

log = logging.getLogger(__name__)

__all__ = ["IngestResult", "Pipeline", "Stage"]


class Pipeline:
    """The stages over one store, built from the sections they need (not the whole Config).

    `polled`: each source's ingest and engagement stage (run on the source's interval); `classify`;
    `stages`: the later ones (route, respond, deliver, escalate, digest, the alarm), plugged in.
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
        self.store, self.settings, self.engagement = store, settings, engagement
        self.connectors = list(connectors)
        self.intake = Intake(store, engagement, clock=clock)
        self.polled: list[IngestStage | EngagementStage] = [IngestStage(c, self.intake) for c in self.connectors]
        if engagement.enabled:
            self.polled += [EngagementStage(c, self.intake) for c in self.connectors]
        self.classify = ClassifyStage(
            store,
            classifier=classifier,
            settings=classifier_settings,
            batch_size=settings.batch_size,
            interval_seconds=settings.classify_interval_seconds,
            brand=brand,
        )
        self.stages = list(stages)
        self.database = DatabaseGuard()

    # --- what the daemon and the commands read ------------------------------------------

    @property
    def health(self) -> SourceHealth:
        return self.intake.health

    @property
    def fleet(self) -> bool:
        """True in the daemon: other processes may share the store (one polls a source at a time)."""
        return self.intake.fleet

    @fleet.setter
    def fleet(self, value: bool) -> None:
        self.intake.fleet = value

    @property
    def stop(self) -> threading.Event:
        """Set on shutdown: long passes end after their current batch."""
        return self.classify.stop

    @stop.setter
    def stop(self, event: threading.Event) -> None:
        self.classify.stop = event

    @property
    def classifier(self) -> Classifier:
        return self.classify.classifier

    @property
    def classifier_loaded(self) -> bool:
        return self.classify.loaded

    def close(self) -> None:
        """Stop the classifier's worker, if any, and release the database connections."""
        self.classify.close()
        self.store.engine.dispose()

    # --- running stages -----------------------------------------------------------------

    def ingest(self, connector: Connector) -> IngestResult:
        """One source's ingest stage, with what it fetched (the stage itself returns the count new)."""
        return self.intake.ingest(connector)

    def refresh_engagement(self, connector: Connector) -> int:
        return self.intake.refresh(connector)

    def classify_pending(self) -> int:
        return self.classify.run_once()

    def classify_batch(self) -> int:
        return self.classify.run_batch()

    @property
    def classify_lanes(self) -> int:
        return self.classify.lanes

    def run_stage(self, stage: Stage) -> int:
        """Run a plugged-in stage (route, deliver, ...) once, saying what it handled."""
        handled = stage.run_once()
        if handled:
            log.info("%s stage handled %d", stage.name, handled, extra={"stage": stage.name, "count": handled})
        return handled

    def run_once(self) -> None:
        """Every stage once, in pipeline order (the later ones until idle): for `earshot run --once`, cron, tests."""
        ingest: list[Stage] = [s for s in self.polled if isinstance(s, IngestStage)]
        engagement: list[Stage] = [s for s in self.polled if isinstance(s, EngagementStage)]
        for stage in [*ingest, self.classify, *engagement]:
            stage.run_once()
        for later in self.stages:
            while self.run_stage(later):
                pass
