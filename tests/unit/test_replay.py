"""The replay connector feeds the demo stream in the raw shapes the real APIs send."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import MalformedPayload
from connectors.replay.connector import ReplayConnector
from connectors.replay.settings import ReplaySettings
from tests.conftest import REPO

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def x_page(*tweets, fetched=T0):
    body = {
        "data": [
            {
                "id": tid,
                "text": text,
                "author_id": "u1",
                "created_at": created,
                "public_metrics": {"retweet_count": 1, "like_count": 2, "reply_count": 0, "quote_count": 0},
            }
            for tid, text, created in tweets
        ],
        "includes": {"users": [{"id": "u1", "username": "dana", "public_metrics": {"followers_count": 40}}]},
    }
    return json.dumps({"fetched_at": fetched.isoformat(), "source": "x", "kind": "x_page", "body": body})


def stream(tmp_path, *lines):
    (tmp_path / "stream.jsonl").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_demo_stream_replays_with_authors_and_metrics():
    batch = ReplayConnector(ReplaySettings(), REPO / "data" / "demo").fetch(None)
    assert len({p.key for p in batch.posts}) > 300
    assert {p.source for p in batch.posts} == {"x", "reddit", "bluesky", "mastodon"}
    social = [p for p in batch.posts if p.source in ("bluesky", "mastodon")]
    assert len(social) == 5 and all(p.raw["author" if p.source == "bluesky" else "account"] for p in social)
    names = [
        p.raw["author"]["displayName"] if p.source == "bluesky" else p.raw["account"]["display_name"] for p in social
    ]
    assert all(name.endswith("(demo)") for name in names)  # written for the demo, and saying so
    assert all(p.author_reach is not None for p in batch.posts if p.source == "x")
    assert len(batch.skipped) == 1 and "unreadable" in batch.skipped[0].reason  # the deliberate truncated line
    assert batch.exhausted


def test_corrupt_line_is_skipped_and_the_rest_kept(tmp_path):
    path = stream(
        tmp_path,
        x_page(("1", "first", "2026-11-20T07:00:00Z")),
        '{"fetched_at": "2026-11-2',
        x_page(("2", "second", "2026-11-20T07:30:00Z")),
    )
    batch = ReplayConnector(ReplaySettings(), path).fetch(None)
    assert [p.native_id for p in batch.posts] == ["1", "2"]
    assert len(batch.skipped) == 1


def test_tweet_with_absurd_date_or_no_text_is_skipped(tmp_path):
    path = stream(
        tmp_path,
        x_page(
            ("1", "fine", "2026-11-20T07:00:00Z"),
            ("2", "old", "1999-01-01T00:00:00Z"),
            ("3", "", "2026-11-20T07:00:00Z"),
        ),
    )
    batch = ReplayConnector(ReplaySettings(), path).fetch(None)
    assert [p.native_id for p in batch.posts] == ["1"]
    assert {s.native_id for s in batch.skipped} == {"2", "3"}


def test_resumes_from_cursor_after_restart(tmp_path):
    path = stream(
        tmp_path,
        x_page(("1", "a", "2026-11-20T07:00:00Z")),
        x_page(("2", "b", "2026-11-20T07:10:00Z"), fetched=T0 + timedelta(minutes=5)),
    )
    first = ReplayConnector(ReplaySettings(max_pages_per_tick=1), path).fetch(None)
    assert [p.native_id for p in first.posts] == ["1"] and not first.exhausted
    second = ReplayConnector(ReplaySettings(max_pages_per_tick=1), path).fetch(first.next_cursor)
    assert [p.native_id for p in second.posts] == ["2"]


def test_recorded_pace_releases_pages_when_due(tmp_path):
    path = stream(
        tmp_path,
        x_page(("1", "a", "2026-11-20T07:59:00Z")),
        x_page(("2", "b", "2026-11-20T08:09:00Z"), fetched=T0 + timedelta(minutes=10)),
    )
    now = [datetime(2026, 11, 24, 12, 0, tzinfo=UTC)]
    connector = ReplayConnector(ReplaySettings(speed=1), path, clock=lambda: now[0])
    first = connector.fetch(None)
    assert [p.native_id for p in first.posts] == ["1"]
    assert first.posts[0].fetched_at == now[0]  # times are shifted so the stream looks live
    now[0] += timedelta(minutes=10)
    assert [p.native_id for p in connector.fetch(first.next_cursor).posts] == ["2"]


def test_missing_stream_is_a_clear_error(tmp_path):
    with pytest.raises(MalformedPayload, match="does not exist"):
        ReplayConnector(ReplaySettings(), tmp_path / "nowhere")


def test_accelerated_pace_releases_pages_sooner(tmp_path):
    path = stream(
        tmp_path,
        x_page(("1", "a", "2026-11-20T07:59:00Z")),
        x_page(("2", "b", "2026-11-20T08:09:00Z"), fetched=T0 + timedelta(minutes=10)),
    )
    now = [datetime(2026, 11, 24, 12, 0, tzinfo=UTC)]
    connector = ReplayConnector(ReplaySettings(speed=60), path, clock=lambda: now[0])
    first = connector.fetch(None)
    now[0] += timedelta(seconds=11)  # ten recorded minutes at 60x
    second = connector.fetch(first.next_cursor)
    assert [p.native_id for p in second.posts] == ["2"]
    assert second.posts[0].fetched_at - first.posts[0].fetched_at == timedelta(minutes=10)
