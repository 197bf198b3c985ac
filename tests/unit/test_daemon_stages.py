"""The stages `earshot run` plugs in, from the shipped config: the silent-source alarm among them when enabled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app.alarm import SourceAlarm
from bot.app.config import config_from_document
from bot.app.daemon import build_pipeline
from bot.app.pipeline import Pipeline
from bot.store import telemetry
from tests.conftest import REPO


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The daemon's pipeline from config.yaml with `changes`, the operator tier on a stub channel, on fresh SQLite."""
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    built: list[Pipeline] = []

    def build(**changes: Any) -> Pipeline:
        document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
        document["database"] = {"url": f"sqlite:///{tmp_path / f'earshot-{len(built)}.db'}"}
        document["connectors"]["replay"]["path"] = str(REPO / "data" / "demo")
        document["routing"]["alerts"]["tiers"]["operator"]["urls"] = ["stub://operator"]
        for section, values in changes.items():
            document[section] = {**(document.get(section) or {}), **values}
        built.append(build_pipeline(config_from_document(document, REPO / "config.yaml")))
        return built[-1]

    yield build
    for made in built:
        telemetry.unregister(made.store)
        made.close()


def test_the_daemon_runs_the_silent_source_alarm_over_every_source(pipeline: Any) -> None:
    built = pipeline()
    names = [stage.name for stage in built.stages]
    assert names.count("alarm") == 1
    assert {"route", "deliver", "escalate", "respond"} <= set(names)
    [alarm] = [stage for stage in built.stages if isinstance(stage, SourceAlarm)]
    assert set(alarm.sources) == {c.name for c in built.connectors} and alarm.sources
    assert len(alarm.channels) == 1  # the operator tier's channel: it pages when a source goes quiet


def test_without_alarms_the_daemon_runs_every_other_stage(pipeline: Any) -> None:
    with_alarm = [stage.name for stage in pipeline().stages]
    without = [stage.name for stage in pipeline(alarms={"enabled": False}).stages]
    assert "alarm" not in without
    assert without == [name for name in with_alarm if name != "alarm"]


def test_the_digest_is_a_stage_only_when_it_has_schedules(pipeline: Any) -> None:
    scheduled = [stage.name for stage in pipeline().stages]
    unscheduled = [stage.name for stage in pipeline(digest={"schedules": []}).stages]
    assert "digest" in scheduled and "digest" not in unscheduled
    assert "alarm" in unscheduled
