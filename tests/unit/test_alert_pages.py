"""What a page says, line by line, and the summary that stands in for the alerts a channel's cap held back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.delivery.channels import stub
from bot.delivery.channels.base import Notice
from bot.store import Store
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, clear_stub_channels, settings


@pytest.fixture
def desk(sqlite_store: Store) -> Iterator[Desk]:
    clear_stub_channels()
    sqlite_store.save_batch("x", [make_post("1")], None)
    yield Desk(sqlite_store, settings(), Clock(NOON))
    clear_stub_channels()


def _sent(channel: str) -> list[Notice]:
    return stub.SENT.get(channel, [])


def test_a_page_carries_the_post_its_author_labels_reach_incident_and_why(desk: Desk) -> None:
    alert_id = desk.raise_alert(
        "k1",
        "on-call",
        text="The car is smoking",
        incident_id=7,
        incident_size=3,
        author_reach=12_500,
        projected_reach=2_400_000.0,
        labels={
            "urgency": {"label": "critical", "score": 0.93},
            "topics": [{"label": "battery", "score": 0.81}, "charging"],
            "complaint": True,
        },
        reasons=("urgency critical", "children at risk"),
    )
    desk.tick()
    [page] = _sent("on-call")
    lines = page.body.splitlines()
    assert lines[:2] == ["The car is smoking", ""]
    for line in [
        "Post: https://x.com/a/status/1",
        "Author: @a · reach 12.5k",
        "Labels: complaint=True, topics=battery (0.81)/charging, urgency=critical (0.93)",
        "Velocity: 12/h · projected reach 2.4M",
        "Incident: #7, 3 posts",
        "Rule: safety-override — urgency critical; children at risk",
        f"Alert #{alert_id} (on-call): http://feed/alerts/1 — acknowledge with `earshot ack {alert_id} --by NAME`",
    ]:
        assert line in lines, (line, lines)
    assert (page.title, page.severity, page.url) == ("[on-call] Alert k1", "failure", "https://x.com/a/status/1")
    assert page.idempotency_key == "k1:L0:stub:on-call" and lines[-1] == f"Ref: {page.idempotency_key}"


def test_a_page_about_a_lone_post_by_an_unknown_author_says_so(desk: Desk) -> None:
    desk.raise_alert(
        "k2",
        "support",
        text="Meh",
        author_handle=None,
        author_reach=None,
        labels={},
        reasons=(),
        rule="complaint",
        incident_size=1,
    )
    desk.tick()
    [page] = _sent("support")
    lines = page.body.splitlines()
    for line in [
        "Author: @unknown · reach unknown",
        "Labels: none",
        "Velocity: 12/h · projected reach 900",
        "Incident: no incident",
        "Rule: complaint",
    ]:
        assert line in lines, (line, lines)
    assert page.severity == "warning"  # support, not escalated, not critical


def test_an_incident_of_one_post_is_one_post(desk: Desk) -> None:
    desk.raise_alert("k3", "on-call", incident_id=9, incident_size=1)
    desk.tick()
    assert "Incident: #9, 1 post" in _sent("on-call")[0].body.splitlines()


def test_the_summary_lists_twenty_titles_then_counts_the_rest(sqlite_store: Store) -> None:
    clear_stub_channels()
    sqlite_store.save_batch("x", [make_post("1")], None)
    desk = Desk(sqlite_store, settings(cap_per_hour=1, redact=False), Clock(NOON.replace(minute=10)))
    for index in range(24):  # one goes out, 23 are held back
        desk.raise_alert(f"flood-{index}", "executive", title=f"Alert {index} from jo@example.com")
    desk.tick()
    desk.clock.advance(minutes=51)
    desk.tick()
    [_first, summary] = _sent("executive")
    lines = summary.body.splitlines()
    assert lines[0] == "23 alerts over this channel's hourly cap (2026-11-20 12:00–13:00 UTC):"
    assert lines[1:21] == [f"• Alert {index} from jo@example.com" for index in range(1, 21)]  # redaction off
    assert lines[21:23] == ["… and 3 more", "All alerts: http://feed/alerts"]
    assert lines[-1] == f"Ref: {summary.idempotency_key}" and summary.idempotency_key.startswith("summary")
    assert (summary.title, summary.severity, summary.url) == (
        "Earshot: 23 more alerts held back",
        "warning",
        "http://feed/alerts",
    )
    clear_stub_channels()


@pytest.mark.parametrize(("held", "last"), [(20, "All alerts: http://feed/alerts"), (21, "… and 1 more")])
def test_twenty_held_titles_are_all_listed_and_a_twenty_first_is_counted(
    sqlite_store: Store, held: int, last: str
) -> None:
    clear_stub_channels()
    sqlite_store.save_batch("x", [make_post("1")], None)
    desk = Desk(sqlite_store, settings(cap_per_hour=1), Clock(NOON.replace(minute=10)))
    for index in range(held + 1):
        desk.raise_alert(f"flood-{index}", "executive")
    desk.tick()
    desk.clock.advance(minutes=51)
    desk.tick()
    lines = _sent("executive")[1].body.splitlines()
    assert lines[1:21] == [f"• Alert flood-{index}" for index in range(1, 21)]
    assert lines[21] == last
    clear_stub_channels()
