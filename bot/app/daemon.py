"""The daemon: APScheduler jobs for every connector and stage; clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.app.config import Config, mask_password
from bot.app.pipeline import Pipeline, Stage
from bot.app.wakeups import StageLoop, Wakeups
from bot.routing.stage import RouteStage
from bot.store import Store
from bot.store.stages import CLASSIFY_CHANNEL, DELIVER_CHANNEL, ESCALATE_CHANNEL, ROUTE_CHANNEL, STAGE_CHANNELS
from connectors.registry import build_connectors, enabled_sources

log = logging.getLogger(__name__)


def build_pipeline(config: Config) -> Pipeline:
    """The real pipeline for a config: store, enabled connectors, classifier, routing stages."""
    from classifiers import load_classifier

    store = Store.open(config.database_url)
    store.hold_daemon_lock()  # one daemon per SQLite file: a second one is refused with one line
    return Pipeline(
        store,
        build_connectors(config),
        classifier=lambda: load_classifier(config.classifier),
        settings=config.pipeline,
        engagement=config.connectors.engagement,
        classifier_settings=config.classifier,
        stages=build_stages(config, store),
    )


def build_route_stage(config: Config, store: Store, **options: Any) -> RouteStage:
    """The route stage, given the routing section, the brand and its batch size and interval."""
    return RouteStage(
        store,
        config.routing,
        brand_name=config.brand.name,
        brand_handles=config.brand.handles,
        batch_size=config.pipeline.batch_size,
        interval_seconds=config.pipeline.route_interval_seconds,
        **options,
    )


def build_stages(config: Config, store: Store) -> list[Stage]:
    """The route stage, then the delivery stages, each given the sections it needs."""
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
    ]


def start_line(config_path: Path, config: Config) -> str:
    """What the daemon says when it starts: config, database, sources, and where to look next."""
    sources = ", ".join(enabled_sources(config.connectors)) or "none"
    return (
        f"earshot running: config {config_path}, database {mask_password(config.database_url)}, "
        f"sources {sources}; see `earshot sources` and `earshot alerts`"
    )


STOP_SECONDS = 25.0  # SIGTERM to exit, whatever the targets do (systemd's stop timeout is longer)
NEXT_CHANNEL = {
    ROUTE_CHANNEL: DELIVER_CHANNEL,
    ESCALATE_CHANNEL: DELIVER_CHANNEL,
}  # a stage that handled work wakes the next one


def schedule(pipeline: Pipeline, scheduler: Any, wakeups: Wakeups | None = None) -> None:
    """Add one job per connector and per engagement re-poll (the stages run in their own loops)."""
    now = datetime.now(UTC)
    common = {"max_instances": 1, "coalesce": True, "next_run_time": now, "misfire_grace_time": 30}
    wakeups = wakeups or Wakeups()

    def ingest(connector: Any) -> None:
        if pipeline.ingest(connector).new:
            wakeups.wake(CLASSIFY_CHANNEL)

    for connector in pipeline.connectors:
        scheduler.add_job(
            ingest,
            "interval",
            args=[connector],
            id=f"ingest:{connector.name}",
            seconds=connector.interval_seconds,
            **common,
        )
        if pipeline.engagement.enabled:
            scheduler.add_job(
                pipeline.refresh_engagement,
                "interval",
                args=[connector],
                id=f"engagement:{connector.name}",
                seconds=pipeline.engagement.interval_seconds,
                **common,
            )


def stage_loops(pipeline: Pipeline, wakeups: Wakeups, stop: threading.Event) -> list[StageLoop]:
    """classify, then each plugged-in stage, each in its own loop woken by the stage before it."""
    loops = [
        StageLoop(
            name="classify",
            work=pipeline.classify_pending,
            interval=pipeline.settings.classify_interval_seconds,
            channel=CLASSIFY_CHANNEL,
            wakes=ROUTE_CHANNEL,
            wakeups=wakeups,
            stop=stop,
        )
    ]
    for stage in pipeline.stages:
        channel = STAGE_CHANNELS.get(stage.name, f"earshot_{stage.name}")
        loops.append(
            StageLoop(
                name=stage.name,
                work=lambda stage=stage: pipeline.run_stage(stage),  # type: ignore[misc]
                interval=stage.interval_seconds,
                channel=channel,
                wakes=NEXT_CHANNEL.get(channel),
                wakeups=wakeups,
                stop=stop,
            )
        )
    return loops


def run_forever(pipeline: Pipeline, stop: threading.Event | None = None, *, started: str = "earshot running") -> None:
    """Run the jobs until SIGTERM/SIGINT (or `stop`), then stop within STOP_SECONDS and exit.

    `started` is the start line logged once the jobs are scheduled (see `start_line`). Work not
    finished by then (an unsent row, an unclassified post) is left in the store for the next start.
    """
    stop = pipeline.stop if stop is None else stop
    pipeline.stop, pipeline.fleet = stop, True
    wakeups = Wakeups()
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(max_workers=4)}, timezone=UTC)
    schedule(pipeline, scheduler, wakeups)
    loops = stage_loops(pipeline, wakeups, stop)

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s: stopping within %.0f s", signal.Signals(signum).name, STOP_SECONDS)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    for stage in pipeline.stages:
        start_lanes = getattr(stage, "start_lanes", None)
        if start_lanes is not None:
            start_lanes(stop)  # a stage with lanes (deliver) sends on one thread per target
    scheduler.start()
    threads = [loop.start() for loop in loops]
    channels = [loop.channel for loop in loops]
    listener = threading.Thread(
        target=pipeline.store.listen, args=(channels, wakeups.wake, stop), name="earshot-listen", daemon=True
    )
    listener.start()
    log.info(started, extra={"jobs": [job.id for job in scheduler.get_jobs()] + [loop.name for loop in loops]})
    stop.wait()
    for channel in wakeups.channels:
        wakeups.wake(channel)  # cut every wait short
    deadline = time.monotonic() + STOP_SECONDS
    scheduler.shutdown(wait=False)
    for thread in [*threads, *_workers(scheduler), listener]:
        thread.join(max(0.0, deadline - time.monotonic()))
    busy = [t.name for t in [*threads, *_workers(scheduler)] if t.is_alive()]
    if busy:
        log.warning("stopping with work still running; it is left for the next start", extra={"threads": busy})
        logging.shutdown()
        os._exit(0)  # a hung source or target must not hold the process past the stop bound
    pipeline.store.engine.dispose()
    log.info("earshot stopped cleanly")


def _workers(scheduler: Any) -> list[threading.Thread]:
    """The scheduler's worker threads (a job still running after shutdown)."""
    executor = getattr(scheduler._lookup_executor("default"), "_pool", None)  # noqa: SLF001
    return list(getattr(executor, "_threads", ()))
