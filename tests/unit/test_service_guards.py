"""A database outage is logged once each way and backed off; config that validates also runs; signed webhooks expire."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app.config import load_config
from bot.app.guard import DatabaseGuard
from bot.core import metrics
from bot.core.errors import ConfigError, StoreError
from bot.delivery.sinks.webhook import TOLERANCE_SECONDS, signature, verify
from tests.conftest import REPO


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_logs_failing_once_backs_off_and_logs_recovered_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    guard = DatabaseGuard(clock=clock, first_backoff=1.0, max_backoff=8.0)
    calls: list[int] = []
    down = True

    def job() -> int:
        calls.append(1)
        if down:
            raise StoreError("the database failed: connection refused")
        return 7

    caplog.set_level(logging.INFO, logger="bot.app.guard")
    for _ in range(200):  # 20 s of jobs every 0.1 s
        assert guard.run(job, default=0) == 0
        clock.now += 0.1
    assert guard.failing and metrics.DATABASE_UP._value.get() == 0
    assert 4 <= len(calls) <= 10  # backed off (1, 2, 4, 8, 8 s, jittered), not 200 tries
    down = False
    clock.now += 10
    assert guard.run(job) == 7 and not guard.failing
    assert guard.run(job) == 7
    messages = [r.getMessage() for r in caplog.records]
    assert sum("database failing" in m for m in messages) == 1
    assert sum("database recovered" in m for m in messages) == 1
    assert all(r.exc_info is None for r in caplog.records)  # no traceback flood
    assert metrics.DATABASE_UP._value.get() == 1


def test_jobs_that_straddle_an_outage_do_not_log_it_twice(caplog: pytest.LogCaptureFixture) -> None:
    # two threads: a slow job started before the outage ends after it began, and one started
    # before the recovery fails after it; neither is news about the database now
    clock = Clock()
    guard = DatabaseGuard(clock=clock, first_backoff=1.0, max_backoff=8.0)
    caplog.set_level(logging.INFO, logger="bot.app.guard")

    def fails() -> int:
        raise StoreError("the database failed: connection refused")

    def slow_then(outcome) -> Callable[[], int]:
        def job() -> int:
            clock.now += 5  # the other thread's outage and recovery happen meanwhile
            return outcome()

        return job

    def outage_starts() -> int:
        guard.run(fails, default=0)  # another thread meets the outage while this job runs
        return 1

    assert guard.run(slow_then(outage_starts)) == 1  # started before the outage: no "recovered"
    assert guard.failing

    def recovery_then_fail() -> int:
        assert guard.run(lambda: 2) == 2  # another thread: the database answers again
        return fails()

    clock.now += 10
    assert guard.run(slow_then(recovery_then_fail), default=0) == 0  # started before the recovery
    assert not guard.failing
    messages = [r.getMessage() for r in caplog.records]
    assert sum("database failing" in m for m in messages) == 1
    assert sum("database recovered" in m for m in messages) == 1


@pytest.mark.parametrize(
    ("find", "replace", "where"),
    [
        ("  batch_size: 256", "  batch_size: 1.0e+20", "pipeline.batch_size"),
        ("timeout_seconds: 10}", "timeout_seconds: 1.0e+308}", "routing.tickets.retry.timeout_seconds"),
        ("url: sqlite:///data/earshot.db", "url: notadb://", "database.url"),
        ("  batch_size: 256", "  batch_size: .nan", "pipeline.batch_size"),
        ("    interval_seconds: 10", "    interval_seconds: 99999999999999", "connectors.replay.interval_seconds"),
    ],
)
def test_a_value_that_would_crash_at_run_time_is_a_config_error(tmp_path: Path, find: str, replace: str, where: str):
    text = (REPO / "config.yaml").read_text()
    assert find in text
    (tmp_path / "config.yaml").write_text(text.replace(find, replace, 1))
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        load_config(tmp_path / "config.yaml")


def test_webhook_signatures_carry_a_timestamp_and_expire() -> None:
    body, secret = b'{"event": "ticket.open"}', b"s3cret-key"
    header = signature(secret, body, 1_800_000_000)
    assert header.startswith("t=1800000000,v1=")
    assert verify(header, body, secret, now=1_800_000_000 + TOLERANCE_SECONDS)
    assert not verify(header, body, secret, now=1_800_000_000 + TOLERANCE_SECONDS + 1)  # a replay, later
    assert not verify(header, body + b" ", secret, now=1_800_000_000)
    assert not verify(header.replace("t=1800000000", "t=1800000100"), body, secret, now=1_800_000_100)
    assert not verify("sha256=abc", body, secret)
