"""Each stage is idempotent and durable: a crash mid-batch resumes without loss or duplicates."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from bot.app.config import load_config
from bot.app.pipeline import Pipeline
from bot.core.errors import AuthFailed, RateLimited, TransientSourceError
from bot.store.stages import STAGE_CLASSIFIED, STAGE_INGESTED, STAGE_SKIPPED
from classifiers.stub import StubClassifier
from connectors.base import Batch, Connector, Skipped
from connectors.cursor import SourceCursor
from tests.conftest import REPO, make_post


@dataclass(frozen=True, kw_only=True)
class ListCursor(SourceCursor):
    """How far a ListConnector has served: stored as `{"next": n}`."""

    next: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"next": self.next}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ListCursor:
        return cls(next=int(data["next"]))


class ListConnector(Connector):
    """Serves numbered posts in pages, or raises the errors it is given, in order."""

    interval_seconds = 60
    cursor_type = ListCursor

    def __init__(self, name: str, total: int, page: int = 3, errors: Sequence[Exception] = ()) -> None:
        self.name, self.total, self.page, self.errors = name, total, page, list(errors)

    def fetch(self, cursor):
        if self.errors:
            raise self.errors.pop(0)
        start = (ListCursor.given(cursor) or ListCursor()).next
        end = min(start + self.page, self.total)
        posts = [make_post(f"{self.name}-{i}") for i in range(start, end)]
        return Batch(
            posts=posts,
            next_cursor=ListCursor(next=end),
            exhausted=end >= self.total,
            skipped=[Skipped(reason="corrupt")] if start == 0 else [],
        )


class CrashingClassifier(StubClassifier):
    """Fails on its second call, like a process killed mid-run."""

    calls = 0

    def classify(self, posts):
        CrashingClassifier.calls += 1
        if CrashingClassifier.calls == 2:
            raise RuntimeError("killed")
        return super().classify(posts)


@pytest.fixture
def config():
    settings = load_config(REPO / "config.yaml")
    return settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update={"batch_size": 4})})


def pipeline(config, store, connectors, classifier=StubClassifier, clock=lambda: 0.0):
    """The pipeline composed from a Config's sections, as the daemon composes it."""
    return Pipeline(
        store,
        connectors,
        classifier=classifier,
        settings=config.pipeline,
        engagement=config.connectors.engagement,
        classifier_settings=config.classifier,
        clock=clock,
    )


def test_ingest_pages_until_exhausted_and_counts_skips(config, store):
    result = pipeline(config, store, [ListConnector("x", 7)]).ingest(ListConnector("x", 7))
    assert (result.new, result.skipped) == (7, 1)
    assert store.load_cursor("x") == {"next": 7}


def test_running_twice_adds_no_duplicates(config, store):
    run = pipeline(config, store, [ListConnector("x", 5)])
    run.run_once()
    run.run_once()
    assert store.count_posts() == 5
    assert store.count_posts(STAGE_CLASSIFIED) == 5


def test_classify_crash_mid_batch_resumes_without_loss(config, store):
    CrashingClassifier.calls = 0
    store.save_batch("x", [make_post(str(i)) for i in range(10)], None)
    crashing = pipeline(config, store, [], classifier=CrashingClassifier)
    with pytest.raises(RuntimeError):
        crashing.classify_pending()
    assert store.count_posts(STAGE_CLASSIFIED) == 4  # the first batch was committed
    assert pipeline(config, store, []).classify_pending() == 6
    assert store.count_posts(STAGE_INGESTED) == 0


def test_deleted_posts_are_stored_but_never_classified(config, store):
    store.save_batch(
        "x",
        [make_post("1", text="", is_deleted=True)],
        None,
        stage_for=lambda p: STAGE_SKIPPED if p.is_deleted else STAGE_INGESTED,
    )
    assert pipeline(config, store, []).classify_pending() == 0
    assert store.count_posts(STAGE_SKIPPED) == 1


def test_a_failing_source_logs_once_and_recovers_once(config, store, caplog):
    errors = [TransientSourceError("502"), TransientSourceError("502"), TransientSourceError("503")]
    connector = ListConnector("x", 2, errors=errors)
    run = pipeline(config, store, [connector])
    with caplog.at_level(logging.INFO):
        for _ in range(4):
            run.ingest(connector)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("failing" in m for m in messages) == 1
    assert sum("recovered" in m for m in messages) == 1
    assert store.source_state("x").status == "ok" and store.count_posts() == 2


def test_auth_failure_stops_that_source_only(config, store):
    bad = ListConnector("x", 3, errors=[AuthFailed("401 Unauthorized")])
    good = ListConnector("reddit", 3)
    run = pipeline(config, store, [bad, good])
    run.run_once()
    run.run_once()
    assert store.source_state("x").status == "stopped"
    assert "401" in store.source_state("x").last_error
    assert store.count_posts() == 3  # reddit kept running


def test_rate_limited_source_resumes_from_saved_cursor(config, store):
    now = [0.0]
    connector = ListConnector("x", 6, errors=[])
    run = pipeline(config, store, [connector], clock=lambda: now[0])
    store.save_batch("x", [make_post("x-0")], {"next": 3})
    connector.errors.append(RateLimited("429", retry_after=900))
    run.ingest(connector)
    assert run.ingest(connector).new == 0  # still waiting out the limit
    now[0] = 901
    assert run.ingest(connector).new == 3
    assert store.load_cursor("x") == {"next": 6}


def test_other_languages_can_be_skipped(config, store):
    settings = config.model_copy(
        update={"classifier": config.classifier.model_copy(update={"other_languages": "skip", "languages": ["de"]})}
    )
    store.save_batch("x", [make_post("1")], None)
    pipeline(settings, store, []).classify_pending()
    assert store.count_posts(STAGE_SKIPPED) == 1


class CountingConnector(ListConnector):
    """Counts its fetches: how often a source was polled."""

    def __init__(self, name: str, total: int) -> None:
        super().__init__(name, total)
        self.fetches = 0

    def fetch(self, cursor):
        self.fetches += 1
        return super().fetch(cursor)


def test_in_a_fleet_a_source_is_polled_by_one_process_per_interval(config, store):
    first_source, second_source = CountingConnector("x", 3), CountingConnector("x", 3)
    first = pipeline(config, store, [first_source])
    second = pipeline(config, store, [second_source])
    first.fleet = second.fleet = True
    assert first.ingest(first_source).new == 3
    assert second.ingest(second_source).new == 0 and second_source.fetches == 0  # polled elsewhere just now
    first.ingest(first_source)
    assert first_source.fetches == 2  # its own last poll never holds a process back


def test_classify_claims_each_batch_and_labels_it_in_one_transaction(config, store):
    run = pipeline(config, store, [ListConnector("x", 6)])
    run.ingest(ListConnector("x", 6))
    assert run.classify_batch() == 4  # batch_size 4
    assert store.count_posts(STAGE_INGESTED) == 2
    run.stop.set()
    assert run.classify_pending() == 0  # stopping: no new batch starts
    run.stop.clear()
    assert run.classify_pending() == 2 and store.count_posts(STAGE_CLASSIFIED) == 6


class CountingClassifier(StubClassifier):
    """Counts every post it labels, slowly enough that two lanes overlap."""

    seen: list[str] = []

    def classify(self, posts):
        CountingClassifier.seen += [p.native_id for p in posts]
        time.sleep(0.02)
        return super().classify(posts)


def test_two_classify_lanes_label_every_post_once(config, store):
    CountingClassifier.seen = []
    store.save_batch("x", [make_post(str(i)) for i in range(60)], None)
    run = pipeline(config, store, [], classifier=CountingClassifier)
    assert run.classify_lanes == 2  # the shipped config runs the model in its own process
    lanes = [threading.Thread(target=run.classify_pending) for _ in range(run.classify_lanes)]
    for lane in lanes:
        lane.start()
    for lane in lanes:
        lane.join(60)
    assert sorted(CountingClassifier.seen) == sorted(str(i) for i in range(60))  # each once, none twice
    assert store.count_posts(STAGE_CLASSIFIED) == 60 and not run.classify._in_flight  # noqa: SLF001
