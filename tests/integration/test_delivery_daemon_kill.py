"""The daemon over the demo stream, SIGKILLed while a sink holds an alert, then restarted: each alert once.

Every tier points at one loopback JSON webhook (apprise `json://`, which carries the outbox's
idempotency key as a header, so the receiver dedups as PagerDuty or Zendesk would). The stub
classifier keeps it fast and independent of the trained model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot.store import Store
from bot.store.delivery_tables import OutboxRow
from tests.conftest import REPO
from tests.fakes.sinks import FakeServices, fake_services

pytestmark = pytest.mark.process

EARSHOT = (
    "import sys, classifiers\n"
    "from classifiers.stub import StubClassifier\n"
    "classifiers.load_classifier = lambda settings, **_: StubClassifier()\n"
    "from bot.cli.main import app\n"
    "app(sys.argv[1:])\n"
)


@pytest.fixture
def server() -> Iterator[FakeServices]:
    with fake_services(hold_seconds=60.0) as running:
        yield running


def _config(tmp_path: Path, server: FakeServices) -> Path:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": f"sqlite:///{tmp_path / 'earshot.db'}"}
    document["connectors"]["replay"]["path"] = str(REPO / "data" / "demo")
    document["pipeline"].update(classify_interval_seconds=1, route_interval_seconds=1, deliver_interval_seconds=1)
    document["routing"]["alerts"]["public_reply_acknowledges"] = False  # every alert goes out, none is answered
    for tier in document["routing"]["alerts"]["tiers"].values():
        tier["urls"] = [f"json://127.0.0.1:{server.server_address[1]}/alerts"]
        tier.pop("quiet_hours", None)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _earshot(*args: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "EARSHOT_DATABASE_URL"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.Popen(
        [sys.executable, "-c", EARSHOT, *args],
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_daemon_killed_mid_delivery_delivers_every_alert_exactly_once_after_restart(
    tmp_path: Path, server: FakeServices
) -> None:
    config = _config(tmp_path, server)
    server.script.append("hang")  # the first alert reaches the sink, and its reply never comes back
    daemon = _earshot("run", "--config", str(config))
    if not server.hung.wait(120):
        daemon.kill()
        pytest.fail("the daemon never delivered an alert:\n" + (daemon.communicate()[0] or "")[-2000:])
    daemon.kill()
    assert daemon.wait(30) == -9
    server.release.set()

    restarted = _earshot("run", "--once", "--config", str(config))
    output, _ = restarted.communicate(timeout=300)
    assert restarted.returncode == 0, output[-2000:]

    store = Store.open(f"sqlite:///{tmp_path / 'earshot.db'}")
    with store.session() as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.kind == "alert")).all()
    store.engine.dispose()
    assert rows and {row.status for row in rows} == {"sent"}
    received = server.received.json_alerts
    assert sorted(received) == sorted(row.idempotency_key for row in rows)  # every alert, none extra
    assert sum(len(bodies) for bodies in received.values()) <= len(rows) + 1  # only the held one went twice
