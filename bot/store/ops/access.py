"""Sessions and API tokens: how a user proves who they are, and how that ends.

Only hashes are kept (SHA-256 of the session id and of the token), so the table alone logs nobody in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, delete, select

from bot.store.ops.base import Owner
from bot.store.web_tables import ApiTokenRow, UserRow, WebSessionRow


@dataclass(frozen=True, kw_only=True)
class SessionView:
    """A live login: whose, its CSRF token, and the password version it was made under."""

    user_id: int
    csrf: str
    password_version: int
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class TokenView:
    """An API token as listed: never the token itself."""

    id: int
    user: str
    label: str
    created_at: datetime
    last_used_at: datetime | None


class Access(Owner):
    """Sessions (`web_session`) and API tokens (`api_token`): `tx.access` is their one writer."""

    def open_session(
        self, *, id_hash: str, user_id: int, csrf: str, password_version: int, expires_at: datetime
    ) -> None:
        """Record a login; expired rows are swept on the way."""
        self.session.exec(delete(WebSessionRow).where(col(WebSessionRow.expires_at) <= self.now))
        self.session.add(
            WebSessionRow(
                id_hash=id_hash,
                user_id=user_id,
                csrf=csrf,
                password_version=password_version,
                created_at=self.now,
                expires_at=expires_at,
            )
        )

    def live_session(self, id_hash: str) -> SessionView | None:
        """The session with this hash, unless it ended or expired."""
        row = self.session.get(WebSessionRow, id_hash)
        if row is None or row.expires_at <= self.now:
            return None
        return SessionView(
            user_id=row.user_id, csrf=row.csrf, password_version=row.password_version, expires_at=row.expires_at
        )

    def end_session(self, id_hash: str) -> None:
        """Logout: the cookie stops working, wherever it was copied to."""
        self.session.exec(delete(WebSessionRow).where(col(WebSessionRow.id_hash) == id_hash))

    def end_sessions(self, user_id: int) -> None:
        """Every session of a user (a new password, a disabled user)."""
        self.session.exec(delete(WebSessionRow).where(col(WebSessionRow.user_id) == user_id))

    def add_token(self, user_id: int, label: str, token_hash: str) -> int:
        row = ApiTokenRow(user_id=user_id, label=label, token_hash=token_hash, created_at=self.now)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def user_id_for_token(self, token_hash: str) -> int | None:
        """Whose token this is (its last use noted), or None for an unknown or revoked one."""
        token = self.session.exec(select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)).first()
        if token is None:
            return None
        token.last_used_at = self.now
        self.session.add(token)
        return token.user_id

    def tokens(self, user_id: int | None = None) -> list[TokenView]:
        """API tokens, of one user or everyone's, oldest first."""
        query = select(ApiTokenRow, UserRow).join(UserRow, col(UserRow.id) == ApiTokenRow.user_id)
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        rows = self.session.exec(query.order_by(col(ApiTokenRow.id))).all()
        return [_token(token, user) for token, user in rows]

    def token(self, token_id: int) -> TokenView | None:
        found = self.session.exec(
            select(ApiTokenRow, UserRow)
            .join(UserRow, col(UserRow.id) == ApiTokenRow.user_id)
            .where(ApiTokenRow.id == token_id)
        ).first()
        return None if found is None else _token(*found)

    def revoke_token(self, token_id: int) -> TokenView | None:
        """Delete one token; what it was, or None if there is no such token."""
        found = self.token(token_id)
        if found is not None:
            self.session.exec(delete(ApiTokenRow).where(col(ApiTokenRow.id) == token_id))
        return found

    def revoke_tokens(self, user_id: int) -> int:
        """Delete every token of a user; how many there were."""
        count = len(self.tokens(user_id))
        self.session.exec(delete(ApiTokenRow).where(col(ApiTokenRow.user_id) == user_id))
        return count


def _token(token: ApiTokenRow, user: UserRow) -> TokenView:
    assert token.id is not None
    return TokenView(
        id=token.id, user=user.name, label=token.label, created_at=token.created_at, last_used_at=token.last_used_at
    )
