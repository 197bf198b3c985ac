"""One lane per ticket sink and alert channel, and a total deadline per send.

A slow or hung target delays only its own lane: a safety page never waits behind a ticket.
A send that has not returned by its deadline counts as a retryable failure; its thread is
left to finish on its own (a daemon thread: it never holds the process at exit), and the
idempotency key makes the retry harmless if the late call did land.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from bot.core.actions import Delivery
from bot.core.errors import StoreError

log = logging.getLogger(__name__)


def call_with_deadline(call: Callable[[], Delivery], seconds: float, *, target: str = "") -> Delivery:
    """`call()`, or a retryable failure if it has not returned within `seconds` in all."""
    outcome: list[Delivery | BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as err:  # noqa: BLE001 - handed back to the caller's thread
            outcome.append(err)

    thread = threading.Thread(target=run, name=f"earshot-send-{target}", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        return Delivery(ok=False, error=f"no answer within {seconds:g} s (total deadline)", retryable=True)
    result = outcome[0]
    if isinstance(result, BaseException):
        return Delivery(ok=False, error=f"{type(result).__name__}: {result}")
    return result


class Lanes:
    """A worker thread per target, each sending its own rows in order; `submit` never blocks."""

    def __init__(self, send: Callable[[int], int], stop: threading.Event) -> None:
        self.send, self.stop = send, stop
        self._queued: dict[str, list[int]] = {}
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def submit(self, target: str, row_ids: Sequence[int]) -> int:
        """Queue `row_ids` on `target`'s lane (rows already queued there are not queued twice)."""
        with self._lock:
            queued = self._queued.setdefault(target, [])
            new = [row_id for row_id in row_ids if row_id not in queued]
            queued += new
            if target not in self._busy and queued:
                self._busy.add(target)
                thread = threading.Thread(
                    target=self._drain, args=(target,), name=f"earshot-lane-{target}", daemon=True
                )
                self._threads[target] = thread
                thread.start()
        return len(new)

    def _drain(self, target: str) -> None:
        while not self.stop.is_set():
            with self._lock:
                queued = self._queued.get(target) or []
                if not queued:
                    self._busy.discard(target)
                    return
                row_id = queued[0]
            try:
                self.send(row_id)
            except StoreError as err:  # the database, not the row: it stays due, the guard says the rest
                log.debug("outbox row %s left for later: %s", row_id, err, extra={"outbox_id": row_id})
            except Exception:  # noqa: BLE001 - one row's failure must not end the lane
                log.exception("delivery of outbox row %s failed", row_id, extra={"outbox_id": row_id})
            with self._lock:
                queued.remove(row_id)
        with self._lock:
            self._busy.discard(target)

    def join(self, timeout: float) -> None:
        for thread in list(self._threads.values()):
            thread.join(timeout)
