"""`connectors.replay:` — the embedded demo source: replays recorded API pages from disk."""

from __future__ import annotations

from pydantic import Field

from connectors.settings import SourceSettings


class ReplaySettings(SourceSettings):
    """The embedded demo source: replays recorded API pages from disk."""

    enabled: bool = True
    path: str = "data/demo"
    speed: float = Field(default=0.0, ge=0.0)  # 0 = as fast as possible, 1 = recorded pace, 60 = 60x
    interval_seconds: int = Field(default=10, gt=0)
    max_pages_per_tick: int = Field(default=1000, gt=0)
