"""Who is asking: Argon2 passwords, signed session cookies, CSRF tokens, API tokens, login rate limits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass

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


class Sessions:
    """Signed, expiring session cookies: user id, password version and the CSRF token."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="earshot-session")
        self._login = URLSafeTimedSerializer(secret, salt="earshot-login")
        self.max_age = max_age_seconds

    def issue(self, user: UserView) -> tuple[str, str]:
        """(cookie value, csrf token) for a fresh login."""
        csrf = secrets.token_urlsafe(24)
        return self._signer.dumps({"u": user.id, "v": user.password_version, "c": csrf}), csrf

    def read(self, cookie: str | None) -> tuple[int, int, str] | None:
        """(user id, password version, csrf) of a valid, unexpired cookie, else None."""
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=self.max_age)
            return int(data["u"]), int(data["v"]), str(data["c"])
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

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
            user = tx.user_for_token(token_hash(header[7:].strip()))
        if user is None:
            raise NotLoggedIn("unknown or revoked API token")
        return Principal(user=user, csrf="", via="token")
    found = sessions.read(request.cookies.get(SESSION_COOKIE))
    if found is None:
        raise NotLoggedIn("not logged in, or the session expired")
    user_id, version, csrf = found
    with store.transaction() as tx:
        user = tx.user_by_id(user_id)
    if user is None or user.disabled or user.password_version != version:
        raise NotLoggedIn("the session ended")
    return Principal(user=user, csrf=csrf, via="session")


def check_csrf(principal: Principal, submitted: str | None) -> None:
    """A session's unsafe request must carry its CSRF token (API tokens carry no cookies: exempt)."""
    if principal.via == "token":
        return
    if not submitted or not hmac.compare_digest(principal.csrf, submitted):
        raise CsrfRefused("missing or wrong CSRF token")


class LoginLimiter:
    """At most `attempts` failed logins per user and per address in a sliding window."""

    def __init__(self, attempts: int, window_seconds: float = 900) -> None:
        self.attempts, self.window = attempts, window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, user: str, address: str) -> bool:
        now = time.monotonic()
        for key in (f"u:{user}", f"a:{address}"):
            failures = self._failures[key]
            while failures and failures[0] < now - self.window:
                failures.popleft()
            if len(failures) >= self.attempts:
                return True
        return False

    def failed(self, user: str, address: str) -> None:
        now = time.monotonic()
        if len(self._failures) > 10_000:  # a flood of made-up names: forget what is past the window
            for key in [k for k, v in self._failures.items() if not v or v[-1] < now - self.window]:
                del self._failures[key]
        self._failures[f"u:{user}"].append(now)
        self._failures[f"a:{address}"].append(now)

    def succeeded(self, user: str) -> None:
        self._failures.pop(f"u:{user}", None)
