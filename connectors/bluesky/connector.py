"""The Bluesky connector: keyword search and responders' feeds through a logged-in atproto session.

atproto sends the requests (session, refresh, its errors); the raw JSON comes from our httpx
transport (`transport.BlueskyTransport`), so `raw` is the post view as the AppView sent it.
Responders are resolved to their DIDs once (kept in the cursor) and their feeds read by DID, so a
responder who changes handle is still heard, and still counted as the brand (by the configured name).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

import httpx
from atproto import Client
from atproto_client.request import Request

from bot.core.errors import MalformedPayload, RateLimited, SourceError, TransientSourceError
from bot.core.posts import EngagementUpdate, Post
from connectors.base import ParsedPage, PolledConnector, Stream, refreshed
from connectors.bluesky.parse import native_id, order_key, parse_views
from connectors.bluesky.settings import BlueskySettings
from connectors.bluesky.transport import BlueskyTransport, classify
from connectors.cursor import PolledCursor
from connectors.ratelimit import BudgetExhausted, Gone, RequestBudget, Retrier, ServerWindow, Sleep
from connectors.reddit.karma import KarmaCache
from connectors.streams import Item, Page

log = logging.getLogger(__name__)
LOOKUP_BATCH = 25  # getPosts takes at most 25 URIs
PROFILES_BATCH = 25  # getProfiles takes at most 25 actors
RETRY = "?retry"  # a lookup to try again next tick


class BlueskyConnector(PolledConnector):
    """Polls searchPosts per query and getAuthorFeed per responder, newest first, from the cursor."""

    name = "bluesky"

    def __init__(
        self,
        settings: BlueskySettings,
        app_password: str,
        responders: Sequence[str] = (),
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(
            interval_seconds=settings.interval_seconds, max_pages_per_tick=settings.max_pages_per_tick, now=now
        )
        self.settings, self.password = settings, app_password
        self.responders = [r.lstrip("@").lower() for r in responders if r.strip()]
        self.budget: RequestBudget = RequestBudget(settings.budget)
        self.transport = BlueskyTransport(transport or httpx.HTTPTransport(retries=0), self.budget, ServerWindow())
        request = Request(transport=self.transport, timeout=settings.retry.timeout_seconds)
        self.client = Client(base_url=settings.api_base + "/xrpc", request=request)
        self.retrier = Retrier(self.name, settings.retry, sleep=sleep)
        self._logged_in = False
        self._names: dict[str, str] = {}  # responder DID -> the handle configured for it
        self._users: dict[str, str | None] = {}  # responder handle -> DID (None: none), kept in the cursor
        self.followers = KarmaCache(settings.profile_cache_size)  # DID -> followers (an LRU, as Reddit's karma)

    # --- intake -------------------------------------------------------------------------

    def streams(self, cursor: PolledCursor) -> list[Stream]:
        """A search stream per query and a feed stream per responder (by DID, resolved once)."""
        users = self._users = dict(cursor.users or {})  # first: kept even when the login fails
        self._login()
        found: list[Stream] = [(f"search:{q}", self._search_page(q)) for q in self.settings.queries]
        for handle in self.responders:
            if handle not in users and (resolved := self._resolve(handle)) is not RETRY:
                users[handle] = resolved
            did = users.get(handle)
            if did:
                self._names[did] = handle
                found.append((f"feed:{did}", self._feed_page(did)))
        return found

    def remember(self, cursor: PolledCursor) -> PolledCursor:
        """The streams and the responders' DIDs resolved."""
        return replace(cursor, users=dict(self._users))

    def parse(self, pages: list[tuple[Page, list[Item]]], fetched_at: datetime) -> ParsedPage:
        """The new post views of every page, with their authors' followers (looked up once per author);
        a responder's post carries the configured handle."""
        parsed = parse_views([item.raw for _, items in pages for item in items], fetched_at)
        self._learn_followers([p.author_id for p in parsed.posts if p.author_id and p.author_reach is None])
        posts = [
            replace(p, author_reach=self.followers.get(p.author_id or "")) if p.author_reach is None else p
            for p in parsed.posts
        ]
        return ParsedPage(posts=[self._as_configured(p) for p in posts], skipped=parsed.skipped)

    def _learn_followers(self, dids: Sequence[str]) -> None:
        """Followers of authors not cached yet (getProfiles, 25 a request), at most
        `max_profile_lookups_per_tick`; quota trouble just stops early (post views carry no count)."""
        todo = [d for d in dict.fromkeys(dids) if d not in self.followers][: self.settings.max_profile_lookups_per_tick]
        with self.budget.keeping(len(self.settings.queries) + len(self.responders)):  # intake comes first
            for start in range(0, len(todo), PROFILES_BATCH):
                chunk = todo[start : start + PROFILES_BATCH]
                try:
                    call = partial(self.client.app.bsky.actor.get_profiles, {"actors": chunk})
                    body = self._call("getProfiles", call)
                except (BudgetExhausted, SourceError, Gone) as err:
                    log.info("bluesky: follower lookups stopped: %s", err, extra={"source": self.name})
                    return
                counts = {str(p.get("did")): p.get("followersCount") for p in body.get("profiles") or []}
                for did in chunk:
                    count = counts.get(did)
                    self.followers.put(did, int(count) if isinstance(count, int) and count >= 0 else None)

    def _search_page(self, query: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, _since: Any) -> Page:
            params = {"q": query, "sort": "latest", "limit": self.settings.max_results, "cursor": token}
            body = self._call(f"search {query!r}", partial(self.client.app.bsky.feed.search_posts, params))
            return _page(body, [v for v in body.get("posts") or [] if isinstance(v, dict)])

        return fetch

    def _feed_page(self, did: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, _since: Any) -> Page:
            params = {"actor": did, "filter": "posts_with_replies", "limit": self.settings.max_results, "cursor": token}
            body = self._call(f"feed of {did}", partial(self.client.app.bsky.feed.get_author_feed, params))
            views = [
                item["post"]
                for item in body.get("feed") or []
                if isinstance(item, dict) and isinstance(item.get("post"), dict) and not item.get("reason")
            ]  # a repost (`reason`) is someone else's post: not the brand's words
            return _page(body, [v for v in views if (v.get("author") or {}).get("did") == did])

        return fetch

    def _call(self, what: str, method: Callable[[], Any]) -> dict[str, Any]:
        """One XRPC call through the retrier; the raw JSON body our transport kept."""
        self.retrier.call(what, method, classify)
        body = self.transport.last
        if not isinstance(body, dict):
            raise MalformedPayload(f"bluesky {what}: expected a JSON object")
        return body

    def _login(self) -> None:
        """Create the session once (atproto refreshes it); a refused app password is AuthFailed."""
        if not self._logged_in:
            login = partial(self.client.login, self.settings.login, self.password, fetch_bsky_profile=False)
            self.retrier.call(f"login as {self.settings.login}", login, classify)
            self._logged_in = True

    def _resolve(self, handle: str) -> str | None:
        """A responder's DID; None (kept in the cursor) when the handle resolves to no account."""
        try:
            body = self._call(f"profile {handle}", partial(self.client.app.bsky.actor.get_profile, {"actor": handle}))
            return str(body["did"])
        except (Gone, MalformedPayload, KeyError):
            log.warning("bluesky: no account @%s to watch", handle, extra={"source": self.name})
            return None
        except (RateLimited, TransientSourceError) as err:  # asked again next tick
            log.warning("bluesky: responder @%s not resolved yet: %s", handle, err, extra={"source": self.name})
            return RETRY

    def _as_configured(self, post: Post) -> Post:
        """A responder's post under the handle configured for it, even after a handle change."""
        configured = self._names.get(post.author_id or "")
        if configured is None or (post.author_handle or "").lower() == configured:
            return post
        log.info("bluesky: @%s now posts as @%s", configured, post.author_handle, extra={"source": self.name})
        return replace(post, author_handle=configured)

    # --- engagement ---------------------------------------------------------------------

    def refresh(self, posts: Sequence[Post]) -> list[EngagementUpdate]:
        """Fresh counts by getPosts, 25 URIs a request; a post no longer served is marked deleted."""
        known = {p.native_id: p for p in posts if p.source == self.name}
        ids, updates = list(known), []
        with self._lock, self.budget.keeping(len(self.settings.queries) + len(self.responders)):
            try:
                self._login()
            except BudgetExhausted:
                return []
            for start in range(0, len(ids), LOOKUP_BATCH):
                chunk = ids[start : start + LOOKUP_BATCH]
                uris = [_uri(i) for i in chunk]
                try:
                    body = self._call("getPosts", partial(self.client.app.bsky.feed.get_posts, {"uris": uris}))
                except BudgetExhausted:
                    break
                except Gone:
                    continue
                taken_at = self._now()
                parsed = parse_views(body.get("posts") or [], taken_at)
                updates += refreshed(self.name, (known[i] for i in chunk), parsed.posts, taken_at)
        return updates


def _page(body: dict[str, Any], views: list[dict[str, Any]]) -> Page:
    items = []
    for view in views:
        try:
            items.append(Item(order=order_key(view), name=native_id(view["uri"]), raw=view))
        except (KeyError, TypeError, ValueError):
            items.append(
                Item(order=0, name=str(view.get("uri"))[:200], raw=view)
            )  # parse() skips it, kept as a dead letter
    cursor = body.get("cursor")
    return Page(items=items, next_token=str(cursor) if cursor else None, body=body)


def _uri(post_id: str) -> str:
    did, rkey = post_id.split("/")
    return f"at://{did}/app.bsky.feed.post/{rkey}"
