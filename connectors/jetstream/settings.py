"""`connectors.jetstream:` — Bluesky's Jetstream firehose (v1, websocket, no login), filtered locally."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from connectors.settings import SourceRetrySettings, SourceSettings, text_list


class JetstreamSettings(SourceSettings):
    """Every new Bluesky post, kept when it names one of `keywords` (or the brand's handles)."""

    interval_seconds: int = Field(default=10, gt=0, le=86_400)
    url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    keywords: list[str] = Field(default_factory=list)  # words that make a post the brand's (case-insensitive)
    seconds_per_tick: float = Field(default=5.0, gt=0, le=300)  # how long one fetch listens
    max_events_per_tick: int = Field(default=20_000, gt=0)  # every event, kept or not (a rate guard)
    max_posts_per_tick: int = Field(default=500, gt=0)  # kept posts: past this the rest waits (a rate guard)
    retry: SourceRetrySettings = SourceRetrySettings()

    @field_validator("url")
    @classmethod
    def _websocket(cls, value: str) -> str:
        if not value.startswith(("ws://", "wss://")):
            raise ValueError("must start with ws:// or wss://")
        return value.rstrip("/")

    @field_validator("keywords", mode="before")
    @classmethod
    def _numbers_as_text(cls, value: object) -> object:
        return text_list(value)

    @model_validator(mode="after")
    def _something_to_hear(self) -> JetstreamSettings:
        if self.enabled and not [k for k in self.keywords if k.strip()]:
            raise ValueError("set keywords (the brand's names) when jetstream is enabled")
        return self
