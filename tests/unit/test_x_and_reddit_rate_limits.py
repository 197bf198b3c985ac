"""Budgets, retries and stream cursors shared by the X and Reddit connectors (no network)."""

from __future__ import annotations

import json
import random

import prawcore
import pytest
import requests
import tweepy

from bot.core.errors import AuthFailed, MalformedPayload, RateLimited, SourceError, TransientSourceError
from connectors.cursor import StreamCursor
from connectors.ratelimit import (
    BudgetExhausted,
    Failure,
    Gone,
    RequestBudget,
    Retrier,
    ServerSaysWait,
    ServerWindow,
    seconds_until,
)
from connectors.reddit import transport as reddit_transport
from connectors.settings import BudgetSettings, SourceRetrySettings
from connectors.streams import Item, Page, walk
from connectors.x import transport as x_transport


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def response(status: int, headers: dict[str, str] | None = None, body: object = None) -> requests.Response:
    made = requests.Response()
    made.status_code, made.url = status, "https://api.example/2/tweets/search/recent"
    made.headers.update(headers or {})
    made._content = json.dumps(body if body is not None else {}).encode()
    return made


def retrier(slept: list[float], **settings: object) -> Retrier:
    return Retrier("x", SourceRetrySettings(**settings), sleep=slept.append, rng=random.Random(1))  # type: ignore[arg-type]


def test_the_budget_is_never_exceeded_within_a_window():
    clock = Clock()
    budget = RequestBudget(BudgetSettings(requests=3, window_seconds=60), clock=clock)
    for _ in range(3):
        budget.spend()
    with pytest.raises(BudgetExhausted) as caught:
        budget.spend()
    assert 59 <= caught.value.retry_after <= 60
    clock.now += 60
    budget.spend()


def test_a_spent_budget_says_when_the_oldest_request_leaves_the_window():
    clock = Clock()
    budget = RequestBudget(BudgetSettings(requests=2, window_seconds=60), clock=clock)
    budget.spend()
    clock.now += 20
    budget.spend()
    with pytest.raises(BudgetExhausted) as caught:
        budget.spend()
    assert caught.value.retry_after == 40 and str(caught.value) == "request budget spent; next request in 40s"


def test_the_server_window_makes_a_request_wait_once_until_its_reset():
    clock = Clock()
    window = ServerWindow(clock=clock)
    window.exhausted("search", reset_at=1030.0)
    window.exhausted("mentions", reset_at=1000.0)  # resets right now: nothing to wait for
    window.check("users")  # other endpoints are not held back
    window.check("mentions")
    with pytest.raises(ServerSaysWait) as caught:
        window.check("search")
    assert caught.value.retry_after == 30 and "resets in 30s" in str(caught.value)
    window.check("search")  # warned once: the retry goes out after the wait
    window.exhausted("search", reset_at=1000.5)
    with pytest.raises(ServerSaysWait):
        window.check("search")  # half a second is still a wait
    window.exhausted("search", reset_at=1030.0)
    window.available("search")  # the next response said requests are left
    window.check("search")


def test_refresh_spends_only_what_intake_left():
    budget = RequestBudget(BudgetSettings(requests=5, window_seconds=60), clock=Clock())
    with budget.keeping(3):
        budget.spend()
        budget.spend()
        with pytest.raises(BudgetExhausted):
            budget.spend()
    for _ in range(3):
        budget.spend()  # intake still has its three


def test_a_short_rate_limit_is_waited_out_and_retried():
    slept: list[float] = []
    calls = iter([Failure(kind="rate", message="429", retry_after=2.0), None])

    def call() -> str:
        failure = next(calls)
        if failure:
            raise RuntimeError("429")
        return "ok"

    assert retrier(slept).call("search", call, lambda err: Failure(kind="rate", message="429", retry_after=2.0)) == "ok"
    assert len(slept) == 1 and 2.0 <= slept[0] < 3.0


def test_a_long_rate_limit_raises_rate_limited_from_the_library_error():
    slept: list[float] = []
    err = RuntimeError("429")
    with pytest.raises(RateLimited) as caught:
        retrier(slept, max_rate_limit_wait_seconds=30).call(
            "search", lambda: (_ for _ in ()).throw(err), lambda e: Failure(kind="rate", message="429", retry_after=900)
        )
    assert caught.value.retry_after >= 900 and caught.value.__cause__ is err and slept == []


def test_transient_failures_back_off_exponentially_then_give_up():
    slept: list[float] = []
    with pytest.raises(TransientSourceError) as caught:
        retrier(slept, attempts=4, backoff_seconds=1, max_backoff_seconds=3).call(
            "search", lambda: (_ for _ in ()).throw(OSError("503")), lambda e: Failure(kind="transient", message="503")
        )
    assert len(slept) == 3 and isinstance(caught.value.__cause__, OSError)
    assert str(caught.value) == "x search: 503 (after 4 attempts)"
    assert 0.5 <= slept[0] <= 1 and 1 <= slept[1] <= 2 and 1.5 <= slept[2] <= 3


@pytest.mark.parametrize(
    ("kind", "raised", "message", "tries"),
    [
        ("gone", Gone, "404", 1),
        ("malformed", MalformedPayload, "x search: not JSON", 1),
        ("auth", AuthFailed, "x search: 401", 1),
        ("reauth", AuthFailed, "x search: 401", 2),  # a fresh token is tried once
        (None, SourceError, "x search: unexpected OSError: boom", 1),  # a library surprise, one line
    ],
)
def test_each_failure_is_translated_once_at_the_edge(kind, raised, message, tries):
    calls: list[int] = []
    messages = {"gone": "404", "malformed": "not JSON", "auth": "401", "reauth": "401"}

    def call() -> None:
        calls.append(1)
        raise OSError("boom")

    def classify(err: BaseException) -> Failure | None:
        assert isinstance(err, OSError) and str(err) == "boom", "classify gets the library's error"
        return Failure(kind=kind, message=messages[kind]) if kind else None

    with pytest.raises(raised) as caught:
        retrier([], attempts=2).call("search", call, classify)
    assert type(caught.value) is raised and str(caught.value) == message
    assert isinstance(caught.value.__cause__, OSError) and len(calls) == tries


def test_reauth_on_the_only_attempt_fails_at_once():
    calls: list[int] = []
    with pytest.raises(AuthFailed):
        retrier([], attempts=1).call(
            "search",
            lambda: calls.append(1) or (_ for _ in ()).throw(OSError("401")),
            lambda e: Failure(kind="reauth", message="401"),
        )
    assert len(calls) == 1


def test_a_spent_budget_is_not_retried_or_translated():
    calls: list[int] = []

    def call() -> None:
        calls.append(1)
        raise BudgetExhausted(30)

    with pytest.raises(BudgetExhausted):
        retrier([]).call("search", call, lambda e: Failure(kind="transient", message="?"))
    assert len(calls) == 1


def test_rate_limit_messages_say_when_to_retry():
    with pytest.raises(RateLimited) as caught:
        retrier([], max_rate_limit_wait_seconds=30).call(
            "search",
            lambda: (_ for _ in ()).throw(OSError()),
            lambda e: Failure(kind="rate", message="429", retry_after=900),
        )
    assert str(caught.value).startswith("x search: 429; retry in 90") and 900 <= caught.value.retry_after < 901


def test_auth_failure_is_not_retried_and_reauth_is_tried_once():
    slept: list[float] = []
    tries: list[int] = []

    def call() -> None:
        tries.append(1)
        raise OSError("401")

    with pytest.raises(AuthFailed):
        retrier(slept).call("search", call, lambda e: Failure(kind="auth", message="401"))
    assert len(tries) == 1
    with pytest.raises(AuthFailed):
        retrier(slept).call("search", call, lambda e: Failure(kind="reauth", message="401"))
    assert len(tries) == 3 and slept == []


def test_reset_headers_read_as_epoch_or_delta():
    assert seconds_until("1000", now=0) == 1000
    assert 99 <= seconds_until("1700000100", now=1700000000) <= 100
    assert seconds_until("1600000000", now=1700000000) == 1.0  # a reset in the past: retry soon
    assert seconds_until(None) is None and seconds_until("soon") is None


def test_x_errors_are_classified_once():
    limited = tweepy.TooManyRequests(response(429, {"x-rate-limit-reset": "4102444800"}), reset_time=4102444800)
    assert x_transport.classify(limited).kind == "rate" and x_transport.classify(limited).retry_after > 1e6
    bare = tweepy.TooManyRequests(response(429))
    assert x_transport.classify(bare) == Failure(kind="rate", message="429 Too Many Requests", retry_after=None)
    assert x_transport.classify(tweepy.Unauthorized(response(401))).kind == "auth"
    assert x_transport.classify(tweepy.Forbidden(response(403))).kind == "auth"
    assert x_transport.classify(tweepy.TwitterServerError(response(503))).kind == "transient"
    assert x_transport.classify(requests.ConnectionError("reset")).kind == "transient"
    assert x_transport.classify(json.JSONDecodeError("cut", "{", 1)).kind == "transient"
    assert x_transport.classify(KeyError("bug")) is None


def test_reddit_errors_are_classified_once():
    limited = prawcore.TooManyRequests(response(429, {"x-ratelimit-reset": "42", "x-ratelimit-remaining": "0"}))
    assert reddit_transport.classify(limited) == Failure(kind="rate", message="429 Too Many Requests", retry_after=42)
    assert reddit_transport.classify(prawcore.ServerError(response(503))).kind == "transient"
    assert reddit_transport.classify(prawcore.InvalidToken(response(401))).kind == "reauth"
    token = response(401)
    token.url = "https://www.reddit.com/api/v1/access_token"
    assert reddit_transport.classify(prawcore.ResponseException(token)).kind == "auth"
    assert reddit_transport.classify(prawcore.BadJSON(response(200))).kind == "transient"
    assert reddit_transport.classify(prawcore.NotFound(response(404))).kind == "gone"


def pages(*batches: list[int], tokens: list[str | None] | None = None):
    tokens = tokens or [f"t{i + 1}" if i + 1 < len(batches) else None for i in range(len(batches))]
    served: list[tuple[str | None, object]] = []

    def fetch(token: str | None, since: object) -> Page:
        index = 0 if token is None else int(token[1:])
        served.append((token, since))
        return Page(items=[Item(order=n, name=str(n), raw=n) for n in batches[index]], next_token=tokens[index])

    return fetch, served


def test_a_walk_stops_at_its_page_bound_and_resumes_from_the_token():
    fetch, served = pages([9, 8], [7, 6], [5, 4])
    first = walk(None, fetch, max_pages=2)
    assert first.count == 4 and not first.complete and first.cursor.next == "t2"
    second = walk(first.cursor, fetch, max_pages=2)
    assert second.count == 2 and second.complete and second.cursor.to_json() == {"since": 9, "seen": ["9"]}
    third = walk(second.cursor, pages([10, 9, 8])[0], max_pages=5)
    assert [i.raw for _, items in third.pages for i in items] == [10]


def test_a_walk_stops_on_a_mostly_old_page_and_drops_repeats():
    fetch, served = pages([12, 11, 10], [10, 9, 8, 7])
    result = walk(StreamCursor(since=9, seen=("9",)), fetch, max_pages=5)
    assert [i.raw for _, items in result.pages for i in items] == [12, 11, 10]
    assert len(served) == 2 and served[0] == (None, 9)
    assert result.cursor.since == 12


def test_a_repeated_token_ends_the_walk():
    fetch, served = pages([3, 2], [3, 2], tokens=["t1", "t1"])
    result = walk(None, fetch, max_pages=10)
    assert len(served) == 2 and result.complete and result.count == 2


def test_an_unexpected_library_error_becomes_a_source_error_not_a_crash():
    from bot.core.errors import SourceError

    slept: list[float] = []
    err = TypeError("argument of type 'int' is not iterable")
    with pytest.raises(SourceError) as caught:
        retrier(slept).call("search", lambda: (_ for _ in ()).throw(err), lambda e: None)
    assert caught.value.__cause__ is err and slept == []
