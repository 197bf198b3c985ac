"""Who is asking: Argon2 passwords, server-side sessions behind signed cookies, CSRF tokens, API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.store import Store, UserView

SESSION_COOKIE = "earshot_session"
LOGIN_COOKIE = "earshot_login"  # carries the login form's CSRF token before anyone is logged in
TOKEN_PREFIX = "esk_"
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password")  # unknown users cost as much as known ones


class NotLoggedIn(Exception):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but the role does not allow it (403)."""


class CsrfRefused(Exception):
    """A state-changing request without the session's CSRF token (403)."""


@dataclass(frozen=True, kw_only=True)
class Principal:
    """The user behind a request, and how they proved it."""

    user: UserView
    csrf: str  # the session's token; empty for API tokens, which carry no cookies
    via: str  # session | token

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def can_act(self) -> bool:
        return self.user.role in ("responder", "admin")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: UserView | None, password: str) -> bool:
    """True if `password` is the enabled user's; always spends one Argon2 verification."""
    ok: bool
    try:
        ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and user is not None and not user.disabled


def new_api_token() -> tuple[str, str]:
    """(the token to show once, the SHA-256 to store)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """Logins kept in the store; the cookie carries a random session id, signed and expiring.

    Deleting the row (logout, a new password, a disabled user) ends the session: a copy of the
    cookie stops working too.
    """

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="earshot-session")
        self._login = URLSafeTimedSerializer(secret, salt="earshot-login")
        self.max_age = max_age_seconds

    def issue(self, store: Store, user: UserView) -> str:
        """The cookie value of a fresh login, recorded in the store."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        with store.transaction() as tx:
            tx.access.open_session(
                id_hash=session_hash(session_id),
                user_id=user.id,
                csrf=csrf,
                password_version=user.password_version,
                expires_at=tx.now + timedelta(seconds=self.max_age),
            )
        return self._signer.dumps(session_id)

    def read(self, cookie: str | None) -> str | None:
        """The session id of a cookie we signed and that has not expired, else None."""
        if not cookie:
            return None
        try:
            found = self._signer.loads(cookie, max_age=self.max_age)
        except BadSignature:
            return None
        return found if isinstance(found, str) else None

    def end(self, store: Store, cookie: str | None) -> None:
        """Logout: the session's row goes, so the cookie is worthless wherever it was kept."""
        session_id = self.read(cookie)
        if session_id is not None:
            with store.transaction() as tx:
                tx.access.end_session(session_hash(session_id))

    def login_token(self, cookie: str | None) -> tuple[str, str]:
        """(cookie value, csrf) for the login form: the cookie's token if still valid, else a new one."""
        if cookie:
            try:
                return cookie, str(self._login.loads(cookie, max_age=3600))
            except BadSignature:
                pass
        csrf = secrets.token_urlsafe(24)
        return self._login.dumps(csrf), csrf

    def login_csrf_ok(self, cookie: str | None, submitted: str) -> bool:
        if not cookie or not submitted:
            return False
        try:
            return hmac.compare_digest(str(self._login.loads(cookie, max_age=3600)), submitted)
        except BadSignature:
            return False


def authenticate(request: Request, store: Store, sessions: Sessions) -> Principal:
    """The principal of a request (bearer token or session cookie); NotLoggedIn otherwise."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with store.transaction() as tx:
            user = tx.users.for_token(token_hash(header[7:].strip()))
        if user is None:
            raise NotLoggedIn("unknown or revoked API token")
        return Principal(user=user, csrf="", via="token")
    session_id = sessions.read(request.cookies.get(SESSION_COOKIE))
    if session_id is None:
        raise NotLoggedIn("not logged in, or the session expired")
    with store.transaction() as tx:
        found = tx.access.live_session(session_hash(session_id))
        user = tx.users.by_id(found.user_id) if found else None
    if found is None or user is None or user.disabled or user.password_version != found.password_version:
        raise NotLoggedIn("the session ended")
    return Principal(user=user, csrf=found.csrf, via="session")


def check_csrf(principal: Principal, submitted: str | None) -> None:
    """A session's unsafe request must carry its CSRF token (API tokens carry no cookies: exempt)."""
    if principal.via == "token":
        return
    if not submitted or not hmac.compare_digest(principal.csrf, submitted):
        raise CsrfRefused("missing or wrong CSRF token")
