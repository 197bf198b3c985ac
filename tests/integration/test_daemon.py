"""`earshot run`: --once ingests the demo stream exactly once; SIGTERM shuts down cleanly."""

import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import classifiers
from bot.cli.main import app
from bot.store import Store
from classifiers.stub import StubClassifier
from tests.conftest import REPO

pytestmark = pytest.mark.process

LAUNCHER = """
import sys, time, classifiers
from classifiers.stub import StubClassifier


class SlowClassifier(StubClassifier):
    \"\"\"Says when it starts a batch, then takes a second: long enough to be stopped mid-batch.\"\"\"

    def classify(self, posts):
        print("classifying a batch", flush=True)
        time.sleep(1)
        return super().classify(posts)


classifiers.load_classifier = lambda settings, **_: SlowClassifier()
from bot.cli.main import app
app(sys.argv[1:])
"""
STREAM_LINES = len((REPO / "data" / "demo" / "stream.jsonl").read_text(encoding="utf-8").splitlines())


@pytest.fixture
def demo_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'earshot.db'}"
    monkeypatch.setenv("EARSHOT_DATABASE_URL", url)
    monkeypatch.setattr(classifiers, "load_classifier", lambda settings, **_: StubClassifier(), raising=False)
    return url


def test_run_once_ingests_the_demo_stream_and_a_second_run_adds_nothing(demo_db):
    runner = CliRunner()
    first = runner.invoke(app, ["run", "--once", "--config", str(REPO / "config.yaml")])
    assert first.exit_code == 0, first.output
    store = Store.open(demo_db)
    stored = store.count_posts()
    assert stored > 300
    assert store.count_posts("ingested") == 0  # every post went on to classification
    second = runner.invoke(app, ["run", "--once", "--config", str(REPO / "config.yaml")])
    assert second.exit_code == 0, second.output
    assert store.count_posts() == stored
    assert store.source_state("replay").skipped_total == 1  # the demo's deliberately truncated line


def test_run_with_an_unreachable_database_says_so(monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(app, ["run", "--once", "--config", str(REPO / "config.yaml")])
    assert result.exit_code == 1
    assert "database error: cannot reach the database" in result.output


def test_sigterm_finishes_the_batch_leaves_the_rest_and_exits_zero(tmp_path):
    database = tmp_path / "earshot.db"
    env = {**os.environ, "EARSHOT_DATABASE_URL": f"sqlite:///{database}", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, "run", "--config", str(REPO / "config.yaml")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "classifying a batch" in line or not line:  # the classify job is mid-batch: stop it now
                break
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        process.kill()
    said = "".join(lines) + output
    assert process.returncode == 0, said
    assert "classifying a batch" in "".join(lines), said
    assert (
        f"earshot running: config {REPO / 'config.yaml'}, database sqlite:///{database}, sources replay; "
        "see `earshot sources` and `earshot alerts`"
    ) in said
    assert "stopped cleanly" in output
    store = Store.open(env["EARSHOT_DATABASE_URL"])
    assert store.count_posts() > 300
    # the batch running at SIGTERM finished; later batches are left `ingested` for the next start
    assert store.count_posts() - store.count_posts("ingested") >= 256, "the classify batch did not finish"
    assert store.load_cursor("replay")["line"] == STREAM_LINES  # the ingest batch's cursor was saved
