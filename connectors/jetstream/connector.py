"""Reads Jetstream (v1): every new Bluesky post as JSON over a websocket, kept when it names the brand.

Each fetch connects with `cursor=<time_us>` (the last event seen, kept in the cursor; Jetstream
delivers at least once, and the store's uniqueness drops what comes twice), listens for
`seconds_per_tick` or `max_events_per_tick` events, and returns the matching posts, as the Bluesky
source's posts (`source: bluesky`, the same native ids, so a post also found by search is stored
once). A dropped connection ends the fetch with what it read; connecting again backs off.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from bot.core.posts import Engagement, Post
from connectors.base import UNUSABLE, Batch, Connector, Skipped
from connectors.bluesky.parse import POST_COLLECTION, mentions, post_url
from connectors.cursor import JetstreamCursor, SourceCursor
from connectors.jetstream.settings import JetstreamSettings
from connectors.ratelimit import Failure, Retrier, Sleep
from connectors.x.parse import parse_time

log = logging.getLogger(__name__)


class JetstreamConnector(Connector):
    """A bounded listen per fetch, from the saved `time_us`."""

    name = "jetstream"
    cursor_type = JetstreamCursor

    def __init__(
        self,
        settings: JetstreamSettings,
        keywords: Sequence[str],
        sleep: Sleep | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings, self.interval_seconds, self.clock = settings, settings.interval_seconds, clock
        words = sorted({re.escape(k.strip().lstrip("@#")) for k in keywords if k.strip()}, key=len, reverse=True)
        self.match = re.compile(r"(?<!\w)[@#]?(" + "|".join(words) + r")(?!\w)", re.I)
        self.retrier = Retrier(self.name, settings.retry, sleep=sleep)

    def fetch(self, cursor: SourceCursor | None) -> Batch:
        since = (JetstreamCursor.given(cursor) or JetstreamCursor()).time_us
        url = f"{self.settings.url}?wantedCollections={POST_COLLECTION}" + (f"&cursor={since}" if since else "")
        socket = self.retrier.call("connect", lambda: connect(url, open_timeout=10, max_size=2**22), _classify)
        posts: list[Post] = []
        skipped: list[Skipped] = []
        last, events, full = since, 0, False
        deadline = self.clock() + self.settings.seconds_per_tick
        with socket:
            while events < self.settings.max_events_per_tick and (left := deadline - self.clock()) > 0:
                message = _receive(socket, left)
                if message is None:
                    break
                events += 1
                try:
                    event = json.loads(message)
                    post = self._post(event)
                except UNUSABLE as err:
                    skipped.append(
                        Skipped(reason=f"unusable event: {type(err).__name__}: {err}"[:300], payload=message)
                    )
                    continue
                last = _time_us(event, last)
                if post is not None:
                    posts.append(post)
                    if len(posts) >= self.settings.max_posts_per_tick:
                        full = True
                        break
        posts.sort(key=lambda p: (p.created_at, p.native_id))
        return Batch(posts=posts, next_cursor=JetstreamCursor(time_us=last), skipped=skipped, exhausted=not full)

    def _post(self, event: Any) -> Post | None:
        """A created post that names the brand, as a Post; None for anything else."""
        commit = event.get("commit") if isinstance(event, dict) and event.get("kind") == "commit" else None
        if not commit or commit.get("collection") != POST_COLLECTION or commit.get("operation") != "create":
            return None
        record = commit["record"]
        text = str(record.get("text") or "")
        if not self.match.search(text):
            return None
        post_id = f"{event['did']}/{commit['rkey']}"
        reply = record.get("reply") or {}
        parent, root = (reply.get("parent") or {}).get("uri"), (reply.get("root") or {}).get("uri")
        fetched = datetime.fromtimestamp(int(event["time_us"]) / 1e6, tz=UTC)
        return Post(
            source="bluesky",
            native_id=post_id,
            author_handle=None,  # Jetstream carries the DID only
            author_id=str(event["did"]),
            author_reach=None,
            text=text,
            url=post_url(post_id),
            created_at=min(parse_time(record["createdAt"]), fetched),
            fetched_at=fetched,
            engagement=Engagement(),
            kind="reply" if parent else "post",
            parent_id=_id(parent),
            conversation_id=_id(root) or post_id,
            language=(record.get("langs") or [None])[0],
            mentions=mentions(record),
            raw=event,
        )


def _receive(socket: ClientConnection, timeout: float) -> str | None:
    """The next message, or None when the time is up or the connection dropped (the fetch ends there)."""
    try:
        message = socket.recv(timeout=timeout)
    except TimeoutError:
        return None
    except ConnectionClosed as err:
        log.info("jetstream: connection closed (%s); the next fetch resumes from the cursor", err)
        return None
    return message if isinstance(message, str) else message.decode("utf-8", "replace")


def _id(uri: str | None) -> str | None:
    if not uri:
        return None
    did, _, rkey = str(uri).removeprefix("at://").partition(f"/{POST_COLLECTION}/")
    return f"{did}/{rkey}" if rkey else None


def _classify(err: BaseException) -> Failure | None:
    if isinstance(err, InvalidURI):
        return Failure(kind="malformed", message=str(err))
    if isinstance(err, (InvalidHandshake, OSError, TimeoutError)):
        return Failure(kind="transient", message=f"connect: {type(err).__name__}: {err}"[:200])
    return None


def _time_us(event: Any, last: int | None) -> int | None:
    """The event's `time_us` (where the next connect resumes), or `last` when it carries none usable."""
    value = event.get("time_us") if isinstance(event, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return int(value) if isinstance(value, str) and value.isdecimal() else last
