"""Two daemons on one PostgreSQL database share the demo stream: each post classified once, each alert sent once.

Both start together on a fresh database (their migrations must not race). Every tier points at one
loopback JSON webhook that records each delivery by idempotency key. Each daemon's classifier (the
stub) appends the ids it labelled to its own file, once its batch's transaction committed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import func, select

from bot.store import Store
from bot.store.delivery_tables import OutboxRow
from bot.store.tables import ClassificationRow, PostRow
from tests.conftest import REPO, child_pids, process_running
from tests.fakes.sinks import FakeServices, fake_services

pytestmark = [pytest.mark.postgres, pytest.mark.process]
OWED = ("pending", "sending", "held")  # alert rows still to be sent; a cancelled one (acknowledged meanwhile) is not

STUB = """
import classifiers
from classifiers.stub import StubClassifier
classifiers.load_classifier = lambda settings, **_: StubClassifier()
"""
EARSHOT = """
import os, sys
from bot.store.ops import labels
save = labels.Labels.save

def save_labels(self, labelled, **kw):  # note what this process labelled; written once committed
    save(self, labelled, **kw)
    self.session.info.setdefault("labelled", []).extend(post_id for post_id, _ in labelled)

labels.Labels.save = save_labels
from sqlalchemy import event
from sqlmodel import Session

@event.listens_for(Session, "after_commit")
def _note(session):
    ids = session.info.pop("labelled", [])
    if ids:
        with open(os.environ["EARSHOT_LABELLED_LOG"], "a") as out:
            out.write("".join(f"{i}\\n" for i in ids))

from bot.cli.main import app
app(sys.argv[1:])
"""


@pytest.fixture
def server() -> Iterator[FakeServices]:
    with fake_services() as running:
        yield running


def _config(tmp_path: Path, url: str, server: FakeServices) -> Path:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": url}
    document["connectors"]["replay"]["path"] = str(REPO / "data" / "demo")
    document["pipeline"].update(batch_size=64, classify_interval_seconds=2, route_interval_seconds=2)
    document["routing"]["alerts"]["cap_per_hour"] = 1000
    for tier in document["routing"]["alerts"]["tiers"].values():
        tier["urls"] = [f"json://127.0.0.1:{server.server_address[1]}/alerts"]
        tier.pop("quiet_hours", None)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _earshot(config: Path, log: Path, *, model: bool = False) -> subprocess.Popen[str]:
    """A daemon; with `model`, the shipped classifier in its worker process instead of the stub."""
    env = {key: value for key, value in os.environ.items() if key != "EARSHOT_DATABASE_URL"}
    env.update(PYTHONPATH=str(REPO), EARSHOT_LABELLED_LOG=str(log), PYTHONUNBUFFERED="1")
    script = EARSHOT if model else STUB + EARSHOT
    return subprocess.Popen(
        [sys.executable, "-c", script, "run", "--config", str(config)], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _progress(url: str) -> tuple[int, int, int]:
    """(posts stored, posts not yet routed or skipped, outbox alert rows still owed a send)."""
    store = Store.open(url, migrate_schema=False)
    try:
        with store.session() as session:
            total = session.exec(select(func.count()).select_from(PostRow)).one()
            waiting = session.exec(
                select(func.count()).select_from(PostRow).where(PostRow.stage.in_(("ingested", "classified")))  # type: ignore[attr-defined]
            ).one()
            unsent = session.exec(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == "alert", OutboxRow.status.in_(OWED))  # type: ignore[attr-defined]
            ).one()
        return int(total), int(waiting), int(unsent)
    except Exception:  # noqa: BLE001 - the schema may not exist yet while the daemons start
        return 0, 1, 1
    finally:
        store.engine.dispose()


def _unsent(url: str) -> list[tuple[object, ...]]:
    """What a stuck run left unsent: (target, status, attempts, next attempt, last error) per alert row."""
    store = Store.open(url, migrate_schema=False)
    try:
        with store.session() as session:
            rows = session.exec(select(OutboxRow).where(OutboxRow.kind == "alert", OutboxRow.status.in_(OWED))).all()  # type: ignore[attr-defined]
            return [(r.target, r.status, r.attempts, r.next_attempt_at, r.last_error) for r in rows]
    finally:
        store.engine.dispose()


def _wait_done(url: str, daemons: list[subprocess.Popen[str]], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        total, waiting, unsent = _progress(url)
        if total > 300 and waiting == 0 and unsent == 0:  # the demo stream holds a few hundred posts
            return
        dead = [d for d in daemons if d.poll() is not None]
        assert not dead, f"a daemon died: {dead[0].communicate()[0][-3000:] if dead else ''}"
        time.sleep(1)
    pytest.fail(f"not done after {seconds} s: {_progress(url)}; alert rows not sent: {_unsent(url)}")


def _stop(daemons: list[subprocess.Popen[str]]) -> list[str]:
    for daemon in daemons:
        daemon.send_signal(signal.SIGTERM)
    outputs = [daemon.communicate(timeout=60)[0] for daemon in daemons]
    assert [daemon.returncode for daemon in daemons] == [0] * len(daemons), "\n".join(o[-2000:] for o in outputs)
    return outputs


def _alert_keys(url: str) -> list[str]:
    store = Store.open(url, migrate_schema=False)
    with store.session() as session:
        keys = session.exec(
            select(OutboxRow.idempotency_key).where(OutboxRow.kind == "alert", OutboxRow.status != "cancelled")
        ).all()  # a row cancelled before its send (the brand replied in public meanwhile) is owed nothing
        labelled = session.exec(select(func.count()).select_from(ClassificationRow)).one()
        posts = session.exec(select(func.count()).select_from(PostRow).where(PostRow.stage != "skipped")).one()
    store.engine.dispose()
    assert labelled >= posts  # every post that is not skipped was labelled
    return list(keys)


def test_two_daemons_share_the_stream_each_post_classified_once_each_alert_sent_once(
    tmp_path: Path, postgres_url: str, server: FakeServices
) -> None:
    config = _config(tmp_path, postgres_url, server)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    daemons = [_earshot(config, log) for log in logs]  # started together on a fresh database
    try:
        _wait_done(postgres_url, daemons)
        _stop(daemons)
    finally:
        for daemon in daemons:
            daemon.kill()
    labelled = Counter(line for log in logs if log.exists() for line in log.read_text().split())
    total, _, _ = _progress(postgres_url)
    assert labelled and max(labelled.values()) == 1, "a post was classified twice"
    assert len(labelled) >= total - 20  # every post (deleted ones are never classified)
    keys = _alert_keys(postgres_url)
    received = server.received.json_alerts
    assert keys and sorted(received) == sorted(keys)
    assert all(len(bodies) == 1 for bodies in received.values()), "an alert was sent twice"


def test_a_daemon_killed_mid_run_loses_nothing_the_other_carries_on(
    tmp_path: Path, postgres_url: str, server: FakeServices
) -> None:
    config = _config(tmp_path, postgres_url, server)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    daemons = [_earshot(config, log) for log in logs]
    try:
        deadline = time.monotonic() + 180
        while not server.received.json_alerts and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.received.json_alerts, "no alert went out"
        daemons[0].send_signal(signal.SIGKILL)
        assert daemons[0].wait(30) == -9
        _wait_done(postgres_url, daemons[1:])
        _stop(daemons[1:])
    finally:
        for daemon in daemons:
            daemon.kill()
    keys = _alert_keys(postgres_url)
    received = server.received.json_alerts
    assert keys and sorted(received) == sorted(keys)  # every alert reached the channel: nothing lost


def test_with_the_model_a_killed_daemon_leaves_no_worker_and_the_other_loses_nothing(
    tmp_path: Path, postgres_url: str, server: FakeServices
) -> None:
    config = _config(tmp_path, postgres_url, server)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    daemons = [_earshot(config, log, model=True) for log in logs]
    try:
        deadline = time.monotonic() + 240
        while not (child_pids(daemons[0].pid) and server.received.json_alerts) and time.monotonic() < deadline:
            dead = [d for d in daemons if d.poll() is not None]
            assert not dead, f"a daemon died: {dead[0].communicate()[0][-3000:] if dead else ''}"
            time.sleep(0.2)
        workers = child_pids(daemons[0].pid)
        assert workers and server.received.json_alerts, "no model worker, or no alert went out"
        daemons[0].send_signal(signal.SIGKILL)
        assert daemons[0].wait(30) == -9
        _wait_done(postgres_url, daemons[1:])
        # The orphan sees its pipe close when it next reads or answers: at the latest after the batch it is on.
        deadline = time.monotonic() + 60
        while [pid for pid in workers if process_running(pid)] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not [pid for pid in workers if process_running(pid)], "the killed daemon's model worker lives on"
        _stop(daemons[1:])
    finally:
        for daemon in daemons:
            daemon.kill()
    labelled = Counter(line for log in logs if log.exists() for line in log.read_text().split())
    assert labelled and max(labelled.values()) == 1, "a post was classified twice"
    keys = _alert_keys(postgres_url)
    received = server.received.json_alerts
    assert keys and sorted(received) == sorted(keys)
    # at most the one send the killed daemon had under way is repeated (receivers dedupe by its idempotency key)
    assert sum(len(bodies) - 1 for bodies in received.values()) <= 1, "alerts were sent twice"
