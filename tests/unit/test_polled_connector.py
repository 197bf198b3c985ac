"""The polled-source loop X and Reddit share: streams walked from their own cursors, a failing stream
after others delivered (stored first, raised next fetch), gone and refused streams, a spent budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from bot.core.errors import MalformedPayload, TransientSourceError
from connectors.base import ParsedPage, PolledConnector, Skipped, Stream
from connectors.cursor import PolledCursor
from connectors.ratelimit import BudgetExhausted, Gone
from connectors.streams import Item, Page
from tests.conftest import NOW, make_post


class Feeds(PolledConnector):
    """Streams over scripted pages; a stream's script may hold an exception to raise instead."""

    name = "feeds"

    def __init__(self, scripts: dict[str, list[Any]], max_pages: int = 5) -> None:
        super().__init__(interval_seconds=60, max_pages_per_tick=max_pages, now=lambda: NOW)
        self.scripts = scripts
        self.asked: list[tuple[str, str | None, Any]] = []

    def streams(self, cursor: PolledCursor) -> list[Stream]:
        self.polls = cursor.extra.get("polls", 0) + 1  # what a source learns rides along in the cursor
        return [(key, self._fetcher(key)) for key in self.scripts]

    def remember(self, cursor: PolledCursor) -> PolledCursor:
        return replace(cursor, extra={**cursor.extra, "polls": self.polls})

    def _fetcher(self, key: str) -> Any:
        def fetch(token: str | None, since: Any) -> Page:
            self.asked.append((key, token, since))
            step = self.scripts[key].pop(0)
            if isinstance(step, BaseException):
                raise step
            return step

        return fetch

    def parse(self, pages: list[tuple[Page, list[Item]]], fetched_at: datetime) -> ParsedPage:
        return ParsedPage(posts=[make_post(item.name) for _, items in pages for item in items])


def page(*orders: int, token: str | None = None, prefix: str = "") -> Page:
    return Page(items=[Item(order=o, name=f"{prefix}{o}", raw=None) for o in orders], next_token=token)


def ids(batch: Any) -> list[str]:
    return [post.native_id for post in batch.posts]


def streams_of(batch: Any) -> dict[str, Any]:
    """The batch's stream cursors as the store keeps them."""
    return batch.next_cursor.to_json()["streams"]


def test_each_stream_resumes_from_its_own_cursor_and_other_state_is_kept() -> None:
    feeds = Feeds({"a": [page(5, 4, prefix="a")], "b": [page(9, prefix="b")]})
    cursor = {"streams": {"a": {"since": 3, "seen": []}, "b": {"since": 8, "seen": []}}, "polls": 1}
    assert (feeds.interval_seconds, feeds.max_pages_per_tick) == (60, 5)  # what the daemon schedules
    batch = feeds.fetch(PolledCursor.from_json(cursor))
    assert [since for _, _, since in feeds.asked] == [3, 8]
    assert ids(batch) == ["a5", "a4", "b9"] and batch.exhausted
    assert batch.next_cursor.to_json() == {
        "polls": 2,
        "streams": {"a": {"since": 5, "seen": ["a5"]}, "b": {"since": 9, "seen": ["b9"]}},
    }


def test_a_stream_failing_after_another_delivered_stores_first_and_raises_on_the_next_fetch() -> None:
    failure = TransientSourceError("feeds b: 503 (after 5 attempts)")
    feeds = Feeds({"a": [page(5, prefix="a")], "b": [failure]})
    batch = feeds.fetch(None)
    assert ids(batch) == ["a5"] and not batch.exhausted  # more to do: the pipeline fetches again
    assert batch.next_cursor.to_json()["streams"] == {"a": {"since": 5, "seen": ["a5"]}}
    with pytest.raises(TransientSourceError) as caught:
        feeds.fetch(batch.next_cursor)
    assert caught.value is failure and len(feeds.asked) == 2  # raised before anything was fetched
    feeds.scripts = {"a": [page(5, prefix="a")], "b": [page(7, prefix="b")]}
    assert ids(feeds.fetch(batch.next_cursor)) == ["b7"]  # then polling goes on from the saved cursor


def test_a_failure_with_nothing_taken_is_raised_at_once() -> None:
    feeds = Feeds({"a": [TransientSourceError("feeds a: 503")]})
    with pytest.raises(TransientSourceError):
        feeds.fetch(None)
    feeds.scripts = {"a": [page(1, prefix="a")]}
    assert ids(feeds.fetch(None)) == ["a1"]  # nothing was deferred


def test_a_gone_stream_is_skipped_and_the_others_go_on() -> None:
    feeds = Feeds({"gone": [Gone("404")], "a": [page(2, prefix="a")], "b": [page(3, prefix="b")]})
    batch = feeds.fetch(None)
    assert ids(batch) == ["a2", "b3"] and set(streams_of(batch)) == {"a", "b"}


def test_a_refused_stream_lets_the_others_deliver_then_fails_loudly() -> None:
    refused = MalformedPayload("feeds bad: query refused")
    feeds = Feeds({"bad": [refused], "a": [page(2, prefix="a")], "worse": [MalformedPayload("second")]})
    batch = feeds.fetch(None)
    assert ids(batch) == ["a2"]
    with pytest.raises(MalformedPayload) as caught:
        feeds.fetch(batch.next_cursor)
    assert caught.value is refused  # the first refusal is the one reported


def test_a_spent_budget_returns_what_was_walked_and_keeps_the_rest_for_later() -> None:
    feeds = Feeds({"a": [page(4, prefix="a")], "b": [BudgetExhausted(30)], "c": [page(6, prefix="c")]})
    batch = feeds.fetch(PolledCursor.from_json({"streams": {"b": {"since": 1, "seen": []}}}))
    assert ids(batch) == ["a4"] and batch.exhausted
    assert streams_of(batch) == {"a": {"since": 4, "seen": ["a4"]}, "b": {"since": 1, "seen": []}}


def test_an_item_on_several_streams_becomes_one_post() -> None:
    feeds = Feeds({"mentions": [page(5, 4)], "search": [page(5, 3)], "replies": [page(5, 2)]})
    assert ids(feeds.fetch(None)) == ["5", "4", "3", "2"]


def test_what_the_parser_skipped_is_reported_with_the_batch() -> None:
    class Picky(Feeds):
        def parse(self, pages: list[tuple[Page, list[Item]]], fetched_at: datetime) -> ParsedPage:
            return ParsedPage(skipped=[Skipped(reason="no author", native_id="a1")])

    assert Picky({"a": [page(1, prefix="a")]}).fetch(None).skipped == [Skipped(reason="no author", native_id="a1")]
