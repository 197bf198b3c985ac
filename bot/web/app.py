"""The feed's FastAPI application: pages, the JSON API, live events, health and metrics.

app = create_app(store, config.web, context=FeedContext(...), secret_key=...)
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.app.web_settings import WebSettings
from bot.core.errors import StoreError
from bot.store import Store
from bot.web import admin, answer_pages, api, digests, health, live, pages, tokens
from bot.web.actions import BadRequest, NotFound
from bot.web.auth import CsrfRefused, Forbidden, NotLoggedIn
from bot.web.deps import HERE, Feed, FeedContext, feed_of, principal
from bot.web.security import ForwardedFor, SecurityHeaders

__all__ = ["FeedContext", "create_app"]
log = logging.getLogger(__name__)


def create_app(
    store: Store,
    settings: WebSettings | None = None,
    context: FeedContext | None = None,
    secret_key: str | None = None,
) -> FastAPI:
    """The whole feed application over `store`; without `secret_key` (tests) logins last until it stops."""
    settings = settings or WebSettings()
    if secret_key is None:
        log.info("the feed signs sessions with a key of its own: they end when it stops")
        secret_key = secrets.token_urlsafe(48)
    app = FastAPI(title="Earshot feed", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.feed = Feed(store, settings, context or FeedContext(), secret_key)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ForwardedFor, trusted=settings.proxy_networks)  # outermost: the headers see the scheme
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(answer_pages.router)
    app.include_router(admin.router)
    app.include_router(tokens.router)
    app.include_router(tokens.api_router)
    app.include_router(digests.router)
    app.include_router(live.router)
    app.include_router(api.router)
    _handlers(app)
    return app


def _handlers(app: FastAPI) -> None:
    def wants_json(request: Request) -> bool:
        return request.url.path.startswith(("/api/", "/events"))

    def page(request: Request, status: int, message: str) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": message}, status_code=status)
        feed = feed_of(request)
        return feed.templates.TemplateResponse(
            request, "error.html", {"status": status, "message": message, "user": None}, status_code=status
        )

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, err: NotLoggedIn) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": str(err)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, err: Forbidden) -> Response:
        return page(request, 403, str(err))

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, err: CsrfRefused) -> Response:
        return page(request, 403, str(err))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, err: NotFound) -> Response:
        return page(request, 404, str(err))

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, err: BadRequest) -> Response:
        return page(request, 400, str(err))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, err: StoreError) -> Response:
        return page(request, 503, "the database is unavailable; try again shortly")

    @app.exception_handler(404)
    async def missing(request: Request, err: Any) -> Response:
        """An unknown page: anonymous callers are sent to log in, so nothing tells them what exists."""
        if not request.url.path.startswith("/static/"):
            try:
                principal(request)
            except NotLoggedIn as why:
                return await not_logged_in(request, why)
        return page(request, 404, getattr(err, "detail", None) or "no such page")
