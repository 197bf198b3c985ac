"""Assessing one stored post: its labels, its visibility from the snapshots, and the rules' verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.labels import Labels
from bot.core.posts import Post
from bot.routing.rules import Facts, Verdict, author_lists, evaluate
from bot.routing.settings import RoutingSettings
from bot.routing.visibility import Visibility, measure
from bot.store import Transaction


@dataclass(frozen=True, kw_only=True)
class Assessment:
    """A post with its labels, visibility and the verdict of the rules."""

    post_id: int
    post: Post
    labels: Labels
    visibility: Visibility
    verdict: Verdict
    answered_before: str | None = None  # the best suggested answer in one line, for the alert message


def assess(
    tx: Transaction, routing: RoutingSettings, brand_handles: Sequence[str], post_id: int, post: Post
) -> Assessment | None:
    """Evaluate the rules for a stored post (None when it has no labels)."""
    labels = tx.labels.of(post_id)
    if labels is None:
        return None
    visibility = measure(post, tx.posts.snapshots_of(post_id), routing.visibility)
    facts = Facts(post=post, labels=labels, visibility=visibility, author_lists=author_lists(post, routing))
    return Assessment(
        post_id=post_id,
        post=post,
        labels=labels,
        visibility=visibility,
        verdict=evaluate(facts, routing, list(brand_handles)),
    )


def tier_rank(routing: RoutingSettings, tier: str) -> int:
    """How far up the escalation chains `tier` sits (0 for a tier nothing escalates into)."""
    tiers = routing.alerts.tiers
    rank, frontier = 0, {tier}
    while frontier := {name for name, t in tiers.items() if t.next in frontier}:
        rank += 1
        if rank > len(tiers):
            break
    return rank
