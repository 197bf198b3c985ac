"""The daemon: APScheduler jobs for every connector and stage; clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timezone
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.config import Config
from bot.pipeline import Pipeline
from bot.store import Store
from connectors.registry import build_connectors

log = logging.getLogger(__name__)


def build_pipeline(config: Config) -> Pipeline:
    """The real pipeline for a config: store, enabled connectors, classifier, routing stages."""
    from bot.routing import build_stages
    from classifiers import load_classifier

    store = Store.open(config.database_url)
    return Pipeline(config, store, build_connectors(config),
                    classifier=lambda: load_classifier(config.classifier),
                    stages=build_stages(config, store))


def schedule(pipeline: Pipeline, scheduler: Any) -> None:
    """Add one job per connector, per engagement re-poll, and per stage."""
    config, now = pipeline.config, datetime.now(timezone.utc)
    common = {"max_instances": 1, "coalesce": True, "next_run_time": now, "misfire_grace_time": 30}
    for connector in pipeline.connectors:
        scheduler.add_job(pipeline.ingest, "interval", args=[connector], id=f"ingest:{connector.name}",
                          seconds=connector.interval_seconds, **common)
        if config.connectors.engagement.enabled:
            scheduler.add_job(pipeline.refresh_engagement, "interval", args=[connector],
                              id=f"engagement:{connector.name}",
                              seconds=config.connectors.engagement.interval_seconds, **common)
    scheduler.add_job(pipeline.classify_pending, "interval", id="classify",
                      seconds=config.pipeline.classify_interval_seconds, **common)
    for stage in pipeline.stages:
        scheduler.add_job(pipeline.run_stage, "interval", args=[stage], id=stage.name,
                          seconds=stage.interval_seconds, **common)


def run_forever(pipeline: Pipeline, stop: threading.Event | None = None) -> None:
    """Run the jobs until SIGTERM/SIGINT (or `stop`), then let running jobs finish and exit."""
    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(max_workers=4)}, timezone=timezone.utc)
    schedule(pipeline, scheduler)

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("received %s: finishing running jobs", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    scheduler.start()
    log.info("earshot running", extra={"jobs": [job.id for job in scheduler.get_jobs()]})
    stop.wait()
    scheduler.shutdown(wait=True)
    pipeline.store.engine.dispose()
    log.info("earshot stopped cleanly")
