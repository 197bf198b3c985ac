"""A source's cursor is typed (connectors/cursor.py) and stored as the same JSON as before it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from connectors.cursor import (
    JetstreamCursor,
    Pending,
    PolledCursor,
    ReplayCursor,
    SourceCursor,
    SpendCount,
    StreamCursor,
)

# As the store holds them today (written as dicts by the connectors before the cursor was typed).
STORED_X = {
    "users": {"auroramotors": "783214", "nosuchbrand": None},
    "streams": {
        "search:aurora": {"since": 1861234567890123456, "seen": ["1861234567890123456"]},
        "mentions:783214": {
            "since": 5,
            "seen": ["5"],
            "next": "b26v89c19zqg8o3fpzbkk",
            "pending": {"since": 9, "seen": ["9"]},
        },
        "timeline:1": {"next": "t1", "pending": {"since": None, "seen": []}},
        "search:quiet": {},
    },
    "spend": {
        "day": "2026-12-07",
        "day_reads": 120,
        "month": "2026-12",
        "month_reads": 900,
        "price_per_read_usd": 0.005,
        "daily_cap_usd": 10.0,
        "monthly_cap_usd": None,
    },
}
STORED_REDDIT = {"streams": {"new:askreddit": {"since": 1764000000.0, "seen": ["t3_a", "t3_b"]}}}
STORED_MASTODON = {
    "users": {"mastodon.social:aurorasupport@mastodon.social": "777"},
    "notes": {"search:mastodon.social:aurora": "search needs a token"},
    "uris": ["https://mastodon.social/users/a/statuses/1"],
    "streams": {"tag:mastodon.social:aurora": {"since": 113, "seen": ["113"]}},
}
STORED_JETSTREAM = {"time_us": 1764000000123456}
STORED_REPLAY = {
    "line": 12,
    "offset_seconds": 86400.5,
    "stream_start": "2026-11-20T07:00:00+00:00",
    "replay_start": "2026-12-07T04:00:00.123456+00:00",
}


@pytest.mark.parametrize(
    ("kind", "stored"),
    [
        (PolledCursor, STORED_X),
        (PolledCursor, STORED_REDDIT),
        (PolledCursor, STORED_MASTODON),
        (PolledCursor, {"streams": {}, "polls": 3, "since_id": "1"}),  # keys of another format ride along
        (JetstreamCursor, STORED_JETSTREAM),
        (ReplayCursor, STORED_REPLAY),
    ],
)
def test_a_stored_cursor_loads_and_is_written_back_as_the_same_json(kind: type[SourceCursor], stored: dict):
    cursor = kind.from_json(json.loads(json.dumps(stored)))
    assert isinstance(cursor, kind)
    assert json.loads(json.dumps(cursor.to_json())) == stored
    assert kind.from_json(cursor.to_json()) == cursor


def test_the_stored_json_reads_as_typed_fields():
    x = PolledCursor.from_json(STORED_X)
    assert x.users == {"auroramotors": "783214", "nosuchbrand": None} and x.notes is None and x.uris is None
    assert x.streams["mentions:783214"] == StreamCursor(
        since=5, seen=("5",), next="b26v89c19zqg8o3fpzbkk", pending=Pending(since=9, seen=("9",))
    )
    assert x.streams["search:aurora"].since == 1861234567890123456  # an X id stays an exact int
    assert x.streams["search:quiet"] == StreamCursor()
    assert x.spend == SpendCount(
        day="2026-12-07", day_reads=120, month="2026-12", month_reads=900, price_per_read_usd=0.005, daily_cap_usd=10.0
    )
    replay = ReplayCursor.from_json(STORED_REPLAY)
    assert replay.line == 12 and replay.stream_start == datetime(2026, 11, 20, 7, tzinfo=UTC)
    assert JetstreamCursor.from_json(STORED_JETSTREAM).time_us == 1764000000123456


def test_no_stored_cursor_is_none_and_another_kind_is_refused():
    assert PolledCursor.load(None) is None and PolledCursor.load({}) is None
    assert JetstreamCursor.load({"time_us": 7}) == JetstreamCursor(time_us=7)
    assert JetstreamCursor().to_json() == {}  # nothing seen yet: stored as before
    with pytest.raises(TypeError, match="expected a PolledCursor, got a JetstreamCursor"):
        PolledCursor.given(JetstreamCursor(time_us=7))


@pytest.mark.parametrize(
    "build",
    [
        lambda: StreamCursor(seen=("a",)),  # seen names without the since they tie on
        lambda: StreamCursor(since=1, pending=Pending(since=2)),  # a pending walk without its token
        lambda: StreamCursor(since=1, seen=tuple(str(i) for i in range(201))),
        lambda: PolledCursor(streams={"": StreamCursor()}),
        lambda: PolledCursor(extra={"streams": {}}),
        lambda: JetstreamCursor(time_us=-1),
        lambda: SpendCount(day="2026-12-07", month="2026-12", day_reads=-1),
        lambda: ReplayCursor(line=-1, offset_seconds=0, stream_start=datetime.now(UTC), replay_start=datetime.now(UTC)),
        lambda: ReplayCursor(
            line=0, offset_seconds=0, stream_start=datetime(2026, 1, 1), replay_start=datetime.now(UTC)
        ),
    ],
)
def test_a_cursor_that_breaks_an_invariant_is_refused_at_construction(build):
    with pytest.raises(ValueError):
        build()


def test_replay_times_keep_their_offset_through_json():
    east = timezone(timedelta(hours=2))
    cursor = ReplayCursor(
        line=0,
        offset_seconds=1.5,
        stream_start=datetime(2026, 1, 1, tzinfo=east),
        replay_start=datetime(2026, 1, 2, tzinfo=UTC),
    )
    assert ReplayCursor.from_json(json.loads(json.dumps(cursor.to_json()))) == cursor
