"""Parses Reddit listing JSON (submissions `t3`, comments `t1`) into Posts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.links import link, link_to_path
from bot.core.posts import Engagement, Post, PostKind
from bot.core.sanitize import to_int
from connectors.base import UNUSABLE, ParsedPage, Skipped

REDDIT = "https://www.reddit.com"
DELETED_AUTHORS = {None, "", "[deleted]"}
DELETED_BODIES = {"[deleted]", "[removed]"}


def parse_listing(
    body: dict[str, Any] | list[Any], fetched_at: datetime, karma: Mapping[str, int] | None = None
) -> ParsedPage:
    """Every `t1`/`t3` child of a Listing (or a list of them, as a comments page), oldest first."""
    if isinstance(body, list) and body and all(isinstance(b, dict) and b.get("kind") == "Listing" for b in body):
        children = [c for b in body for c in _children(b)]
    elif isinstance(body, dict) and body.get("kind") == "Listing":
        children = _children(body)
    else:
        raise ValueError("a Reddit listing must be a JSON object of kind 'Listing'")
    page = ParsedPage()
    for child in children:
        kind = child.get("kind") if isinstance(child, dict) else None
        if kind not in ("t1", "t3"):
            continue
        try:
            page.posts.append(parse_thing(kind, child["data"], fetched_at, karma or {}))
        except UNUSABLE as err:
            data = child.get("data")
            name = data.get("name") if isinstance(data, dict) else None
            reason = f"unusable {kind}: {type(err).__name__}: {str(err)[:200]}"
            page.skipped.append(Skipped(reason=reason, native_id=name, payload=child))
    page.posts.sort(key=lambda p: p.created_at)
    return page


def parse_thing(kind: str, data: dict[str, Any], fetched_at: datetime, karma: Mapping[str, int]) -> Post:
    """One submission (t3) or comment (t1); the native id is the fullname (t3_abc)."""
    author = data.get("author")
    deleted = (
        author in DELETED_AUTHORS
        or data.get("selftext" if kind == "t3" else "body") in DELETED_BODIES
        or bool(data.get("removed_by_category"))
    )
    handle = None if author in DELETED_AUTHORS else str(author)
    name = str(data.get("name") or f"{kind}_{data['id']}")
    parent: str | None
    conversation: str | None
    post_kind: PostKind
    if kind == "t3":
        text = "\n\n".join(part for part in (data.get("title") or "", _live(data.get("selftext"))) if part)
        engagement = Engagement(likes=to_int(data.get("score") or 0), replies=to_int(data.get("num_comments") or 0))
        parent, conversation, post_kind = None, name, "post"
    else:
        text = _live(data.get("body")) or ""
        engagement = Engagement(likes=to_int(data.get("score") or 0))
        parent, conversation, post_kind = data.get("parent_id"), data.get("link_id"), "comment"
    return Post(
        source="reddit",
        native_id=name,
        author_handle=handle,
        author_id=data.get("author_fullname"),
        author_reach=karma.get(handle) if handle else None,
        text=text,
        url=_url(kind, data),
        created_at=datetime.fromtimestamp(float(data.get("created_utc") or data["created"]), tz=UTC),
        fetched_at=fetched_at,
        engagement=engagement,
        kind=post_kind,
        parent_id=parent,
        conversation_id=conversation,
        is_deleted=deleted,
        community=str(data["subreddit"]) if data.get("subreddit") else None,
        raw=data,
    )


def parse_karma(about: dict[str, Any]) -> tuple[str, int]:
    """A `/user/<name>/about` body (kind t2) as (name, total karma)."""
    data = about.get("data") or {}
    total = data.get("total_karma")
    if total is None:
        total = to_int(data.get("link_karma") or 0) + to_int(data.get("comment_karma") or 0)
    return str(data["name"]), to_int(total)


def _children(listing: dict[str, Any]) -> list[Any]:
    data = listing.get("data") or {}
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list | None):
        raise ValueError("a Reddit listing's children must be a list")
    return children or []


def _url(kind: str, data: dict[str, Any]) -> str:
    """The permalink on www.reddit.com; one that would leave the site is replaced by the id's own link."""
    permalink = link_to_path(REDDIT, str(data["permalink"])) if data.get("permalink") else None
    if permalink is not None:
        return permalink
    if kind == "t1" and data.get("link_id"):
        return link(REDDIT, "comments", str(data["link_id"]).removeprefix("t3_"), "_", str(data["id"]))
    return link(REDDIT, "comments", str(data["id"]))


def _live(text: Any) -> str:
    return "" if text in DELETED_BODIES or text is None else str(text)
