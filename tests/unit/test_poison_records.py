"""Poison records are skipped, counted and kept as dead letters; the posts around them are stored, the cursor moves.

Every bad record the issue names goes through the real replay reader, parsers, pipeline and store, on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.app.config import PipelineSettings
from bot.app.pipeline import Pipeline
from bot.core.posts import Engagement
from bot.store.stages import STAGE_INGESTED
from classifiers.settings import ClassifierSettings
from classifiers.stub import StubClassifier
from connectors.replay.connector import ReplayConnector
from connectors.replay.settings import ReplaySettings
from connectors.settings import EngagementSettings
from tests.conftest import make_post

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def tweet(tid: str, text: str = "my car is broken", **fields: object) -> dict[str, object]:
    return {"id": tid, "text": text, "author_id": "u1", "created_at": "2026-11-20T07:00:00Z", **fields}


def x_line(*tweets: dict[str, object], users: list[dict[str, object]] | None = None) -> bytes:
    body = {"data": list(tweets), "includes": {"users": users or [{"id": "u1", "username": "dana"}]}}
    return json.dumps({"fetched_at": T0.isoformat(), "source": "x", "kind": "x_page", "body": body}).encode()


def reddit_line(*things: dict[str, object]) -> bytes:
    children = [{"kind": "t3", "data": data} for data in things]
    body = {"kind": "Listing", "data": {"children": children}}
    return json.dumps(
        {"fetched_at": T0.isoformat(), "source": "reddit", "kind": "reddit_listing", "body": body}
    ).encode()


def submission(sid: str, **fields: object) -> dict[str, object]:
    return {
        "id": sid,
        "name": f"t3_{sid}",
        "author": "sam",
        "title": "brakes failed",
        "created_utc": 1795000000,
        **fields,
    }


# (what, the line, posts of that line that survive (cleaned), records of it skipped)
BAD_LINES = [
    ("100k-deep JSON array", b"[" * 100_000 + b"]" * 100_000, 0, 1),
    (
        "an invalid UTF-8 byte",
        b'{"fetched_at": "2026-11-20T08:00:00+00:00", "kind": "x_page", "body": {"\xff": 1}}',
        0,
        1,
    ),
    ("created_utc: 1e20", reddit_line(submission("big", created_utc=1e20)), 0, 1),
    ("like_count: 1e20", x_line(tweet("501", public_metrics={"like_count": 1e20})), 0, 1),
    (
        "views: 1e400 (infinity)",
        x_line(tweet("502")).replace(
            b'"u1", "created_at"', b'"u1", "public_metrics": {"impression_count": 1e400}, "created_at"'
        ),
        0,
        1,
    ),
    ("an id over 64 characters", x_line(tweet("9" * 65)), 0, 1),
    ("a handle over 128 characters", x_line(tweet("503"), users=[{"id": "u1", "username": "h" * 129}]), 0, 1),
    ("a lone surrogate in the text", x_line(tweet("504", text="broken \ud800 car")), 1, 0),
    ("a NUL in the text", x_line(tweet("505", text="broken\u0000 car")), 1, 0),
    ("a NUL in the handle", x_line(tweet("506"), users=[{"id": "u1", "username": "da\u0000na"}]), 1, 0),
    ("followers 1e30", x_line(tweet("507"), users=[{"id": "u1", "username": "d", "followers_count": 1e30}]), 0, 1),
    ("a date of the wrong type", x_line(tweet("508", created_at=[2026])), 0, 1),
    ("a date with no zone", x_line(tweet("509", created_at="2026-11-20T07:00:00")), 0, 1),
    (
        "a body that is a string",
        json.dumps({"fetched_at": T0.isoformat(), "kind": "x_page", "body": "x"}).encode(),
        0,
        1,
    ),
]


@pytest.mark.parametrize(("what", "line", "kept", "skipped"), BAD_LINES, ids=[case[0] for case in BAD_LINES])
def test_a_bad_record_is_skipped_and_the_posts_around_it_are_stored(store, tmp_path, what, line, kept, skipped):
    good_before, good_after = x_line(tweet("100", text="first good post")), x_line(tweet("200", text="last good post"))
    (tmp_path / "stream.jsonl").write_bytes(b"\n".join([good_before, line, good_after]) + b"\n")
    connector = ReplayConnector(ReplaySettings(), tmp_path, clock=lambda: T0 + timedelta(hours=1))
    pipeline = Pipeline(
        store,
        [connector],
        classifier=StubClassifier,
        settings=PipelineSettings(),
        engagement=EngagementSettings(enabled=False),
        classifier_settings=ClassifierSettings(),
    )

    result = pipeline.ingest(connector)

    assert result.error is None, what
    assert result.new == 2 + kept and result.skipped == skipped
    stored = {item.post.native_id for item in store.pending(STAGE_INGESTED, 100)}
    assert {"100", "200"} <= stored
    for item in store.pending(STAGE_INGESTED, 100):
        assert "\x00" not in item.post.text and "\x00" not in (item.post.author_handle or "")
        item.post.text.encode("utf-8")  # no lone surrogate left
    assert store.load_cursor("replay")["line"] == 3  # the cursor moved past the bad record
    with store.transaction() as tx:
        letters = tx.sources.dead_letters()
        state = {view.source: view for view in tx.listings.sources()}["replay"]
    assert state.skipped_total == skipped and state.status == "ok"
    if skipped:
        assert letters["replay"].count == 1 and letters["replay"].last_reason
    assert pipeline.classify_pending() == 2 + kept  # and the stage after goes on


def test_a_record_the_database_refuses_is_dead_lettered_and_the_batch_kept(store):
    """Past the checks in Post (here forced in): the database refuses it, the others are stored one by one."""
    poison = make_post("2")
    object.__setattr__(poison, "engagement", replace(Engagement(), likes=0))
    object.__setattr__(poison.engagement, "likes", 2**70)  # beyond BIGINT on PostgreSQL, INTEGER on SQLite

    saved = store.save_batch("x", [make_post("1"), poison, make_post("3")], {"since_id": "3"})

    assert saved.new == 2
    assert {item.post.native_id for item in store.pending(STAGE_INGESTED, 10)} == {"1", "3"}
    assert store.load_cursor("x") == {"since_id": "3"}
    with store.transaction() as tx:
        letter = tx.sources.dead_letters()["x"]
    assert letter.count == 1 and "refused by the database" in (letter.last_reason or "")
    assert store.source_state("x").skipped_total == 1


def test_an_unreachable_database_is_raised_not_dead_lettered(tmp_path):
    from bot.core.errors import StoreError
    from bot.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'e.db'}")
    store.engine.dispose()
    (tmp_path / "e.db").unlink()
    (tmp_path / "e.db").mkdir()  # the file is gone and cannot come back: every connection fails
    with pytest.raises(StoreError):
        store.save_batch("x", [make_post("1")], {"since_id": "1"})


def test_live_pages_with_hostile_ids_dates_and_authors_become_items_not_crashes() -> None:
    """The stream layer of the live connectors (before parsing) takes what the parser would skip."""
    from connectors.reddit.connector import _authors
    from connectors.reddit.connector import to_page as reddit_page
    from connectors.x.connector import to_page as x_page

    x = x_page({"data": [{"id": "²", "text": "a"}, {"id": "12", "text": "b"}]})  # '²'.isdigit(), yet int('²') fails
    assert [item.name for item in x.items] == ["²", "12"]
    children = [
        {"kind": "t3", "data": {"name": "t3_a", "created_utc": 10**400, "author": ["not", "a", "name"]}},
        {"kind": "t3", "data": {"name": "t3_b", "created_utc": 1.79e9, "author": "sam"}},
    ]
    reddit = reddit_page({"kind": "Listing", "data": {"children": children}})
    assert [item.name for item in reddit.items] == ["t3_a", "t3_b"]
    assert _authors(reddit.items) == ["sam"]
