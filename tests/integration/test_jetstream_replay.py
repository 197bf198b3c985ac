"""The Jetstream reader against a local websocket server replaying recorded Jetstream v1 events.

Recorded: tests/fixtures/recorded/bluesky/jetstream-events (golden_v1.jsonl, 10 hand-picked events;
expected_v1.jsonl, 152 contiguous production events). None names a brand, so two BUILT events (a
recorded post create with its text, rkey and time changed) are added: one names Aurora Motors.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from bot.core.errors import TransientSourceError
from connectors.cursor import JetstreamCursor
from connectors.jetstream.connector import JetstreamConnector
from connectors.jetstream.settings import JetstreamSettings

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "recorded" / "bluesky" / "jetstream-events"


def recorded() -> list[str]:
    lines = (EVENTS / "golden_v1.jsonl").read_text().splitlines() + (
        EVENTS / "expected_v1.jsonl"
    ).read_text().splitlines()
    return [line for line in lines if line.strip()]


def built(lines: list[str]) -> list[str]:
    """BUILT: a recorded post create, re-worded to name the brand (and one more that does not)."""
    base = next(
        json.loads(line) for line in lines if '"collection":"app.bsky.feed.post"' in line and '"create"' in line
    )
    last = max(json.loads(line)["time_us"] for line in lines)
    about = copy.deepcopy(base)
    about["time_us"], about["commit"]["rkey"] = last + 1, "3demobrand"
    about["commit"]["record"]["text"] = (
        "Three hours at an Aurora Motors charger and it still will not start. #AuroraMotors"
    )
    other = copy.deepcopy(base)
    other["time_us"], other["commit"]["rkey"] = last + 2, "3demoother"
    other["commit"]["record"]["text"] = "lovely walk by the sea today"
    return [json.dumps(about), json.dumps(other)]


class Firehose:
    """A local Jetstream: sends every event after the request's `cursor`, then optionally hangs up."""

    def __init__(self, events: list[str], hang_up_after: int | None = None) -> None:
        self.events, self.hang_up_after, self.paths = events, hang_up_after, []

    def handler(self, connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else ""
        self.paths.append(path)
        cursor = int((parse_qs(urlsplit(path).query).get("cursor") or ["0"])[0])
        sent = 0
        try:
            for line in self.events:
                if json.loads(line)["time_us"] > cursor:
                    connection.send(line)
                    sent += 1
                    if self.hang_up_after is not None and sent >= self.hang_up_after:
                        return  # the server drops the connection
            connection.recv()  # hold the connection open until the client leaves
        except ConnectionClosed:
            return  # the client left while events were still coming, as a client that has read enough does


@pytest.fixture
def firehose() -> Iterator[tuple[Firehose, str]]:
    lines = recorded()
    fake = Firehose(lines + built(lines))
    with serve(fake.handler, "127.0.0.1", 0, close_timeout=0.5) as server:  # a client leaving early waits no 10 s
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield fake, f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe"
        server.shutdown()


def reader(url: str, **settings: object) -> JetstreamConnector:
    section = JetstreamSettings(enabled=True, url=url, keywords=["Aurora Motors"], seconds_per_tick=1.5, **settings)  # type: ignore[arg-type]
    return JetstreamConnector(section, ["AuroraMotors"], sleep=lambda _s: None)


def test_only_posts_naming_the_brand_are_kept_and_the_cursor_is_the_last_event(firehose):
    fake, url = firehose
    batch = reader(url).fetch(None)
    assert [p.native_id.split("/")[1] for p in batch.posts] == ["3demobrand"]
    [post] = batch.posts
    assert post.source == "bluesky" and post.url.startswith("https://bsky.app/profile/did:plc:")
    assert batch.next_cursor.to_json()["time_us"] == max(json.loads(line)["time_us"] for line in fake.events)
    assert "wantedCollections=app.bsky.feed.post" in fake.paths[0]


def test_a_restart_resumes_from_time_us_and_hears_nothing_twice(firehose):
    fake, url = firehose
    first = reader(url).fetch(None)
    again = reader(url).fetch(JetstreamCursor.load(json.loads(json.dumps(first.next_cursor.to_json()))))
    assert again.posts == [] and f"cursor={first.next_cursor.to_json()['time_us']}" in fake.paths[1]


def test_a_dropped_connection_keeps_what_was_read_and_the_next_fetch_resumes():
    lines = recorded()
    fake = Firehose(lines + built(lines), hang_up_after=50)
    with serve(fake.handler, "127.0.0.1", 0, close_timeout=0.5) as server:  # a client leaving early waits no 10 s
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe"
        source = reader(url)
        first = source.fetch(None)
        assert first.posts == [] and first.next_cursor.to_json()["time_us"] == json.loads(lines[49])["time_us"]
        cursor = first.next_cursor
        for _ in range(5):  # each reconnect reads the next fifty
            batch = source.fetch(cursor)
            cursor = batch.next_cursor
            if batch.posts:
                break
        assert [p.native_id.split("/")[1] for p in batch.posts] == ["3demobrand"]
        server.shutdown()


def test_a_firehose_that_cannot_be_reached_backs_off_then_fails_transiently():
    slept: list[float] = []
    section = JetstreamSettings(
        enabled=True, url="ws://127.0.0.1:9/subscribe", keywords=["Aurora"], retry={"attempts": 3}
    )
    with pytest.raises(TransientSourceError, match="jetstream connect"):
        JetstreamConnector(section, [], sleep=slept.append).fetch(None)
    assert len(slept) == 2 and slept[1] >= slept[0] * 0.5


def test_a_rate_guard_stops_at_max_posts_and_leaves_the_rest_for_the_next_fetch(firehose):
    _, url = firehose
    source = reader(url, max_posts_per_tick=1)
    section = source.settings.model_copy(update={"keywords": ["the", "a", "Aurora Motors"]})
    source = JetstreamConnector(section, [], sleep=lambda _s: None)
    batch = source.fetch(None)
    assert len(batch.posts) == 1 and not batch.exhausted
    later = source.fetch(batch.next_cursor)
    assert later.posts and later.posts[0].native_id != batch.posts[0].native_id
