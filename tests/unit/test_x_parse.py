"""The X parser (`connectors.x.parse`) over every recorded page: both naming generations, errors[], edits, cut lines."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from connectors.x.parse import included_posts, parse_lines, parse_page
from tests.fakes.recorded import TWARC, TWEEPY, twarc_lines, twarc_pages

FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _files(folder: Path, pattern: str) -> list[object]:
    found = sorted(p.name for p in folder.glob(pattern)) if folder.is_dir() else []
    return found or [pytest.param(None, marks=pytest.mark.skip(reason=f"no recorded files in {folder}"))]


def _tweepy_bodies(name: str) -> list[tuple[str, dict]]:
    cassette = yaml.safe_load((TWEEPY / name).read_text(encoding="utf-8"))
    bodies = []
    for interaction in cassette["interactions"]:
        raw = interaction["response"]["body"]["string"]
        raw = gzip.decompress(raw) if isinstance(raw, bytes) and raw[:2] == b"\x1f\x8b" else raw
        bodies.append((interaction["request"]["uri"], json.loads(raw)))
    return bodies


EXPECTED = {  # file: (posts, skipped)
    "brexit.jsonl": (100, 0),
    "cashtags.jsonl": (1, 0),
    "edited.jsonl": (1, 0),
    "mentions_tweet.jsonl": (1, 0),
    "verified_type.jsonl": (1, 0),
    "users.jsonl": (0, 0),
    "streaming_output_with_error.jsonl": (7, 1),
}


@pytest.mark.parametrize("name", _files(TWARC, "*.jsonl"))
def test_every_twarc_file_parses_into_posts_and_skips(name):
    page = parse_lines(twarc_lines(name), FETCHED)
    assert (len(page.posts), len(page.skipped)) == EXPECTED[name]
    assert [p.created_at for p in page.posts] == sorted(p.created_at for p in page.posts), "oldest first"
    for post in page.posts:
        assert post.source == "x" and post.native_id.isdigit() and post.text
        assert post.author_reach is not None and post.author_handle, "author from includes.users"
        assert post.url.endswith(post.native_id)


@pytest.mark.parametrize("name", _files(TWEEPY, "*.yaml"))
def test_every_tweepy_cassette_body_parses(name):
    for uri, body in _tweepy_bodies(name):
        page = parse_page(body, FETCHED)
        data = body.get("data")
        tweets = [data] if isinstance(data, dict) else data or []
        if "/users/by" in uri:
            assert page.posts == [], "user objects are not posts"
            continue
        assert len(page.posts) == len(tweets) and not page.skipped
        assert all(p.created_at == FETCHED for p in page.posts), "no created_at requested: fetch time stands in"


def test_brexit_page_has_metrics_replies_and_reach():
    page = parse_page(twarc_pages("brexit.jsonl")[0], FETCHED)
    assert sum(p.engagement.reposts for p in page.posts) > 0
    assert {p.kind for p in page.posts} >= {"repost", "post"}
    assert all(p.language for p in page.posts) and all(p.conversation_id for p in page.posts)


def test_newer_names_parse_like_the_older_ones():
    older = twarc_pages("verified_type.jsonl")[0]
    newer = copy.deepcopy(older)
    for tweet in newer["data"]:
        tweet["public_metrics"]["repost_count"] = tweet["public_metrics"].pop("retweet_count")
    newer["includes"]["posts"] = newer["includes"].pop("tweets")
    old_post, new_post = parse_page(older, FETCHED).posts[0], parse_page(newer, FETCHED).posts[0]
    assert old_post.engagement == new_post.engagement
    assert new_post.engagement.reposts == 104 and new_post.engagement.views == 139075
    assert new_post.author_verified, "verified_type business counts as verified"
    assert included_posts(newer) == included_posts(older) != []


def test_an_author_missing_from_includes_is_a_suspended_or_deleted_user():
    body = twarc_pages("cashtags.jsonl")[0]
    body["includes"]["users"] = []
    body["errors"] = [{"resource_type": "user", "title": "Forbidden", "detail": "User has been suspended"}]
    post = parse_page(body, FETCHED).posts[0]
    assert post.author_handle is None and post.author_reach is None and "/i/web/status/" in post.url


def test_an_earlier_version_of_an_edited_post_is_dropped():
    body = twarc_pages("edited.jsonl")[0]
    latest = body["data"][0]
    first = {**copy.deepcopy(latest), "id": latest["edit_history_tweet_ids"][0], "text": "first draft"}
    body["data"] = [first, latest]
    page = parse_page(body, FETCHED)
    assert [p.native_id for p in page.posts] == [latest["id"]]


def test_note_tweet_text_wins_over_the_truncated_text():
    body = twarc_pages("cashtags.jsonl")[0]
    body["data"][0]["note_tweet"] = {"text": "the whole long complaint " * 20}
    assert parse_page(body, FETCHED).posts[0].text.startswith("the whole long complaint")


def test_lookup_errors_become_skipped_records_but_expansion_errors_do_not():
    page = parse_page(
        {"errors": [{"resource_type": "tweet", "resource_id": "42", "title": "Not Found Error", "parameter": "ids"}]},
        FETCHED,
    )
    assert page.posts == [] and page.skipped[0].native_id == "42"
    users = twarc_pages("users.jsonl")[0]
    assert {e["parameter"] for e in users["errors"] if e["resource_type"] == "tweet"} == {"pinned_tweet_id"}
    assert parse_page(users, FETCHED).skipped == [], "a deleted pinned post is not a skipped record"


def test_a_tweet_without_text_is_skipped_not_fatal():
    page = parse_page({"data": [{"id": "1", "created_at": "2021-01-01T00:00:00.000Z"}]}, FETCHED)
    assert page.posts == [] and page.skipped[0].native_id == "1"


def test_newer_reference_names_still_mark_reposts():
    tweet = {
        "id": "5",
        "text": "RT @someone: it broke",
        "created_at": "2023-01-01T00:00:00.000Z",
        "referenced_posts": [{"type": "reposted", "id": "4"}],
        "edit_history_post_ids": ["5"],
    }
    post = parse_page({"data": [tweet]}, FETCHED).posts[0]
    assert post.kind == "repost" and post.parent_id == "4"
