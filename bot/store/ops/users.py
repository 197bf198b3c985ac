"""Users (`tx.users`): who may use the feed; the user rows' one writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.store.ops.access import Access
from bot.store.ops.base import Owner
from bot.store.web_tables import ROLES, UserRow


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


class Users(Owner):
    """Users; a new password or a disabled user ends their sessions and tokens (through `tx.access`)."""

    def __init__(self, session: Session, now: datetime, *, access: Access) -> None:
        super().__init__(session, now)
        self.access = access

    def add(self, name: str, role: str, password_hash: str) -> UserView:
        """A new user; ValueError if the name is taken or the role unknown."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
        if self._user_row(name) is not None:
            raise ValueError(f"user {name!r} already exists")
        row = UserRow(name=name, role=role, password_hash=password_hash, created_at=self.now)
        self.session.add(row)
        self.session.flush()
        return _user(row)

    def get(self, name: str) -> UserView | None:
        row = self._user_row(name)
        return None if row is None else _user(row)

    def by_id(self, user_id: int) -> UserView | None:
        row = self.session.get(UserRow, user_id)
        return None if row is None else _user(row)

    def all(self) -> list[UserView]:
        return [_user(row) for row in self.session.exec(select(UserRow).order_by(col(UserRow.name))).all()]

    def set_disabled(self, name: str, disabled: bool) -> UserView | None:
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

    def for_token(self, token_hash: str) -> UserView | None:
        """The enabled user a token hash belongs to (its last use noted), or None."""
        user_id = self.access.user_id_for_token(token_hash)
        user = None if user_id is None else self.session.get(UserRow, user_id)
        return None if user is None or user.disabled else _user(user)

    def _end_access(self, row: UserRow) -> None:
        """Every session and API token of the user ends (the version also voids any cookie in flight)."""
        assert row.id is not None
        row.password_version += 1
        self.session.add(row)
        self.access.end_sessions(row.id)
        self.access.revoke_tokens(row.id)

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
