"""Building the X and Reddit connectors: credentials from the environment, settings validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.app.config import load_config
from bot.core.errors import ConfigError
from connectors import reddit, x
from connectors.settings import RedditSettings, XSettings
from tests.conftest import REPO


@pytest.fixture
def config():
    return load_config(REPO / "config.yaml")


def test_x_without_a_bearer_token_is_a_config_error(config, monkeypatch):
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="X_BEARER_TOKEN"):
        x.build(XSettings(enabled=True, queries=["@AuroraMotors"]), config)


def test_reddit_without_credentials_names_the_missing_variables(config, monkeypatch):
    monkeypatch.setenv("REDDIT_CLIENT_ID", "id")
    monkeypatch.delenv("REDDIT_CLIENT_SECRET", raising=False)
    with pytest.raises(ConfigError, match="REDDIT_CLIENT_SECRET"):
        reddit.build(RedditSettings(enabled=True), config)


def test_built_connectors_carry_their_source_names(config, monkeypatch):
    monkeypatch.setenv("X_BEARER_TOKEN", "token")
    monkeypatch.setenv("REDDIT_CLIENT_ID", "id")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "secret")
    built_x = x.build(XSettings(enabled=True, queries=["@AuroraMotors"], mentions_of=["AuroraMotors"]), config)
    built_reddit = reddit.build(RedditSettings(enabled=True), config)
    assert (built_x.name, built_reddit.name) == ("x", "reddit")
    assert built_reddit.reddit.read_only
    assert built_x.query("@AuroraMotors") == "@AuroraMotors -is:retweet -from:auroramotors -from:aurorasupport"


def test_x_needs_something_to_hear_and_http_bases():
    with pytest.raises(ValidationError, match="queries or mentions_of"):
        XSettings(enabled=True)
    with pytest.raises(ValidationError, match="http"):
        XSettings(api_base="ftp://example.com")
    assert XSettings(api_base="http://127.0.0.1:8080/").api_base == "http://127.0.0.1:8080"


def test_reddit_token_base_follows_a_changed_api_base():
    assert RedditSettings().token_base == "https://www.reddit.com"
    assert RedditSettings(api_base="http://127.0.0.1:9").token_base == "http://127.0.0.1:9"
    assert RedditSettings(api_base="http://a:1", auth_base="http://b:2").token_base == "http://b:2"
    with pytest.raises(ValidationError, match="must not be empty"):
        RedditSettings(subreddits=[])


def test_numeric_account_ids_in_yaml_are_read_as_text():
    assert XSettings(mentions_of=[783214], queries=[2024]).mentions_of == ["783214"]  # type: ignore[list-item]
