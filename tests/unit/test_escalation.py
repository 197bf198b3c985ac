"""Escalation, acknowledgement, quiet hours, the hourly cap and redaction, on a controllable clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlmodel import select
from typer.testing import CliRunner

from bot.core.actions import Delivery
from bot.core.clock import utcnow
from bot.delivery import acknowledge
from bot.delivery.channels import stub
from bot.delivery.redact import redact
from bot.delivery.settings import QuietHours
from bot.store import Store
from bot.store.delivery_tables import OutboxRow
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, clear_stub_channels, settings, titles


@pytest.fixture(autouse=True)
def _clear_stub_channels() -> Iterator[None]:
    clear_stub_channels()
    yield
    clear_stub_channels()


@pytest.fixture
def desk(sqlite_store: Store) -> Desk:
    sqlite_store.save_batch("x", [make_post("1")], None)
    return Desk(sqlite_store, settings(), Clock(NOON))


def test_unacknowledged_alert_escalates_to_the_next_tier_after_its_minutes(desk: Desk) -> None:
    alert_id = desk.raise_alert("a1", "on-call")
    desk.tick()
    assert titles("on-call") == ["[on-call] Alert a1"]
    desk.clock.advance(minutes=14)
    desk.tick()
    assert titles("executive") == []
    desk.clock.advance(minutes=2)
    desk.tick()
    assert titles("executive") == ["[executive] Alert a1 (escalated to executive, level 1)"]
    row = desk.alert(alert_id)
    assert (row.escalation_level, row.current_tier, row.next_escalation_at) == (1, "executive", None)


def test_escalation_climbs_every_tier_until_they_run_out(desk: Desk) -> None:
    desk.clock.now = NOON.replace(hour=9)
    desk.raise_alert("a1", "support")
    for _ in range(6):
        desk.tick()
        desk.clock.advance(minutes=31)
    assert [len(titles(t)) for t in ("support", "on-call", "executive")] == [1, 1, 1]
    assert desk.alert(1).escalation_level == 2


def test_acknowledged_alert_stops_escalating(desk: Desk) -> None:
    alert_id = desk.raise_alert("a1", "on-call")
    desk.tick()
    desk.clock.advance(minutes=5)
    acked = acknowledge(desk.store, alert_id, "dana", now=desk.clock.now)
    assert acked is not None and acked.acked_by == "dana"
    desk.clock.advance(hours=3)
    desk.tick()
    assert titles("executive") == []
    assert desk.alert(alert_id).status == "acked"


def test_second_acknowledgement_keeps_the_first(desk: Desk) -> None:
    alert_id = desk.raise_alert("a1", "on-call")
    acknowledge(desk.store, alert_id, "dana", now=desk.clock.now)
    again = acknowledge(desk.store, alert_id, "eli", now=desk.clock.now + timedelta(minutes=1))
    assert again is not None and again.acked_by == "dana"
    assert acknowledge(desk.store, 999, "eli") is None


def test_quiet_hours_defer_a_low_tier_alert_until_morning_and_never_drop_it(desk: Desk) -> None:
    desk.clock.now = NOON.replace(hour=23)
    alert_id = desk.raise_alert("night", "support")
    desk.tick()
    assert titles("support") == []
    desk.clock.now = NOON.replace(hour=6, minute=59) + timedelta(days=1)
    desk.tick()
    assert titles("support") == []
    desk.clock.advance(minutes=1)
    desk.tick()
    assert titles("support") == ["[support] Alert night"]
    assert desk.alert(alert_id).next_escalation_at == NOON.replace(hour=7, minute=30) + timedelta(days=1)


def test_quiet_hours_do_not_hold_back_the_on_call_tier(desk: Desk) -> None:
    desk.clock.now = NOON.replace(hour=23)
    desk.raise_alert("night", "on-call")
    desk.tick()
    assert titles("on-call") == ["[on-call] Alert night"]


def test_cap_sends_one_summary_instead_of_a_flood(store: Store) -> None:
    store.save_batch("x", [make_post("1")], None)
    desk = Desk(store, settings(cap_per_hour=3), Clock(NOON.replace(minute=10)))
    for index in range(10):
        desk.raise_alert(f"flood-{index}", "executive")
    desk.tick()
    assert len(titles("executive")) == 3
    desk.clock.advance(minutes=49)
    desk.tick()
    assert len(titles("executive")) == 3
    desk.clock.advance(minutes=2)
    desk.tick()
    sent = titles("executive")
    assert len(sent) == 4 and sent[-1] == "Earshot: 7 more alerts held back"
    assert "Alert flood-9" in stub.SENT["executive"][-1].body
    with desk.store.session() as session:
        statuses = [row.status for row in session.exec(select(OutboxRow)).all()]
    assert statuses.count("summarized") == 7


def test_alert_text_is_redacted_when_configured(desk: Desk) -> None:
    desk.raise_alert(
        "pii", "on-call", text="Mail jo@example.com or call +1 (555) 123-4567, order #AB12345, VIN 1HGCM82633A004352"
    )
    desk.tick()
    body = stub.SENT["on-call"][0].body
    for secret in ("jo@example.com", "555", "AB12345", "1HGCM82633A004352"):
        assert secret not in body
    assert "[email]" in body and "[phone]" in body and "[order]" in body and "[vin]" in body


def test_alert_text_is_kept_when_redaction_is_off(sqlite_store: Store) -> None:
    sqlite_store.save_batch("x", [make_post("1")], None)
    desk = Desk(sqlite_store, settings(redact=False), Clock(NOON))
    desk.raise_alert("pii", "on-call", text="Mail jo@example.com")
    desk.tick()
    assert "jo@example.com" in stub.SENT["on-call"][0].body


def test_redaction_leaves_prices_and_years_alone() -> None:
    assert redact("Charged $30,000 for the 2024 recall") == "Charged $30,000 for the 2024 recall"


def test_ack_command_acknowledges_from_the_cli(desk: Desk, tmp_path: Path) -> None:
    from bot.cli.main import app

    alert_id = desk.raise_alert("a1", "on-call")
    config = tmp_path / "config.yaml"
    config.write_text(f"brand: {{name: Aurora}}\ndatabase: {{url: '{desk.store.engine.url}'}}\n")
    result = CliRunner().invoke(app, ["ack", str(alert_id), "--by", "dana", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert desk.alert(alert_id).acked_by == "dana"
    feed = CliRunner().invoke(app, ["alerts", "--config", str(config)])
    assert '"acked_by": "dana"' in feed.output


def test_resolve_and_snooze_commands_silence_alerts_from_the_cli(desk: Desk, tmp_path: Path) -> None:
    from bot.cli.main import app

    first, second = desk.raise_alert("a1", "on-call"), desk.raise_alert("a2", "on-call")
    config = tmp_path / "config.yaml"
    config.write_text(f"brand: {{name: Aurora}}\ndatabase: {{url: '{desk.store.engine.url}'}}\n")

    def cli(*args: str) -> Result:
        return CliRunner().invoke(app, [*args, "--config", str(config)])

    snoozed = cli("snooze", str(first), "--by", "rory", "--for", "90m")
    assert snoozed.exit_code == 0, snoozed.output
    alert = desk.alert(first)
    assert alert.snoozed_by == "rory" and alert.snoozed_until is not None
    assert timedelta(minutes=89) < alert.snoozed_until - utcnow() <= timedelta(minutes=90)
    assert f"alert {first} snoozed by rory until" in snoozed.output

    resolved = cli("resolve", str(second), "--by", "dana")
    assert resolved.exit_code == 0, resolved.output
    assert desk.alert(second).resolved_by == "dana" and desk.alert(second).acked_by == "dana"
    again = cli("snooze", str(second), "--by", "rory")
    assert again.exit_code == 1
    assert again.stderr.strip() == f"error: alert {second} is already resolved by dana: nothing to snooze"
    bad = cli("snooze", str(first), "--by", "rory", "--for", "soon")
    assert bad.exit_code == 1
    assert bad.stderr.strip() == "error: --for 'soon': give a span like 24h, 90m, 7d or 2w"


def test_alert_no_channel_can_deliver_is_marked_failed_but_still_escalates(desk: Desk) -> None:
    channel = desk.deliver.channels["stub:on-call"]
    channel.fail_next = [Delivery(ok=False, error="HTTP 404: no such webhook", retryable=False)]  # type: ignore[attr-defined]
    alert_id = desk.raise_alert("a1", "on-call")
    desk.tick()
    assert desk.alert(alert_id).status == "failed"
    desk.clock.advance(minutes=15)
    desk.tick()
    assert titles("executive") == ["[executive] Alert a1 (escalated to executive, level 1)"]
    assert desk.alert(alert_id).status == "sent"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my order number is 100234987", "my [order]"),
        ("Order: RN-123456 delayed", "[order] delayed"),
        ("call 0151 2345 6789 now", "call [phone] now"),
        ("on 2026-11-20 and 12.11.2026", "on 2026-11-20 and 12.11.2026"),
        ("range dropped 20% to 250 miles", "range dropped 20% to 250 miles"),
    ],
)
def test_redaction_table(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("start", "end", "zone", "now", "expected"),
    [
        ("22:00", "07:00", "Europe/Berlin", NOON.replace(hour=21, minute=30), NOON.replace(hour=6) + timedelta(days=1)),
        ("22:00", "07:00", "Europe/Berlin", NOON.replace(hour=5, minute=30), NOON.replace(hour=6)),
        ("22:00", "07:00", "Europe/Berlin", NOON, NOON),
        ("09:00", "17:00", "UTC", NOON, NOON.replace(hour=17)),
    ],
)
def test_quiet_hours_end_in_the_tiers_own_time_zone(
    start: str, end: str, zone: str, now: datetime, expected: datetime
) -> None:
    quiet = QuietHours.model_validate({"start": start, "end": end, "timezone": zone})
    assert quiet.end_of_quiet(now) == expected


def test_deliver_logs_alerts_per_tier_and_one_line_per_critical_page(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    desk.clock.now = NOON.replace(hour=9)
    first = desk.raise_alert("smoke", "support")  # critical urgency: a page even on the support tier
    second = desk.raise_alert("fire", "on-call")
    with caplog.at_level(logging.INFO, logger="bot.delivery"):
        desk.tick()
    passes = [r for r in caplog.records if r.getMessage() == "delivered"]
    assert [r.alerts_sent for r in passes] == [{"support": 1, "on-call": 1}]  # type: ignore[attr-defined]
    pages = [r for r in caplog.records if r.getMessage() == "critical page sent"]
    assert [(r.alert_id, r.tier, r.post_url) for r in pages] == [  # type: ignore[attr-defined]
        (first, "support", "https://x.com/a/status/1"),
        (second, "on-call", "https://x.com/a/status/1"),
    ]
