"""The feed's shared dependencies: its state, who is asking, page rendering and the URL filter.

Routers import this module (and lower layers), never `bot.web.app` or another router.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from bot.app.web_settings import WebSettings
from bot.core.escape import template_value
from bot.core.labels import URGENCY_ORDER
from bot.store import FEED_STATUSES, FeedFilter, Store
from bot.web.auth import Principal, Sessions, authenticate, check_csrf
from bot.web.throttle import LoginThrottle
from bot.web.views import ago, sparkline

HERE = Path(__file__).resolve().parent
MAX_FIELD = 200  # the longest form field or query value a page reads

__all__ = [
    "HERE", "MAX_FIELD", "Feed", "FeedContext", "User", "check_csrf", "feed_filter", "feed_of", "principal",
    "render", "safe_next",
]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class FeedContext:
    """What the pages need from the config, and how `/readyz` learns about the daemon."""

    topics: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    brand: str = "Earshot"
    shadow: bool = False  # the daemon runs in shadow mode: every page says nothing is sent
    answer_threshold: float = 0.65  # answers.threshold, for the gaps page
    gap_similarity: float = 0.65  # answers.gap_similarity
    problems: Callable[[], list[str]] = field(default=lambda: [])  # why the daemon is not ready


class Feed:
    """Everything the routes share, kept on `app.state.feed`."""

    def __init__(self, store: Store, settings: WebSettings, context: FeedContext, secret_key: str) -> None:
        self.store, self.settings, self.context = store, settings, context
        self.sessions = Sessions(secret_key, int(timedelta(hours=settings.session_hours).total_seconds()))
        self.throttle = LoginThrottle(settings.login_attempts)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))  # autoescapes .html
        self.templates.env.finalize = template_value  # no bidi overrides or control characters in a page
        self.stopping = False


def feed_of(request: Request) -> Feed:
    feed: Feed = request.app.state.feed
    return feed


def principal(request: Request) -> Principal:
    """The logged-in user (FastAPI dependency): NotLoggedIn becomes a redirect or a 401."""
    feed = feed_of(request)
    return authenticate(request, feed.store, feed.sessions)


User = Annotated[Principal, Depends(principal)]


def safe_next(target: str | None) -> str:
    """A same-site path to return to after login or an action; anything else goes home."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        return target[:2000]  # nothing unprintable: a browser drops tabs and newlines, so "/\t/host" is "//host"
    return "/"


def render(request: Request, name: str, user: Principal | None, status: int = 200, **values: Any) -> Response:
    """A page from templates/, with what every page shows (the user, unacknowledged count, brand)."""
    feed = feed_of(request)
    with feed.store.transaction() as tx:
        unacked = tx.feed.unacked_count() if user else 0
    context = {
        "user": user,
        "unacked": unacked,
        "brand": feed.context.brand,
        "shadow": feed.context.shadow,
        "ago": ago,
        "spark": sparkline,
    }
    return feed.templates.TemplateResponse(request, name, {**context, **values}, status_code=status)


def feed_filter(request: Request, feed: Feed) -> FeedFilter:
    """The filter in the URL; values that are not one of the known ones are ignored."""
    args = request.query_params
    ctx = feed.context

    def pick(name: str, allowed: tuple[str, ...]) -> str:
        value = args.get(name, "")[:MAX_FIELD]
        return value if value in allowed else ""

    return FeedFilter(
        tier=pick("tier", ctx.tiers),
        urgency=pick("urgency", URGENCY_ORDER),
        topic=pick("topic", ctx.topics),
        source=pick("source", ctx.sources),
        status=pick("status", FEED_STATUSES) or "all",
        q=args.get("q", "")[:MAX_FIELD].strip(),
    )
