"""`earshot run` (the daemon) and `earshot check-config` (what `run` would reject, found without running)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.app.config import Config, mask_password
from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, load
from bot.core.errors import ConfigError, StoreError
from bot.routing.answers.playbook import load_playbook
from bot.store import check_url
from connectors.registry import enabled_sources, problems

if TYPE_CHECKING:
    from bot.app.pipeline import Pipeline
    from bot.web.server import FeedServer


def run(
    config: ConfigOption = DEFAULT_CONFIG,
    once: Annotated[bool, typer.Option("--once", help="Run every job once and exit (for cron and tests).")] = False,
    shadow: Annotated[
        bool,
        typer.Option("--shadow", help="Shadow mode: do everything but deliver; record what would have been sent."),
    ] = False,
) -> None:
    """Start the daemon: poll every enabled source, classify, route and deliver, until SIGTERM/SIGINT."""
    from bot.app.daemon import build_pipeline, run_forever, start_line
    from bot.app.logs import setup_logging
    from bot.app.secrets import known_secrets

    settings = load(config)
    if shadow:
        settings = settings.model_copy(update={"shadow": True})
    setup_logging(settings.logging.format, settings.logging.level, secrets=known_secrets(settings))
    pipeline = build_pipeline(settings)
    if once:
        try:
            pipeline.run_once()
        finally:
            pipeline.close()  # the model's worker process, the database connections
        return
    server = _feed_server(settings, pipeline)
    try:
        run_forever(pipeline, threading.Event(), started=start_line(config, settings))
    finally:
        if server is not None:
            server.stop()


def _feed_server(settings: Config, pipeline: Pipeline) -> FeedServer | None:
    """The alert feed on web.host:web.port, started beside the daemon (None when web.enabled is false)."""
    from bot.web.build import build_server

    if not settings.web.enabled:
        return None

    def problems() -> list[str]:
        return [] if pipeline.classifier_loaded else ["the model is not loaded yet"]

    server = build_server(settings, pipeline.store, problems)
    server.start()
    return server


def check_config(path: Annotated[Path, typer.Argument(help="Config file to check.")] = DEFAULT_CONFIG) -> None:
    """Validate a config and what `run` needs (credentials, paths, the database URL); create nothing.

    Prints a summary; exits 2 with one line per problem if anything would stop `run`. Otherwise warns (one line
    each, `WARNING: PATH: what to do`, exit 0) about what a user forgets: a brand section naming another brand,
    topics that do not exist, responders without the brand's accounts, tiers with no channel.
    """
    from bot.onboarding.lint import config_warnings
    from classifiers import problems as classifier_problems

    settings = load(path)
    from bot.web.keys import ENV, key_problem

    found = [*problems(settings), *classifier_problems(settings.classifier)]
    key_file = settings.resolve(settings.web.secret_key_file)
    if settings.web.enabled and (trouble := key_problem(key_file)):
        found.append(trouble)
    try:
        check_url(settings.database_url)
    except StoreError as err:
        found.append(f"database.url: {err}")
    try:
        playbook = load_playbook(settings.answers, settings.base_dir)
    except ConfigError as err:
        found.append(str(err))
        playbook = []
    for problem in found:
        echo(f"config error: {path}: {problem}", err=True)
    if found:
        raise typer.Exit(2)
    warnings = config_warnings(settings)  # once nothing stops `run`: what it would do wrong
    for warning in warnings:
        echo(f"WARNING: {path}: {warning}", err=True)
    summary = {
        "config": str(path),
        "brand": settings.brand.name,
        "shadow": settings.shadow,
        "warnings": len(warnings),
        "database": mask_password(settings.database_url),
        "sources": enabled_sources(settings.connectors),
        "topics": [topic.name for topic in settings.classifier.topics],
        "logging": settings.logging.format,
        "responders": settings.brand.responders,
        "answers": {"enabled": settings.answers.enabled, "playbook_entries": len(playbook)},
        "digest": {"schedules": [s.name for s in settings.digest.schedules], "recipients": settings.digest.recipients},
        "session key": ENV if os.environ.get(ENV, "").strip() else str(key_file),
    }
    echo(json.dumps(summary, indent=2))
