"""`connectors.bluesky:` — Bluesky through the atproto client. The app password comes from BLUESKY_APP_PASSWORD."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from connectors.settings import BudgetSettings, SourceRetrySettings, SourceSettings, http_url, text_list


class BlueskySettings(SourceSettings):
    """Bluesky through atproto: keyword search (logged in), responders' feeds, engagement from getPosts."""

    api_base: str = "https://bsky.social"  # the account's PDS (or the bsky.social entryway); XRPC is under /xrpc
    login: str = ""  # the handle Earshot logs in as (its app password: BLUESKY_APP_PASSWORD)
    queries: list[str] = Field(default_factory=list)  # searchPosts queries, newest first
    max_results: int = Field(default=100, ge=1, le=100)  # per page
    max_pages_per_tick: int = Field(default=5, gt=0)  # per stream per fetch
    max_profile_lookups_per_tick: int = Field(default=100, ge=0)  # authors' follower counts (getProfiles)
    profile_cache_size: int = Field(default=10_000, gt=0)
    budget: BudgetSettings = BudgetSettings(requests=2500, window_seconds=300)  # the PDS allows 3000 per 5 min
    retry: SourceRetrySettings = SourceRetrySettings()

    @field_validator("api_base")
    @classmethod
    def _valid_base(cls, value: str) -> str:
        return http_url(value).removesuffix("/xrpc")

    @field_validator("queries", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        return text_list(value)

    @model_validator(mode="after")
    def _something_to_hear(self) -> BlueskySettings:
        if self.enabled and not self.login.strip():
            raise ValueError("set login (the handle Earshot logs in as) when bluesky is enabled")
        if self.enabled and not self.queries:
            raise ValueError("set queries when bluesky is enabled")
        return self
