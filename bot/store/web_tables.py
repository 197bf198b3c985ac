"""The feed's tables: users, sessions, API tokens, the audit log, how alerts are handled, notes, corrections.

Every change here needs an Alembic migration (0004_feed and later). The key that signs cookies is
never kept here (bot/web/keys.py): a database backup must not be a credential.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from bot.store.tables import utc_column

ROLES = ("viewer", "responder", "admin")
CORRECTION_KINDS = ("not_complaint", "topic", "urgency", "false_alarm")  # false_alarm: a page that should not have gone


class UserRow(SQLModel, table=True):
    """A person who may log into the feed; `role` is viewer, responder or admin."""

    __tablename__ = "web_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(sa_type=Text)
    password_version: int = 1  # bumped by a reset: older sessions stop working
    disabled: bool = False
    created_at: datetime = utc_column()


class ApiTokenRow(SQLModel, table=True):
    """A personal API token: only its SHA-256 is kept; it acts with its user's role."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="web_user.id", index=True)
    label: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = utc_column()
    last_used_at: datetime | None = utc_column(nullable=True)


class WebSessionRow(SQLModel, table=True):
    """A login: the cookie carries the session id, only its SHA-256 is kept; deleting the row ends it."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="web_user.id", index=True)
    csrf: str = Field(max_length=64)
    password_version: int  # the user's when they logged in
    created_at: datetime = utc_column()
    expires_at: datetime = utc_column(index=True)


class AuditRow(SQLModel, table=True):
    """Who did what, when: one row per action taken through the feed or the command line."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_column(index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    target: str = Field(max_length=64)  # e.g. alert:12, user:dana
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AlertHandlingRow(SQLModel, table=True):
    """Who holds an alert (resolve and snooze live on the alert itself); `updated_at` lets the feed notice changes."""

    __tablename__ = "alert_handling"

    alert_id: int = Field(foreign_key="alert.id", primary_key=True)
    assignee: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = utc_column(nullable=True)
    updated_at: datetime = utc_column(index=True)


class AlertNoteRow(SQLModel, table=True):
    """A note a responder added to an alert."""

    __tablename__ = "alert_note"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    author: str = Field(max_length=64)
    body: str = Field(sa_type=Text)
    created_at: datetime = utc_column()


class CorrectionRow(SQLModel, table=True):
    """A human's correction of a post's labels: a labelled example for the next `earshot train`."""

    __tablename__ = "correction"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    kind: str = Field(max_length=16)  # not_complaint | topic | urgency | false_alarm
    value: str = Field(default="", max_length=64)  # the topic, the urgency; a false alarm: the urgency it paged at
    text: str = Field(sa_type=Text)  # the post's text, as the classifier saw it
    author: str = Field(max_length=64)
    created_at: datetime = utc_column()
