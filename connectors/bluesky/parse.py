"""Parses Bluesky post views (searchPosts, getPosts, getAuthorFeed items) into Posts.

The native id is `<did>/<rkey>` of the post's `at://` URI (the URI itself is longer than the id
column); the DID never changes, so a post keeps its id and link when its author changes handle.
A reply's parent and root are read from the record's `reply` refs, a quote's target from its embed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.core.posts import Engagement, Post, PostKind
from bot.core.sanitize import to_int
from connectors.base import UNUSABLE, ParsedPage, Skipped
from connectors.x.parse import parse_time

POST_COLLECTION = "app.bsky.feed.post"
MENTION = "app.bsky.richtext.facet#mention"
QUOTES = ("app.bsky.embed.record#view", "app.bsky.embed.record", "app.bsky.embed.recordWithMedia")


def native_id(uri: str) -> str:
    """`at://did:plc:x/app.bsky.feed.post/rkey` -> `did:plc:x/rkey`; ValueError for anything else."""
    did, collection, rkey = str(uri).removeprefix("at://").split("/")
    if collection != POST_COLLECTION or not did.startswith("did:") or not rkey:
        raise ValueError(f"not a post URI: {str(uri)[:80]!r}")
    return f"{did}/{rkey}"


def post_url(post_id: str) -> str:
    """The post on bsky.app, addressed by DID (a handle can change; the DID cannot)."""
    did, rkey = post_id.split("/")
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def parse_views(views: Iterable[Any], fetched_at: datetime) -> ParsedPage:
    """Every post view, oldest first; one that cannot be used is Skipped."""
    page = ParsedPage()
    for view in views:
        try:
            page.posts.append(parse_view(view, fetched_at))
        except UNUSABLE as err:
            uri = view.get("uri") if isinstance(view, dict) else None
            reason = f"unusable post: {type(err).__name__}: {str(err)[:200]}"
            page.skipped.append(Skipped(reason=reason, native_id=str(uri)[:64] if uri else None, payload=view))
    page.posts.sort(key=lambda p: (p.created_at, p.native_id))
    return page


def parse_view(view: dict[str, Any], fetched_at: datetime) -> Post:
    """One `app.bsky.feed.defs#postView`."""
    record, author = view["record"], view["author"]
    reply = record.get("reply") or {}
    parent = (reply.get("parent") or {}).get("uri")
    root = (reply.get("root") or {}).get("uri")
    quoted = _quoted(record.get("embed") or {})
    kind: PostKind = "reply" if parent else "quote" if quoted else "post"
    langs = record.get("langs") or []
    return Post(
        source="bluesky",
        native_id=(post_id := native_id(view["uri"])),
        author_handle=_handle(author),
        author_id=str(author["did"]),
        author_reach=to_int(author["followersCount"]) if author.get("followersCount") is not None else None,
        text=str(record.get("text") or "") or ("[media]" if record.get("embed") else ""),
        url=post_url(post_id),
        created_at=parse_time(record.get("createdAt") or view["indexedAt"]),
        fetched_at=fetched_at,
        engagement=Engagement(
            likes=to_int(view.get("likeCount") or 0),
            reposts=to_int(view.get("repostCount") or 0),
            replies=to_int(view.get("replyCount") or 0),
            quotes=to_int(view.get("quoteCount") or 0),
        ),
        kind=kind,
        parent_id=native_id(parent) if parent else native_id(quoted) if quoted else None,
        conversation_id=native_id(root) if root else post_id,
        language=str(langs[0]) if langs else None,
        mentions=mentions(record),
        raw=view,
    )


def mentions(record: dict[str, Any]) -> tuple[str, ...]:
    """The handles a post mentions, read from its mention facets' byte ranges of the text."""
    text = str(record.get("text") or "").encode("utf-8")
    found = []
    for facet in record.get("facets") or []:
        if any(f.get("$type") == MENTION for f in facet.get("features") or []):
            index = facet.get("index") or {}
            found.append(text[index["byteStart"] : index["byteEnd"]].decode("utf-8", "replace").lstrip("@"))
    return tuple(found)


def order_key(view: dict[str, Any]) -> int:
    """Microseconds since the epoch of when the AppView indexed the post (the walk's order)."""
    return int(parse_time(view.get("indexedAt") or view["record"]["createdAt"]).timestamp() * 1_000_000)


def _handle(author: dict[str, Any]) -> str | None:
    handle = str(author.get("handle") or "")
    return None if not handle or handle == "handle.invalid" else handle


def _quoted(embed: dict[str, Any]) -> str | None:
    """The quoted post's URI of a record embed (with or without media)."""
    if embed.get("$type") not in QUOTES:
        return None
    inner = embed.get("record") or {}
    inner = inner.get("record", inner) if embed.get("$type") == "app.bsky.embed.recordWithMedia" else inner
    uri = str(inner.get("uri") or "")
    return uri if f"/{POST_COLLECTION}/" in uri else None
