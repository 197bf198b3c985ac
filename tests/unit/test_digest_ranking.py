"""The digest's order when reach ties, and an incident's public reply wherever in the incident it landed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.posts import Engagement, EngagementUpdate, Post
from bot.digest.compose import compose
from bot.digest.model import Item
from bot.digest.render import render_html, render_text
from bot.routing.responses import ResponseStage
from bot.store import Store
from tests.unit.digest_support import END, START, fill
from tests.unit.routing_support import add, config, labels, post, route_stage

OWN = ("AuroraMotors", "AuroraSupport")
RESPONDERS = {"x": ["AuroraSupport"], "reddit": ["AuroraMotors_Team"]}
# Every complaint goes to the digest; likes add no audience, so two posts of equal reach differ only in velocity.
TIES = config(
    rules=[{"name": "to-the-digest", "when": {"complaint": True}, "then": {"digest": True}}],
    visibility={"viral_reach": 100_000, "like_audience": 0},
)


def digest_of(store: Store) -> list[Item]:
    return compose(store, START, END, brand="Aurora Motors", own_handles=OWN, feed_base_url="http://feed").items


def likes(p: Post, per_half_hour: int) -> list[EngagementUpdate]:
    return [
        EngagementUpdate(
            source=p.source,
            native_id=p.native_id,
            taken_at=p.fetched_at + timedelta(minutes=30 * r),
            engagement=Engagement(likes=per_half_hour * r),
        )
        for r in range(1, 4)
    ]


def _complaints(store: Store, *, likes_per_half_hour: tuple[int, int]) -> None:
    """Two unrelated complaints, 10 minutes apart, by authors with the same reach."""
    slow_first = post("500", author="first", reach=3000, text="The charging port door snapped off in the cold.")
    then = post("501", author="second", reach=3000, minutes=10, text="Billing charged my card twice for the service.")
    snapshots = likes(slow_first, likes_per_half_hour[0]) + likes(then, likes_per_half_hour[1])
    add(
        store,
        [
            (slow_first, labels(topics=(("hardware", 0.8),), embedding=(1.0, 0.0, 0.0))),
            (then, labels(topics=(("billing", 0.8),), embedding=(0.0, 1.0, 0.0))),
        ],
        snapshots=snapshots,
    )
    route_stage(TIES, store).run_once()


def test_equal_reach_is_ranked_by_velocity(sqlite_store: Store) -> None:
    _complaints(sqlite_store, likes_per_half_hour=(5, 400))
    items = digest_of(sqlite_store)
    assert [i.projected_reach for i in items] == [3000, 3000]  # the tie the velocity must break
    assert [i.representative.author_handle for i in items] == ["second", "first"]
    assert items[0].velocity > items[1].velocity
    assert [i.rank for i in items] == [1, 2]


def test_a_full_tie_keeps_the_older_first_every_time(sqlite_store: Store) -> None:
    _complaints(sqlite_store, likes_per_half_hour=(7, 7))
    orders = {tuple(i.representative.author_handle for i in digest_of(sqlite_store)) for _ in range(3)}
    assert orders == {("first", "second")}
    [first, second] = digest_of(sqlite_store)
    assert (first.projected_reach, first.velocity) == (second.projected_reach, second.velocity)


# --- the incident's public reply --------------------------------------------------------


def _reddit_reply(parent: str) -> Post:
    at = START + timedelta(hours=2)
    return Post(
        source="reddit",
        native_id="t1_answer",
        author_handle="AuroraMotors_Team",
        author_reach=5000,
        text="We're sorry, the recall repair is free: we are calling you today.",
        url="https://www.reddit.com/r/AuroraMotors/comments/r1/_/answer/",
        created_at=at,
        fetched_at=at + timedelta(minutes=1),
        engagement=Engagement(),
        kind="reply",
        parent_id=parent,
    )


def _x_reply(parent: str) -> Post:
    at = START + timedelta(hours=2)
    return Post(
        source="x",
        native_id="300",
        author_handle="AuroraSupport",
        author_reach=45000,
        text="@ana so sorry, the recall repair is free: please DM us",
        url="https://x.com/AuroraSupport/status/300",
        created_at=at,
        fetched_at=at + timedelta(minutes=1),
        engagement=Engagement(),
        kind="reply",
        parent_id=parent,
    )


@pytest.mark.parametrize(
    ("reply", "by"),
    [(_reddit_reply("t3_r1"), "AuroraMotors_Team"), (_x_reply("101"), "AuroraSupport")],
    ids=["to the Reddit echo", "to the X echo"],
)
def test_a_reply_to_any_member_is_the_incidents_public_reply(sqlite_store: Store, reply: Post, by: str) -> None:
    fill(sqlite_store)
    before = digest_of(sqlite_store)[0]
    assert before.time_to_reply is None and before.representative.author_handle == "mike"
    sqlite_store.save_batch(reply.source, [reply], None)
    ResponseStage(sqlite_store, RESPONDERS, clock=lambda: END).run_once()
    digest = compose(sqlite_store, START, END, brand="Aurora Motors", own_handles=OWN, feed_base_url="http://feed")
    first = digest.items[0]
    assert first.representative.author_handle == "mike" and first.posts == 3  # the reply answers an echo, not him
    assert (first.replied_by, first.reply_url) == (by, reply.url)
    assert first.time_to_reply == (reply.created_at - min_created(sqlite_store)).total_seconds()
    assert digest.viral_answered == 1
    text = render_text(digest)
    assert "no public reply yet" not in text and f"by @{by} {reply.url}" in text
    assert "no public reply yet" not in render_html(digest, {})


def min_created(store: Store) -> object:
    """When the viral incident began: its first post's time."""
    found = store.find_post("x", "100")
    assert found is not None
    return found.post.created_at
