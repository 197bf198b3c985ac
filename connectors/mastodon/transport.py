"""Mastodon.py's transport and errors: a session adapter per instance (budget, X-RateLimit-* headers,
timeouts, the raw body kept for `raw`), and one classifier of Mastodon.py's exceptions."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import requests
from mastodon import errors as m
from requests.adapters import BaseAdapter, HTTPAdapter

from connectors.ratelimit import BudgetExhausted, Failure, RequestBudget, ServerSaysWait, ServerWindow

T = TypeVar("T")


class MastodonTransport(BaseAdapter):
    """Mounted on the session at one instance's api_base, in front of the adapter that was there."""

    def __init__(self, inner: BaseAdapter, budget: RequestBudget, window: ServerWindow, timeout: float) -> None:
        super().__init__()
        self.inner, self.budget, self.window, self.timeout = inner, budget, window, timeout
        self.last: requests.Response | None = None  # the last response: its body is the page's `raw`

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        key = (request.url or "").split("?", 1)[0]
        self.window.check(key)
        self.budget.spend()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response = self.inner.send(request, **kwargs)
        self.last = response
        wait = reset_seconds(response.headers.get("x-ratelimit-reset"))
        remaining = response.headers.get("x-ratelimit-remaining")
        if response.status_code < 400 and remaining is not None and wait is not None:
            if remaining.strip().lstrip("-").isdigit() and int(remaining) <= 0:
                self.window.exhausted(key, time.time() + wait)
            else:
                self.window.available(key)
        return response

    def close(self) -> None:
        self.inner.close()

    def body(self) -> Any:
        """The last response's JSON, as the server sent it (Mastodon.py's entities are not JSON)."""
        if self.last is None:
            raise ValueError("no response yet")
        return self.last.json()


def wrap(session: requests.Session, api_base: str, budget: RequestBudget, timeout: float) -> MastodonTransport:
    """Put a MastodonTransport in front of whatever adapter serves `api_base` on `session`."""
    inner = session.get_adapter(api_base + "/")
    transport = MastodonTransport(
        inner if inner is not None else HTTPAdapter(max_retries=0), budget, ServerWindow(), timeout
    )
    session.mount(api_base + "/", transport)
    return transport


def ours(call: Callable[[], T]) -> Callable[[], T]:
    """`call`, re-raising our own budget and window signals that Mastodon.py wrapped as network errors."""

    def run() -> T:
        try:
            return call()
        except m.MastodonNetworkError as err:
            cause = err.__cause__ or err.__context__
            if isinstance(cause, (BudgetExhausted, ServerSaysWait)):
                raise cause from None
            raise

    return run


def reset_seconds(value: str | None) -> float | None:
    """`X-RateLimit-Reset` (an ISO time on Mastodon, epoch seconds on some forks) as seconds from now."""
    if not value:
        return None
    try:
        at = (
            float(value)
            if value.replace(".", "", 1).isdigit()
            else datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        )
    except ValueError:
        return None
    return max(at - time.time(), 1.0)


def classify(err: BaseException, transport: MastodonTransport | None = None) -> Failure | None:
    """One place that maps Mastodon.py/requests errors to what Earshot does about them."""
    if isinstance(err, ServerSaysWait):
        return Failure(kind="rate", message=str(err), retry_after=err.retry_after)
    if isinstance(err, m.MastodonRatelimitError):
        headers = transport.last.headers if transport is not None and transport.last is not None else {}
        wait = reset_seconds(headers.get("x-ratelimit-reset")) or _retry_after(headers.get("retry-after"))
        return Failure(kind="rate", message="429 Too Many Requests", retry_after=wait)
    if isinstance(err, m.MastodonUnauthorizedError):
        return Failure(kind="auth", message=f"401 {_detail(err)}")
    if isinstance(err, m.MastodonNotFoundError):
        return Failure(kind="gone", message=f"404 {_detail(err)}")
    if isinstance(err, m.MastodonServerError):
        return Failure(kind="transient", message=f"{_status(err)} server error")
    if isinstance(err, m.MastodonAPIError):
        status = _status(err)
        if status == 403:
            return Failure(kind="auth", message=f"403 {_detail(err)}")
        if status == 429:
            return Failure(kind="rate", message="429 Too Many Requests")
        if not isinstance(status, int):  # a body that is not JSON: truncated or garbled
            return Failure(kind="transient", message=f"unreadable response: {str(err)[:120]}")
        return Failure(kind="malformed", message=f"{status} {_detail(err)}")
    if isinstance(err, (m.MastodonNetworkError, requests.ConnectionError, requests.Timeout)):
        return Failure(kind="transient", message=f"network: {type(err).__name__}")
    if isinstance(err, ValueError):
        return Failure(kind="transient", message=f"unreadable JSON: {str(err)[:120]}")
    return None


def _status(err: m.MastodonAPIError) -> Any:
    return err.args[1] if len(err.args) > 1 else None


def _detail(err: m.MastodonAPIError) -> str:
    return str(err.args[3] if len(err.args) > 3 else err)[:200]


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 1.0) if value else None
    except ValueError:
        return None
