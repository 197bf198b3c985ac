"""Stage loops wake on a hand-off, not on the interval; each target sends on its own lane within a deadline."""

from __future__ import annotations

import threading

from bot.app.wakeups import StageLoop, Wakeups
from bot.core.actions import Delivery
from bot.delivery.lanes import Lanes, call_with_deadline

HOUR = 3600.0
WAIT = 30.0  # generous: only a broken hand-off waits this long


def test_a_stage_that_handled_work_wakes_the_next_one_at_once() -> None:
    wakeups, stop = Wakeups(), threading.Event()
    ran = threading.Event()
    work = iter([1, 0])
    first = StageLoop(
        name="first", work=lambda: next(work, 0), interval=HOUR, channel="a", wakes="b", wakeups=wakeups, stop=stop
    )
    second = StageLoop(
        name="second", work=lambda: ran.set() or 0, interval=HOUR, channel="b", wakes=None, wakeups=wakeups, stop=stop
    )
    thread_b = second.start()
    assert ran.wait(WAIT)  # every loop runs once at start
    ran.clear()
    thread_a = first.start()
    assert ran.wait(WAIT), "the second stage was not woken by the first one's work"
    stop.set()
    for channel in wakeups.channels:
        wakeups.wake(channel)
    thread_a.join(WAIT)
    thread_b.join(WAIT)
    assert not thread_a.is_alive() and not thread_b.is_alive()


def test_a_loop_whose_work_fails_keeps_running() -> None:
    wakeups, stop = Wakeups(), threading.Event()
    calls: list[int] = []
    done = threading.Event()

    def work() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("boom")
        done.set()
        return 0

    loop = StageLoop(name="x", work=work, interval=HOUR, channel="x", wakes=None, wakeups=wakeups, stop=stop)
    thread = loop.start()
    wakeups.wake("x")
    assert done.wait(WAIT)
    stop.set()
    wakeups.wake("x")
    thread.join(WAIT)


def test_a_send_past_its_total_deadline_is_a_retryable_failure() -> None:
    release = threading.Event()

    def hung() -> Delivery:
        release.wait(WAIT)
        return Delivery(ok=True)

    result = call_with_deadline(hung, 0.2, target="hook")
    release.set()
    assert not result.ok and result.retryable and "no answer within 0.2 s" in (result.error or "")
    assert call_with_deadline(lambda: Delivery(ok=True, ref="r1"), WAIT).ref == "r1"
    raised = call_with_deadline(lambda: 1 / 0, WAIT)  # type: ignore[arg-type, return-value]
    assert not raised.ok and "ZeroDivisionError" in (raised.error or "")


def test_a_hung_lane_holds_back_no_other_target() -> None:
    stop, release = threading.Event(), threading.Event()
    sent: list[int] = []
    page_sent = threading.Event()

    def send(row_id: int) -> int:
        if row_id < 100:  # the ticket sink's rows: hung until released
            release.wait(WAIT)
        sent.append(row_id)
        if row_id == 100:
            page_sent.set()
        return 1

    lanes = Lanes(send, stop)
    assert lanes.submit("sink:webhook", [1, 2, 3]) == 3
    assert lanes.submit("sink:webhook", [1, 2, 3, 4]) == 1  # rows already queued are not queued twice
    lanes.submit("stub:on-call", [100])
    assert page_sent.wait(WAIT), "the page waited behind the hung sink"
    assert sent == [100]
    release.set()
    lanes.join(WAIT)
    assert sorted(sent) == [1, 2, 3, 4, 100]
