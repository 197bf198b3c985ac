"""A fixed store for the digest tests: a viral incident across X and Reddit, an answered complaint, praise."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.posts import Engagement, EngagementUpdate, Post
from bot.routing.responses import ResponseStage
from bot.store import Store
from tests.conftest import NOW
from tests.unit.routing_support import add, config, growth, labels, post, route_stage

START, END = NOW - timedelta(hours=1), NOW + timedelta(hours=6)  # the period; the one before is 7 hours earlier
RESPONDERS = {"x": ["AuroraSupport"]}
RECALL = "They charged me $30,000 for the battery recall repair. Unacceptable, the recall should be free."


def fill(store: Store) -> dict[str, int]:
    """The posts of the fixed scenario, classified, routed and answered; returns post ids by name."""
    viral_x = post("100", author="mike", reach=2300, text=RECALL)
    echo_x = post("101", author="ana", reach=900, minutes=20, text="Same here: charged $30,000 for the battery recall.")
    echo_reddit = post(
        "t3_r1",
        source="reddit",
        author="throwaway",
        reach=800,
        minutes=40,
        text="Aurora wants $30,000 for the battery recall repair?\n\nThe recall should be free, anyone else charged?",
    )
    late = post("102", author="sam", reach=5000, minutes=30, text="My delivery date moved again, third time.")
    praise = post("103", author="happy", reach=1200, minutes=50, text="Love my Aurora, best car ever")
    before = post("104", author="old", reach=300, minutes=-120, text="Delivery delayed with no news at all.")
    billing, delivery = (("billing", 0.8),), (("delivery", 0.8),)
    ids = add(
        store,
        [
            (viral_x, labels(topics=billing)),
            (echo_x, labels(topics=billing, embedding=(0.99, 0.1, 0.0))),
            (echo_reddit, labels(topics=billing, embedding=(0.98, 0.15, 0.0))),
            (late, labels(topics=delivery, embedding=(0.0, 1.0, 0.0))),
            (praise, labels(complaint=False, sentiment="positive", topics=(("other", 0.9),), embedding=(0, 0, 1.0))),
            (before, labels(topics=delivery, embedding=(0.0, 0.9, 0.3))),
        ],
        snapshots=growth(viral_x, reposts_per_half_hour=600),
    )
    route_stage(config(), store).run_once()
    reply = Post(
        source="x",
        native_id="200",
        author_handle="AuroraSupport",
        author_reach=45000,
        text="@sam so sorry, we are checking your delivery now",
        url="https://x.com/AuroraSupport/status/200",
        created_at=late.created_at + timedelta(minutes=45),
        fetched_at=late.created_at + timedelta(minutes=46),
        engagement=Engagement(),
        kind="reply",
        parent_id="102",
    )
    store.save_batch("x", [reply], None)
    ResponseStage(store, RESPONDERS, clock=lambda: END).run_once()
    names = ("viral_x", "echo_x", "echo_reddit", "late", "praise", "before")
    return dict(zip(names, ids, strict=True))


def more_growth(p: Post, at: datetime, reposts: int) -> EngagementUpdate:
    return EngagementUpdate(source=p.source, native_id=p.native_id, taken_at=at, engagement=Engagement(reposts=reposts))
