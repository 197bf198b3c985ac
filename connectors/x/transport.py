"""tweepy's transport and errors: a session adapter for api_base/budget/timeouts, and one classifier."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from bot.core.retry import retryable_status
from connectors.ratelimit import Failure, RequestBudget, ServerSaysWait, ServerWindow, seconds_until

TWITTER_HOST = "https://api.twitter.com"
_IDS = re.compile(r"/\d+(?=/|$)")


def endpoint_key(url: str) -> str:
    """The rate-limit bucket of a URL: its path with numeric ids folded (`/2/users/:id/mentions`)."""
    path = url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
    return _IDS.sub("/:id", "/" + path)


class XTransport(HTTPAdapter):
    """Mounted on tweepy's session at https://api.twitter.com: rewrites to api_base, spends budget."""

    def __init__(self, api_base: str, budget: RequestBudget, window: ServerWindow, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.api_base = api_base.rstrip("/")
        self.budget = budget
        self.window = window
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = request.url or ""
        if url.startswith(TWITTER_HOST):
            request.url = self.api_base + url[len(TWITTER_HOST) :]
        key = endpoint_key(url)
        self.window.check(key)
        self.budget.spend()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response = super().send(request, **kwargs)
        self._observe(key, response)
        if response.status_code >= 400:
            _tidy_error_body(response)
        return response

    def _observe(self, key: str, response: requests.Response) -> None:
        """Remember an exhausted window; make the reset header an int so tweepy can read it."""
        reset = response.headers.get("x-rate-limit-reset")
        if reset is not None:
            try:
                response.headers["x-rate-limit-reset"] = str(int(float(reset)))
            except ValueError:
                del response.headers["x-rate-limit-reset"]
                reset = None
        remaining = response.headers.get("x-rate-limit-remaining")
        wait = seconds_until(reset)
        if response.status_code < 400 and remaining is not None and wait is not None:
            try:
                exhausted = float(remaining) <= 0
            except ValueError:
                exhausted = False
            if exhausted:
                self.window.exhausted(key, time.time() + wait)
            else:
                self.window.available(key)


def _tidy_error_body(response: requests.Response) -> None:
    """tweepy's error constructor crashes on `{"error": 401}` or a non-object body: make it readable."""
    try:
        body = response.json()
    except ValueError:
        return  # tweepy copes with a body that is not JSON
    errors = body.get("errors") if isinstance(body, dict) else None
    tidy = (
        isinstance(body, dict)
        and isinstance(body.get("error", ""), str)
        and (errors is None or (isinstance(errors, list) and all(isinstance(e, (dict, str)) for e in errors)))
    )
    if not tidy:
        text = json.dumps(body)[:300]
        response._content = json.dumps({"errors": [{"message": text}]}).encode()


def classify(err: BaseException) -> Failure | None:
    """One place that maps tweepy/requests errors to what Earshot does about them."""
    if isinstance(err, ServerSaysWait):
        return Failure(kind="rate", message=str(err), retry_after=err.retry_after)
    if isinstance(err, tweepy.TooManyRequests):
        headers = err.response.headers if err.response is not None else {}
        wait = (seconds_until(str(err.reset_time)) if err.reset_time is not None else None) or seconds_until(
            headers.get("retry-after")
        )
        return Failure(kind="rate", message="429 Too Many Requests", retry_after=wait)
    if isinstance(err, (tweepy.Unauthorized, tweepy.Forbidden)):
        return Failure(kind="auth", message=f"{err.response.status_code} {_detail(err)}")
    if isinstance(err, tweepy.NotFound):
        return Failure(kind="gone", message=f"404 {_detail(err)}")
    if isinstance(err, tweepy.TwitterServerError):
        return Failure(kind="transient", message=f"{err.response.status_code} server error")
    if isinstance(err, tweepy.BadRequest):
        return Failure(kind="malformed", message=f"400 {_detail(err)}")
    if isinstance(err, tweepy.HTTPException):
        status = err.response.status_code if err.response is not None else 0
        return Failure(
            kind="transient" if retryable_status(status) else "malformed", message=f"{status} {_detail(err)}"
        )
    if isinstance(err, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)):
        return Failure(kind="transient", message=f"network: {type(err).__name__}")
    if isinstance(err, ValueError):  # requests' JSONDecodeError: a truncated or garbled body
        return Failure(kind="transient", message=f"unreadable JSON: {err}")
    return None


def _detail(err: tweepy.HTTPException) -> str:
    messages = list(err.api_messages or []) + [str(e) for e in (err.api_errors or []) if isinstance(e, str)]
    return "; ".join(messages)[:200] or (err.response.reason if err.response is not None else "")
