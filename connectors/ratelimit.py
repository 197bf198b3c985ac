"""Request budgets, server-reported rate limits, and retries with jittered backoff.

Every HTTP request a connector sends passes `RequestBudget.spend()` first (at the
transport: tweepy's session adapter, praw's rate limiter), so the configured budget is
never exceeded. `Retrier.call` wraps one logical API call: it retries 429s whose wait is
short and transient failures a bounded number of times, then raises the SourceError.
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TypeVar

from bot.core import metrics
from bot.core.errors import AuthFailed, MalformedPayload, RateLimited, SourceError, TransientSourceError
from connectors.settings import BudgetSettings, SourceRetrySettings

log = logging.getLogger(__name__)
T = TypeVar("T")
Sleep = Callable[[float], None]
Clock = Callable[[], float]
SLEEP: Sleep = time.sleep  # the default sleep, looked up at call time so tests can patch it
FailureKind = Literal["rate", "transient", "auth", "reauth", "malformed", "gone"]


class BudgetExhausted(Exception):
    """This source's own request budget is spent for now; not an error of the source."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"request budget spent; next request in {retry_after:.0f}s")
        self.retry_after = retry_after


class ServerSaysWait(Exception):
    """The server's last rate-limit headers said nothing is left; raised before sending."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"server rate limit exhausted; resets in {retry_after:.0f}s")
        self.retry_after = retry_after


class Gone(Exception):
    """The resource does not exist (404): the caller skips it."""


@dataclass(frozen=True, kw_only=True)
class Failure:
    """A library error, classified once."""

    kind: FailureKind
    message: str
    retry_after: float | None = None


class RequestBudget:
    """At most `requests` requests in any rolling `window_seconds`; refresh keeps a reserve for intake."""

    def __init__(self, settings: BudgetSettings, clock: Clock = time.monotonic) -> None:
        self.limit = settings.requests
        self.window = float(settings.window_seconds)
        self.clock = clock
        self._sent: deque[float] = deque()
        self.reserve = 0  # requests that must stay available (set while refreshing engagement)

    def remaining(self) -> int:
        """Requests still allowed in the current window."""
        now = self.clock()
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()
        return self.limit - len(self._sent)

    def spend(self) -> None:
        """Count one request, or raise BudgetExhausted when none (beyond the reserve) is left."""
        if self.remaining() <= self.reserve:
            wait = self._sent[0] + self.window - self.clock() if self._sent else self.window
            raise BudgetExhausted(max(wait, 1.0))
        self._sent.append(self.clock())

    @contextmanager
    def keeping(self, reserve: int) -> Iterator[None]:
        """Within the block, leave `reserve` requests unspent (engagement refresh after intake)."""
        previous, self.reserve = self.reserve, max(reserve, 0)
        try:
            yield
        finally:
            self.reserve = previous


class ServerWindow:
    """What the server last said about its rate limit, per endpoint key."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._reset_at: dict[str, float] = {}

    def exhausted(self, key: str, reset_at: float) -> None:
        """The server reported 0 remaining until wall-clock `reset_at`."""
        self._reset_at[key] = reset_at

    def available(self, key: str) -> None:
        self._reset_at.pop(key, None)

    def check(self, key: str) -> None:
        """Raise ServerSaysWait if the last response for `key` left nothing until a future reset."""
        reset_at = self._reset_at.get(key)
        if reset_at is None:
            return
        wait = reset_at - self.clock()
        if wait <= 0:
            self._reset_at.pop(key, None)
            return
        self._reset_at.pop(key, None)  # one warning is enough: the retry goes out after waiting
        raise ServerSaysWait(wait)


class Retrier:
    """Runs one API call with bounded retries; translates failures to bot.core.errors at this edge."""

    def __init__(
        self, source: str, settings: SourceRetrySettings, sleep: Sleep | None = None, rng: random.Random | None = None
    ) -> None:
        self.source = source
        self.settings = settings
        self.sleep = sleep
        self.rng = rng or random.Random()

    def call(self, what: str, fn: Callable[[], T], classify: Callable[[BaseException], Failure | None]) -> T:
        """`fn()`, retried per the settings; raises RateLimited, AuthFailed, TransientSourceError, ..."""
        attempts, reauthed = self.settings.max_attempts, False
        for attempt in range(attempts):
            try:
                return fn()
            except BudgetExhausted:
                raise
            except Exception as err:  # noqa: BLE001 - classified below, re-raised when unknown
                failure = classify(err)
                if failure is None:  # a library surprise must not take the other sources down
                    log.error(
                        "%s %s: unexpected %s",
                        self.source,
                        what,
                        type(err).__name__,
                        exc_info=True,
                        extra={"source": self.source},
                    )
                    raise SourceError(f"{self.source} {what}: unexpected {type(err).__name__}: {err}") from err
                if failure.kind == "gone":
                    raise Gone(failure.message) from err
                if failure.kind == "reauth" and not reauthed and attempt < attempts - 1:
                    reauthed = True  # the token was dropped; the next attempt fetches a new one
                    continue
                if failure.kind in ("auth", "reauth"):
                    raise AuthFailed(f"{self.source} {what}: {failure.message}") from err
                if failure.kind == "malformed":
                    raise MalformedPayload(f"{self.source} {what}: {failure.message}") from err
                wait = self._wait(failure, attempt)
                last = attempt == attempts - 1
                if failure.kind == "rate" and (last or wait > self.settings.max_rate_limit_wait_seconds):
                    raise RateLimited(
                        f"{self.source} {what}: {failure.message}; retry in {wait:.0f}s", retry_after=wait
                    ) from err
                if last:
                    raise TransientSourceError(
                        f"{self.source} {what}: {failure.message} (after {attempts} attempts)"
                    ) from err
                if failure.kind == "rate":
                    metrics.rate_limited(self.source, wait)
                log.info(
                    "%s %s: %s; retrying in %.1fs",
                    self.source,
                    what,
                    failure.message,
                    wait,
                    extra={"source": self.source},
                )
                (self.sleep or SLEEP)(wait)
        raise SourceError(f"{self.source} {what}: no attempt made")  # attempts >= 1: unreachable

    def _wait(self, failure: Failure, attempt: int) -> float:
        if failure.kind == "rate" and failure.retry_after is not None:
            return max(failure.retry_after, 0.0) + self.rng.random()  # a little jitter past the reset
        return self.settings.backoff(attempt, self.rng)  # the one policy: bot.core.retry


def seconds_until(reset: str | None, now: float | None = None) -> float | None:
    """A reset header as seconds from now: epoch seconds (X) or a delta (Reddit); None if absent."""
    if reset is None or str(reset).strip() == "":
        return None
    try:
        value = float(reset)
    except ValueError:
        return None
    if value > 1_000_000_000:  # an epoch timestamp
        value -= time.time() if now is None else now
    return max(value, 1.0)
