"""Assessing one stored post: its labels, its visibility from the snapshots, and the rules' verdict."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from bot.app.config import Config
from bot.core.posts import Engagement, Post
from bot.routing.rules import Facts, Verdict, author_lists, evaluate
from bot.routing.visibility import Sample, Visibility, measure
from bot.store.convert import labels_from_row
from bot.store.tables import ClassificationRow, EngagementSnapshotRow
from bot.core.labels import Labels


@dataclass(frozen=True, kw_only=True)
class Assessment:
    """A post with its labels, visibility and the verdict of the rules."""

    post_id: int
    post: Post
    labels: Labels
    visibility: Visibility
    verdict: Verdict


def assess(session: Session, config: Config, post_id: int, post: Post) -> Assessment | None:
    """Evaluate the rules for a stored post (None when it has no labels)."""
    row = session.get(ClassificationRow, post_id)
    if row is None:
        return None
    labels = labels_from_row(row)
    snapshots = session.exec(select(EngagementSnapshotRow).where(EngagementSnapshotRow.post_id == post_id)
                             .order_by(col(EngagementSnapshotRow.taken_at))).all()
    samples = [Sample(taken_at=s.taken_at, author_reach=s.author_reach,
                      engagement=Engagement(likes=s.likes, reposts=s.reposts, replies=s.replies, quotes=s.quotes,
                                            views=s.views)) for s in snapshots]
    routing = config.routing
    visibility = measure(post, samples, routing.visibility)
    facts = Facts(post=post, labels=labels, visibility=visibility, author_lists=author_lists(post, routing))
    return Assessment(post_id=post_id, post=post, labels=labels, visibility=visibility,
                      verdict=evaluate(facts, routing, config.brand.handles))


def tier_rank(config: Config, tier: str) -> int:
    """How far up the escalation chains `tier` sits (0 for a tier nothing escalates into)."""
    tiers = config.routing.alerts.tiers
    rank, frontier = 0, {tier}
    while frontier := {name for name, t in tiers.items() if t.next in frontier}:
        rank += 1
        if rank > len(tiers):
            break
    return rank
