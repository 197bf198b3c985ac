"""The source registry: sources found from their folders, what stops one from starting, rules naming them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.config import load_config
from bot.core.errors import ConfigError
from connectors.registry import SOURCES, build_connectors, enabled_sources, problems, source_names
from connectors.replay.connector import ReplayConnector
from tests.conftest import REPO

MINIMAL = "brand:\n  name: Aurora Motors\n  handles: [AuroraMotors]\n"
NO_CREDENTIALS = ("X_BEARER_TOKEN", "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET")


@pytest.fixture(autouse=True)
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NO_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)


def config_at(tmp_path: Path, connectors: str = "", rules: str = ""):
    path = tmp_path / "config.yaml"
    path.write_text(
        MINIMAL
        + (f"connectors:\n{connectors}" if connectors else "")
        + (f"routing:\n  rules:\n{rules}" if rules else "")
    )
    return load_config(path)


def test_every_source_folder_is_a_source_with_its_config_section():
    assert source_names() == ("bluesky", "jetstream", "mastodon", "reddit", "replay", "x")
    config = load_config(REPO / "config.yaml")
    assert {name: type(config.connectors.source(name)) for name in source_names()} == {
        name: source.settings for name, source in SOURCES.items()
    }
    assert enabled_sources(config.connectors) == ["replay"]


def test_the_shipped_config_can_start(tmp_path):
    config = load_config(REPO / "config.yaml")
    assert problems(config) == []
    assert [type(c) for c in build_connectors(config)] == [ReplayConnector]


def test_an_enabled_x_without_its_token_is_a_problem_and_refused_at_build(tmp_path):
    config = config_at(tmp_path, "  replay: {enabled: false}\n  x: {enabled: true, queries: [aurora]}\n")
    assert problems(config) == ["connectors.x: enabled, but the environment variable X_BEARER_TOKEN is not set"]
    with pytest.raises(ConfigError, match="X_BEARER_TOKEN"):
        build_connectors(config)


def test_an_enabled_reddit_names_each_missing_credential(tmp_path, monkeypatch):
    config = config_at(tmp_path, "  replay: {enabled: false}\n  reddit: {enabled: true}\n")
    assert problems(config) == [
        "connectors.reddit: enabled, but the environment variable(s) REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET are not set"
    ]
    monkeypatch.setenv("REDDIT_CLIENT_ID", "id")
    assert problems(config) == [
        "connectors.reddit: enabled, but the environment variable(s) REDDIT_CLIENT_SECRET are not set"
    ]
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "secret")
    assert problems(config) == []


def test_a_missing_replay_path_is_a_problem_and_nothing_is_created(tmp_path):
    config = config_at(tmp_path, "  replay: {path: nowhere}\n")
    assert problems(config) == [f"connectors.replay.path: {tmp_path / 'nowhere'} does not exist"]
    with pytest.raises(ConfigError, match="connectors.replay.path"):
        build_connectors(config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]


def test_a_disabled_source_is_no_problem(tmp_path):
    config = config_at(tmp_path, "  replay: {enabled: false, path: nowhere}\n  x: {enabled: false}\n")
    assert problems(config) == [] and build_connectors(config) == []


def test_every_problem_of_every_enabled_source_is_listed(tmp_path):
    config = config_at(
        tmp_path, "  replay: {path: nowhere}\n  x: {enabled: true, queries: [a]}\n  reddit: {enabled: true}\n"
    )
    assert [line.split(":")[0] for line in problems(config)] == [
        "connectors.reddit",
        "connectors.replay.path",
        "connectors.x",
    ]


def test_a_rule_naming_an_unknown_source_names_its_yaml_path(tmp_path):
    rules = (
        "    - {name: ok, when: {source: [x, reddit]}, then: {digest: true}}\n"
        "    - {name: bad, when: {any: [{source: [reddit]}, {source: [tiktok]}]}, then: {digest: true}}\n"
    )
    with pytest.raises(
        ConfigError,
        match=r"routing\.rules\[1\]\.when\.any\[1\]\.source\[0\]: no source 'tiktok'; "
        r"the sources are bluesky, jetstream, mastodon, reddit, replay, x",
    ):
        config_at(tmp_path, rules=rules)


def test_a_rule_naming_known_sources_loads(tmp_path):
    rules = "    - {name: ok, when: {source: [replay, x]}, then: {digest: true}}\n"
    assert config_at(tmp_path, rules=rules).routing.rules[0].when.source == ["replay", "x"]
