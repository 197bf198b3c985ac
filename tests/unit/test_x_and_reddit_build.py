"""Building the X and Reddit connectors: credentials from the environment, settings validated."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.core.errors import ConfigError
from connectors import reddit, x
from connectors.base import SourceContext
from connectors.reddit.settings import RedditSettings
from connectors.x.settings import XSettings

BRAND = ("AuroraMotors", "AuroraSupport")
CREDENTIALS = {"X_BEARER_TOKEN": "token", "REDDIT_CLIENT_ID": "id", "REDDIT_CLIENT_SECRET": "secret"}


def context(**env: str) -> SourceContext:
    return SourceContext(brand_handles=BRAND, env=env)


def test_x_without_a_bearer_token_is_a_config_error():
    with pytest.raises(ConfigError, match="connectors.x: .*X_BEARER_TOKEN"):
        x.build(XSettings(enabled=True, queries=["@AuroraMotors"]), context())


def test_reddit_without_credentials_names_the_missing_variables():
    with pytest.raises(ConfigError, match="connectors.reddit: .*REDDIT_CLIENT_SECRET"):
        reddit.build(RedditSettings(enabled=True), context(REDDIT_CLIENT_ID="id"))


def test_a_blank_credential_counts_as_missing():
    assert x.problems(XSettings(enabled=True, queries=["q"]), context(X_BEARER_TOKEN="  ")) == [
        "connectors.x: enabled, but the environment variable X_BEARER_TOKEN is not set"
    ]


def test_built_connectors_carry_their_source_names():
    built_x = x.build(
        XSettings(enabled=True, queries=["@AuroraMotors"], mentions_of=["AuroraMotors"]), context(**CREDENTIALS)
    )
    built_reddit = reddit.build(RedditSettings(enabled=True), context(**CREDENTIALS))
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
