"""The feed built from the config: the app over the config's store, and its server."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from bot.app.config import Config
from bot.store import Store
from bot.web.app import FeedContext, create_app
from bot.web.keys import session_key
from bot.web.server import FeedServer
from connectors.registry import source_names


def build_app(config: Config, store: Store, problems: Callable[[], list[str]] | None = None) -> FastAPI:
    """The feed app; `problems()` says why the daemon beside it is not ready (none when alone)."""
    context = FeedContext(
        topics=tuple(topic.name for topic in config.classifier.topics),
        tiers=tuple(config.routing.alerts.tiers),
        sources=tuple(source_names()),
        brand=config.brand.name,
        shadow=config.shadow,
        answer_threshold=config.answers.threshold,
        gap_similarity=config.answers.gap_similarity,
        problems=problems or (lambda: []),
    )
    return create_app(store, config.web, context, session_key(config.resolve(config.web.secret_key_file)))


def build_server(config: Config, store: Store, problems: Callable[[], list[str]] | None = None) -> FeedServer:
    return FeedServer(build_app(config, store, problems), config.web.host, config.web.port)
