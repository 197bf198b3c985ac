"""The classify stage: label every post waiting at `ingested`, then judge whether it is about the brand.

Posts not about the brand, and (with `other_languages: skip`) posts in other languages, move to
`skipped`; the rest to `classified`, in the transaction that stores their labels.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.core import metrics
from bot.core.stage import Stage
from bot.store import Store, StoredPost, Transaction
from bot.store.stages import STAGE_INGESTED
from classifiers.base import Classifier
from classifiers.relevance import BrandTerms, Relevance
from classifiers.settings import ClassifierSettings

log = logging.getLogger(__name__)


class ClassifyStage(Stage):
    """Claims batches of ingested posts and labels them; the model loads on first use and is kept."""

    name = "classify"

    def __init__(
        self,
        store: Store,
        *,
        classifier: Callable[[], Classifier],
        settings: ClassifierSettings,
        batch_size: int,
        interval_seconds: int,
        brand: BrandTerms | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.store, self.settings, self.batch_size = store, settings, batch_size
        self.interval_seconds = interval_seconds
        self.brand = brand  # None: every post counts as about the brand
        self.stop = stop or threading.Event()  # set on shutdown: a pass ends after its current batch
        self._factory = classifier
        self._classifier: Classifier | None = None
        self._relevance: Relevance | None = None
        self._loading = threading.RLock()  # lanes share one model and one relevance check, made once
        self._in_flight: set[int] = set()  # posts a lane of this process has claimed
        self._claims = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model is loaded (for /readyz)."""
        return self._classifier is not None

    @property
    def classifier(self) -> Classifier:
        """The classifier, loaded on first use and then kept."""
        with self._loading:
            if self._classifier is None:
                self._classifier = self._factory()
            return self._classifier

    @property
    def lanes(self) -> int:
        """Loops to run: two when the model has a process of its own, so that it works on one batch while
        the other lane stores the batch before; one otherwise (they would share one GIL)."""
        return 2 if self.settings.own_process else 1

    @property
    def relevance(self) -> Relevance | None:
        """The about-the-brand check, with the classifier's meaning embedding for ambiguous names."""
        with self._loading:
            if self._relevance is None and self.brand is not None:
                topics = [t for t in self.settings.topics if t.name != self.settings.other_topic]
                context = [text for t in topics for text in (t.description, *t.examples) if text]
                self._relevance = Relevance(self.brand, self.classifier.embedding(), context)
            return self._relevance

    def close(self) -> None:
        """Stop the classifier's worker, if one was started."""
        if self._classifier is not None:
            self._classifier.close()

    def run_once(self) -> int:
        """Label every post waiting at `ingested`, one batch per transaction, until none is left or stop.

        Each batch is claimed `FOR UPDATE SKIP LOCKED` in the transaction that stores its labels: on
        PostgreSQL processes classify disjoint batches, and a process that dies releases its claim.
        """
        done = 0
        while not self.stop.is_set() and (count := self.run_batch()):
            done += count
        if done:
            log.info("classified posts", extra={"count": done, "model_version": self.classifier.version})
        return done

    def run_batch(self) -> int:
        """Claim, classify and label one batch in one transaction; returns how many posts.

        Lanes of one process may run this at once: each claims posts no other lane holds, and releases
        them only once its transaction has ended.
        """
        claimed: set[int] = set()
        try:
            with self.store.transaction() as tx:
                with self._claims:
                    pending = tx.posts.claim(STAGE_INGESTED, self.batch_size, exclude=self._in_flight)
                    claimed = {item.id for item in pending}
                    self._in_flight |= claimed
                return self._label(tx, pending) if pending else 0
        finally:
            with self._claims:
                self._in_flight -= claimed

    def _label(self, tx: Transaction, pending: list[StoredPost]) -> int:
        """Classify the claimed posts and store their labels in `tx`; returns how many."""
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
            or (self.settings.other_languages == "skip" and label.language not in self.settings.languages)
        ]
        tx.labels.save([(item.id, label) for item, label in zip(pending, labels, strict=True)], skip=skip)
        return len(pending)
