"""Suggested answers kept per post, the feedback people give on them, and what the digest and gaps read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from bot.core.answers import Suggestion
from bot.core.answers import Suggestions as PostSuggestions
from bot.store.answer_tables import AnswerFeedbackRow, SuggestionRow
from bot.store.digest_tables import ResponseRow
from bot.store.ops.base import Owner
from bot.store.routing_tables import RouteDecisionRow
from bot.store.tables import ClassificationRow, PostRow


@dataclass(frozen=True, kw_only=True)
class FeedbackNote:
    """One "this helped" (or "not relevant") on an answer, with the meaning of the complaint it was about."""

    answer_id: int
    helpful: bool
    embedding: tuple[float, ...]


@dataclass(frozen=True, kw_only=True)
class ActedComplaint:
    """A complaint that got a ticket or an alert: when, whether an answer was suggested, when it was answered."""

    post_id: int
    text: str
    created_at: datetime
    topic: str | None
    embedding: tuple[float, ...]
    suggested: bool
    first_reply_at: datetime | None

    @property
    def time_to_reply(self) -> float | None:
        if self.first_reply_at is None:
            return None
        return max((self.first_reply_at - self.created_at).total_seconds(), 0.0)


class Suggestions(Owner):
    """Suggestions and feedback (`tx.suggestions`): the answer_suggestion and answer_feedback rows' one writer."""

    def save(self, suggestions: PostSuggestions) -> None:
        """Keep what was suggested for a post (replacing an earlier pass's)."""
        for old in self.session.exec(select(SuggestionRow).where(SuggestionRow.post_id == suggestions.post_id)).all():
            self.session.delete(old)
        self.session.flush()
        for rank, s in enumerate(suggestions.items):
            detail = {
                "kind": s.kind, "title": s.title, "text": s.text, "matched": s.matched, "outcome": s.outcome,
                "answered_at": s.answered_at.isoformat() if s.answered_at else None, "age_days": s.age_days,
                "responder": s.responder, "url": s.url, "feedback": s.feedback,
            }  # fmt: skip
            self.session.add(
                SuggestionRow(
                    post_id=suggestions.post_id, answer_id=s.answer_id, rank=rank, similarity=s.similarity,
                    score=s.score, safety_case=suggestions.safety_case, detail=detail, created_at=self.now,
                )
            )  # fmt: skip

    def of(self, post_id: int) -> PostSuggestions:
        """What was suggested for a post in its routing pass, best first (empty if nothing)."""
        rows = self.session.exec(
            select(SuggestionRow).where(SuggestionRow.post_id == post_id).order_by(col(SuggestionRow.rank))
        ).all()
        items = tuple(_suggestion(r) for r in rows)
        return PostSuggestions(post_id=post_id, items=items, safety_case=any(r.safety_case for r in rows))

    def record_feedback(self, answer_id: int, post_id: int, author: str, *, helpful: bool) -> bool:
        """Keep (or change) `author`'s verdict on an answer suggested for a post; False if it was not suggested."""
        suggested = self.session.exec(
            select(SuggestionRow.id).where(SuggestionRow.post_id == post_id, SuggestionRow.answer_id == answer_id)
        ).first()
        if suggested is None:
            return False
        row = self.session.exec(
            select(AnswerFeedbackRow).where(
                AnswerFeedbackRow.answer_id == answer_id,
                AnswerFeedbackRow.post_id == post_id,
                AnswerFeedbackRow.author == author,
            )
        ).first() or AnswerFeedbackRow(
            answer_id=answer_id, post_id=post_id, author=author, helpful=helpful, created_at=self.now
        )
        row.helpful, row.created_at = helpful, self.now
        self.session.add(row)
        return True

    def feedback_on(self, answer_ids: Sequence[int] | None = None) -> list[FeedbackNote]:
        """Every verdict given on these answers (None: on any), each with its complaint's meaning embedding."""
        query = select(AnswerFeedbackRow.answer_id, AnswerFeedbackRow.helpful, ClassificationRow.embedding).outerjoin(
            ClassificationRow, col(ClassificationRow.post_id) == AnswerFeedbackRow.post_id
        )
        if answer_ids is not None:
            query = query.where(col(AnswerFeedbackRow.answer_id).in_(list(answer_ids)))
        rows = self.session.exec(query).all()
        return [FeedbackNote(answer_id=a, helpful=h, embedding=tuple(e or ())) for a, h, e in rows]

    def acted_complaints(self, start: datetime, end: datetime) -> list[ActedComplaint]:
        """Posts written in [start, end) that got a ticket or an alert, each with its suggestions and first reply."""
        rows = self.session.exec(
            select(  # type: ignore[call-overload]  # five columns: more than sqlmodel types
                PostRow.id, PostRow.text, PostRow.created_at, ClassificationRow.topics, ClassificationRow.embedding
            )
            .join(RouteDecisionRow, col(RouteDecisionRow.post_id) == PostRow.id)
            .join(ClassificationRow, col(ClassificationRow.post_id) == PostRow.id)
            .where(
                PostRow.created_at >= start,
                PostRow.created_at < end,
                col(RouteDecisionRow.ticket_id).is_not(None) | col(RouteDecisionRow.alert_id).is_not(None),
            )
            .order_by(col(PostRow.created_at))
        ).all()
        ids = [r[0] for r in rows if r[0] is not None]
        suggested = set(
            self.session.exec(select(SuggestionRow.post_id).where(col(SuggestionRow.post_id).in_(ids))).all()
        )
        replies = dict(
            self.session.exec(
                select(ResponseRow.post_id, func.min(ResponseRow.responded_at))
                .where(col(ResponseRow.post_id).in_(ids))
                .group_by(col(ResponseRow.post_id))
            ).all()
        )
        return [
            ActedComplaint(
                post_id=pid,
                text=text,
                created_at=created,
                topic=topics[0]["name"] if topics else None,
                embedding=tuple(embedding or ()),
                suggested=pid in suggested,
                first_reply_at=_aware(replies.get(pid)),
            )  # fmt: skip
            for pid, text, created, topics, embedding in rows
            if pid is not None
        ]


def _suggestion(row: SuggestionRow) -> Suggestion:
    d = row.detail
    answered = d.get("answered_at")
    return Suggestion(
        answer_id=row.answer_id, kind=d.get("kind", "reply"), title=d.get("title", ""), text=d.get("text", ""),
        similarity=row.similarity, score=row.score, matched=d.get("matched", ""), outcome=d.get("outcome", "open"),
        answered_at=datetime.fromisoformat(answered) if answered else None, age_days=d.get("age_days"),
        responder=d.get("responder"), url=d.get("url"), feedback=d.get("feedback", ""),
    )  # fmt: skip


def _aware(value: datetime | None) -> datetime | None:
    from datetime import UTC

    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=UTC)
