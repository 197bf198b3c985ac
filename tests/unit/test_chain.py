"""Who wakes whom is one table (bot/app/chain.py): the daemon wires every stage's wake-up from it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.app.chain import CHAIN, channel, wakes
from bot.app.config import load_config
from bot.app.daemon import schedule, stage_loops
from bot.app.pipeline import Pipeline
from bot.app.wakeups import StageLoop, Wakeups
from bot.core.stage import Stage
from bot.store import Store
from classifiers.stub import StubClassifier
from tests.conftest import REPO
from tests.unit.test_pipeline import ListConnector

WAIT = 30.0


class Idle(Stage):
    """A plugged-in stage with nothing to do."""

    interval_seconds = 5

    def __init__(self, name: str) -> None:
        self.name = name

    def run_once(self) -> int:
        return 0


class Jobs:
    """Collects what `schedule` adds, as APScheduler would run it."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[Any, list[Any]]] = {}

    def add_job(self, func: Any, _trigger: str, *, args: list[Any], id: str, **_: Any) -> None:  # noqa: A002
        self.jobs[id] = (func, args)


class Announced(list[str]):
    """Stands in for the store's NOTIFY: the channels other processes were told about."""


@pytest.fixture
def pipeline(sqlite_store: Store) -> Pipeline:
    config = load_config(REPO / "config.yaml")
    return Pipeline(
        sqlite_store,
        [ListConnector("x", 4)],
        classifier=StubClassifier,
        settings=config.pipeline,
        engagement=config.connectors.engagement,
        classifier_settings=config.classifier,
        stages=[Idle(name) for name in ("route", "respond", "deliver", "escalate")],
    )


def test_every_loop_wakes_the_stage_the_chain_names(pipeline: Pipeline) -> None:
    loops = stage_loops(pipeline, Wakeups(), threading.Event())
    wiring = {loop.name: (loop.channel, loop.wakes) for loop in loops}
    assert wiring["classify"] == ("earshot_classify", "earshot_route")
    assert wiring["route"] == ("earshot_route", "earshot_deliver")
    assert wiring["escalate"] == ("earshot_escalate", "earshot_deliver")
    assert wiring["deliver"] == ("earshot_deliver", None) and wiring["respond"] == ("earshot_respond", None)
    assert all(wakes(stage) == channel(after) for stage, after in CHAIN.items())


def test_an_ingest_that_stored_new_posts_wakes_classify_here_and_in_other_processes(pipeline: Pipeline) -> None:
    jobs, wakeups, announced = Jobs(), Wakeups(), Announced()
    pipeline.store.notify = announced.append  # type: ignore[method-assign]
    schedule(pipeline, jobs, wakeups)
    assert set(jobs.jobs) == {"ingest:x", "engagement:x"}
    run, args = jobs.jobs["ingest:x"]
    run(*args)
    assert wakeups.event("earshot_classify").is_set() and announced == ["earshot_classify"]
    wakeups.event("earshot_classify").clear()
    run(*args)  # nothing new: nobody is woken
    assert not wakeups.event("earshot_classify").is_set() and announced == ["earshot_classify"]


def test_a_loop_that_handled_work_announces_the_next_stage_to_other_processes() -> None:
    wakeups, stop, announced = Wakeups(), threading.Event(), Announced()
    work = iter([2, 0])
    done = threading.Event()

    def step() -> int:
        handled = next(work, 0)
        if not handled:
            done.set()
        return handled

    loop = StageLoop(
        name="route", work=step, interval=3600, channel="earshot_route", wakes="earshot_deliver",
        wakeups=wakeups, stop=stop, announce=announced.append,
    )  # fmt: skip
    thread = loop.start()
    assert done.wait(WAIT)
    stop.set()
    wakeups.wake("earshot_route")
    thread.join(WAIT)
    assert announced == ["earshot_deliver"] and wakeups.event("earshot_deliver").is_set()


def test_a_wake_up_told_through_the_store_reaches_a_listening_process(store: Store) -> None:
    heard, stop = threading.Event(), threading.Event()
    listener = threading.Thread(target=store.listen, args=(["earshot_route"], lambda _: heard.set(), stop))
    listener.start()
    try:
        if store.engine.dialect.name != "postgresql":
            store.notify("earshot_route")  # SQLite: nothing to tell, nothing fails
            listener.join(WAIT)
            assert not listener.is_alive() and not heard.is_set()  # listening returns at once there
            return
        for _ in range(60):  # told again until the listener has subscribed (it starts listening in its thread)
            store.notify("earshot_route")
            if heard.wait(0.5):
                break
        assert heard.is_set()
    finally:
        stop.set()
        listener.join(WAIT)
