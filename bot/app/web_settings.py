"""`web:` — where the feed listens, how long a login lasts, and the /metrics token."""

from __future__ import annotations

from pydantic import Field

from bot.core.section import Section


class WebSettings(Section):
    """`web:` — the feed served by `earshot run` and `earshot serve`."""

    enabled: bool = True  # `earshot run` serves the feed too
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    session_hours: float = Field(default=12, gt=0)  # a login lasts this long
    metrics_token: str | None = None  # when set, /metrics wants `Authorization: Bearer <token>`
    login_attempts: int = Field(default=5, gt=0)  # failed logins per user, and per address, per 15 minutes
