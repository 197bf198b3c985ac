"""The result of parsing one raw API page."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.posts import Post
from connectors.base import Skipped


@dataclass(frozen=True, kw_only=True)
class ParsedPage:
    """Posts parsed from a page, oldest first, and the records that could not be used."""

    posts: list[Post] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
