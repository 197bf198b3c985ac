"""The daemon: APScheduler jobs for every connector and stage; clean shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.app.alarm import SourceAlarm
from bot.app.chain import channel, wakes
from bot.app.config import Config, mask_password
from bot.app.pipeline import Pipeline, Stage
from bot.app.wakeups import StageLoop, Wakeups
from bot.core.errors import ConfigError
from bot.routing.answers.playbook import load_playbook
from bot.routing.answers.suggest import Embed, Suggester
from bot.routing.responses import ResponseStage
from bot.routing.stage import RouteStage
from bot.store import Store, telemetry
from connectors.base import Connector
from connectors.registry import build_connectors, display_names, enabled_sources

if TYPE_CHECKING:
    from bot.digest.service import DigestService

log = logging.getLogger(__name__)


def build_pipeline(config: Config) -> Pipeline:
    """The real pipeline for a config: store, enabled connectors, classifier, routing stages."""
    from classifiers import load_classifier, problems

    if found := problems(config.classifier):
        raise ConfigError(found[0])
    store = Store.open(config.database_url)
    store.hold_daemon_lock()  # one daemon per SQLite file: a second one is refused with one line
    telemetry.register(store)
    connectors = build_connectors(config)
    embed = LateEmbed()
    pipeline = Pipeline(
        store,
        connectors,
        classifier=lambda: load_classifier(config.classifier, own_process=config.classifier.own_process),
        settings=config.pipeline,
        engagement=config.connectors.engagement,
        classifier_settings=config.classifier,
        stages=[*build_stages(config, store, embed=embed), *build_alarm(config, store, connectors)],
        brand=config.brand.terms(),
    )
    embed.pipeline = pipeline
    return pipeline


class LateEmbed:
    """The pipeline's classifier's meaning embedding, reached once the pipeline exists (one model per process)."""

    pipeline: Pipeline | None = None

    def __call__(self, texts: list[str]) -> Any:
        if self.pipeline is None:
            raise RuntimeError("the pipeline is not built yet")
        embed = self.pipeline.classifier.embedding()
        if embed is None:
            raise RuntimeError(f"the classifier {self.pipeline.classifier.version} has no meaning embedding")
        return embed(texts)


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
    channels = {} if config.shadow else build_channels(alerts, tiers=[settings.tier])  # shadow: logged only
    sources = {connector.name: connector.interval_seconds for connector in connectors}
    recordings = [connector.name for connector in connectors if connector.recording]
    return [SourceAlarm(store, settings, sources=sources, channels=channels, recordings=recordings)]


def build_suggester(config: Config, embed: Embed | None = None) -> Suggester | None:
    """Suggested answers (`answers:`), with the playbook read and validated now; None when switched off."""
    if not config.answers.enabled:
        return None
    return Suggester(
        config.answers,
        responders=config.brand.responders,
        playbook=load_playbook(config.answers, config.base_dir),
        embed=embed,
        safety_urgency=config.routing.safety.urgency,
    )


def build_route_stage(config: Config, store: Store, *, embed: Embed | None = None, **options: Any) -> RouteStage:
    """The route stage, given the routing section, the brand, its batch size and interval, and suggested answers."""
    options.setdefault("answers", build_suggester(config, embed))
    return RouteStage(
        store,
        config.routing,
        brand_name=config.brand.name,
        brand_handles=config.brand.own_handles,
        batch_size=config.pipeline.batch_size,
        interval_seconds=config.pipeline.route_interval_seconds,
        **({"shadow": config.shadow} | options),
    )


def build_stages(config: Config, store: Store, *, embed: Embed | None = None) -> list[Stage]:
    """The route stage, the delivery stages, then the respond stage, each given the sections it needs."""
    from bot.delivery import build_delivery_stages

    route = build_route_stage(config, store, embed=embed)
    routing = config.routing
    delivery = build_delivery_stages(
        store,
        tickets=routing.tickets,
        alerts=routing.alerts,
        interval_seconds=config.pipeline.deliver_interval_seconds,
        feed_base_url=routing.feed_base_url,
        sinks={} if config.shadow else None,  # shadow mode: no sink or channel is even built
        channels={} if config.shadow else None,
    )
    return [
        route,
        *(stage for stage in delivery if not (config.shadow and stage.name == "deliver")),  # shadow: no sender
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
    from bot.delivery import build_channels
    from bot.digest.service import DigestService

    return DigestService(
        store,
        config.digest,
        brand=config.brand.name,
        own_handles=config.brand.own_handles,
        feed_base_url=config.routing.feed_base_url,
        channels=[]
        if config.shadow
        else list(build_channels(config.routing.alerts, tiers=config.digest.alert_tiers).values()),
        env=os.environ,
        source_names=display_names(),
        redact_short_form=config.routing.alerts.redact,
    )


def start_line(config_path: Path, config: Config) -> str:
    """What the daemon says when it starts: config, database, sources, and where to look next."""
    sources = ", ".join(enabled_sources(config.connectors)) or "none"
    shadow = (
        " IN SHADOW MODE (nothing is sent: tickets and alerts are recorded as would-have-sent)" if config.shadow else ""
    )
    return (
        f"earshot running{shadow}: config {config_path}, database {mask_password(config.database_url)}, "
        f"sources {sources}; see `earshot sources` and `earshot alerts`"
    )


STOP_SECONDS = 25.0  # SIGTERM to exit, whatever the targets do (systemd's stop timeout is longer)


def schedule(pipeline: Pipeline, scheduler: Any, wakeups: Wakeups | None = None) -> None:
    """One job per source's ingest and engagement stage, on its interval (the other stages run in loops).

    Every job and loop runs through the database guard: backoff during an outage, no traceback flood.
    """
    now = datetime.now(UTC)
    guard = pipeline.database  # a database outage: backoff, one "failing" and one "recovered" line
    common = {"max_instances": 1, "coalesce": True, "next_run_time": now, "misfire_grace_time": 30}
    wakeups = wakeups or Wakeups()

    def run(stage: Stage) -> None:
        if stage.run_once():
            wake_next(pipeline, wakeups, stage.name)

    for stage in pipeline.polled:
        scheduler.add_job(
            guard.wrap(run),
            "interval",
            args=[stage],
            id=f"{stage.name}:{stage.connector.name}",
            seconds=stage.interval_seconds,
            **common,
        )


def wake_next(pipeline: Pipeline, wakeups: Wakeups, stage: str) -> None:
    """Wake the stage after `stage` (chain.py): in this process, and in the others through the store."""
    after = wakes(stage)
    if after:
        wakeups.wake(after)
        pipeline.store.notify(after)


def stage_loops(pipeline: Pipeline, wakeups: Wakeups, stop: threading.Event) -> list[StageLoop]:
    """classify (one loop per lane), then each plugged-in stage, each woken by the stage before it."""
    guard = pipeline.database
    classify = pipeline.classify
    loops = [
        StageLoop(
            name="classify" if lane == 0 else f"classify-{lane + 1}",
            work=guard.wrap(classify.run_once, default=0),
            interval=classify.interval_seconds,
            channel=channel(classify.name),
            wakes=wakes(classify.name),
            wakeups=wakeups,
            stop=stop,
            announce=pipeline.store.notify,
        )
        for lane in range(classify.lanes)
    ]
    for stage in pipeline.stages:
        loops.append(
            StageLoop(
                name=stage.name,
                work=guard.wrap(lambda stage=stage: pipeline.run_stage(stage), default=0),
                interval=stage.interval_seconds,
                channel=channel(stage.name),
                wakes=wakes(stage.name),
                wakeups=wakeups,
                stop=stop,
                announce=pipeline.store.notify,
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
    for stage in [*pipeline.polled, pipeline.classify, *pipeline.stages]:
        stage.start(stop)  # e.g. deliver's lanes: one sending thread per target
    scheduler.start()
    threads = [loop.start() for loop in loops]
    channels = [loop.channel for loop in loops]
    listener = threading.Thread(
        target=pipeline.store.listen, args=(channels, wakeups.wake, stop), name="earshot-listen", daemon=True
    )
    listener.start()
    log.info(started, extra={"jobs": [job.id for job in scheduler.get_jobs()] + [loop.name for loop in loops]})
    stop.wait()
    for listened in wakeups.channels:
        wakeups.wake(listened)  # cut every wait short
    deadline = time.monotonic() + STOP_SECONDS
    scheduler.shutdown(wait=False)
    for thread in [*threads, *_workers(scheduler), listener]:
        thread.join(max(0.0, deadline - time.monotonic()))
    busy = [t.name for t in [*threads, *_workers(scheduler)] if t.is_alive()]
    if busy:
        log.warning("stopping with work still running; it is left for the next start", extra={"threads": busy})
        logging.shutdown()
        os._exit(0)  # a hung source or target must not hold the process past the stop bound
    pipeline.close()
    log.info("earshot stopped cleanly")


def _workers(scheduler: Any) -> list[threading.Thread]:
    """The scheduler's worker threads (a job still running after shutdown)."""
    executor = getattr(scheduler._lookup_executor("default"), "_pool", None)  # noqa: SLF001
    return list(getattr(executor, "_threads", ()))
