"""Loads the recorded X and Reddit payloads the tests replay, kept in tests/fixtures/recorded/.

They were copied from the team's shared/data/recorded/ (each project's licence file beside its
data), so a clone with nothing beside it runs every test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
TWARC = RECORDED / "x" / "twarc-pages"
TWEEPY = RECORDED / "x" / "tweepy-cassettes"
PRAW = RECORDED / "reddit" / "praw-cassettes"


def require_recorded() -> Path:
    """The recorded-data folder; its absence is a broken checkout, not a reason to skip."""
    if not RECORDED.is_dir():
        pytest.fail(f"recorded API traffic not found at {RECORDED}: the checkout is incomplete")
    return RECORDED


def twarc_lines(name: str) -> list[str]:
    """The raw lines of one twarc-pages file."""
    return (require_recorded() / "x" / "twarc-pages" / name).read_text(encoding="utf-8").splitlines()


def twarc_pages(name: str) -> list[dict[str, Any]]:
    """Every readable page of a twarc file, as the API sent it (without the `__twarc` block)."""
    pages = []
    for line in twarc_lines(name):
        try:
            page = json.loads(line)
        except ValueError:
            continue  # the truncated last line of a stream
        page.pop("__twarc", None)
        pages.append(page)
    return pages


def praw_bodies(name: str, path_part: str = "") -> list[Any]:
    """Decoded JSON response bodies of a praw cassette whose request URI contains `path_part`."""
    cassette = json.loads((require_recorded() / "reddit" / "praw-cassettes" / name).read_text(encoding="utf-8"))
    bodies = []
    for interaction in cassette["interactions"]:
        if path_part in interaction["request"]["uri"]:
            body = interaction["response"]["body"].get("string")
            if body:
                bodies.append(json.loads(body))
    return bodies


def praw_children(name: str, path_part: str) -> list[dict[str, Any]]:
    """Every t1/t3 child of the listings a praw cassette recorded for `path_part`."""
    children = []
    for body in praw_bodies(name, path_part):
        listings = body if isinstance(body, list) else [body]
        for listing in listings:
            if isinstance(listing, dict) and listing.get("kind") == "Listing":
                children += [c for c in listing["data"]["children"] if c.get("kind") in ("t1", "t3")]
    return children


def fake_data() -> Any:
    """FakeData from the recordings: brexit search, lookup/stream tweets as mentions, praw listings."""
    from tests.fakes.fake_api import FakeData

    search = twarc_pages("brexit.jsonl")
    mentions = [
        p
        for name in (
            "cashtags.jsonl",
            "edited.jsonl",
            "verified_type.jsonl",
            "mentions_tweet.jsonl",
            "streaming_output_with_error.jsonl",
        )
        for p in twarc_pages(name)
    ]
    users: dict[str, dict[str, Any]] = {}
    for page in search + mentions:
        users.update({u["id"]: u for u in (page.get("includes") or {}).get("users") or []})
    return FakeData(
        search=_tweets(search),
        mentions=_tweets(mentions),
        users=list(users.values()),
        reddit_new=praw_children("TestSubredditListings.test_new.json", "/new"),
        reddit_comments=praw_children("TestSubredditListings.test_comments.json", "/comments")
        + praw_children("TestComment.test_refresh__deleted_comment.json", "/api/info"),
        reddit_search=praw_children("TestSubreddit.test_search.json", "/search"),
    )


def _tweets(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for page in pages:
        data = page.get("data") or []
        for tweet in [data] if isinstance(data, dict) else data:
            found[tweet["id"]] = tweet
    return list(found.values())
