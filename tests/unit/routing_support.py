"""Helpers for the routing tests: labels, configs and a store with posts already classified."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.app.config import Config
from bot.app.daemon import build_route_stage
from bot.core.labels import Labels, TopicScore
from bot.core.posts import Engagement, EngagementUpdate, Post
from bot.routing.stage import RouteStage
from bot.store import Store
from tests.conftest import NOW


def labels(
    *,
    complaint: bool = True,
    sentiment: str = "negative",
    urgency: str = "medium",
    severity: int = 3,
    topics: tuple[tuple[str, float], ...] = (("billing", 0.8),),
    embedding: tuple[float, ...] = (1.0, 0.0, 0.0),
    **extra: Any,
) -> Labels:
    """Labels with sensible defaults for a complaint."""
    return Labels(
        complaint=complaint,
        complaint_score=0.9 if complaint else 0.1,
        sentiment=sentiment,  # type: ignore[arg-type]
        sentiment_score=0.8,
        severity=severity,
        severity_score=0.7,
        urgency=urgency,  # type: ignore[arg-type]
        topics=tuple(TopicScore(name=n, score=s) for n, s in topics),
        language="en",
        embedding=embedding,
        **extra,
    )


def post(
    native_id: str,
    *,
    source: str = "x",
    author: str = "someone",
    reach: int = 100,
    text: str = "my car is broken @AuroraMotors",
    minutes: int = 0,
    **extra: Any,
) -> Post:
    """A post written `minutes` after NOW."""
    created = NOW + timedelta(minutes=minutes)
    return Post(
        source=source,
        native_id=native_id,
        author_handle=author,
        author_reach=reach,
        text=text,  # type: ignore[arg-type]
        url=f"https://example.com/{source}/{native_id}",
        created_at=created,
        fetched_at=created + timedelta(minutes=1),
        **extra,
    )


RULES: list[dict[str, Any]] = [
    {
        "name": "viral-complaint",
        "when": {"complaint": True, "viral": True},
        "then": {"ticket": {"queue": "social", "priority": "high"}, "alert": "executive"},
    },
    {"name": "praise", "when": {"sentiment": ["positive"]}, "then": {"digest": True}},
    {"name": "spam", "when": {"keywords": ["giveaway"]}, "then": {"suppress": True}},
    {
        "name": "question",
        "when": {"complaint": False, "keywords": ["could you", "when will"]},
        "then": {"ticket": {"queue": "support", "priority": "low"}},
    },
    {"name": "complaint", "when": {"complaint": True}, "then": {"ticket": {"queue": "social", "priority": "normal"}}},
]


def config(**routing: Any) -> Config:
    """A config with the test rules; keyword arguments replace `routing:` keys."""
    return Config.model_validate(
        {
            "brand": {"name": "Aurora Motors", "handles": ["AuroraMotors", "AuroraSupport"]},
            "routing": {
                "rules": RULES,
                "visibility": {"viral_reach": 100_000},
                "incidents": {"similarity": 0.8, "escalation": [{"tier": "executive", "min_posts": 4}]},
                **routing,
            },
        }
    )


def route_stage(cfg: Config, store: Store, **options: Any) -> RouteStage:
    """The route stage for a config, wired as the daemon wires it."""
    return build_route_stage(cfg, store, **options)


def add(store: Store, items: list[tuple[Post, Labels]], *, snapshots: list[EngagementUpdate] = ()) -> list[int]:
    """Store posts, their snapshots and labels; returns the post ids, in order."""
    store.save_batch("test", [p for p, _ in items], None)
    if snapshots:
        store.save_engagement(list(snapshots))
    ids = [store.find_post(p.source, p.native_id).id for p, _ in items]  # type: ignore[union-attr]
    store.save_labels(list(zip(ids, [lab for _, lab in items], strict=True)))
    return ids


def growth(p: Post, *, reposts_per_half_hour: int, rounds: int = 4) -> list[EngagementUpdate]:
    """Re-poll snapshots every 30 minutes with reposts growing steadily."""
    return [
        EngagementUpdate(
            source=p.source,
            native_id=p.native_id,
            taken_at=p.fetched_at + timedelta(minutes=30 * r),
            engagement=Engagement(reposts=reposts_per_half_hour * r),
        )
        for r in range(1, rounds + 1)
    ]
