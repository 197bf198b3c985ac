"""The Mastodon connector: hashtag timelines, status search and responders' statuses on each instance.

Mastodon.py sends the requests (auth, parameters, its errors); the raw JSON comes from our
session adapter (`transport.MastodonTransport`), so `raw` is the status as the server sent it.
A timeline is walked newest first with `since_id` (the cursor) and `max_id` (the next page, from
the `Link` header); a status federated to several configured instances is taken once, by its `uri`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from mastodon import Mastodon

from bot.core.errors import MalformedPayload, RateLimited, SourceError, TransientSourceError
from bot.core.posts import EngagementUpdate, Post
from connectors.base import ParsedPage, PolledConnector, Stream, refreshed
from connectors.cursor import PolledCursor
from connectors.mastodon.parse import full_acct, host_of, parse_statuses
from connectors.mastodon.settings import InstanceSettings, MastodonSettings
from connectors.mastodon.transport import MastodonTransport, classify, ours, wrap
from connectors.ratelimit import BudgetExhausted, Gone, RequestBudget, Retrier, Sleep
from connectors.streams import Item, Page

log = logging.getLogger(__name__)
LOOKUP_BATCH = 40  # GET /api/v1/statuses?id[]= takes at most 40 ids (Mastodon 4.3+)
RETRY = "?retry"  # a lookup to try again next tick
MAX_URIS = 2000
NO_SEARCH = "status search returned nothing: this instance may lack full-text search (or the token cannot search)"


class _Instance:
    """One instance: its client, its transport and its settings."""

    def __init__(
        self, settings: InstanceSettings, token: str, session: requests.Session, budget: RequestBudget, timeout: float
    ) -> None:
        self.settings, self.host = settings, host_of(settings.api_base)
        self.transport: MastodonTransport = wrap(session, settings.api_base, budget, timeout)
        self.client = Mastodon(
            api_base_url=settings.api_base,
            access_token=token or None,
            session=session,
            ratelimit_method="throw",  # Earshot waits, within its bounds (connectors.ratelimit)
            version_check_mode="none",
            request_timeout=timeout,
        )


class MastodonConnector(PolledConnector):
    """Polls every configured instance; the cursor's `users` keeps responders' account ids per instance."""

    name = "mastodon"

    def __init__(
        self,
        settings: MastodonSettings,
        tokens: Mapping[str, str],
        responders: Sequence[str] = (),
        session: requests.Session | None = None,
        sleep: Sleep | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(
            interval_seconds=settings.interval_seconds, max_pages_per_tick=settings.max_pages_per_tick, now=now
        )
        self.settings = settings
        self.session = session or requests.Session()
        self.instances = [
            _Instance(
                i,
                tokens.get(i.token_env or "", ""),
                self.session,
                RequestBudget(settings.budget),
                settings.retry.timeout_seconds,
            )
            for i in settings.instances
        ]
        self.responders = (
            [full_acct(r, self.instances[0].host).lower() for r in responders if r.strip()] if self.instances else []
        )
        self.retrier = Retrier(self.name, settings.retry, sleep=sleep)
        self.notes: dict[str, str] = {}
        self.uris: list[str] = []  # uris taken lately (several instances only), kept in the cursor
        self._users: dict[str, str | None] = {}  # "host:acct" -> account id (None: none), kept in the cursor

    # --- intake -------------------------------------------------------------------------

    def streams(self, cursor: PolledCursor) -> list[Stream]:
        """Per instance: each hashtag's timeline, each query's search, and each responder's statuses
        (on the responder's own instance when configured, else on the first)."""
        users = self._users = dict(cursor.users or {})
        self.notes = dict(cursor.notes or {})
        if len(self.instances) > 1:  # a status federated to several of them: remembered by uri across fetches
            self.uris = list(cursor.uris or ())[-MAX_URIS:]
        found: list[Stream] = []
        for inst in self.instances:
            found += [(f"tag:{inst.host}:{t.lower()}", self._tag_page(inst, t.lower())) for t in inst.settings.hashtags]
            found += [(f"search:{inst.host}:{q}", self._search_page(inst, q)) for q in inst.settings.queries]
        for acct in self.responders:
            inst = self._home(acct)
            key = f"{inst.host}:{acct}"
            if key not in users and (account_id := self._lookup(inst, acct)) is not RETRY:
                users[key] = account_id
            if users.get(key):
                found.append((f"responder:{key}", self._account_page(inst, str(users[key]))))
        return found

    def remember(self, cursor: PolledCursor) -> PolledCursor:
        """The streams, responders' account ids, notes, and (several instances) the uris taken lately."""
        uris = tuple(self.uris) if len(self.instances) > 1 else cursor.uris
        return replace(cursor, users=dict(self._users), notes=dict(self.notes), uris=uris)

    def parse(self, pages: list[tuple[Page, list[Item]]], fetched_at: datetime) -> ParsedPage:
        """Each page's new statuses, each status once across instances (by its uri)."""
        parsed, uris = ParsedPage(), set(self.uris)
        for page, items in pages:
            fresh = []
            for item in items:
                uri = str(item.raw.get("uri") or "") if isinstance(item.raw, dict) else ""
                if uri and uri in uris:
                    continue
                uris.add(uri)
                fresh.append(item.raw)
            one = parse_statuses(fresh, str(page.body["host"]), fetched_at)
            parsed.posts.extend(one.posts)
            parsed.skipped.extend(one.skipped)
        parsed.posts.sort(key=lambda p: (p.created_at, p.native_id))
        if len(self.instances) > 1:
            self.uris[:] = [*self.uris, *(str(p.raw.get("uri")) for p in parsed.posts if p.raw.get("uri"))][-MAX_URIS:]
        return parsed

    def _tag_page(self, inst: _Instance, tag: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, since: Any) -> Page:
            call = partial(
                inst.client.timeline_hashtag, tag, max_id=token, since_id=_id(since), limit=self.settings.max_results
            )
            return self._page(inst, f"#{tag} on {inst.host}", call)

        return fetch

    def _account_page(self, inst: _Instance, account_id: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, since: Any) -> Page:
            call = partial(
                inst.client.account_statuses,
                account_id,
                max_id=token,
                since_id=_id(since),
                limit=self.settings.max_results,
            )
            return self._page(inst, f"statuses of {account_id} on {inst.host}", call)

        return fetch

    def _search_page(self, inst: _Instance, query: str) -> Callable[[str | None, Any], Page]:
        def fetch(token: str | None, since: Any) -> Page:
            call = partial(
                inst.client.search_v2,
                query,
                resolve=False,
                result_type="statuses",
                max_id=token,
                min_id=_id(since),
                limit=self.settings.max_results,
            )
            page = self._page(inst, f"search {query!r} on {inst.host}", call, key="statuses")
            note_key = f"search:{inst.host}:{query}"
            if not page.items and since is None:
                if note_key not in self.notes:
                    log.warning("mastodon %s: %s", inst.host, NO_SEARCH, extra={"source": self.name})
                self.notes[note_key] = NO_SEARCH
            elif page.items:
                self.notes.pop(note_key, None)
            return page

        return fetch

    def _page(self, inst: _Instance, what: str, call: Callable[[], Any], key: str | None = None) -> Page:
        """One page: Mastodon.py's call, the raw JSON from our transport, the next `max_id` from `Link`."""
        self.retrier.call(what, ours(call), partial(classify, transport=inst.transport))
        try:
            body = inst.transport.body()
        except ValueError as err:
            raise TransientSourceError(f"mastodon {what}: unreadable JSON") from err
        statuses = body.get(key) if key and isinstance(body, dict) else body
        if not isinstance(statuses, list):
            raise MalformedPayload(f"mastodon {what}: expected a list of statuses, got {type(statuses).__name__}")
        items = [
            Item(order=int(s["id"]), name=str(s["id"]), raw=s)
            for s in statuses
            if isinstance(s, dict) and str(s.get("id", "")).isdecimal()
        ]
        return Page(items=items, next_token=_next_max_id(inst.transport, items), body={"host": inst.host})

    def _home(self, acct: str) -> _Instance:
        return next((i for i in self.instances if i.host == acct.rsplit("@", 1)[-1]), self.instances[0])

    def _lookup(self, inst: _Instance, acct: str) -> str | None:
        """A responder's account id on `inst`; None (kept in the cursor) when it has none; RETRY when the
        instance could not say (not kept: asked again next tick)."""
        try:
            self.retrier.call(
                f"lookup {acct}",
                ours(partial(inst.client.account_lookup, acct)),
                partial(classify, transport=inst.transport),
            )
            return str(inst.transport.body()["id"])
        except (Gone, MalformedPayload, KeyError, TypeError, ValueError):
            log.warning("mastodon: no account @%s on %s to watch", acct, inst.host, extra={"source": self.name})
            return None
        except (RateLimited, TransientSourceError) as err:  # the other streams go on; tried next tick
            log.warning("mastodon: responder @%s not resolved yet: %s", acct, err, extra={"source": self.name})
            return RETRY

    # --- engagement ---------------------------------------------------------------------

    def refresh(self, posts: Sequence[Post]) -> list[EngagementUpdate]:
        """Fresh counts by `GET /api/v1/statuses?id[]=`, 40 ids a request, per instance; a status
        the instance no longer returns is marked deleted."""
        updates: list[EngagementUpdate] = []
        by_host: dict[str, list[Post]] = {}
        for post in posts:
            if post.source == self.name:
                by_host.setdefault(post.native_id.split(":", 1)[0], []).append(post)
        with self._lock:
            for inst in self.instances:
                todo = by_host.get(inst.host, [])
                reserve = len(inst.settings.hashtags) + len(inst.settings.queries) + len(self.responders)
                updates += self._refresh_on(inst, todo, reserve)
        return updates

    def _refresh_on(self, inst: _Instance, todo: list[Post], reserve: int) -> list[EngagementUpdate]:
        """One instance's statuses, within what intake left of its budget."""
        updates: list[EngagementUpdate] = []
        with inst.transport.budget.keeping(reserve):
            for start in range(0, len(todo), LOOKUP_BATCH):
                chunk = {p.native_id.split(":", 1)[1]: p for p in todo[start : start + LOOKUP_BATCH]}
                try:
                    self.retrier.call(
                        "status lookup",
                        ours(partial(inst.client.statuses, list(chunk))),
                        partial(classify, transport=inst.transport),
                    )
                    body = inst.transport.body()
                except BudgetExhausted:
                    break
                except (Gone, SourceError, ValueError) as err:
                    log.info("mastodon %s: engagement refresh stopped: %s", inst.host, err, extra={"source": self.name})
                    break
                updates += _updates(body, chunk, inst.host, self._now())
        return updates


def _updates(body: Any, asked: dict[str, Post], host: str, taken_at: datetime) -> list[EngagementUpdate]:
    parsed = parse_statuses(body if isinstance(body, list) else [], host, taken_at)
    return refreshed("mastodon", asked.values(), parsed.posts, taken_at)  # never a status not asked for


def _id(since: Any) -> str | None:
    return None if since is None else str(since)


def _next_max_id(transport: MastodonTransport, items: list[Item]) -> str | None:
    """The `max_id` of the `Link: <...>; rel="next"` header; else none (the feed ended)."""
    if not items or transport.last is None:
        return None
    link = transport.last.links.get("next") or {}
    values = parse_qs(urlsplit(str(link.get("url") or "")).query).get("max_id")
    return values[0] if values else None
