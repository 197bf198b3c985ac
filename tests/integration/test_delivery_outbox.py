"""The whole delivery path against loopback services: outbox → retries → one ticket per sink, refs written back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import apprise.plugins.pagerduty as pagerduty_plugin
import apprise.plugins.slack as slack_plugin
import pytest
from sqlmodel import select

from bot.app.config import Config
from bot.core.actions import AlertMessage, TicketRequest
from bot.delivery import Outbox, build_delivery_stages
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketRow
from tests.conftest import make_post
from tests.fakes.sinks import WEBHOOK_SECRET, FakeServices, fake_services

START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServices]:
    with fake_services(hold_seconds=1.0) as running:
        monkeypatch.setattr(slack_plugin.NotifySlack, "webhook_url", running.url + "/services")
        for region in list(pagerduty_plugin.PAGERDUTY_API_LOOKUP):
            monkeypatch.setitem(pagerduty_plugin.PAGERDUTY_API_LOOKUP, region, running.url + "/v2/enqueue")
        monkeypatch.setenv("ZENDESK_API_TOKEN", "zd-token")
        monkeypatch.setenv("JIRA_API_TOKEN", "jira-token")
        monkeypatch.setenv("EARSHOT_WEBHOOK_SECRET", WEBHOOK_SECRET)
        yield running


def _config(server: FakeServices) -> Config:
    return Config.model_validate(
        {
            "brand": {"name": "Aurora Motors"},
            "routing": {
                "tickets": {
                    "sinks": {
                        "zendesk": {"enabled": True, "url": server.url, "email": "agent@example.com"},
                        "jira": {"enabled": True, "url": server.url, "project": "SOC", "email": "bot@example.com"},
                        "webhook": {"enabled": True, "url": server.url + "/hook"},
                    },
                    "retry": {"timeout_seconds": 0.5},
                },
                "alerts": {
                    "tiers": {
                        "support": {"urls": []},
                        "on-call": {
                            "urls": ["pagerduty://intkey@apikey", "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOX"],
                            "escalate_after_minutes": 15,
                            "next": "executive",
                        },
                        "executive": {"urls": []},
                    },
                    "retry": {"timeout_seconds": 0.5},
                },
            },
        }
    )


def _request(key: str, body: str) -> TicketRequest:
    return TicketRequest(
        idempotency_key=key,
        queue="social",
        priority="high",
        subject="Charged $30,000 for a recall",
        body=body,
        post_url=f"https://x.com/a/status/{key}",
        author_handle="a",
        requester_reach=40,
        incident_id=7,
    )


def test_outbox_delivers_tickets_comments_and_alerts_once_through_outages(
    server: FakeServices, sqlite_store: Store
) -> None:
    config, clock = _config(server), Clock()
    sqlite_store.save_batch("x", [make_post("1"), make_post("2")], None)
    outbox = Outbox(tickets=config.routing.tickets, alerts=config.routing.alerts, clock=clock)
    with sqlite_store.transaction() as tx:
        ticket_id = outbox.enqueue_ticket(tx, post_id=1, request=_request("t1", "charged for a recall"))
        assert outbox.enqueue_ticket(tx, post_id=2, request=_request("t2", "me too")) == ticket_id
        outbox.enqueue_alert(
            tx,
            post_id=1,
            message=AlertMessage(
                idempotency_key="a1",
                tier="on-call",
                title="Recall charge going viral",
                text="charged $30,000",
                post_url="https://x.com/a/status/1",
                author_handle="a",
                author_reach=40,
                labels={},
                velocity_per_hour=300.0,
                projected_reach=500_000.0,
                incident_id=7,
                incident_size=3,
                rule="viral",
                reasons=("projected reach 500k",),
                feed_url="http://feed/alerts/1",
                created_at=START,
            ),
        )
    server.script.extend([503, "lost", 502])  # zendesk create fails, jira's reply is lost, webhook 502

    stages = build_delivery_stages(
        sqlite_store, tickets=config.routing.tickets, alerts=config.routing.alerts, clock=clock
    )
    for _ in range(6):
        for stage in stages:
            while stage.run_once():
                pass
        clock.now += timedelta(minutes=10)

    received = server.received
    assert len(received.tickets) == 1 and received.zendesk_comments["1"][1].startswith("me too")
    assert list(received.issues) == ["SOC-1"] and len(received.jira_comments["SOC-1"]) == 1
    assert len(received.webhook) == 2  # the open and the comment, each once
    assert len(received.pagerduty) == 1 and len(received.slack) == 1
    with sqlite_store.session() as session:
        ticket = session.get(TicketRow, ticket_id)
        assert ticket is not None and ticket.external_refs == {"zendesk": "1", "jira": "SOC-1", "webhook": "WH-1"}
        rows = session.exec(select(OutboxRow).where(OutboxRow.kind == "ticket")).all()
        assert {row.status for row in rows} == {"sent"} and len(rows) == 6
        alert = session.exec(select(AlertRow)).one()
        assert alert.status == "sent"
