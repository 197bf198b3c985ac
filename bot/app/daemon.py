"""The daemon: APScheduler jobs for every connector and stage; clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.app.alarm import SourceAlarm
from bot.app.config import Config, mask_password
from bot.app.pipeline import Pipeline, Stage
from bot.routing.responses import ResponseStage
from bot.routing.stage import RouteStage
from bot.store import Store, telemetry
from connectors.base import Connector
from connectors.registry import build_connectors, enabled_sources

if TYPE_CHECKING:
    from bot.digest.service import DigestService

log = logging.getLogger(__name__)


def build_pipeline(config: Config) -> Pipeline:
    """The real pipeline for a config: store, enabled connectors, classifier, routing stages."""
    from classifiers import load_classifier

    store = Store.open(config.database_url)
    telemetry.register(store)
    connectors = build_connectors(config)
    return Pipeline(
        store,
        connectors,
        classifier=lambda: load_classifier(config.classifier),
        settings=config.pipeline,
        engagement=config.connectors.engagement,
        classifier_settings=config.classifier,
        stages=[*build_stages(config, store), *build_alarm(config, store, connectors)],
        brand=config.brand.terms(),
    )


def build_alarm(config: Config, store: Store, connectors: Sequence[Connector]) -> list[Stage]:
    """The silent-source alarm over every connector, paging `alarms.tier`'s channels (none if no such tier)."""
    from bot.delivery import build_channels

    settings = config.alarms
    if not settings.enabled:
        return []
    alerts = config.routing.alerts
    tier = alerts.tiers.get(settings.tier)
    if tier is None:
        log.warning("alarms.tier: no tier '%s' in routing.alerts.tiers; source alarms are only logged", settings.tier)
    tiers = {settings.tier: tier} if tier is not None else {}
    channels = build_channels(alerts.model_copy(update={"tiers": tiers}))
    sources = {connector.name: connector.interval_seconds for connector in connectors}
    return [SourceAlarm(store, settings, sources=sources, channels=channels)]


def build_route_stage(config: Config, store: Store, **options: Any) -> RouteStage:
    """The route stage, given the routing section, the brand and its batch size and interval."""
    return RouteStage(
        store,
        config.routing,
        brand_name=config.brand.name,
        brand_handles=config.brand.own_handles,
        batch_size=config.pipeline.batch_size,
        interval_seconds=config.pipeline.route_interval_seconds,
        **options,
    )


def build_stages(config: Config, store: Store) -> list[Stage]:
    """The route stage, the delivery stages, then the respond stage, each given the sections it needs."""
    from bot.delivery import build_delivery_stages

    route = build_route_stage(config, store)
    routing = config.routing
    return [
        route,
        *build_delivery_stages(
            store,
            tickets=routing.tickets,
            alerts=routing.alerts,
            interval_seconds=config.pipeline.deliver_interval_seconds,
            feed_base_url=routing.feed_base_url,
        ),
        ResponseStage(
            store,
            config.brand.responders,
            acknowledges=routing.alerts.public_reply_acknowledges,
            interval_seconds=config.pipeline.route_interval_seconds,
        ),
        *([build_digest_service(config, store)] if config.digest.schedules else []),
    ]


def build_digest_service(config: Config, store: Store) -> DigestService:
    """The digest service: the brand, its accounts, the feed's address, the short form's channels."""
    from bot.delivery import channel_for
    from bot.digest.service import DigestService

    urls = [url for tier in config.digest.alert_tiers for url in config.routing.alerts.tiers[tier].urls]
    return DigestService(
        store,
        config.digest,
        brand=config.brand.name,
        own_handles=config.brand.own_handles,
        feed_base_url=config.routing.feed_base_url,
        channels=[channel_for(url) for url in dict.fromkeys(urls)],
        env=os.environ,
    )


def start_line(config_path: Path, config: Config) -> str:
    """What the daemon says when it starts: config, database, sources, and where to look next."""
    sources = ", ".join(enabled_sources(config.connectors)) or "none"
    return (
        f"earshot running: config {config_path}, database {mask_password(config.database_url)}, "
        f"sources {sources}; see `earshot sources` and `earshot alerts`"
    )


def schedule(pipeline: Pipeline, scheduler: Any) -> None:
    """Add one job per connector, per engagement re-poll, and per stage."""
    now = datetime.now(UTC)
    guard = pipeline.database  # a database outage: backoff, one "failing" and one "recovered" line
    common = {"max_instances": 1, "coalesce": True, "next_run_time": now, "misfire_grace_time": 30}
    for connector in pipeline.connectors:
        scheduler.add_job(
            guard.wrap(pipeline.ingest),
            "interval",
            args=[connector],
            id=f"ingest:{connector.name}",
            seconds=connector.interval_seconds,
            **common,
        )
        if pipeline.engagement.enabled:
            scheduler.add_job(
                guard.wrap(pipeline.refresh_engagement),
                "interval",
                args=[connector],
                id=f"engagement:{connector.name}",
                seconds=pipeline.engagement.interval_seconds,
                **common,
            )
    scheduler.add_job(
        guard.wrap(pipeline.classify_pending),
        "interval",
        id="classify",
        seconds=pipeline.settings.classify_interval_seconds,
        **common,
    )
    for stage in pipeline.stages:
        scheduler.add_job(
            guard.wrap(pipeline.run_stage),
            "interval",
            args=[stage],
            id=stage.name,
            seconds=stage.interval_seconds,
            **common,
        )


def run_forever(pipeline: Pipeline, stop: threading.Event | None = None, *, started: str = "earshot running") -> None:
    """Run the jobs until SIGTERM/SIGINT (or `stop`), then let running jobs finish and exit.

    `started` is the start line logged once the jobs are scheduled (see `start_line`).
    """
    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(max_workers=4)}, timezone=UTC)
    schedule(pipeline, scheduler)

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s: finishing running jobs", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    log.info(started, extra={"jobs": [job.id for job in scheduler.get_jobs()]})
    stop.wait()
    scheduler.shutdown(wait=True)
    pipeline.store.engine.dispose()
    log.info("earshot stopped cleanly")
