"""`connectors.reddit:` — Reddit through praw, read-only. Credentials come from REDDIT_CLIENT_ID/SECRET."""

from __future__ import annotations

from pydantic import Field, field_validator

from connectors.settings import BudgetSettings, SourceRetrySettings, SourceSettings, http_url, text_list


class RedditSettings(SourceSettings):
    """Reddit through praw, read-only. Credentials come from REDDIT_CLIENT_ID/SECRET."""

    api_base: str = "https://oauth.reddit.com"
    auth_base: str | None = None  # token endpoint host; defaults to www.reddit.com, or api_base when that is changed
    user_agent: str = "earshot/0.1 (complaint monitor)"
    subreddits: list[str] = Field(default_factory=lambda: ["all"])
    queries: list[str] = Field(default_factory=list)
    include_comments: bool = True
    max_items_per_tick: int = Field(default=100, gt=0, le=100)  # listing `limit` per page
    max_pages_per_tick: int = Field(default=5, gt=0)  # per listing per fetch
    karma_cache_size: int = Field(default=10_000, gt=0)
    max_karma_lookups_per_tick: int = Field(default=200, ge=0)
    budget: BudgetSettings = BudgetSettings(requests=600, window_seconds=600)
    retry: SourceRetrySettings = SourceRetrySettings()

    @field_validator("subreddits", "queries", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        return text_list(value)

    @field_validator("subreddits")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("api_base", "auth_base")
    @classmethod
    def _valid_base(cls, value: str | None) -> str | None:
        return None if value is None else http_url(value)

    @property
    def token_base(self) -> str:
        """Where the OAuth token is fetched: auth_base, else api_base when it was changed."""
        if self.auth_base:
            return self.auth_base
        return "https://www.reddit.com" if self.api_base == "https://oauth.reddit.com" else self.api_base
