"""Login throttling per (user, address) with exponential backoff: slows guessing, never locks anyone out.

A storm of wrong passwords from one address only delays that address's next tries for that user
(1 s, 2 s, 4 s, ... up to 15 minutes); the right user logging in from anywhere else is untouched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_DELAY_SECONDS = 900.0
FORGET_AFTER_SECONDS = 3600.0  # an address quiet this long starts afresh
MAX_TRACKED = 10_000  # (user, address) pairs remembered before the quiet ones are dropped


@dataclass
class _Failures:
    count: int
    last: float
    wait_until: float


class LoginThrottle:
    """`free` failed logins per (user, address), then each further one doubles the wait."""

    def __init__(self, free: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self._clock = free, clock
        self._failures: dict[tuple[str, str], _Failures] = {}

    def wait_seconds(self, user: str, address: str) -> int:
        """Seconds this address must wait before trying `user` again; 0 when it may try now."""
        found = self._failures.get((user, address))
        if found is None:
            return 0
        return max(0, math.ceil(found.wait_until - self._clock()))

    def failed(self, user: str, address: str) -> None:
        now = self._clock()
        if len(self._failures) >= MAX_TRACKED:
            self._forget(now)
        found = self._failures.get((user, address))
        if found is None or now - found.last > FORGET_AFTER_SECONDS:
            found = self._failures[(user, address)] = _Failures(count=0, last=now, wait_until=now)
        found.count, found.last = found.count + 1, now
        if found.count >= self.free:
            found.wait_until = now + min(2.0 ** (found.count - self.free), MAX_DELAY_SECONDS)

    def succeeded(self, user: str, address: str) -> None:
        self._failures.pop((user, address), None)

    def _forget(self, now: float) -> None:
        """Drop quiet pairs; if a flood of made-up names left none quiet, the oldest half."""
        for key in [k for k, v in self._failures.items() if now - v.last > FORGET_AFTER_SECONDS]:
            del self._failures[key]
        if len(self._failures) >= MAX_TRACKED:
            oldest = sorted(self._failures, key=lambda k: self._failures[k].last)[: MAX_TRACKED // 2]
            for key in oldest:
                del self._failures[key]
