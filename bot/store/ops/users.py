"""Users, API tokens, the audit log and the session key: who may use the feed, and what they did."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.store.ops.base import Ops
from bot.store.web_tables import ROLES, ApiTokenRow, AuditRow, UserRow, WebSecretRow


@dataclass(frozen=True, kw_only=True)
class UserView:
    """A feed user; `password_version` goes into sessions so a reset ends them."""

    id: int
    name: str
    role: str
    disabled: bool
    password_hash: str
    password_version: int
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class AuditView:
    """One audit row."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class UserOps(Ops):
    """Users, tokens, audit rows and the session key."""

    def add_user(self, name: str, role: str, password_hash: str) -> UserView:
        """A new user; ValueError if the name is taken or the role unknown."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
        if self._user_row(name) is not None:
            raise ValueError(f"user {name!r} already exists")
        row = UserRow(name=name, role=role, password_hash=password_hash, created_at=self.now)
        self.session.add(row)
        self.session.flush()
        return _user(row)

    def user(self, name: str) -> UserView | None:
        row = self._user_row(name)
        return None if row is None else _user(row)

    def user_by_id(self, user_id: int) -> UserView | None:
        row = self.session.get(UserRow, user_id)
        return None if row is None else _user(row)

    def users(self) -> list[UserView]:
        return [_user(row) for row in self.session.exec(select(UserRow).order_by(col(UserRow.name))).all()]

    def set_user_disabled(self, name: str, disabled: bool) -> UserView | None:
        row = self._user_row(name)
        if row is None:
            return None
        row.disabled = disabled
        row.password_version += 1  # ends every session
        self.session.add(row)
        return _user(row)

    def set_password(self, name: str, password_hash: str) -> UserView | None:
        row = self._user_row(name)
        if row is None:
            return None
        row.password_hash, row.password_version = password_hash, row.password_version + 1
        self.session.add(row)
        return _user(row)

    def add_token(self, user_id: int, label: str, token_hash: str) -> int:
        row = ApiTokenRow(user_id=user_id, label=label, token_hash=token_hash, created_at=self.now)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def user_for_token(self, token_hash: str) -> UserView | None:
        """The enabled user a token hash belongs to (its last use noted), or None."""
        token = self.session.exec(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)).first()
        if token is None:
            return None
        token.last_used_at = self.now
        self.session.add(token)
        user = self.session.get(UserRow, token.user_id)
        return None if user is None or user.disabled else _user(user)

    def audit(self, actor: str, action: str, target: str, **detail: Any) -> None:
        """Record one action: who, what, on which thing, when."""
        self.session.add(AuditRow(at=self.now, actor=actor, action=action, target=target, detail=detail))

    def audit_log(self, *, target: str | None = None, limit: int = 100) -> list[AuditView]:
        query = select(AuditRow).order_by(col(AuditRow.id).desc()).limit(limit)
        if target is not None:
            query = query.where(AuditRow.target == target)
        return [
            AuditView(id=r.id or 0, at=r.at, actor=r.actor, action=r.action, target=r.target, detail=dict(r.detail))
            for r in self.session.exec(query).all()
        ]

    def web_secret(self) -> str:
        """The session-signing key, made once and shared by every process on this database."""
        row = self.session.get(WebSecretRow, "session")
        if row is None:
            try:
                with self.session.begin_nested():  # daemons starting together on a new database race here
                    self.session.add(WebSecretRow(name="session", value=secrets.token_urlsafe(48)))
            except IntegrityError:
                pass  # another process made it first: theirs is the one
            row = self.session.get(WebSecretRow, "session", populate_existing=True)
        assert row is not None
        return row.value

    def _user_row(self, name: str) -> UserRow | None:
        return self.session.exec(select(UserRow).where(UserRow.name == name)).first()


def _user(row: UserRow) -> UserView:
    assert row.id is not None
    return UserView(
        id=row.id,
        name=row.name,
        role=row.role,
        disabled=row.disabled,
        password_hash=row.password_hash,
        password_version=row.password_version,
        created_at=row.created_at,
    )
