"""Walks one newest-first, paginated feed (a search, mentions, a listing) from a saved cursor.

A stream's cursor is a `connectors.cursor.StreamCursor` (`since`, `seen`, `next`, `pending`).
Items at or below `since` are old; a walk stops at the first page that is mostly old, at
the end of the feed, at a repeated token, or after `max_pages` pages (then `next` resumes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from connectors.cursor import MAX_SEEN, Pending, StreamCursor

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Item:
    """One entry of a page: its order key, its unique name, and the raw object."""

    order: int | float  # ints stay exact: X ids exceed a float's precision
    name: str
    raw: Any


@dataclass(frozen=True, kw_only=True)
class Page:
    """One page as the API sent it: its entries (newest first), next token, and the body."""

    items: list[Item]
    next_token: str | None
    body: Any = None


@dataclass(kw_only=True)
class Walk:
    """What one walk took: new items per page (with the page body) and the stream's new cursor."""

    pages: list[tuple[Page, list[Item]]] = field(default_factory=list)
    cursor: StreamCursor = field(default_factory=StreamCursor)
    complete: bool = True  # False when `next` was saved to resume from

    @property
    def count(self) -> int:
        return sum(len(items) for _, items in self.pages)


def walk(cursor: StreamCursor | None, fetch: Callable[[str | None, Any], Page], max_pages: int) -> Walk:
    """Fetch pages from `cursor` (resuming a saved `next` token) and keep the items newer than it.

    `fetch(token, since)` fetches one page; it may raise, and then nothing of this walk is kept
    except what the caller already holds in the returned pages (the cursor is not advanced).
    """
    cursor = cursor or StreamCursor()
    since, seen = cursor.since, set(cursor.seen)
    pending = cursor.pending or Pending()
    best, best_seen = pending.since, set(pending.seen)
    token, tokens = cursor.next, set()
    result, names = Walk(), set()
    for _ in range(max_pages):
        page = fetch(token, since)
        fresh, old = [], 0
        for item in page.items:
            if (
                since is not None and (item.order < since or (item.order == since and item.name in seen))
            ) or item.name in best_seen:
                old += 1
                continue
            if item.name in names:
                continue  # repeated within this walk
            names.add(item.name)
            fresh.append(item)
            if best is None or item.order > best:
                best, best_seen = item.order, {item.name}
            elif item.order == best:
                best_seen.add(item.name)
        result.pages.append((page, fresh))
        tokens.add(token)
        token = page.next_token
        if not page.items or not token or token in tokens or (since is not None and old * 2 >= len(page.items)):
            token = None
            break
    if token:  # page bound reached: resume here next time, keep the old `since` meanwhile
        result.complete = False
        pending = Pending(since=best, seen=_kept(best_seen))
        result.cursor = replace(_base(since, seen), next=token, pending=pending)
        return result
    if best is not None and (since is None or best > since):
        result.cursor = _base(best, best_seen)
    elif best is not None and best == since:
        result.cursor = _base(since, seen | best_seen)
    else:
        result.cursor = _base(since, seen)
    return result


def _base(since: Any, seen: set[str]) -> StreamCursor:
    return StreamCursor() if since is None else StreamCursor(since=since, seen=_kept(seen))


def _kept(seen: set[str]) -> tuple[str, ...]:
    return tuple(sorted(seen)[:MAX_SEEN])


def pending_first(streams: list[tuple[str, T]], cursors: Mapping[str, StreamCursor]) -> list[tuple[str, T]]:
    """Only the streams with a walk to resume, while any has one; else every stream."""
    pending = [(key, value) for key, value in streams if (found := cursors.get(key)) is not None and found.next]
    return pending or streams
