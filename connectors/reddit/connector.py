"""The Reddit connector: new submissions and comments per subreddit, site-wide search and the
responders' own comments and posts, through praw.

praw's own objects are not used for reading: raw listings come from `reddit.request` (still
praw's OAuth, session and our rate limiter) and go through `reddit.parse`, the parser the
replay connector shares. This also avoids praw's lazy re-fetch of attributes a listing lacks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import praw

from bot.core.errors import AuthFailed, MalformedPayload, SourceError
from bot.core.posts import EngagementUpdate, Post
from connectors.base import ParsedPage, PolledConnector, Skipped, Stream
from connectors.cursor import PolledCursor
from connectors.ratelimit import BudgetExhausted, Gone, RequestBudget, Retrier, ServerWindow, Sleep
from connectors.reddit.karma import KarmaCache
from connectors.reddit.parse import DELETED_AUTHORS, parse_karma, parse_listing
from connectors.reddit.settings import RedditSettings
from connectors.reddit.transport import classify, install
from connectors.streams import Item, Page

log = logging.getLogger(__name__)
INFO_BATCH = 100


class RedditConnector(PolledConnector):
    """Polls listings newest first from a created-time cursor; looks up each new author's karma once."""

    name = "reddit"

    def __init__(
        self,
        settings: RedditSettings,
        client_id: str,
        client_secret: str,
        responders: Sequence[str] = (),
        sleep: Sleep | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(
            interval_seconds=settings.interval_seconds, max_pages_per_tick=settings.max_pages_per_tick, now=now
        )
        self.settings = settings
        self.responders = [r.removeprefix("/").removeprefix("u/").strip() for r in responders if r.strip()]
        self.budget: RequestBudget = RequestBudget(settings.budget)
        self.reddit = praw.Reddit(
            client_id=client_id,
            client_secret=client_secret,
            user_agent=settings.user_agent,
            oauth_url=settings.api_base + "/",
            reddit_url=settings.token_base,
            check_for_updates=False,
            check_for_async=False,
            requestor_kwargs={"timeout": settings.retry.timeout_seconds},
        )
        install(self.reddit, self.budget, ServerWindow())
        self.retrier = Retrier(self.name, settings.retry, sleep=sleep)
        self.karma = KarmaCache(settings.karma_cache_size)

    # --- intake -------------------------------------------------------------------------

    def streams(self, cursor: PolledCursor) -> list[Stream]:
        """A stream per listing (see `listings`)."""
        return [(key, self._listing(path, params)) for key, path, params in self.listings()]

    def parse(self, pages: list[tuple[Page, list[Item]]], fetched_at: datetime) -> ParsedPage:
        """The new things of every listing, with the karma of their authors (looked up first)."""
        taken = [item for _, items in pages for item in items]
        self._learn_karma(_authors(taken), self.settings.max_karma_lookups_per_tick)
        posts, skipped = self._parse([item.raw for item in taken], fetched_at)
        return ParsedPage(posts=posts, skipped=skipped)

    def listings(self) -> list[tuple[str, str, dict[str, Any]]]:
        """(cursor key, API path, params) of every listing polled: new, comments, search, and each
        responder's own comments and posts (how Earshot learns the brand answered)."""
        found: list[tuple[str, str, dict[str, Any]]] = []
        for sub in (s.removeprefix("/").removeprefix("r/") for s in self.settings.subreddits):
            found.append((f"new:{sub}", f"r/{sub}/new", {}))
            if self.settings.include_comments:
                found.append((f"comments:{sub}", f"r/{sub}/comments", {}))
        found += [(f"search:{q}", "search", {"q": q, "sort": "new"}) for q in self.settings.queries]
        for name in self.responders:
            found.append((f"responder-comments:{name}", f"user/{name}/comments", {"sort": "new"}))
            found.append((f"responder-posts:{name}", f"user/{name}/submitted", {"sort": "new"}))
        return found

    def _listing(self, path: str, params: dict[str, Any]) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, _since: Any) -> Page:
            query = {**params, "limit": self.settings.max_items_per_tick}
            if token:
                query["after"] = token
            body = self._get(f"GET /{path}", path, query)
            return to_page(body)

        return fetch

    def _get(self, what: str, path: str, params: dict[str, Any]) -> Any:
        return self.retrier.call(what, lambda: self.reddit.request(method="GET", path=path, params=params), classify)

    def _parse(self, children: list[Any], fetched_at: datetime) -> tuple[list[Post], list[Skipped]]:
        if not children:
            return [], []
        page = parse_listing({"kind": "Listing", "data": {"children": children}}, fetched_at, self.karma.known())
        return page.posts, page.skipped

    def _learn_karma(self, authors: Sequence[str], limit: int) -> None:
        """Look up karma of authors not cached yet, at most `limit`; quota trouble just stops early."""
        todo = [a for a in dict.fromkeys(authors) if a not in self.karma][:limit]
        with self.budget.keeping(max(self.budget.reserve, len(self.listings()))):  # intake comes first
            for author in todo:
                try:
                    about = self._get(f"GET /user/{author}/about", f"user/{author}/about", {})
                    self.karma.put(author, _karma(about, author))
                except Gone:
                    self.karma.put(author, None)
                except AuthFailed:
                    raise
                except (BudgetExhausted, SourceError) as err:
                    log.info("reddit: karma lookups stopped: %s", err, extra={"source": self.name})
                    return

    # --- engagement ---------------------------------------------------------------------

    def refresh(self, posts: Sequence[Post]) -> list[EngagementUpdate]:
        """Fresh scores via /api/info, 100 fullnames a request, within what intake left of the budget."""
        known = {p.native_id: p for p in posts if p.source == self.name}
        names, updates = list(known), []
        with self._lock, self.budget.keeping(len(self.listings())):
            for start in range(0, len(names), INFO_BATCH):
                try:
                    body = self._get("GET /api/info", "api/info", {"id": ",".join(names[start : start + INFO_BATCH])})
                except BudgetExhausted:
                    break
                except Gone:
                    continue
                children = ((body or {}).get("data") or {}).get("children") or []
                taken_at = self._now()
                parsed, _ = self._parse(children, taken_at)
                updates += [
                    EngagementUpdate(
                        source="reddit",
                        native_id=p.native_id,
                        taken_at=taken_at,
                        engagement=p.engagement,
                        author_reach=p.author_reach,
                        is_deleted=p.is_deleted,
                    )
                    for p in parsed
                    if p.native_id in known
                ]
            missing = [p.author_handle for p in known.values() if p.author_reach is None and p.author_handle]
            try:
                self._learn_karma(missing, self.settings.max_karma_lookups_per_tick)
            except SourceError:
                pass
        return [
            u
            if u.author_reach is not None
            else replace(u, author_reach=self.karma.get(known[u.native_id].author_handle or ""))
            for u in updates
        ]


def to_page(body: Any) -> Page:
    """A raw listing as stream items (created time order) plus its `after` token."""
    if not isinstance(body, dict) or body.get("kind") != "Listing":
        raise MalformedPayload(f"reddit: expected a Listing, got {str(body)[:80]!r}")
    data = body.get("data") or {}
    if not isinstance(data, dict) or not isinstance(data.get("children") or [], list):
        raise MalformedPayload("reddit: a Listing without a list of children")
    items = []
    for child in data.get("children") or []:
        if (
            not isinstance(child, dict)
            or child.get("kind") not in ("t1", "t3")
            or not isinstance(child.get("data"), dict)
        ):
            continue
        thing = child["data"]
        name = thing.get("name") or (f"{child['kind']}_{thing['id']}" if thing.get("id") else None)
        if name:
            items.append(Item(order=_created(thing), name=str(name), raw=child))
    after = data.get("after")
    return Page(items=items, next_token=str(after) if after else None, body=body)


def _created(thing: dict[str, Any]) -> float:
    try:
        return float(thing.get("created_utc") or thing.get("created") or 0)
    except (TypeError, ValueError, OverflowError):
        return 0.0


def _authors(items: Sequence[Item]) -> list[str]:
    names = [item.raw["data"].get("author") for item in items]
    return [n for n in names if isinstance(n, str) and n not in DELETED_AUTHORS]  # a hostile author is no lookup


def _karma(about: Any, author: str) -> int | None:
    """Total karma from /user/<name>/about; None for suspended or shadow-banned accounts."""
    if not isinstance(about, dict) or (about.get("data") or {}).get("is_suspended"):
        return None
    try:
        return parse_karma(about)[1]
    except (KeyError, TypeError, ValueError):
        log.info("reddit: unreadable about page for %s", author)
        return None
