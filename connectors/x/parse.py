"""Parses X API v2 response bodies (search, mentions, lookup) into Posts.

Handles both naming generations: `retweet_count`/`includes.tweets` and the newer
`repost_count`/`includes.posts`. Liberal in what it takes: a single object or a list in
`data`, numeric ids, user objects in `data` (a user lookup: ignored), authors missing from
`includes.users` (suspended or deleted: no handle, no reach), superseded edit versions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.core.links import link
from bot.core.posts import Engagement, Post, PostKind
from bot.core.sanitize import clean_handle, to_int
from connectors.base import UNUSABLE, ParsedPage, Skipped

X = "https://x.com"
_REF_TYPES = {"reposted": "retweeted", "replied-to": "replied_to", "quote": "quoted"}  # newer spellings


def parse_time(value: str) -> datetime:
    """X's ISO 8601 timestamps ('2021-09-22T16:37:29.000Z'), timezone-aware; ValueError otherwise."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"created_at {str(value)[:40]!r} has no timezone")
    return parsed


def parse_page(body: dict[str, Any], fetched_at: datetime) -> ParsedPage:
    """Every tweet in `data`, with authors from `includes.users`; errors[] become Skipped."""
    if not isinstance(body, dict):
        raise ValueError("an X API page must be a JSON object")
    data = body.get("data") or []
    if isinstance(data, dict):  # single-tweet lookup
        data = [data]
    if not isinstance(data, list):
        raise ValueError("an X API page's data must be a list of posts")
    includes = body.get("includes") or {}
    users_list = includes.get("users") if isinstance(includes, dict) else None
    users = {str(u.get("id")): u for u in users_list or [] if isinstance(u, dict)}
    page = ParsedPage()
    errors = body.get("errors") or []
    for error in errors if isinstance(errors, list) else []:
        # Only posts asked for by id are records; errors about expansions (a deleted quoted post,
        # a pinned post) concern includes, not the page's own posts.
        if (
            isinstance(error, dict)
            and error.get("resource_type") in ("tweet", "post")
            and error.get("parameter") in (None, "ids", "id")
        ):
            page.skipped.append(
                Skipped(
                    reason=str(error.get("title") or error.get("detail") or "error"),
                    native_id=str(error.get("resource_id") or error.get("value") or "") or None,
                    payload=error,
                )
            )
    superseded = _superseded(data)
    for tweet in data:
        if isinstance(tweet, dict) and ("text" not in tweet and "username" in tweet):
            continue  # a user object (user lookup), not a post
        if isinstance(tweet, dict) and str(tweet.get("id")) in superseded:
            continue  # an earlier version of an edited post that is also here
        try:
            page.posts.append(parse_tweet(tweet, users, fetched_at))
        except UNUSABLE as err:
            native_id = tweet.get("id") if isinstance(tweet, dict) else None
            reason = f"unusable tweet: {type(err).__name__}: {str(err)[:200]}"
            page.skipped.append(Skipped(reason=reason, native_id=native_id, payload=tweet))
    page.posts.sort(key=lambda p: (p.created_at, int(p.native_id) if p.native_id.isdecimal() else 0))
    return page


def parse_tweet(tweet: dict[str, Any], users: dict[str, dict[str, Any]], fetched_at: datetime) -> Post:
    """One tweet object; raises KeyError/ValueError when it is unusable."""
    native_id = str(tweet["id"])
    author_id = str(tweet["author_id"]) if tweet.get("author_id") is not None else None
    author = users.get(author_id or "") or {}
    handle = clean_handle(str(author["username"])) if author.get("username") is not None else None
    author_metrics = author.get("public_metrics") or {}
    reach = author_metrics.get("followers_count", author.get("followers_count"))
    refs = tweet.get("referenced_tweets") or tweet.get("referenced_posts") or []
    referenced = {
        _REF_TYPES.get(str(ref.get("type")), ref.get("type")): str(ref.get("id"))
        for ref in refs
        if isinstance(ref, dict)
    }
    kind: PostKind = (
        "repost"
        if "retweeted" in referenced
        else "reply"
        if "replied_to" in referenced
        else "quote"
        if "quoted" in referenced
        else "post"
    )
    return Post(
        source="x",
        native_id=native_id,
        author_handle=handle,
        author_id=author_id,
        author_reach=to_int(reach) if reach is not None else None,
        author_verified=bool(author.get("verified"))
        or author.get("verified_type") in ("blue", "business", "government"),
        text=_full_text(tweet),
        url=link(X, handle, "status", native_id) if handle else link(X, "i", "web", "status", native_id),
        created_at=parse_time(tweet["created_at"]) if tweet.get("created_at") else fetched_at,
        fetched_at=fetched_at,
        engagement=parse_metrics(tweet.get("public_metrics") or {}),
        kind=kind,
        parent_id=referenced.get("replied_to") or referenced.get("retweeted") or referenced.get("quoted"),
        conversation_id=str(tweet["conversation_id"]) if tweet.get("conversation_id") else None,
        language=tweet.get("lang"),
        mentions=_mentions(tweet),
        raw=tweet,
    )


def parse_metrics(metrics: dict[str, Any]) -> Engagement:
    """Tweet public_metrics under either naming generation."""
    views = metrics.get("impression_count", metrics.get("view_count"))
    return Engagement(
        likes=to_int(metrics.get("like_count") or 0),
        reposts=to_int(metrics.get("repost_count", metrics.get("retweet_count")) or 0),
        replies=to_int(metrics.get("reply_count") or 0),
        quotes=to_int(metrics.get("quote_count") or 0),
        views=to_int(views) if views is not None else None,
    )


def parse_lines(lines: Iterable[str], fetched_at: datetime) -> ParsedPage:
    """JSON Lines of pages (a stream capture); an unreadable line, such as a cut last line, is Skipped."""
    page = ParsedPage()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            body = json.loads(line)
            parsed = parse_page(body, fetched_at)
        except UNUSABLE as err:
            reason = f"line {number}: unreadable ({type(err).__name__}: {str(err)[:200]})"
            page.skipped.append(Skipped(reason=reason, payload=line))
            continue
        page.posts.extend(parsed.posts)
        page.skipped.extend(parsed.skipped)
    page.posts.sort(key=lambda p: (p.created_at, int(p.native_id) if p.native_id.isdecimal() else 0))
    return page


def included_posts(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Referenced posts under `includes.tweets` (older name) or `includes.posts` (newer)."""
    includes = body.get("includes") or {}
    return [t for t in (includes.get("tweets") or []) + (includes.get("posts") or []) if isinstance(t, dict)]


def _superseded(data: list[Any]) -> set[str]:
    """Ids of earlier versions of edited posts (every id but the last in edit_history_tweet_ids)."""
    ids = {str(t.get("id")) for t in data if isinstance(t, dict)}
    older: set[str] = set()
    for tweet in data:
        history = (
            (tweet.get("edit_history_tweet_ids") or tweet.get("edit_history_post_ids"))
            if isinstance(tweet, dict)
            else None
        )
        if isinstance(history, list) and len(history) > 1:
            older |= {str(i) for i in history[:-1]} & (ids - {str(tweet.get("id"))})
    return older


def _full_text(tweet: dict[str, Any]) -> str:
    note = tweet.get("note_tweet") or {}
    return str(note.get("text") or tweet["text"])


def _mentions(tweet: dict[str, Any]) -> tuple[str, ...]:
    """The handles in `entities.mentions`."""
    entities = tweet.get("entities") or {}
    found = entities.get("mentions") if isinstance(entities, dict) else None
    return tuple(str(m["username"]) for m in found or [] if isinstance(m, dict) and m.get("username"))
