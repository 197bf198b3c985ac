"""Real daemons, real faults: SIGKILL in the middle of each stage, then a restart; the database gone for a while.

Nothing is lost: after the restart (or the outage) every post of the demo stream is stored once and has
gone through every stage, exactly as in an undisturbed run. (A kill mid-delivery is
tests/integration/test_delivery_daemon_kill.py.) The stub classifier keeps these fast.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.store import Store
from tests.conftest import REPO
from tests.fakes.tcp_proxy import TcpProxy

pytestmark = pytest.mark.process

# `earshot` with the stub classifier, and a hook that stops the process in the middle of one stage
# (FAULT_STAGE: ingest | classify | route) on its second batch, saying so on stdout first.
EARSHOT = """
import os, sys, time, classifiers
from classifiers.stub import StubClassifier

stage, calls = os.environ.get("FAULT_STAGE", ""), {"n": 0}
pause = float(os.environ.get("CLASSIFY_PAUSE", "0"))


def hold(name):
    if stage == name:
        calls["n"] += 1
        if calls["n"] == 2:
            print(f"HOOK in {name}", flush=True)
            time.sleep(600)


class Classifier(StubClassifier):
    def classify(self, posts):
        hold("classify")
        time.sleep(pause)
        return super().classify(posts)


classifiers.load_classifier = lambda settings, **_: Classifier()
from bot.store import Store
from bot.routing.stage import RouteStage

save_batch, route_once = Store.save_batch, RouteStage.run_once
Store.save_batch = lambda self, *a, **k: (hold("ingest"), save_batch(self, *a, **k))[1]
RouteStage.run_once = lambda self: (hold("route"), route_once(self))[1]
from bot.cli.main import app
app(sys.argv[1:])
"""


def config(tmp_path: Path, url: str) -> Path:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": url}
    document["connectors"]["replay"].update(path=str(REPO / "data" / "demo"), max_pages_per_tick=10)
    document["pipeline"].update(
        batch_size=16, classify_interval_seconds=1, route_interval_seconds=1, deliver_interval_seconds=1
    )
    for tier in document["routing"]["alerts"]["tiers"].values():
        tier["urls"] = []
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def earshot(*args: str, **env: str) -> subprocess.Popen[str]:
    environment = {key: value for key, value in os.environ.items() if key != "EARSHOT_DATABASE_URL"}
    environment.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", **env)
    return subprocess.Popen(
        [sys.executable, "-c", EARSHOT, *args],
        cwd=REPO,
        env=environment,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(process: subprocess.Popen[str], marker: str, seconds: float = 120) -> list[str]:
    """Lines of `process`'s output up to the first containing `marker` (read on a thread: no blocking)."""
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if marker in line:
                seen.set()

    threading.Thread(target=read, daemon=True).start()
    if not seen.wait(seconds):
        process.kill()
        pytest.fail(f"never saw {marker!r}:\n" + "".join(lines)[-3000:])
    return lines


def outcome(url: str) -> dict[str, int]:
    store = Store.open(url)
    try:
        return {stage: store.count_posts(stage) for stage in ("ingested", "classified", "routed", "skipped")} | {
            "all": store.count_posts()
        }
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """What one clean `run --once` over the demo stream leaves."""
    folder = tmp_path_factory.mktemp("reference")
    url = f"sqlite:///{folder / 'earshot.db'}"
    run = earshot("run", "--once", "--config", str(config(folder, url)))
    output, _ = run.communicate(timeout=600)
    assert run.returncode == 0, output[-3000:]
    result = outcome(url)
    assert result["all"] > 300 and result["ingested"] == result["classified"] == 0
    return result


@pytest.mark.parametrize("stage", ["ingest", "classify", "route"])
def test_sigkill_in_the_middle_of_a_stage_then_restart_loses_nothing(tmp_path, stage, undisturbed) -> None:
    url = f"sqlite:///{tmp_path / 'earshot.db'}"
    path = config(tmp_path, url)
    daemon = earshot("run", "--config", str(path), FAULT_STAGE=stage)
    wait_for(daemon, f"HOOK in {stage}")
    daemon.send_signal(signal.SIGKILL)
    assert daemon.wait(30) == -signal.SIGKILL

    restarted = earshot("run", "--once", "--config", str(path))
    output, _ = restarted.communicate(timeout=600)
    assert restarted.returncode == 0, output[-3000:]
    assert outcome(url) == undisturbed


@pytest.mark.postgres
def test_the_database_gone_for_a_while_then_back_loses_nothing_and_logs_once_each_way(
    tmp_path, postgres_url, undisturbed
) -> None:
    real = make_url(postgres_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    through_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    daemon = earshot("run", "--config", str(config(tmp_path, through_proxy)), CLASSIFY_PAUSE="0.3")
    try:
        lines = wait_for(daemon, "classified posts")  # intake is done; classification is under way
        proxy.cut()
        time.sleep(8)
        proxy.restore()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            result = outcome(postgres_url)
            if result["ingested"] == result["classified"] == 0 and result["all"] == undisturbed["all"]:
                break
            time.sleep(2)
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
        proxy.close()
    log = "".join(lines)
    assert outcome(postgres_url) == undisturbed, log[-3000:]
    assert log.count("database failing") == 1, log[-3000:]
    assert log.count("database recovered") == 1, log[-3000:]
    assert "Traceback" not in log
