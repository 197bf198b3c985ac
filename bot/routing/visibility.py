"""How many people a post reaches now, how fast that grows, and how many it will reach soon.

The formula (configured by `routing.visibility`, documented in docs/routing.md):

    audience(s)  = author_reach + repost_audience × (reposts + quotes)
                   + like_audience × likes + reply_audience × replies      (max with views, if known)
    velocity     = Δ interactions / Δ hours between the oldest and newest snapshot in the last
                   `velocity_window_hours` (the post's creation counts as a snapshot with none)
    reach/hour   = Δ audience / Δ hours over the same span (never below 0)
    projected    = audience(newest) + reach/hour × horizon_hours
    score        = log10(1 + projected)        (3 ≈ a thousand people, 6 ≈ a million)
    viral        = projected ≥ viral_reach

Spans shorter than 15 minutes count as 15, so a like in the first minute is not "60 an hour".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.posts import Engagement, Post, Snapshot
from bot.routing.settings import VisibilitySettings

MIN_SPAN_HOURS = 0.25


@dataclass(frozen=True, kw_only=True)
class Visibility:
    """The visibility figures of one post, as rules and alerts see them."""

    reach: int  # estimated audience now
    velocity: float  # interactions per hour
    reposts_per_hour: float
    reach_per_hour: float
    projected_reach: int
    score: float
    viral: bool
    samples: int  # snapshots the velocity was measured over

    def describe(self) -> str:
        """One line for explanations and alerts."""
        return (
            f"reach {self.reach:,} now, {self.velocity:,.0f} interactions/h "
            f"({self.reposts_per_hour:,.0f} reposts/h), projected {self.projected_reach:,} "
            f"→ score {self.score:.2f}{', VIRAL' if self.viral else ''}"
        )


def audience(sample: Snapshot, author_reach: int | None, settings: VisibilitySettings) -> float:
    """Estimated people who saw the post at `sample`."""
    e = sample.engagement
    reach = max(sample.author_reach if sample.author_reach is not None else author_reach or 0, 0)
    estimate = (
        reach
        + settings.repost_audience * (e.reposts + e.quotes)
        + settings.like_audience * max(e.likes, 0)
        + settings.reply_audience * e.replies
    )
    return max(estimate, float(e.views or 0))


def measure(post: Post, samples: Sequence[Snapshot], settings: VisibilitySettings) -> Visibility:
    """The visibility of `post` from its engagement samples (any order; the post itself if none)."""
    ordered = sorted(samples, key=lambda s: s.taken_at) or [
        Snapshot(taken_at=post.fetched_at, engagement=post.engagement, author_reach=post.author_reach)
    ]
    newest = ordered[-1]
    recent = [
        s for s in ordered if (newest.taken_at - s.taken_at).total_seconds() <= settings.velocity_window_hours * 3600
    ]
    oldest = recent[0]
    if oldest is newest:  # one sample: measure growth since the post was created
        oldest = Snapshot(
            taken_at=min(post.created_at, newest.taken_at), engagement=Engagement(), author_reach=newest.author_reach
        )
    hours = max((newest.taken_at - oldest.taken_at).total_seconds() / 3600, MIN_SPAN_HOURS)
    now = audience(newest, post.author_reach, settings)
    velocity = max(newest.engagement.interactions - oldest.engagement.interactions, 0) / hours
    reposts = (
        max(
            (newest.engagement.reposts + newest.engagement.quotes)
            - (oldest.engagement.reposts + oldest.engagement.quotes),
            0,
        )
        / hours
    )
    per_hour = max(now - audience(oldest, post.author_reach, settings), 0.0) / hours
    projected = int(now + per_hour * settings.horizon_hours)
    return Visibility(
        reach=int(now),
        velocity=velocity,
        reposts_per_hour=reposts,
        reach_per_hour=per_hour,
        projected_reach=projected,
        score=round(math.log10(1 + projected), 2),
        viral=projected >= settings.viral_reach,
        samples=len(recent),
    )
