"""/metrics: the default registry, parsed with Prometheus's own parser, shows the figures the issue lists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from bot.app.status import status_lines
from bot.core import metrics
from bot.core.actions import Delivery
from bot.core.posts import DeadLetter
from bot.delivery import acknowledge
from bot.delivery.channels import stub
from bot.store import Store, telemetry
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, clear_stub_channels, settings


@pytest.fixture
def registered(store: Store) -> Iterator[Store]:
    clear_stub_channels()
    telemetry.register(store)
    yield store
    telemetry.unregister(store)
    clear_stub_channels()


def scrape() -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample of the default registry, by sample name and sorted labels, through the text format."""
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(generate_latest(REGISTRY).decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def test_metrics_parse_and_show_intake_queues_latency_ack_and_failures(registered: Store) -> None:
    store = registered
    store.save_batch(
        "x",
        [make_post("1"), make_post("2"), make_post("3")],
        {"since_id": "3"},
        skipped=1,
        dead=[DeadLetter(source="x", reason="unusable tweet", payload="{}")],
    )
    clock = Clock(NOON)
    desk = Desk(store, settings(), clock)
    first = desk.raise_alert("a1", "on-call")
    desk.raise_alert("a2", "on-call")
    channel = desk.deliver.channels["stub:on-call"]
    assert isinstance(channel, stub.Channel)
    channel.fail_next.append(Delivery(ok=False, error="503", retryable=True))
    desk.tick()
    clock.advance(minutes=10)
    desk.tick()
    acknowledge(store, first, "dana", now=clock.now)
    metrics.classified(3, 0.2)
    metrics.rate_limited("x", 12.0)
    metrics.BUDGET_REMAINING.labels(source="x").set(440)

    got = scrape()

    assert got["earshot_store_scrape_ok"][()] == 1
    assert got["earshot_posts_ingested_total"][(("source", "x"),)] == 3
    assert got["earshot_records_skipped_total"][(("source", "x"),)] == 1
    assert got["earshot_dead_letters"][(("source", "x"),)] == 1
    assert got["earshot_queue_depth"][(("stage", "classify"),)] == 3
    assert got["earshot_queue_depth"][(("stage", "deliver_alert"),)] == 0
    assert got["earshot_delivery_failures_total"][(("kind", "alert"), ("target", "stub:on-call"))] == 1
    assert got["earshot_alert_latency_seconds_count"][(("since", "post_created"),)] == 2
    assert got["earshot_alert_latency_seconds_count"][(("since", "ingested"),)] == 2
    assert got["earshot_time_to_acknowledge_seconds_count"][()] == 1
    assert got["earshot_alerts_unacknowledged"][()] == 1
    assert got["earshot_source_up"][(("source", "x"),)] == 1
    assert got["earshot_classification_seconds_count"][()] >= 1
    assert got["earshot_classification_batch_size_count"][()] >= 1
    assert got["earshot_rate_limit_waits_total"][(("by", "server"), ("source", "x"))] >= 1
    assert got["earshot_request_budget_remaining"][(("source", "x"),)] == 440
    lines = status_lines()
    assert any(line.startswith("posts_ingested") and "source=x" in line and line.endswith(" 3") for line in lines)
    assert any(line.startswith("time_to_acknowledge_seconds") and "1 seen" in line for line in lines)


def test_a_store_that_does_not_answer_is_reported_not_raised(tmp_path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'e.db'}")
    telemetry.register(store)
    try:
        store.engine.dispose()
        (tmp_path / "e.db").unlink()
        (tmp_path / "e.db").mkdir()
        got = scrape()
    finally:
        telemetry.unregister(store)
    assert got["earshot_store_scrape_ok"][()] == 0


def test_a_second_store_replaces_the_first_without_duplicate_families(tmp_path) -> None:
    first, second = (Store.open(f"sqlite:///{tmp_path / name}") for name in ("a.db", "b.db"))
    second.save_batch("reddit", [make_post("9", source="reddit")], None)
    telemetry.register(first)
    telemetry.register(second)  # a daemon built twice in one process (tests, `run --once` twice)
    try:
        got = scrape()
    finally:
        telemetry.unregister(second)
        first.engine.dispose()
        second.engine.dispose()
    assert got["earshot_posts_ingested_total"] == {(("source", "reddit"),): 1}
