"""Parses Mastodon statuses (timelines, search, account statuses, lookups) into Posts.

A status's id is local to the instance it was read from, so the native id is `<host>:<id>`
(and a reply's parent is `<host>:<in_reply_to_id>`, the same instance's id for the parent).
The author is `user@domain` everywhere (a local account's `acct` has no domain: the instance's
is added), so a responder configured as `AuroraSupport@mastodon.social` matches wherever read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from bot.core.posts import Engagement, Post, PostKind
from bot.core.sanitize import to_int
from connectors.base import UNUSABLE, ParsedPage, Skipped
from connectors.x.parse import parse_time

BLOCKS = {"p", "br", "li", "blockquote", "pre"}


class _Text(HTMLParser):
    """Status HTML as plain text: paragraphs and line breaks as newlines, hidden URL parts kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(content: str) -> str:
    """The text of a status's `content` HTML."""
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()


def host_of(api_base: str) -> str:
    """The instance's host name, as in native ids and handles."""
    return (urlsplit(api_base).hostname or api_base).lower()


def parse_statuses(statuses: Iterable[Any], host: str, fetched_at: datetime) -> ParsedPage:
    """Every status of a page, oldest first; one that cannot be used is Skipped."""
    page = ParsedPage()
    for status in statuses:
        try:
            page.posts.append(parse_status(status, host, fetched_at))
        except UNUSABLE as err:
            native_id = f"{host}:{status.get('id')}" if isinstance(status, dict) else None
            reason = f"unusable status: {type(err).__name__}: {str(err)[:200]}"
            page.skipped.append(Skipped(reason=reason, native_id=native_id, payload=status))
    page.posts.sort(key=lambda p: (p.created_at, p.native_id))
    return page


def parse_status(status: dict[str, Any], host: str, fetched_at: datetime) -> Post:
    """One status as read on `host`; a boost is a repost of the status it carries."""
    account = status["account"]
    acct = full_acct(str(account["acct"]), host)
    reblog = status.get("reblog")
    shown = reblog if isinstance(reblog, dict) else status
    kind: PostKind = "repost" if shown is not status else "reply" if status.get("in_reply_to_id") else "post"
    parent = (
        f"{host}:{reblog['id']}"
        if isinstance(reblog, dict)
        else f"{host}:{status['in_reply_to_id']}"
        if status.get("in_reply_to_id")
        else None
    )
    deleted = bool(status.get("deleted") or status.get("deleted_at"))  # a delete event's stand-in
    text = html_text(str(shown.get("content") or ""))
    spoiler = str(shown.get("spoiler_text") or "").strip()
    return Post(
        source="mastodon",
        native_id=f"{host}:{status['id']}",
        author_handle=acct,
        author_id=f"{host}:{account['id']}",
        author_reach=to_int(account.get("followers_count") or 0),
        author_verified=False,
        text="\n".join(part for part in (spoiler, text) if part)
        or ("[media]" if shown.get("media_attachments") else ""),
        url=status_url(status, host, acct),
        created_at=parse_time(status["created_at"]),
        fetched_at=fetched_at,
        engagement=Engagement(
            likes=to_int(status.get("favourites_count") or 0),
            reposts=to_int(status.get("reblogs_count") or 0),
            replies=to_int(status.get("replies_count") or 0),
            quotes=to_int(status.get("quotes_count") or 0),
        ),
        kind=kind,
        parent_id=parent,
        language=status.get("language"),
        mentions=tuple(full_acct(str(m["acct"]), host) for m in status.get("mentions") or [] if m.get("acct")),
        is_deleted=deleted,
        raw=status,
    )


def full_acct(acct: str, host: str) -> str:
    """`user@domain`: a local account's acct gets the instance's domain."""
    acct = acct.lstrip("@")
    return acct if "@" in acct else f"{acct}@{host}"


def status_url(status: dict[str, Any], host: str, acct: str) -> str:
    """The status's web page: its own `url` when it is https on its author's server or this instance,
    else this instance's view of it (never a link to an unrelated host)."""
    url = str(status.get("url") or status.get("uri") or "")
    parts = urlsplit(url)
    allowed = {host, acct.rsplit("@", 1)[-1].lower(), (urlsplit(str(status.get("uri") or "")).hostname or "").lower()}
    if parts.scheme == "https" and (parts.hostname or "").lower() in allowed:
        return url
    return f"https://{host}/@{acct}/{status['id']}"
