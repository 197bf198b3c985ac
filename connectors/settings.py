"""Config sections for the connectors (`connectors:` in config.yaml)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator, model_validator

from bot.core.retry import RetrySettings
from bot.core.section import Section


class BudgetSettings(Section):
    """A request budget per rolling window, matching the API access tier."""

    requests: int = Field(gt=0)
    window_seconds: int = Field(gt=0)


class SourceRetrySettings(RetrySettings):
    """`connectors.*.retry:` — how a connector rides out 429s, 5xx and network errors within one fetch."""

    max_attempts: int = Field(default=5, gt=0, le=20, validation_alias=AliasChoices("max_attempts", "attempts"))
    backoff_seconds: float = Field(default=1.0, ge=0)  # first backoff; doubles, with jitter
    backoff_max_seconds: float = Field(
        default=30.0, ge=0, validation_alias=AliasChoices("backoff_max_seconds", "max_backoff_seconds"))
    max_rate_limit_wait_seconds: float = Field(default=60.0, ge=0)  # longer waits pause the source
    timeout_seconds: float = Field(default=20.0, gt=0)  # per HTTP request


def _as_text_list(value: object) -> object:
    """YAML reads `[783214]` as numbers: account ids and queries are text."""
    if isinstance(value, list):
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


def _http_url(value: str) -> str:
    """An http(s) base URL without its trailing slash."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value.rstrip("/")


class ReplaySettings(Section):
    """The embedded demo source: replays recorded API pages from disk."""

    enabled: bool = True
    path: str = "data/demo"
    speed: float = Field(default=0.0, ge=0.0)  # 0 = as fast as possible, 1 = recorded pace, 60 = 60x
    interval_seconds: int = Field(default=10, gt=0)
    max_pages_per_tick: int = Field(default=1000, gt=0)


class XSettings(Section):
    """X API v2 through tweepy. The bearer token comes from X_BEARER_TOKEN."""

    enabled: bool = False
    interval_seconds: int = Field(default=60, gt=0)
    api_base: str = "https://api.twitter.com"
    queries: list[str] = Field(default_factory=list)
    mentions_of: list[str] = Field(default_factory=list)  # brand account handles or ids
    include_retweets: bool = False
    include_own_posts: bool = False
    max_results: int = Field(default=100, ge=5, le=100)  # per page
    max_pages_per_tick: int = Field(default=5, gt=0)  # per query/mention stream per fetch
    budget: BudgetSettings = BudgetSettings(requests=450, window_seconds=900)
    retry: SourceRetrySettings = SourceRetrySettings()

    @field_validator("api_base")
    @classmethod
    def _valid_base(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("queries", "mentions_of", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        return _as_text_list(value)

    @model_validator(mode="after")
    def _something_to_hear(self) -> XSettings:
        if self.enabled and not (self.queries or self.mentions_of):
            raise ValueError("set queries or mentions_of (or both) when x is enabled")
        return self


class RedditSettings(Section):
    """Reddit through praw, read-only. Credentials come from REDDIT_CLIENT_ID/SECRET."""

    enabled: bool = False
    interval_seconds: int = Field(default=60, gt=0)
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
        return _as_text_list(value)

    @field_validator("subreddits")
    @classmethod
    def _not_empty(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("api_base", "auth_base")
    @classmethod
    def _valid_base(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @property
    def token_base(self) -> str:
        """Where the OAuth token is fetched: auth_base, else api_base when it was changed."""
        if self.auth_base:
            return self.auth_base
        return "https://www.reddit.com" if self.api_base == "https://oauth.reddit.com" else self.api_base


class EngagementSettings(Section):
    """Re-polling metrics of complaints still worth watching."""

    enabled: bool = True
    max_age_hours: float = Field(default=48.0, gt=0)
    max_posts: int = Field(default=500, gt=0)  # per source per re-poll
    interval_seconds: int = Field(default=300, gt=0)


class ConnectorsSettings(Section):
    """`connectors:` — which sources run and how."""

    replay: ReplaySettings = ReplaySettings()
    x: XSettings = XSettings()
    reddit: RedditSettings = RedditSettings()
    engagement: EngagementSettings = EngagementSettings()
