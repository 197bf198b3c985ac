"""`earshot alerts` and `earshot tickets` show each alert and ticket with its post id and link."""

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.store.delivery_tables import AlertRow, TicketRow
from tests.conftest import NOW, REPO, make_post

CONFIG = str(REPO / "config.yaml")


@pytest.fixture
def feed(sqlite_store, monkeypatch):
    """A store with one post, two alerts (one acked) and two tickets (new, resolved)."""
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(sqlite_store.engine.url))
    sqlite_store.save_batch("x", [make_post("77")], None)
    post_id = sqlite_store.find_post("x", "77").id
    with sqlite_store.session() as session:
        session.add(
            AlertRow(
                idempotency_key="a1",
                post_id=post_id,
                tier="on-call",
                current_tier="on-call",
                rule="critical",
                message={"title": "Brakes failed"},
                status="sent",
                created_at=NOW,
            )
        )
        session.add(
            AlertRow(
                idempotency_key="a2",
                post_id=post_id,
                tier="support",
                current_tier="support",
                rule="viral",
                message={"title": "Going viral"},
                status="acked",
                acked_by="dana",
                acked_at=NOW,
                created_at=NOW + timedelta(minutes=1),
            )
        )
        for key, status in (("t1", "new"), ("t2", "resolved")):
            session.add(
                TicketRow(
                    idempotency_key=key,
                    post_id=post_id,
                    queue="safety",
                    priority="urgent",
                    status=status,
                    subject="Brakes",
                    body="...",
                    post_url="",
                    first_response_due=NOW + timedelta(hours=1),
                    resolution_due=NOW + timedelta(days=1),
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
    return post_id


def run(*args):
    result = CliRunner().invoke(app, [*args, "--config", CONFIG])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_alerts_print_one_json_object_per_alert_newest_first_with_post_and_link(feed):
    rows = [json.loads(line) for line in run("alerts").splitlines()]
    assert [row["id"] for row in rows] == [2, 1]
    assert rows[1]["title"] == "Brakes failed" and rows[1]["tier"] == "on-call"
    assert {(row["post_id"], row["post_url"]) for row in rows} == {(feed, "https://x.com/someone/status/77")}
    assert rows[0]["acked_by"] == "dana"
    assert run("alerts", "--json") == run("alerts")


def test_alerts_unacked_leaves_acknowledged_ones_out(feed):
    assert [json.loads(line)["id"] for line in run("alerts", "--unacked").splitlines()] == [1]


def test_alerts_table_shows_the_post_and_its_link(feed):
    table = run("alerts", "--table")
    assert "Brakes failed" in table and "acked by dana" in table
    assert f"post {feed}  https://x.com/someone/status/77" in table


def test_tickets_list_queue_priority_status_due_and_post(feed):
    lines = run("tickets").splitlines()
    assert lines[0].split() == ["id", "queue", "priority", "status", "first", "response", "due", "post", "link"]
    assert lines[1].split() == [
        "2",
        "safety",
        "urgent",
        "resolved",
        "2026-11-20",
        "13:00",
        "UTC",
        str(feed),
        "https://x.com/someone/status/77",
    ]
    assert len(lines) == 3


def test_tickets_filter_by_status_and_print_json(feed):
    rows = [json.loads(line) for line in run("tickets", "--status", "new", "--json").splitlines()]
    assert len(rows) == 1
    assert {key: rows[0][key] for key in ("id", "queue", "priority", "status", "post_id", "post_url")} == {
        "id": 1,
        "queue": "safety",
        "priority": "urgent",
        "status": "new",
        "post_id": feed,
        "post_url": "https://x.com/someone/status/77",
    }
    assert rows[0]["first_response_due"] == (NOW + timedelta(hours=1)).isoformat()
    assert run("tickets", "--status", "open") == "no tickets with status open\n"


def test_tickets_reject_an_unknown_status_in_one_line(feed):
    result = CliRunner().invoke(app, ["tickets", "--status", "closed", "--config", CONFIG])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: --status 'closed': must be one of new, open, pending, resolved"
