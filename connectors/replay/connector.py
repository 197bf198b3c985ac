"""Replays a recorded demo stream of raw X, Reddit, Bluesky and Mastodon pages, so Earshot runs without credentials.

The stream is JSON Lines; each line is one page as the API sent it:
    {"fetched_at": ISO time, "source": "x" | "reddit", "kind": KIND, "body": {...}}
KIND is `x_page` (search, mentions or tweet lookup), `reddit_listing`, `reddit_about`
(a user's karma), `bluesky_posts` (`{"posts": [post views]}`) or `mastodon_statuses`
(`{"host": instance, "statuses": [...]}`). Recorded times are shifted so the stream looks live: with `speed: 0`
the whole stream arrives at once and ends now; otherwise it starts now and pages arrive at
`speed` times recorded pace (post and snapshot times keep their recorded spacing).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.errors import MalformedPayload
from bot.core.posts import EARLIEST_PLAUSIBLE, FUTURE_TOLERANCE, Post
from connectors.base import UNUSABLE, Batch, Connector, Skipped
from connectors.bluesky.parse import parse_views
from connectors.cursor import ReplayCursor, SourceCursor
from connectors.mastodon.parse import parse_statuses
from connectors.reddit.parse import parse_karma, parse_listing
from connectors.replay.settings import ReplaySettings
from connectors.x.parse import parse_page

log = logging.getLogger(__name__)
STREAM_FILE = "stream.jsonl"


class ReplayConnector(Connector):
    """Feeds the recorded demo stream from `path`/stream.jsonl, page by page."""

    name = "replay"
    cursor_type = ReplayCursor
    recording = True

    def __init__(self, settings: ReplaySettings, path: Path, clock: Any = None) -> None:
        self.settings = settings
        self.interval_seconds = settings.interval_seconds
        self.file = stream_file(path)
        if not self.file.exists():
            raise MalformedPayload(f"replay stream {self.file} does not exist")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lines = read_lines(self.file)

    def fetch(self, cursor: SourceCursor | None) -> Batch:
        cursor = ReplayCursor.given(cursor) or self._start_cursor()
        offset = timedelta(seconds=cursor.offset_seconds)
        line_no, now = cursor.line, self._clock()
        karma = self._karma_before(line_no)
        posts: list[Post] = []
        skipped: list[Skipped] = []
        pages = 0
        while line_no < len(self._lines) and pages < self.settings.max_pages_per_tick:
            record = self._record(line_no)
            if isinstance(record, Skipped):
                skipped.append(record)
                line_no += 1
                continue
            recorded_at = _parse_time(record["fetched_at"])
            if self.settings.speed > 0 and self._due_at(cursor, recorded_at) > now:
                break  # not due yet at the configured pace
            page_posts, page_skipped = self._parse(record, recorded_at, karma)
            for post in page_posts:
                try:
                    posts.append(_shift(post, offset))
                except UNUSABLE as err:  # a date that shifts out of range
                    skipped.append(Skipped(reason=f"unusable date: {err}", native_id=post.native_id, payload=post.raw))
            skipped += page_skipped
            line_no, pages = line_no + 1, pages + 1
        return Batch(
            posts=posts,
            next_cursor=replace(cursor, line=line_no),
            skipped=skipped,
            exhausted=line_no >= len(self._lines) or pages < self.settings.max_pages_per_tick,
        )

    def _start_cursor(self) -> ReplayCursor:
        times = [
            _parse_time(r["fetched_at"]) for i in range(len(self._lines)) if isinstance(r := self._record(i), dict)
        ]
        if not times:
            raise MalformedPayload(f"replay stream {self.file} has no readable page")
        now = self._clock()
        anchor = max(times) if self.settings.speed == 0 else min(times)
        return ReplayCursor(
            line=0, offset_seconds=(now - anchor).total_seconds(), stream_start=min(times), replay_start=now
        )

    def _due_at(self, cursor: ReplayCursor, recorded_at: datetime) -> datetime:
        """When a page recorded at `recorded_at` is due at `speed` times recorded pace."""
        elapsed = (recorded_at - cursor.stream_start) / self.settings.speed
        return cursor.replay_start + elapsed

    def _record(self, line_no: int) -> dict[str, Any] | Skipped:
        """The line as a dict, or Skipped when it is not valid JSON of the expected shape."""
        raw = self._lines[line_no]
        try:
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict) or not {"fetched_at", "kind", "body"} <= record.keys():
                raise ValueError("missing fetched_at, kind or body")
            recorded_at = _parse_time(record["fetched_at"])
            if not EARLIEST_PLAUSIBLE <= recorded_at <= self._clock() + FUTURE_TOLERANCE:
                raise ValueError(f"fetched_at {record['fetched_at']!r} is not a plausible time")
        except UNUSABLE as err:  # undecodable bytes, 100k-deep JSON, absurd times: this line only
            reason = f"{self.file.name} line {line_no + 1}: unreadable ({type(err).__name__}: {str(err)[:200]})"
            return Skipped(reason=reason, payload=raw)
        return record

    def _parse(
        self, record: dict[str, Any], fetched_at: datetime, karma: dict[str, int]
    ) -> tuple[list[Post], list[Skipped]]:
        kind, body = record["kind"], record["body"]
        try:
            if kind == "x_page":
                page = parse_page(body, fetched_at)
            elif kind == "reddit_listing":
                page = parse_listing(body, fetched_at, karma)
            elif kind == "bluesky_posts":
                page = parse_views(body["posts"], fetched_at)
            elif kind == "mastodon_statuses":
                page = parse_statuses(body["statuses"], str(body["host"]), fetched_at)
            elif kind == "reddit_about":
                name, total = parse_karma(body)
                karma[name] = total
                return [], []
            else:
                return [], [Skipped(reason=f"unknown page kind {str(kind)[:40]!r}", payload=record)]
        except UNUSABLE as err:
            reason = f"unusable {str(kind)[:40]} page: {type(err).__name__}: {str(err)[:200]}"
            return [], [Skipped(reason=reason, payload=record)]
        return page.posts, page.skipped

    def _karma_before(self, line_no: int) -> dict[str, int]:
        """Karma from every `reddit_about` page before `line_no` (replay restarts mid-stream)."""
        karma: dict[str, int] = {}
        for i in range(line_no):
            record = self._record(i)
            if isinstance(record, dict) and record["kind"] == "reddit_about":
                try:
                    name, total = parse_karma(record["body"])
                except UNUSABLE:
                    continue
                karma[name] = total
        return karma


def read_lines(file: Path) -> list[bytes]:
    """The stream's lines as bytes: each is decoded on its own, so one bad byte costs one line."""
    return file.read_bytes().splitlines()


def stream_file(path: Path) -> Path:
    """The stream at `path`: the file itself, or `stream.jsonl` in that folder."""
    return path / STREAM_FILE if path.is_dir() else path


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"fetched_at {value!r} has no timezone")
    return parsed


def _shift(post: Post, offset: timedelta) -> Post:
    return replace(post, created_at=post.created_at + offset, fetched_at=post.fetched_at + offset)
