"""praw's transport and errors: our rate limiter in prawcore's place (budget, no hidden sleeps), one classifier."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import praw
import prawcore
import requests
from praw.exceptions import PRAWException

from bot.core.retry import retryable_status
from connectors.ratelimit import Failure, RequestBudget, ServerSaysWait, ServerWindow, seconds_until

KEY = "reddit"


class RedditLimiter:
    """Stands in for prawcore's RateLimiter: spends our budget and never sleeps on its own."""

    def __init__(self, budget: RequestBudget, window: ServerWindow) -> None:
        self.budget = budget
        self.window = window

    def call(
        self, *, method: str, request_function: Any, set_header_callback: Any, url: str, **kwargs: Any
    ) -> requests.Response:
        self.window.check(KEY)
        kwargs["headers"] = set_header_callback()  # may fetch a token first
        self.budget.spend()
        response = request_function(method, url, **kwargs)
        self._observe(response)
        return response

    def _observe(self, response: requests.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        wait = seconds_until(response.headers.get("x-ratelimit-reset"))
        if remaining is None or wait is None or response.status_code >= 400:
            return
        try:
            exhausted = float(remaining) <= 0
        except ValueError:
            return
        if exhausted:
            self.window.exhausted(KEY, time.time() + wait)
        else:
            self.window.available(KEY)


@dataclass(frozen=True)
class NoRetry(prawcore.sessions.RetryStrategy):
    """prawcore's retry strategy replaced: our Retrier retries, with sleeps tests can patch."""

    def _sleep_seconds(self) -> float | None:
        return None

    def consume_available_retry(self) -> NoRetry:
        return self

    def should_retry_on_failure(self) -> bool:
        return False


def install(reddit: praw.Reddit, budget: RequestBudget, window: ServerWindow) -> None:
    """Put our limiter and retry strategy into every prawcore session praw holds."""
    for core in {
        id(c): c
        for c in (reddit._core, getattr(reddit, "_read_only_core", None), getattr(reddit, "_authorized_core", None))
        if c is not None
    }.values():
        core._rate_limiter = RedditLimiter(budget, window)
        core._retry_strategy_class = NoRetry


def classify(err: BaseException) -> Failure | None:
    """One place that maps praw/prawcore/requests errors to what Earshot does about them."""
    if isinstance(err, ServerSaysWait):
        return Failure(kind="rate", message=str(err), retry_after=err.retry_after)
    if isinstance(err, prawcore.OAuthException):
        return Failure(kind="auth", message=f"token refused: {err}")
    if isinstance(err, prawcore.InvalidToken):
        return Failure(kind="reauth", message="401 on an API request")
    if isinstance(err, prawcore.TooManyRequests):
        headers = err.response.headers
        wait = seconds_until(headers.get("retry-after")) or seconds_until(headers.get("x-ratelimit-reset"))
        return Failure(kind="rate", message="429 Too Many Requests", retry_after=wait)
    if isinstance(err, prawcore.BadJSON):
        return Failure(kind="transient", message="unreadable JSON")
    if isinstance(err, (prawcore.NotFound, prawcore.Redirect, prawcore.UnavailableForLegalReasons)):
        return Failure(kind="gone", message=f"{err.response.status_code} {err.response.url}")
    if isinstance(err, prawcore.Forbidden):
        if "access_token" in (err.response.url or ""):
            return Failure(kind="auth", message="403 from the token endpoint")
        return Failure(kind="gone", message=f"403 {err.response.url}")  # a private subreddit, a suspended user
    if isinstance(err, prawcore.ResponseException):
        return _by_status(err.response)
    if isinstance(err, prawcore.RequestException):
        return Failure(kind="transient", message=f"network: {type(err.original_exception).__name__}")
    if isinstance(err, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)):
        return Failure(kind="transient", message=f"network: {type(err).__name__}")
    if isinstance(err, PRAWException):
        return Failure(kind="malformed", message=str(err)[:200])
    if isinstance(err, ValueError):  # a truncated token response
        return Failure(kind="transient", message=f"unreadable JSON: {err}")
    return None


def _by_status(response: requests.Response) -> Failure:
    status = response.status_code
    if status in (401, 403):
        return Failure(kind="auth", message=f"{status} from {response.url.split('?')[0]}")
    if status == 429:
        return Failure(
            kind="rate",
            message="429 Too Many Requests",
            retry_after=seconds_until(response.headers.get("retry-after"))
            or seconds_until(response.headers.get("x-ratelimit-reset")),
        )
    if retryable_status(status):
        return Failure(kind="transient", message=f"{status} server error")
    return Failure(kind="malformed", message=f"{status} from {response.url.split('?')[0]}")
