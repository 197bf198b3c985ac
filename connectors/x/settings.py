"""`connectors.x:` — X API v2 through tweepy. The bearer token comes from X_BEARER_TOKEN."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from connectors.settings import BudgetSettings, SourceRetrySettings, SourceSettings, http_url, text_list
from connectors.x.spend import CostSettings


class XSettings(SourceSettings):
    """X API v2 through tweepy. The bearer token comes from X_BEARER_TOKEN."""

    api_base: str = "https://api.twitter.com"
    queries: list[str] = Field(default_factory=list)
    mentions_of: list[str] = Field(default_factory=list)  # brand account handles or ids
    include_retweets: bool = False
    include_own_posts: bool = False
    max_results: int = Field(default=100, ge=5, le=100)  # per page
    max_pages_per_tick: int = Field(default=5, gt=0)  # per query/mention stream per fetch
    budget: BudgetSettings = BudgetSettings(requests=450, window_seconds=900)
    retry: SourceRetrySettings = SourceRetrySettings()
    cost: CostSettings = CostSettings()  # what a post read costs, and the caps that stop reading

    @field_validator("api_base")
    @classmethod
    def _valid_base(cls, value: str) -> str:
        return http_url(value)

    @field_validator("queries", "mentions_of", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        return text_list(value)

    @model_validator(mode="after")
    def _something_to_hear(self) -> XSettings:
        if self.enabled and not (self.queries or self.mentions_of):
            raise ValueError("set queries or mentions_of (or both) when x is enabled")
        return self
