"""Users and the audit log: who may use the feed, and what they did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from bot.store.ops.access import AccessOps
from bot.store.web_tables import ROLES, AuditRow, UserRow


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


class UserOps(AccessOps):
    """Users and audit rows; a new password or a disabled user ends their sessions and tokens."""

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
        self._end_access(row)
        return _user(row)

    def set_password(self, name: str, password_hash: str) -> UserView | None:
        row = self._user_row(name)
        if row is None:
            return None
        row.password_hash = password_hash
        self._end_access(row)
        return _user(row)

    def user_for_token(self, token_hash: str) -> UserView | None:
        """The enabled user a token hash belongs to (its last use noted), or None."""
        user_id = self.user_id_for_token(token_hash)
        user = None if user_id is None else self.session.get(UserRow, user_id)
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

    def _end_access(self, row: UserRow) -> None:
        """Every session and API token of the user ends (the version also voids any cookie in flight)."""
        assert row.id is not None
        row.password_version += 1
        self.session.add(row)
        self.end_sessions(row.id)
        self.revoke_tokens(row.id)

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
