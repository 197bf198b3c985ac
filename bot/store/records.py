"""Typed values the store hands to the stages."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.posts import Post


@dataclass(frozen=True, kw_only=True)
class StoredPost:
    """A post with its row id, as the later stages see it."""

    id: int
    post: Post
