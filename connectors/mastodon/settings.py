"""`connectors.mastodon:` — Mastodon instances through Mastodon.py. Tokens come from the environment."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from bot.core.section import Section
from connectors.settings import BudgetSettings, SourceRetrySettings, SourceSettings, http_url, text_list

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class InstanceSettings(Section):
    """One instance: its hashtag timelines (no token needed) and status searches (a user token)."""

    api_base: str  # e.g. https://mastodon.social
    hashtags: list[str] = Field(default_factory=list)  # without '#'
    queries: list[str] = Field(default_factory=list)  # full-text status search: needs token_env
    token_env: str | None = None  # the environment variable holding a user access token (read scope)

    @field_validator("api_base")
    @classmethod
    def _valid_base(cls, value: str) -> str:
        return http_url(value)

    @field_validator("hashtags", "queries", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        return text_list(value)

    @field_validator("hashtags")
    @classmethod
    def _bare_tags(cls, value: list[str]) -> list[str]:
        return [tag.lstrip("#") for tag in value if tag.strip("# ")]

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.match(value):
            raise ValueError(
                "must be an environment variable name such as MASTODON_TOKEN (the token itself never goes in YAML)"
            )
        return value

    @model_validator(mode="after")
    def _something_to_hear(self) -> InstanceSettings:
        if not (self.hashtags or self.queries):
            raise ValueError("set hashtags or queries (or both)")
        if self.queries and not self.token_env:
            raise ValueError("queries need token_env: status search answers only a logged-in user")
        return self


class MastodonSettings(SourceSettings):
    """Mastodon through Mastodon.py: hashtag timelines and status search on each instance."""

    instances: list[InstanceSettings] = Field(default_factory=list)
    max_results: int = Field(default=40, ge=1, le=40)  # per page (the API's maximum is 40)
    max_pages_per_tick: int = Field(default=5, gt=0)  # per stream per fetch
    budget: BudgetSettings = BudgetSettings(requests=250, window_seconds=300)  # per instance (300 per 5 min)
    retry: SourceRetrySettings = SourceRetrySettings()

    @model_validator(mode="after")
    def _instances_when_enabled(self) -> MastodonSettings:
        if self.enabled and not self.instances:
            raise ValueError("instances: must not be empty when mastodon is enabled")
        return self
