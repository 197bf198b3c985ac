"""SIGKILL the sender mid-delivery, restart it, and every pending alert and ticket arrives exactly once.

The deliverer runs in a subprocess against loopback sinks. Run 1 is killed from outside while
the server holds a request it has already recorded; run 2 kills itself just before a send;
run 3 finishes. The servers dedup on the idempotency key (as Zendesk, Jira, PagerDuty and the
signed webhook do), so each alert and ticket counts once, and each went on the wire at most twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app.config import load_config
from bot.core.actions import AlertMessage, TicketRequest
from bot.delivery import Outbox
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketRow
from tests.conftest import NOW, REPO, make_post
from tests.fakes.sinks import WEBHOOK_SECRET, FakeServices, fake_services

pytestmark = pytest.mark.process

ALERTS, TICKETS = 5, 2

DELIVERER = textwrap.dedent("""
    import os, signal, sys
    from bot.app.config import load_config
    from bot.delivery import DeliverStage, build_delivery_stages
    from bot.store import Store

    mode, at, config = sys.argv[1], int(sys.argv[2]), load_config(sys.argv[3])
    stages = build_delivery_stages(Store.open(config.database_url), tickets=config.routing.tickets,
                                   alerts=config.routing.alerts)
    deliver = next(stage for stage in stages if isinstance(stage, DeliverStage))
    calls = [0]

    def killing(send):
        def wrapped(*args):
            calls[0] += 1
            if mode == "before" and calls[0] == at:
                os.kill(os.getpid(), signal.SIGKILL)
            return send(*args)
        return wrapped

    for channel in deliver.channels.values():
        channel.send = killing(channel.send)
    for sink in deliver.sinks.values():
        sink.open = killing(sink.open)
    for stage in stages:
        while stage.run_once():
            pass
    print("delivered", calls[0])
""")


@pytest.fixture
def server() -> Iterator[FakeServices]:
    with fake_services(hold_seconds=30.0) as running:
        yield running


@pytest.fixture
def config_path(tmp_path: Path, server: FakeServices) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        textwrap.dedent(f"""
        brand: {{name: Aurora Motors}}
        database: {{url: "sqlite:///{tmp_path / "earshot.db"}"}}
        routing:
          tickets:
            sinks:
              webhook: {{enabled: true, url: "{server.url}/hook", secret_env: EARSHOT_TEST_WEBHOOK_SECRET}}
            retry: {{timeout_seconds: 5}}
          alerts:
            tiers:
              support: {{urls: []}}
              on-call: {{urls: ["json://127.0.0.1:{server.server_address[1]}/alerts"]}}
              executive: {{urls: []}}
            retry: {{timeout_seconds: 5}}
    """)
    )
    return path


def _seed(store: Store, outbox: Outbox) -> None:
    store.save_batch("x", [make_post(str(n)) for n in range(1, ALERTS + TICKETS + 1)], None)
    with store.transaction() as tx:
        for n in range(1, ALERTS + 1):
            outbox.enqueue_alert(
                tx,
                post_id=n,
                message=AlertMessage(
                    idempotency_key=f"alert:{n}",
                    tier="on-call",
                    title=f"Alert {n}",
                    text="kids overheating",
                    post_url=f"https://x.com/a/status/{n}",
                    author_handle="a",
                    author_reach=40,
                    labels={},
                    velocity_per_hour=1.0,
                    projected_reach=40.0,
                    incident_id=None,
                    incident_size=1,
                    rule="safety",
                    reasons=("urgency critical",),
                    feed_url=f"http://feed/alerts/{n}",
                    created_at=NOW,
                ),
            )
        for n in range(ALERTS + 1, ALERTS + TICKETS + 1):
            outbox.enqueue_ticket(
                tx,
                post_id=n,
                request=TicketRequest(
                    idempotency_key=f"ticket:{n}",
                    queue="social",
                    priority="high",
                    subject=f"Ticket {n}",
                    body="charged for a recall",
                    post_url=f"https://x.com/a/status/{n}",
                    author_handle="a",
                    requester_reach=40,
                ),
            )


def _deliverer(config: Path, mode: str, at: int) -> subprocess.Popen[str]:
    env = {**os.environ, "EARSHOT_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET, "PYTHONPATH": str(REPO)}
    env.pop("EARSHOT_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", DELIVERER, mode, str(at), str(config)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigkill_mid_delivery_then_restart_delivers_everything_exactly_once(
    server: FakeServices, config_path: Path
) -> None:
    config = load_config(config_path)
    store = Store.open(config.database_url)
    _seed(store, Outbox(tickets=config.routing.tickets, alerts=config.routing.alerts))

    server.script.append("hang")  # the first alert is recorded, then its reply never comes
    first = _deliverer(config_path, "none", 0)
    assert server.hung.wait(60), "the deliverer never reached the sink"
    first.kill()
    assert first.wait(30) == -9
    server.release.set()
    with store.session() as session:
        assert session.exec(select(OutboxRow).where(OutboxRow.status == "sending")).one().attempts == 1

    second = _deliverer(config_path, "before", 2)  # re-sends the stuck row, dies before the next
    assert second.wait(60) == -9

    third = _deliverer(config_path, "none", 0)
    output, _ = third.communicate(timeout=60)
    assert third.returncode == 0, output

    alerts = server.received.json_alerts
    assert sorted(key.split(":L0:")[0] for key in alerts) == sorted(f"alert:{n}" for n in range(1, ALERTS + 1))
    assert all(len(bodies) <= 2 for bodies in alerts.values())
    assert sum(len(bodies) == 2 for bodies in alerts.values()) == 1  # only the one whose reply was lost
    assert len(server.received.webhook) == TICKETS and server.received.bad_signatures == 0
    with store.session() as session:
        rows = session.exec(select(OutboxRow)).all()
        assert {row.status for row in rows} == {"sent"} and len(rows) == ALERTS + TICKETS
        assert {row.status for row in session.exec(select(AlertRow)).all()} == {"sent"}
        assert all(t.external_refs.get("webhook") for t in session.exec(select(TicketRow)).all())
    store.engine.dispose()
