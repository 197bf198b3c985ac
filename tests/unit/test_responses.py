"""The brand's public answers: responders' replies, in the raw shapes X and Reddit send, become responses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.routing.responses import ResponseStage
from bot.store import Store
from connectors.reddit.parse import parse_listing
from connectors.x.parse import parse_page
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, clear_stub_channels, message, settings

RESPONDERS = {"x": ["AuroraSupport", "elena_ceo"], "reddit": ["AuroraMotors_Team"]}
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
COMPLAINT_ID, REPLY_ID = "2123691040568525047", "2123708157526549350"


def _user(uid: str, name: str, followers: int) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "name": name,
        "verified": False,
        "public_metrics": {"followers_count": followers, "following_count": 10, "tweet_count": 5},
    }


def x_page(tweet_id: str, author: tuple[str, str], text: str, at: datetime, reply_to: str | None = None) -> dict:
    """A GET /2/tweets/search/recent or GET /2/users/:id/tweets page with one tweet, as X sends it."""
    tweet: dict[str, Any] = {
        "id": tweet_id,
        "text": text,
        "author_id": author[0],
        "created_at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "lang": "en",
        "conversation_id": reply_to or tweet_id,
        "edit_history_tweet_ids": [tweet_id],
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0},
    }
    if reply_to:
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": reply_to}]
        tweet["in_reply_to_user_id"] = "1001"
    return {
        "data": [tweet],
        "includes": {"users": [_user(*author, 45000)]},
        "meta": {"result_count": 1, "newest_id": tweet_id, "oldest_id": tweet_id},
    }


DANA = ("1001", "dana_drives")
SUPPORT = ("2002", "AuroraSupport")
STRANGER = ("3003", "random_fan")
COMPLAINT = x_page(COMPLAINT_ID, DANA, "The kids were drenched in sweat in the back @AuroraMotors", T0)
REPLY = x_page(
    REPLY_ID,
    SUPPORT,
    "@dana_drives We're so sorry, please DM us your VIN",
    T0 + timedelta(minutes=68),
    reply_to=COMPLAINT_ID,
)


def save_x(store: Store, body: dict) -> None:
    store.save_batch("x", parse_page(body, T0 + timedelta(hours=2)).posts, None)


def stage(store: Store, acknowledges: bool = True, clock: Callable[[], datetime] | None = None) -> ResponseStage:
    return ResponseStage(store, RESPONDERS, acknowledges=acknowledges, clock=clock or (lambda: T0 + timedelta(hours=3)))


def times_of(store: Store, source: str, native_id: str):  # type: ignore[no-untyped-def]
    found = store.find_post(source, native_id)
    assert found is not None
    with store.transaction() as tx:
        return tx.responses.times([found.id], found.post.created_at)


def test_an_x_reply_from_a_responder_answers_the_stored_complaint(store: Store) -> None:
    save_x(store, COMPLAINT)
    save_x(store, REPLY)
    assert stage(store).run_once() == 2  # recorded and linked
    times = times_of(store, "x", COMPLAINT_ID)
    assert (times.replied_by, times.time_to_reply) == ("AuroraSupport", 68 * 60)
    assert times.reply_url == f"https://x.com/AuroraSupport/status/{REPLY_ID}"
    assert times.time_to_ack == 68 * 60  # a public reply is the first acknowledgement too
    assert stage(store).run_once() == 0  # idempotent


def test_a_reply_whose_complaint_never_arrives_stops_being_looked_for_after_a_week(store: Store) -> None:
    save_x(store, REPLY)
    stage(store).run_once()
    save_x(store, COMPLAINT)
    assert stage(store, clock=lambda: T0 + timedelta(days=8)).run_once() == 0
    assert times_of(store, "x", COMPLAINT_ID).first_reply_at is None


def test_a_reply_read_before_its_complaint_is_linked_when_the_complaint_arrives(store: Store) -> None:
    save_x(store, REPLY)
    assert stage(store).run_once() == 1  # kept, not linked yet
    save_x(store, COMPLAINT)
    assert times_of(store, "x", COMPLAINT_ID).first_reply_at is None
    assert stage(store).run_once() == 1
    assert times_of(store, "x", COMPLAINT_ID).replied_by == "AuroraSupport"


def test_a_reply_deeper_in_the_thread_answers_the_conversation_root(store: Store) -> None:
    save_x(store, COMPLAINT)
    deeper = x_page(
        "2123708157526549999",
        SUPPORT,
        "@dana_drives following up",
        T0 + timedelta(hours=1),
        reply_to="2123700000000000000",
    )  # a reply Earshot never stored
    deeper["data"][0]["conversation_id"] = COMPLAINT_ID
    save_x(store, deeper)
    stage(store).run_once()
    assert times_of(store, "x", COMPLAINT_ID).time_to_reply == 3600


def test_a_reply_from_someone_who_does_not_speak_for_the_brand_is_no_response(store: Store) -> None:
    save_x(store, COMPLAINT)
    save_x(
        store,
        x_page(
            "2123708157526541111", STRANGER, "@dana_drives same here", T0 + timedelta(minutes=5), reply_to=COMPLAINT_ID
        ),
    )
    assert stage(store).run_once() == 0
    times = times_of(store, "x", COMPLAINT_ID)
    assert times.first_reply_at is None and times.first_ack_at is None


def listing(*children: dict) -> dict:
    return {
        "kind": "Listing",
        "data": {"after": None, "before": None, "dist": len(children), "children": list(children)},
    }


def test_a_reddit_comment_by_a_responder_under_a_complaint_answers_it(store: Store) -> None:
    created = T0.timestamp()
    post = {
        "kind": "t3",
        "data": {
            "id": "1gx7k2a",
            "name": "t3_1gx7k2a",
            "author": "throwaway_aurora",
            "title": "Charged $30,000 for a recall",
            "selftext": "The service center says the recall does not cover my VIN.",
            "score": 40,
            "num_comments": 3,
            "created_utc": created,
            "subreddit": "AuroraMotors",
            "permalink": "/r/AuroraMotors/comments/1gx7k2a/",
        },
    }
    comment = {
        "kind": "t1",
        "data": {
            "id": "lz3k9q1",
            "name": "t1_lz3k9q1",
            "author": "AuroraMotors_Team",
            "body": "We're looking into this.",
            "score": 5,
            "created_utc": created + 1800,
            "link_id": "t3_1gx7k2a",
            "parent_id": "t3_1gx7k2a",
            "subreddit": "AuroraMotors",
            "permalink": "/r/AuroraMotors/comments/1gx7k2a/_/lz3k9q1/",
        },
    }
    fetched = T0 + timedelta(hours=1)
    store.save_batch("reddit", parse_listing(listing(post), fetched).posts, None)
    store.save_batch("reddit", parse_listing(listing(comment), fetched).posts, None)  # from user/<name>/comments
    stage(store).run_once()
    times = times_of(store, "reddit", "t3_1gx7k2a")
    assert (times.replied_by, times.time_to_reply) == ("AuroraMotors_Team", 1800)
    assert times.reply_url == "https://www.reddit.com/r/AuroraMotors/comments/1gx7k2a/_/lz3k9q1/"


@pytest.fixture
def desk(sqlite_store: Store) -> Iterator[Desk]:
    clear_stub_channels()
    save_x(sqlite_store, COMPLAINT)  # post 1, which Desk's alerts are about
    yield Desk(sqlite_store, settings(), Clock(NOON))
    clear_stub_channels()


@pytest.mark.parametrize("acknowledges", [True, False])
def test_the_alert_of_an_answered_complaint_stops_escalating(desk: Desk, acknowledges: bool) -> None:
    alert_id = desk.raise_alert("kids", "on-call", rule="vip-or-press-complaint", reply_acknowledges=True)
    desk.tick()
    save_x(desk.store, REPLY)
    stage(desk.store, acknowledges, clock=desk.clock).run_once()
    desk.clock.advance(hours=2)  # past on-call's escalation deadline
    desk.tick()
    alert = desk.alert(alert_id)
    if acknowledges:
        assert (alert.acked_by, alert.current_tier, alert.escalation_level) == (
            "@AuroraSupport (public reply)",
            "on-call",
            0,
        )
    else:
        assert alert.acked_at is None and alert.escalation_level >= 1
    assert alert.reply_by == "AuroraSupport"  # kept on the alert either way


def test_the_safety_overrides_alert_keeps_the_reply_and_keeps_escalating(desk: Desk) -> None:
    alert_id = desk.raise_alert("kids", "on-call")  # rule safety-override: a reply never acknowledges it
    desk.tick()
    save_x(desk.store, REPLY)
    assert stage(desk.store, clock=desk.clock).run_once() == 3  # recorded, linked, kept on the alert
    assert stage(desk.store, clock=desk.clock).run_once() == 0  # idempotent: the run --once loop ends
    desk.clock.advance(minutes=16)
    desk.tick()
    alert = desk.alert(alert_id)
    assert (alert.acked_at, alert.current_tier, alert.escalation_level) == (None, "executive", 1)
    assert (alert.reply_by, alert.reply_text) == ("AuroraSupport", "@dana_drives We're so sorry, please DM us your VIN")


def test_a_reply_acknowledges_the_alert_of_the_post_it_answers_when_their_ids_differ(sqlite_store: Store) -> None:
    """Post ids and alert ids never line up here: a join on the wrong column acknowledges the wrong alert."""
    clear_stub_channels()
    sqlite_store.save_batch("x", [make_post("11"), make_post("12")], None)  # posts 1 and 2
    save_x(sqlite_store, COMPLAINT)  # post 3
    complaint = sqlite_store.find_post("x", COMPLAINT_ID)
    assert complaint is not None and complaint.id == 3
    desk = Desk(sqlite_store, settings(), Clock(NOON))
    ordinary = {"rule": "vip-or-press-complaint", "reply_acknowledges": True}
    with sqlite_store.transaction() as tx:
        others = [
            desk.outbox.enqueue_alert(
                tx, post_id=post_id, message=message(f"other-{n}", "on-call", "x", NOON, **ordinary)
            )
            for n, post_id in enumerate((1, 2, 1))
        ]
        answered = desk.outbox.enqueue_alert(
            tx, post_id=complaint.id, message=message("kids", "on-call", "the kids", NOON, **ordinary)
        )
    assert others == [1, 2, 3] and answered == 4  # alert 3 is about post 1; the complaint's alert is 4
    save_x(sqlite_store, REPLY)
    stage(sqlite_store, clock=desk.clock).run_once()
    assert desk.alert(answered).acked_by == "@AuroraSupport (public reply)"
    assert desk.alert(answered).reply_by == "AuroraSupport"
    for other in others:
        assert (desk.alert(other).acked_at, desk.alert(other).reply_by) == (None, None), other
    clear_stub_channels()


@pytest.mark.postgres
def test_two_passes_recording_the_same_reply_at_once_store_it_once_without_an_error(postgres_url: str) -> None:
    # The route stage (answer memory) and the respond stage both record replies; on PostgreSQL their
    # transactions overlap, and the second must not fail on the first one's row.
    store = Store.open(postgres_url)
    try:
        save_x(store, COMPLAINT)
        save_x(store, REPLY)
        first_wrote, first_may_commit = threading.Event(), threading.Event()
        counts: dict[str, int] = {}

        def first() -> None:
            with store.transaction(now=T0 + timedelta(hours=3)) as tx:
                counts["first"] = tx.responses.record(RESPONDERS)
                first_wrote.set()
                first_may_commit.wait(10)

        writer = threading.Thread(target=first)
        writer.start()
        assert first_wrote.wait(10)
        second = threading.Thread(target=lambda: counts.update(second=stage(store).run_once()))
        second.start()
        time.sleep(0.5)  # the second pass is now waiting on the first one's row
        first_may_commit.set()
        writer.join(10)
        second.join(10)
        assert counts["first"] == 1 and "second" in counts  # the second pass ended without raising
        assert times_of(store, "x", COMPLAINT_ID).first_reply_at == T0 + timedelta(minutes=68)
        with store.transaction() as tx:
            assert tx.responses.record(RESPONDERS) == 0
    finally:
        store.engine.dispose()
