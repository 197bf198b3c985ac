"""What reading X costs: posts read counted per UTC day and month (durable), shown, and stopped at a cap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

import connectors.ratelimit
from bot.app.alarm import AlarmSettings, trouble
from bot.app.status import status_lines
from bot.cli.main import app
from bot.core.posts import Engagement, Post
from bot.store import Store, telemetry
from connectors.cursor import SpendCount
from connectors.x.spend import CostSettings, Spend, SpendCapReached, worth_repolling
from tests.fakes.fake_api import FakeAPI
from tests.fakes.recorded import fake_data, require_recorded
from tests.integration.test_connectors_fault_injection import pipeline, x_connector

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", lambda _s: None)


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    """The loopback X API serving the recorded twarc pages."""
    require_recorded()
    with FakeAPI(fake_data(), page_size=20) as fake:
        yield fake


@pytest.fixture
def store(migrated_sqlite_url: str) -> Iterator[Store]:
    opened = Store.open(migrated_sqlite_url)
    yield opened
    opened.engine.dispose()


def test_posts_read_are_counted_in_the_cursor_and_survive_a_restart(api, store):
    run = pipeline(store, x_connector(api))
    run.ingest(run.connectors[0])
    spend = store.load_cursor("x")["spend"]
    stored = store.count_posts()
    assert spend["day_reads"] == spend["month_reads"] >= stored > 0  # every post served is paid for
    assert spend["price_per_read_usd"] == 0.005
    again = pipeline(store, x_connector(api))  # a restarted daemon: a new connector, the same database
    again.ingest(again.connectors[0])
    after = store.load_cursor("x")["spend"]
    assert after["day_reads"] == spend["day_reads"]  # kept across the restart (nothing newer was served)
    assert again.connectors[0].spend.month_reads == spend["month_reads"]


def test_x_stops_at_its_daily_cap_with_one_warning_and_the_alarm_at_once(api, store, caplog):
    x = x_connector(api, cost={"daily_cap_usd": 0.05}, max_results=10, max_pages_per_tick=1)  # ten reads a day
    run = pipeline(store, x)
    first = run.ingest(x)  # the first fetch reads past the cap (its walks are finished), the next one stops
    assert first.error and first.error.startswith("x spend cap reached: ") and "of the $0.05 daily cap" in first.error
    assert store.count_posts() == store.load_cursor("x")["spend"]["day_reads"] > 0  # what was paid for is kept
    served = len(api.requests)
    run.health._resume_at.clear()  # as if the pause were over: the cap still holds for today
    second = run.ingest(x)
    assert "x spend cap reached" in (second.error or "") and len(api.requests) == served  # nothing more read
    failing = [r for r in caplog.records if r.levelname == "WARNING" and "source x failing" in r.getMessage()]
    assert len(failing) == 1 and "X is read again from" in failing[0].getMessage()
    activity = store.transaction().__enter__().sources.activity("x", window=timedelta(hours=1))
    now = datetime.now(UTC)
    assert trouble(activity, AlarmSettings(), now, now - timedelta(hours=1)).startswith("SpendCapReached")
    assert store.load_cursor("x")["spend"]["day_reads"] >= 10


def test_the_cap_turns_with_the_utc_day_and_month():
    cost = CostSettings(daily_cap_usd=1.0, monthly_cap_usd=10.0)
    spend = Spend.starting(SpendCount(day="2026-12-07", day_reads=200, month="2026-12", month_reads=200), NOW)
    try:
        spend.check(cost, NOW)
    except SpendCapReached as err:
        assert err.retry_after == 12 * 3600 and "2026-12-08 00:00 UTC" in str(err)
    else:
        raise AssertionError("the daily cap of $1.00 was spent: 200 reads at $0.005")
    spend.check(cost, NOW + timedelta(hours=12))  # a new day
    spend.add(1800, NOW + timedelta(hours=12))
    try:
        spend.check(cost, NOW + timedelta(days=2))
    except SpendCapReached as err:
        assert "monthly cap" in str(err) and "2027-01-01" in str(err)
    else:
        raise AssertionError("the monthly cap of $10.00 was spent: 2,000 reads")


def test_engagement_is_re_polled_only_for_complaints_that_still_move():
    def post(age_hours: float, interactions: int) -> Post:
        created = NOW - timedelta(hours=age_hours)
        return Post(
            source="x",
            native_id=str(age_hours),
            author_handle="a",
            author_reach=1,
            text="t",
            url="https://x.com/a/status/1",
            created_at=created,
            fetched_at=created,
            engagement=Engagement(likes=interactions),
        )

    assert worth_repolling(post(0.5, 0), NOW, 1.0)  # too new to tell
    assert worth_repolling(post(10, 50), NOW, 1.0)  # five an hour
    assert not worth_repolling(post(10, 3), NOW, 1.0)  # it stopped moving: not worth a paid read


def test_the_spend_shows_in_sources_status_and_metrics(api, store, tmp_path, monkeypatch):
    run = pipeline(store, x_connector(api, cost={"daily_cap_usd": 100.0}))
    run.ingest(run.connectors[0])
    reads = store.load_cursor("x")["spend"]["day_reads"]
    config = tmp_path / "config.yaml"
    config.write_text("brand: {name: Aurora Motors}\nconnectors: {replay: {enabled: false}}\n", encoding="utf-8")
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(store.engine.url))
    shown = CliRunner().invoke(app, ["sources", "--config", str(config)])
    assert shown.exit_code == 0, shown.output
    assert f"spend: today {reads:,} reads = ${reads * 0.005:,.2f} (cap $100.00)" in shown.output
    telemetry.register(store)
    try:
        lines = [line for line in status_lines() if line.startswith("source_spend_usd")]
    finally:
        telemetry.unregister(store)
    assert any("period=day" in line and "source=x" in line for line in lines), lines
