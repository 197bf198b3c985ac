"""Answer memory: known answers, the suggestions made from them, and responders' feedback (migration 0009_answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.store.tables import utc_column


class AnswerRow(SQLModel, table=True):
    """A known answer: a responder's public reply (`response_id`) or a playbook entry (`key`)."""

    __tablename__ = "answer"
    __table_args__ = (Index("ix_answer_kind_retired", "kind", "retired_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # reply | playbook
    response_id: int | None = Field(default=None, foreign_key="response.id", unique=True)
    key: str | None = Field(default=None, max_length=256, unique=True)  # a playbook entry's casefolded title
    origin: str = Field(default="reply", max_length=16)  # reply | file (config playbook) | cli (answers add)
    title: str = Field(sa_type=Text)
    text: str = Field(sa_type=Text)
    examples: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    complaint_post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    complaint_text: str = Field(default="", sa_type=Text)
    topic: str | None = Field(default=None, max_length=128)
    language: str | None = Field(default=None, max_length=16)
    responder: str | None = Field(default=None, max_length=128)
    url: str | None = Field(default=None, sa_type=Text)
    answered_at: datetime | None = utc_column(nullable=True)
    outcome: str = Field(default="open", max_length=16)
    outcome_at: datetime | None = utc_column(nullable=True)
    vectors: list[list[float]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    digest: str = Field(default="", max_length=32)  # what `vectors` were made from (playbook); "" = not yet
    created_at: datetime = utc_column()
    retired_at: datetime | None = utc_column(nullable=True)


class SuggestionRow(SQLModel, table=True):
    """An answer suggested for a post in the routing pass, with why (its rank, similarity, the reason)."""

    __tablename__ = "answer_suggestion"
    __table_args__ = (UniqueConstraint("post_id", "answer_id", name="uq_suggestion_post_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    answer_id: int = Field(foreign_key="answer.id")
    rank: int
    similarity: float
    score: float
    safety_case: bool = False
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # matched, age, ...
    created_at: datetime = utc_column()


class AnswerFeedbackRow(SQLModel, table=True):
    """A person's "this helped" or "not relevant" on an answer suggested for a post; one per person and pair."""

    __tablename__ = "answer_feedback"
    __table_args__ = (UniqueConstraint("answer_id", "post_id", "author", name="uq_feedback_once"),)

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", index=True)
    post_id: int = Field(foreign_key="post.id")
    author: str = Field(max_length=128)
    helpful: bool
    created_at: datetime = utc_column()
