"""atproto's transport and errors: an httpx transport (budget, RateLimit-* headers, the raw body kept
for `raw`) in front of the real one, and one classifier of atproto's exceptions."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from atproto_client import exceptions as a

from bot.core.retry import retryable_status
from connectors.ratelimit import Failure, RequestBudget, ServerSaysWait, ServerWindow, seconds_until


class BlueskyTransport(httpx.BaseTransport):
    """Counts every request against the budget, honours an exhausted window, keeps the last JSON body."""

    def __init__(self, inner: httpx.BaseTransport, budget: RequestBudget, window: ServerWindow) -> None:
        self.inner, self.budget, self.window = inner, budget, window
        self.last: Any = None  # the last response's JSON: the page's `raw`

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = request.url.path
        self.window.check(key)
        self.budget.spend()
        response = self.inner.handle_request(request)
        response.read()
        try:
            self.last = json.loads(response.content) if response.content else None
        except ValueError:
            self.last = None
        wait = seconds_until(response.headers.get("ratelimit-reset"))
        remaining = response.headers.get("ratelimit-remaining")
        if response.status_code < 400 and remaining is not None and wait is not None:
            if remaining.strip().isdigit() and int(remaining) <= 0:
                self.window.exhausted(key, time.time() + wait)
            else:
                self.window.available(key)
        return response

    def close(self) -> None:
        self.inner.close()


def classify(err: BaseException) -> Failure | None:
    """One place that maps atproto/httpx errors to what Earshot does about them."""
    if isinstance(err, ServerSaysWait):
        return Failure(kind="rate", message=str(err), retry_after=err.retry_after)
    if isinstance(err, a.RateLimitExceededError):
        wait = seconds_until(str(int(err.reset_at.timestamp()))) if err.reset_at else None
        return Failure(kind="rate", message="429 RateLimitExceeded", retry_after=wait)
    if isinstance(err, a.UnauthorizedError):
        return Failure(kind="auth", message=_detail(err))
    if isinstance(err, a.BadRequestError):
        text = _detail(err)
        if "NotFound" in text or "could not locate" in text.lower() or "not found" in text.lower():
            return Failure(kind="gone", message=text)
        return Failure(kind="malformed", message=text)
    if isinstance(err, a.NetworkError):  # timeouts, connection errors, 409/413/502
        return Failure(kind="transient", message=f"network: {_detail(err)}")
    if isinstance(err, a.RequestException):
        status = err.response.status_code if err.response is not None else 0
        if status == 404:
            return Failure(kind="gone", message=_detail(err))
        return Failure(kind="transient" if retryable_status(status) else "malformed", message=_detail(err))
    if isinstance(err, a.ModelError):  # a body the SDK could not read: truncated or garbled
        return Failure(kind="transient", message=f"unreadable response: {str(err)[:120]}")
    if isinstance(err, httpx.HTTPError):
        return Failure(kind="transient", message=f"network: {type(err).__name__}")
    return None


def _detail(err: a.RequestErrorBase) -> str:
    return str(err)[:200] or type(err).__name__
