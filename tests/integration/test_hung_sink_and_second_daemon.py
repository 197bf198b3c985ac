"""Real daemons under faults: a hung ticket sink beside a healthy alert channel, and a second daemon.

The ticket webhook points at a server that accepts, reads, and then drips one byte every 2 s and
never finishes its reply (a per-read timeout never fires). Safety pages go to a loopback channel
that appends to a file. The stub classifier keeps the run fast and independent of the model.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow
from tests.conftest import REPO

pytestmark = pytest.mark.process

EARSHOT = (
    "import sys, classifiers\n"
    "from classifiers.stub import StubClassifier\n"
    "classifiers.load_classifier = lambda settings, **_: StubClassifier()\n"
    "from bot.cli.main import app\n"
    "app(sys.argv[1:])\n"
)


@pytest.fixture
def dripping_server() -> Iterator[int]:
    """A TCP server that answers every request with one byte every 2 s, forever; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not stop.wait(2.0):
                    conn.sendall(b"x")
            except OSError:
                pass

    def serve() -> None:
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


def _config(tmp_path: Path, hook_port: int) -> Path:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": f"sqlite:///{tmp_path / 'earshot.db'}"}
    document["connectors"]["replay"]["path"] = str(REPO / "data" / "demo")
    webhook = document["routing"]["tickets"]["sinks"]["webhook"]
    webhook.update(enabled=True, url=f"http://127.0.0.1:{hook_port}/hook")
    document["routing"]["tickets"]["retry"]["timeout_seconds"] = 3  # the total deadline of one send
    for name, tier in document["routing"]["alerts"]["tiers"].items():
        tier["urls"] = [f"stub://{name}?path={tmp_path / 'pages.jsonl'}"]
        tier.pop("quiet_hours", None)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _earshot(*args: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "EARSHOT_DATABASE_URL"}
    env.update(PYTHONPATH=str(REPO), EARSHOT_WEBHOOK_SECRET="s3cret-for-tests", PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-c", EARSHOT, *args], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait_for(predicate, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _pages(tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "pages.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _ticket_errors(tmp_path: Path) -> list[str]:
    store = Store.open(f"sqlite:///{tmp_path / 'earshot.db'}", migrate_schema=False)
    try:
        with store.session() as session:
            rows = session.exec(select(OutboxRow).where(OutboxRow.kind == "ticket")).all()
        return [r.last_error for r in rows if "no answer within" in (r.last_error or "")]
    finally:
        store.engine.dispose()


def test_a_hung_ticket_sink_delays_no_safety_page_and_sigterm_stops_in_time(
    tmp_path: Path, dripping_server: int
) -> None:
    config = _config(tmp_path, dripping_server)
    daemon = _earshot("run", "--config", str(config))
    try:
        paged = _wait_for(lambda: any(p["severity"] == "failure" for p in _pages(tmp_path)), 180)
        assert paged, "no safety page went out while the ticket sink hung"
        cut = _wait_for(lambda: _ticket_errors(tmp_path), 60)  # the hung send hit its total deadline
        assert cut, "no ticket send was cut by its deadline"
        stopped_at = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        output, _ = daemon.communicate(timeout=60)
        took = time.monotonic() - stopped_at
    finally:
        daemon.kill()
    assert daemon.returncode == 0, output[-3000:]
    assert took < 30, f"SIGTERM took {took:.0f} s"

    store = Store.open(f"sqlite:///{tmp_path / 'earshot.db'}", migrate_schema=False)
    with store.session() as session:
        alerts = {a.id: a for a in session.exec(select(AlertRow)).all()}
        rows = session.exec(select(OutboxRow)).all()
    store.engine.dispose()
    tickets = [r for r in rows if r.kind == "ticket"]
    pages = [r for r in rows if r.kind == "alert" and r.status == "sent" and not r.payload.get("summary")]
    assert tickets and not any(r.status == "sent" for r in tickets)  # the sink never answered a ticket
    assert any("no answer within" in (r.last_error or "") for r in tickets)  # its total deadline cut it
    assert pages, "no page went out"
    for row in pages:  # each page within 5 s of its alert, though the ticket lane is hung all along
        alert = alerts[row.ref_id]
        assert row.sent_at is not None and (row.sent_at - alert.created_at).total_seconds() < 5, alert.id


def test_a_second_daemon_on_one_sqlite_file_is_refused_with_one_line(tmp_path: Path, dripping_server: int) -> None:
    config = _config(tmp_path, dripping_server)
    first = _earshot("run", "--config", str(config))
    try:
        assert _wait_for(lambda: (tmp_path / "earshot.db.lock").exists() and _pages(tmp_path) != [], 180)
        second = _earshot("run", "--config", str(config))
        output, _ = second.communicate(timeout=120)
    finally:
        first.kill()
        first.wait(30)
    assert second.returncode == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in output, output
    assert lines[0].startswith("database error: another earshot daemon (pid ")
    assert "one daemon per SQLite file" in lines[0]
