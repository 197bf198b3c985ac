"""Conversions between typed values and table rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.labels import Labels, TopicScore
from bot.core.posts import Engagement, EngagementUpdate, Post
from bot.store.tables import ClassificationRow, EngagementSnapshotRow, PostRow


def post_values(post: Post, stage: str, now: datetime) -> dict[str, Any]:
    """The columns of a new post's row."""
    e = post.engagement
    return dict(
        source=post.source,
        native_id=post.native_id,
        kind=post.kind,
        author_handle=post.author_handle,
        author_id=post.author_id,
        author_reach=post.author_reach,
        author_verified=post.author_verified,
        text=post.text,
        url=post.url,
        created_at=post.created_at,
        fetched_at=post.fetched_at,
        parent_id=post.parent_id,
        conversation_id=post.conversation_id,
        language=post.language,
        is_deleted=post.is_deleted,
        likes=e.likes,
        reposts=e.reposts,
        replies=e.replies,
        quotes=e.quotes,
        views=e.views,
        mentions=list(post.mentions),
        community=post.community,
        raw=post.raw,
        stage=stage,
        stage_at=now,
    )


def post_from_row(row: PostRow) -> Post:
    return Post(
        source=row.source,
        native_id=row.native_id,
        kind=row.kind,  # type: ignore[arg-type]
        author_handle=row.author_handle,
        author_id=row.author_id,
        author_reach=row.author_reach,
        author_verified=row.author_verified,
        text=row.text,
        url=row.url,
        created_at=row.created_at,
        fetched_at=row.fetched_at,
        parent_id=row.parent_id,
        conversation_id=row.conversation_id,
        language=row.language,
        is_deleted=row.is_deleted,
        engagement=Engagement(
            likes=row.likes, reposts=row.reposts, replies=row.replies, quotes=row.quotes, views=row.views
        ),
        mentions=tuple(row.mentions or ()),
        community=row.community,
        raw=row.raw,
    )


def snapshot_row(post_id: int, update: EngagementUpdate) -> EngagementSnapshotRow:
    return EngagementSnapshotRow(**snapshot_values(post_id, update))


def snapshot_values(post_id: int, update: EngagementUpdate) -> dict[str, Any]:
    """The columns of an engagement snapshot's row."""
    e = update.engagement
    return dict(
        post_id=post_id,
        taken_at=update.taken_at,
        likes=e.likes,
        reposts=e.reposts,
        replies=e.replies,
        quotes=e.quotes,
        views=e.views,
        author_reach=update.author_reach,
    )


def update_from_post(post: Post) -> EngagementUpdate:
    return EngagementUpdate(
        source=post.source,
        native_id=post.native_id,
        taken_at=post.fetched_at,
        engagement=post.engagement,
        author_reach=post.author_reach,
        is_deleted=post.is_deleted,
    )


def classification_row(post_id: int, labels: Labels, now: datetime) -> ClassificationRow:
    return ClassificationRow(**classification_values(post_id, labels, now))


def classification_values(post_id: int, labels: Labels, now: datetime) -> dict[str, Any]:
    """The columns of a post's classification row."""
    return dict(
        post_id=post_id,
        model_version=labels.model_version,
        complaint=labels.complaint,
        complaint_score=labels.complaint_score,
        sentiment=labels.sentiment,
        sentiment_score=labels.sentiment_score,
        severity=labels.severity,
        severity_score=labels.severity_score,
        urgency=labels.urgency,
        urgency_reasons=list(labels.urgency_reasons),
        safety_score=labels.safety_score,
        about_brand=labels.about_brand,
        relevance=labels.relevance[:200],
        topics=[{"name": t.name, "score": t.score} for t in labels.topics],
        language=labels.language,
        needs_review=labels.needs_review,
        embedding=list(labels.embedding),
        classified_at=now,
    )


def labels_from_row(row: ClassificationRow) -> Labels:
    return Labels(
        complaint=row.complaint,
        complaint_score=row.complaint_score,
        sentiment=row.sentiment,  # type: ignore[arg-type]
        sentiment_score=row.sentiment_score,
        severity=row.severity,
        severity_score=row.severity_score,
        urgency=row.urgency,  # type: ignore[arg-type]
        urgency_reasons=tuple(row.urgency_reasons),
        safety_score=row.safety_score,
        about_brand=row.about_brand,
        relevance=row.relevance,
        topics=tuple(TopicScore(name=t["name"], score=t["score"]) for t in row.topics),
        language=row.language,
        needs_review=row.needs_review,
        model_version=row.model_version,
        embedding=tuple(row.embedding),
    )
