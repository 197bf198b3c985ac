"""The silent-source alarm: a quiet, stalled or failing source pages the operator tier once, then says it recovered."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.app.alarm import AlarmSettings, SourceAlarm
from bot.core.clock import utcnow
from bot.core.errors import AuthFailed, TransientSourceError
from bot.delivery import build_channels
from bot.delivery.channels import stub
from bot.delivery.settings import AlertSettings
from bot.store import Store
from connectors.health import SourceHealth
from tests.conftest import REPO, make_post
from tests.unit.delivery_support import Clock, clear_stub_channels


@pytest.fixture(autouse=True)
def _clear() -> Iterator[None]:
    clear_stub_channels()
    yield
    clear_stub_channels()


def alarm(store: Store, clock: Clock, recordings: tuple[str, ...] = (), **settings: object) -> SourceAlarm:
    alerts = AlertSettings.model_validate({"tiers": {"operator": {"urls": ["stub://ops"]}}})
    return SourceAlarm(
        store,
        AlarmSettings.model_validate(settings),
        sources={"x": 60},
        channels=build_channels(alerts),
        recordings=recordings,
        clock=clock,
    )


def a_day_of_posts(store: Store, count: int = 48) -> None:
    """`count` posts over the last day, as a source yields them (so its usual gap is 24 h / count)."""
    now = utcnow()
    for i in range(count):
        created = now - timedelta(minutes=30 * (count - i))
        store.save_batch("x", [make_post(f"p{i}", created_at=created, fetched_at=now)], {"since_id": str(i)})


def notices() -> list[str]:
    return [notice.title for notice in stub.SENT.get("ops", [])]


def test_a_source_that_goes_quiet_raises_the_alarm_once_and_then_says_it_recovered(sqlite_store: Store) -> None:
    a_day_of_posts(sqlite_store)
    clock = Clock(utcnow())
    watcher = alarm(sqlite_store, clock, min_silence_minutes=60, stalled_minutes=10_000)
    assert watcher.run_once() == 0  # a gap of 30 min, silence allowed for max(6 x 30 min, 60 min) = 3 h

    clock.advance(hours=2)
    assert watcher.run_once() == 0 and notices() == []
    clock.advance(hours=1, minutes=5)
    assert watcher.run_once() == 1
    assert watcher.run_once() == 0  # once, not every check
    assert notices() == ["Earshot: source x needs attention"]
    assert "silent" in (sqlite_store.source_state("x").alarm_reason or "")

    sqlite_store.save_batch("x", [make_post("new", created_at=utcnow())], {"since_id": "new"})
    clock.now = utcnow()  # the store stamps intake with the real clock: the check follows it
    assert watcher.run_once() == 1
    assert notices() == ["Earshot: source x needs attention", "Earshot: source x recovered"]
    assert sqlite_store.source_state("x").alarm_since is None


def test_a_recording_that_ended_is_never_called_silent_but_still_stalls(sqlite_store: Store) -> None:
    a_day_of_posts(sqlite_store)
    clock = Clock(utcnow())
    watcher = alarm(sqlite_store, clock, recordings=("x",), min_silence_minutes=60, stalled_minutes=300)
    clock.advance(hours=4)  # a live source would be silent after 3 h
    assert watcher.run_once() == 0 and notices() == []
    clock.advance(hours=1, minutes=5)
    assert watcher.run_once() == 1
    assert "stalled" in (sqlite_store.source_state("x").alarm_reason or "")


def test_the_daemon_counts_the_replay_as_a_recording_and_x_as_live(tmp_path: Path) -> None:
    from bot.app.config import load_config
    from bot.app.daemon import build_alarm
    from connectors.replay.connector import ReplayConnector

    config = load_config(REPO / "config.yaml")
    replay = ReplayConnector(config.connectors.replay, REPO / "data" / "demo")
    live = SimpleNamespace(name="x", interval_seconds=60, recording=False)
    (watcher,) = build_alarm(config, Store.open(f"sqlite:///{tmp_path / 'e.db'}"), [replay, live])
    assert isinstance(watcher, SourceAlarm) and watcher.recordings == {"replay"}


def test_a_source_with_too_little_history_is_never_called_silent(sqlite_store: Store) -> None:
    a_day_of_posts(sqlite_store, count=2)
    clock = Clock(utcnow())
    watcher = alarm(sqlite_store, clock, stalled_minutes=10_000)
    clock.advance(hours=20)
    assert watcher.run_once() == 0


def test_a_source_whose_cursor_stops_moving_raises_the_alarm(sqlite_store: Store) -> None:
    a_day_of_posts(sqlite_store, count=2)
    clock = Clock(utcnow())
    watcher = alarm(sqlite_store, clock, stalled_minutes=30)
    clock.advance(minutes=20)
    assert watcher.run_once() == 0
    clock.advance(minutes=15)
    assert watcher.run_once() == 1
    assert "stalled" in (sqlite_store.source_state("x").alarm_reason or "")


def test_a_source_that_keeps_failing_raises_the_alarm_and_refused_credentials_at_once(sqlite_store: Store) -> None:
    a_day_of_posts(sqlite_store, count=2)
    clock = Clock(utcnow())
    watcher = alarm(sqlite_store, clock, failing_minutes=15, stalled_minutes=10_000)
    health = SourceHealth(sqlite_store)
    health.failed("x", TransientSourceError("503"))
    clock.advance(minutes=10)
    assert watcher.run_once() == 0
    clock.advance(minutes=10)
    assert watcher.run_once() == 1
    assert "failing" in (sqlite_store.source_state("x").alarm_reason or "")
    health.succeeded("x")
    assert watcher.run_once() == 1 and notices()[-1] == "Earshot: source x recovered"
    health.failed("x", AuthFailed("401"))
    assert watcher.run_once() == 1 and "stopped" in (sqlite_store.source_state("x").alarm_reason or "")


def test_an_alarm_a_channel_refused_is_sent_again_at_the_next_check(sqlite_store: Store) -> None:
    a_day_of_posts(sqlite_store, count=2)
    clock = Clock(utcnow())
    watcher = alarm(sqlite_store, clock, stalled_minutes=30)
    channel = watcher.channels["stub:ops"]
    assert isinstance(channel, stub.Channel)
    from bot.core.actions import Delivery

    channel.fail_next.append(Delivery(ok=False, error="503"))
    clock.advance(minutes=31)
    assert watcher.run_once() == 1 and notices() == []
    assert watcher.run_once() == 0 and notices() == ["Earshot: source x needs attention"]
