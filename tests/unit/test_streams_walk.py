"""A stream walk keeps exactly the items newer than its cursor and moves the cursor to the newest."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.cursor import StreamCursor
from connectors.streams import Item, Page, Walk, pending_first, walk

Fetch = Callable[[str | None, Any], Page]


def feed(*entries: tuple[int, str], size: int = 3) -> tuple[Fetch, list[str | None]]:
    """A newest-first feed of (order, name) paged `size` at a time; returns fetch and the tokens asked for."""
    items = [Item(order=order, name=name, raw=None) for order, name in entries]
    asked: list[str | None] = []

    def fetch(token: str | None, _since: Any) -> Page:
        asked.append(token)
        start = int(token or 0)
        more = start + size < len(items)
        return Page(items=items[start : start + size], next_token=str(start + size) if more else None)

    return fetch, asked


def taken(result: Walk) -> list[str]:
    return [item.name for _, fresh in result.pages for item in fresh]


SEVEN = ((9, "a"), (8, "b"), (8, "c"), (7, "d"), (5, "e"), (3, "f"), (1, "g"))


def test_a_first_walk_takes_the_whole_feed_and_saves_the_newest() -> None:
    fetch, asked = feed(*SEVEN)
    result = walk(None, fetch, max_pages=10)
    assert taken(result) == list("abcdefg") and asked == [None, "3", "6"]
    assert result.complete and result.cursor.to_json() == {"since": 9, "seen": ["a"]}


def test_an_empty_feed_leaves_no_cursor() -> None:
    fetch, asked = feed()
    result = walk(None, fetch, max_pages=3)
    assert result.count == 0 and result.complete and result.cursor.to_json() == {} and asked == [None]


def test_items_tied_with_the_newest_are_all_remembered() -> None:
    fetch, _ = feed((9, "b"), (9, "a"), (8, "c"))
    assert walk(None, fetch, max_pages=10).cursor.to_json() == {"since": 9, "seen": ["a", "b"]}


def test_a_tie_with_since_not_seen_before_is_new_and_joins_seen() -> None:
    fetch, asked = feed((9, "z"), (9, "a"), (8, "b"), (7, "c"))
    result = walk(StreamCursor.from_json({"since": 9, "seen": ["a"]}), fetch, max_pages=10)
    assert taken(result) == ["z"] and asked == [None]  # two of three old: the walk stops
    assert result.cursor.to_json() == {"since": 9, "seen": ["a", "z"]}


def test_resuming_keeps_only_what_is_newer_and_stops_at_a_mostly_old_page() -> None:
    fetch, asked = feed((10, "n1"), (9, "n2"), (8, "n3"), (7, "d"), (7, "x"), (6, "e"), (5, "f"))
    result = walk(StreamCursor.from_json({"since": 7, "seen": ["d"]}), fetch, max_pages=10)
    assert taken(result) == ["n1", "n2", "n3", "x"] and asked == [None, "3"]
    assert result.cursor.to_json() == {"since": 10, "seen": ["n1"]}


def test_a_page_one_third_old_does_not_stop_the_walk_but_an_all_old_one_does() -> None:
    fetch, asked = feed((8, "a"), (7, "b"), (4, "c"), (3, "d"), (2, "e"), (1, "f"), (0, "g"))
    result = walk(StreamCursor.from_json({"since": 5, "seen": []}), fetch, max_pages=10)
    assert taken(result) == ["a", "b"] and asked == [None, "3"]
    assert result.cursor.to_json() == {"since": 8, "seen": ["a"]}


def test_a_page_exactly_half_old_stops_the_walk() -> None:
    fetch, asked = feed((8, "a"), (7, "b"), (4, "c"), (3, "d"), (2, "e"), size=4)
    assert taken(walk(StreamCursor.from_json({"since": 5, "seen": []}), fetch, max_pages=10)) == [
        "a",
        "b",
    ] and asked == [None]


def test_nothing_new_leaves_the_cursor_as_it_was() -> None:
    fetch, _ = feed((9, "a"), (8, "b"))
    result = walk(StreamCursor.from_json({"since": 9, "seen": ["a"]}), fetch, max_pages=10)
    assert result.count == 0 and result.cursor.to_json() == {"since": 9, "seen": ["a"]}


def test_the_page_bound_saves_where_to_resume_and_the_resumed_walk_adopts_the_newest() -> None:
    fetch, asked = feed(*SEVEN)
    first = walk(StreamCursor.from_json({"since": 1, "seen": ["g"]}), fetch, max_pages=2)
    assert taken(first) == list("abcdef") and not first.complete
    assert first.cursor.to_json() == {"since": 1, "seen": ["g"], "next": "6", "pending": {"since": 9, "seen": ["a"]}}
    second = walk(first.cursor, fetch, max_pages=2)
    assert taken(second) == [] and asked == [None, "3", "6"]
    assert second.complete and second.cursor.to_json() == {"since": 9, "seen": ["a"]}


def test_an_item_repeated_across_pages_is_taken_once_and_the_rest_still_count() -> None:
    pages = {
        None: Page(items=[Item(order=9, name="a", raw=None), Item(order=8, name="b", raw=None)], next_token="t"),
        "t": Page(items=[Item(order=8, name="b", raw=None), Item(order=7, name="c", raw=None)], next_token=None),
    }
    result = walk(None, lambda token, _since: pages[token], max_pages=10)
    assert taken(result) == ["a", "b", "c"]


def test_a_repeated_token_ends_the_walk() -> None:
    asked: list[str | None] = []

    def fetch(token: str | None, _since: Any) -> Page:
        asked.append(token)
        return Page(items=[Item(order=10 - len(asked), name=f"p{len(asked)}", raw=None)], next_token="t")

    result = walk(None, fetch, max_pages=5)
    assert asked == [None, "t"] and result.complete and result.cursor.to_json() == {"since": 9, "seen": ["p1"]}


def test_streams_with_a_walk_to_resume_go_first_and_alone() -> None:
    streams = [("a", 1), ("b", 2), ("c", 3)]
    assert pending_first(streams, {"b": StreamCursor(next="t"), "c": StreamCursor(since=1)}) == [("b", 2)]
    assert pending_first(streams, {"c": StreamCursor(since=1)}) == streams
