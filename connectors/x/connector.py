"""The X connector: recent search, brand mentions and responders' timelines through tweepy (X API v2).

Raw dicts go to `x.parse`. A responder's timeline (GET /2/users/:id/tweets, replies included)
is how Earshot learns when the brand answered in public.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

import tweepy

from bot.core.errors import MalformedPayload, RateLimited, TransientSourceError
from bot.core.posts import EngagementUpdate, Post
from connectors.base import Batch, ParsedPage, PolledConnector, Stream
from connectors.cursor import PolledCursor, SourceCursor
from connectors.ratelimit import BudgetExhausted, Gone, RequestBudget, Retrier, ServerWindow, Sleep
from connectors.streams import Item, Page
from connectors.x.parse import parse_page
from connectors.x.settings import XSettings
from connectors.x.spend import Spend, SpendCapReached, reads_in, worth_repolling
from connectors.x.transport import TWITTER_HOST, XTransport, classify

log = logging.getLogger(__name__)
EXPANSIONS = ["author_id", "referenced_tweets.id"]
TWEET_FIELDS = [
    "author_id",
    "created_at",
    "public_metrics",
    "lang",
    "conversation_id",
    "referenced_tweets",
    "in_reply_to_user_id",
    "edit_history_tweet_ids",
    "note_tweet",
]
USER_FIELDS = ["username", "public_metrics", "verified", "verified_type"]
LOOKUP_BATCH = 100
GONE_REASONS = ("not found", "authorization", "forbidden", "suspended", "deleted")


class XConnector(PolledConnector):
    """Polls recent search per query and mentions per brand account, from a since_id cursor."""

    name = "x"

    def __init__(
        self,
        settings: XSettings,
        bearer_token: str,
        own_handles: Sequence[str] = (),
        responders: Sequence[str] = (),
        sleep: Sleep | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(
            interval_seconds=settings.interval_seconds, max_pages_per_tick=settings.max_pages_per_tick, now=now
        )
        self.settings = settings
        self.own_handles = {h.lstrip("@").lower() for h in own_handles if h and not h.isdigit()}
        self.responders = [h.lstrip("@") for h in responders if h.strip()]
        self.budget: RequestBudget = RequestBudget(settings.budget)
        self.client = tweepy.Client(bearer_token=bearer_token, wait_on_rate_limit=False, return_type=dict)
        self.client.session.mount(
            TWITTER_HOST, XTransport(settings.api_base, self.budget, ServerWindow(), settings.retry.timeout_seconds)
        )
        self.retrier = Retrier(self.name, settings.retry, sleep=sleep)
        self.spend: Spend | None = None  # posts read today and this month: from the cursor, then counted here
        self._users: dict[str, str | None] = {}  # handle -> account id (None: no such account), kept in the cursor

    def fetch(self, cursor: SourceCursor | None) -> Batch:
        """The polled fetch, with the spend so far in the returned cursor (stored with the batch)."""
        if self.spend is None:
            saved = PolledCursor.given(cursor)
            self.spend = Spend.starting(saved.spend if saved else None, self._now())
        self.spend.check(self.settings.cost, self._now())  # at a cap nothing is read; a walk begun is finished
        return super().fetch(cursor)

    def remember(self, cursor: PolledCursor) -> PolledCursor:
        """The streams, the accounts' ids resolved, and the spend so far."""
        spend = self.spend.as_cursor(self.settings.cost) if self.spend is not None else cursor.spend
        return replace(cursor, users=dict(self._users), spend=spend)

    def _metered(self, what: str, call: Callable[[], Any], *, capped: bool = False) -> Any:
        """One request that returns posts, its posts counted as reads; `capped`: refused at a spend cap first."""
        if self.spend is None:
            self.spend = Spend.starting(None, self._now())
        if capped:
            self.spend.check(self.settings.cost, self._now())
        body = self.retrier.call(what, call, classify)
        self.spend.add(reads_in(body), self._now())
        return body

    # --- intake -------------------------------------------------------------------------

    def streams(self, cursor: PolledCursor) -> list[Stream]:
        """A search stream per query, a mentions stream per brand account and a timeline stream per
        responder (account ids resolved once)."""
        users = self._users = dict(cursor.users or {})
        self._resolve(users)
        found = [(f"search:{q}", self._search_page(q)) for q in self.settings.queries]
        for account in self.settings.mentions_of:
            user_id = account if account.isdigit() else users.get(account.lstrip("@").lower())
            if user_id:
                found.append((f"mentions:{user_id}", self._mentions_page(user_id)))
        for account in self.responders:
            user_id = account if account.isdigit() else users.get(account.lower())
            if user_id:
                found.append((f"timeline:{user_id}", self._timeline_page(user_id)))
        return found

    def parse(self, pages: list[tuple[Page, list[Item]]], fetched_at: datetime) -> ParsedPage:
        """Each page's new tweets, with the authors from that page's includes."""
        parsed = ParsedPage()
        for page, items in pages:
            if items:
                one = parse_page({**page.body, "data": [i.raw for i in items]}, fetched_at)
                parsed.posts.extend(one.posts)
                parsed.skipped.extend(one.skipped)
        parsed.posts.sort(key=lambda p: (p.created_at, int(p.native_id) if p.native_id.isdecimal() else 0))
        return parsed

    def query(self, text: str) -> str:
        """The search query with retweets and the brand's own posts excluded (unless configured)."""
        parts = [f"({text})" if " OR " in text else text]
        if not self.settings.include_retweets and "is:retweet" not in text:
            parts.append("-is:retweet")
        if not self.settings.include_own_posts:
            parts += [f"-from:{h}" for h in sorted(self.own_handles) if f"from:{h}" not in text.lower()]
        return " ".join(parts)

    def _search_page(self, text: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, since: Any) -> Page:
            params: dict[str, Any] = {
                "query": self.query(text),
                "max_results": max(self.settings.max_results, 10),
                **_fields(),
            }
            if token:
                params["next_token"] = token
            return self._page(f"search {text!r}", self.client.search_recent_tweets, params, since)

        return fetch

    def _mentions_page(self, user_id: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, since: Any) -> Page:
            params: dict[str, Any] = {"id": user_id, "max_results": self.settings.max_results, **_fields()}
            if token:
                params["pagination_token"] = token
            return self._page(f"mentions of {user_id}", self.client.get_users_mentions, params, since)

        return fetch

    def _timeline_page(self, user_id: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, since: Any) -> Page:
            params: dict[str, Any] = {"id": user_id, "max_results": self.settings.max_results, **_fields()}
            if token:
                params["pagination_token"] = token
            return self._page(f"timeline of {user_id}", self.client.get_users_tweets, params, since)

        return fetch

    def _page(self, what: str, method: Callable[..., Any], params: dict[str, Any], since: Any) -> Page:
        """One page; a since_id the API refuses (older than its window) is dropped once."""
        if since is not None:
            params["since_id"] = str(since)
        try:
            body = self._metered(what, lambda: method(**params))
        except MalformedPayload as err:
            if "since_id" not in params or "since_id" not in str(err):
                raise
            log.warning("x %s: since_id refused, fetching without it", what, extra={"source": self.name})
            params.pop("since_id")
            body = self._metered(what, lambda: method(**params))
        return to_page(body)

    def _resolve(self, users: dict[str, str | None]) -> None:
        """Look up the ids of brand accounts named by handle, once (kept in the cursor)."""
        accounts = [*self.settings.mentions_of, *self.responders]
        wanted = list(
            dict.fromkeys(a.lstrip("@") for a in accounts if not a.isdigit() and a.lstrip("@").lower() not in users)
        )
        if not wanted:
            return
        try:
            try:
                found = _users(
                    self.retrier.call(
                        "user lookup",
                        lambda: self.client.get_users(usernames=wanted, user_fields=["username"]),
                        classify,
                    )
                )
            except (Gone, MalformedPayload):
                found = {}
            for handle in [h for h in wanted if h.lower() not in found]:  # one at a time, by username
                try:
                    found |= _users(
                        self.retrier.call(
                            f"user {handle}",
                            partial(self.client.get_user, username=handle, user_fields=["username"]),
                            classify,
                        )
                    )
                except (Gone, MalformedPayload):
                    continue
        except (RateLimited, TransientSourceError) as err:  # search goes on; mentions wait for the next tick
            log.warning("x: brand accounts not resolved yet: %s", err, extra={"source": self.name})
            return
        for handle in wanted:
            users[handle.lower()] = found.get(handle.lower())
            if users[handle.lower()] is None:
                log.warning("x: no account @%s to watch", handle, extra={"source": self.name})

    # --- engagement ---------------------------------------------------------------------

    def refresh(self, posts: Sequence[Post]) -> list[EngagementUpdate]:
        """Fresh metrics by tweet lookup, 100 ids a request, within what intake left of the budget; only
        complaints that still move (`cost.repoll_min_velocity`) are re-polled: each read is paid for."""
        now = self._now()
        known = {
            p.native_id: p
            for p in posts
            if p.source == self.name and worth_repolling(p, now, self.settings.cost.repoll_min_velocity)
        }
        ids, updates = list(known), []
        reserve = len(self.settings.queries) + len(self.settings.mentions_of) + len(self.responders)
        with self._lock, self.budget.keeping(reserve):
            for start in range(0, len(ids), LOOKUP_BATCH):
                chunk = ids[start : start + LOOKUP_BATCH]
                try:
                    body = self._metered(
                        "tweet lookup", partial(self.client.get_tweets, ids=chunk, **_fields()), capped=True
                    )
                except (BudgetExhausted, SpendCapReached):
                    break
                except Gone:
                    continue
                taken_at = self._now()
                parsed = parse_page(body, taken_at)
                updates += [
                    EngagementUpdate(
                        source="x",
                        native_id=p.native_id,
                        taken_at=taken_at,
                        engagement=p.engagement,
                        author_reach=p.author_reach,
                    )
                    for p in parsed.posts
                    if p.native_id in known
                ]
                for item in parsed.skipped:
                    post = known.get(item.native_id or "")
                    if post is not None and any(word in item.reason.lower() for word in GONE_REASONS):
                        updates.append(
                            EngagementUpdate(
                                source="x",
                                native_id=post.native_id,
                                taken_at=taken_at,
                                engagement=post.engagement,
                                is_deleted=True,
                            )
                        )
        return updates


def to_page(body: Any) -> Page:
    """A raw X page as stream items (tweet id order) plus its next token."""
    if not isinstance(body, dict):
        raise MalformedPayload(f"x: expected a JSON object, got {type(body).__name__}")
    data = body.get("data") or []
    data = [data] if isinstance(data, dict) else data
    items = [
        Item(order=int(t["id"]) if str(t["id"]).isdecimal() else 0, name=str(t["id"]), raw=t)
        for t in data
        if isinstance(t, dict) and t.get("id") is not None
    ]
    meta = body.get("meta") or {}
    token = meta.get("next_token") or meta.get("pagination_token")
    return Page(items=items, next_token=str(token) if token else None, body=body)


def _fields() -> dict[str, Any]:
    return {"expansions": EXPANSIONS, "tweet_fields": TWEET_FIELDS, "user_fields": USER_FIELDS}


def _users(body: Any) -> dict[str, str]:
    data = (body.get("data") if isinstance(body, dict) else None) or []
    data = [data] if isinstance(data, dict) else data
    return {str(u["username"]).lower(): str(u["id"]) for u in data if isinstance(u, dict) and u.get("username")}
