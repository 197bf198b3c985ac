"""The connector interface: fetch a batch of posts from a cursor, oldest first."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.posts import EngagementUpdate, Post

Cursor = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A record the connector could not use, and why."""

    reason: str
    native_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Batch:
    """What one fetch returned: posts oldest first, the cursor after them, and what was skipped."""

    posts: Sequence[Post]
    next_cursor: Cursor
    skipped: Sequence[Skipped] = field(default_factory=tuple)
    exhausted: bool = True  # False when more is waiting beyond this batch's page bound


class Connector(ABC):
    """A source of posts. Errors are translated to bot.core.errors.SourceError at this edge."""

    name: str  # the key of this source's cursor and state, e.g. "x", "reddit", "replay"
    interval_seconds: int

    @abstractmethod
    def fetch(self, cursor: Cursor | None) -> Batch:
        """Posts newer than `cursor`; the caller stores them, then the returned cursor."""

    def refresh(self, posts: Sequence[Post]) -> list[EngagementUpdate]:
        """Fresh metrics for posts already stored; sources that cannot re-poll return []."""
        return []
