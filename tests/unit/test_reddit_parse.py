"""The Reddit parser (`connectors.reddit.parse`) over every recorded praw body: listings, comments, karma, deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from connectors.reddit.parse import parse_karma, parse_listing
from tests.fakes.recorded import PRAW, praw_bodies, praw_children

FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NAMES = sorted(p.name for p in PRAW.glob("*.json")) if PRAW.is_dir() else []
FILES = NAMES or [pytest.param(None, marks=pytest.mark.skip(reason=f"no recorded cassettes in {PRAW}"))]


def _things(body: object) -> int:
    listings = body if isinstance(body, list) else [body]
    return sum(1 for listing in listings for child in listing["data"]["children"] if child["kind"] in ("t1", "t3"))


def _is_listing(body: object) -> bool:
    listings = body if isinstance(body, list) else [body]
    return bool(listings) and all(isinstance(b, dict) and b.get("kind") == "Listing" for b in listings)


@pytest.mark.parametrize("name", FILES)
def test_every_praw_cassette_body_parses(name):
    parsed_any = False
    for body in praw_bodies(name):
        if _is_listing(body):
            page = parse_listing(body, FETCHED, {})
            assert len(page.posts) + len(page.skipped) == _things(body)
            assert [p.created_at for p in page.posts] == sorted(p.created_at for p in page.posts)
            for post in page.posts:
                assert post.source == "reddit" and post.native_id[:3] in ("t1_", "t3_")
                assert post.url.startswith("https://www.reddit.com/")
                assert post.is_deleted or post.text.strip()
            parsed_any = True
        elif isinstance(body, dict) and body.get("kind") == "t2":
            name_, karma = parse_karma(body)
            assert name_ and karma > 0
            parsed_any = True
    assert parsed_any, "every cassette holds a listing or an about page"


def test_new_submissions_carry_score_and_comments():
    page = parse_listing(praw_bodies("TestSubredditListings.test_new.json", "/new")[0], FETCHED, {})
    assert len(page.posts) == 100 and all(p.kind == "post" for p in page.posts)
    assert sum(p.engagement.replies for p in page.posts) > 0
    assert all(p.conversation_id == p.native_id for p in page.posts)


def test_comments_keep_their_thread_and_parent():
    page = parse_listing(praw_bodies("TestSubredditListings.test_comments.json", "/comments")[0], FETCHED, {})
    assert len(page.posts) == 100 and all(p.kind == "comment" for p in page.posts)
    assert all(p.conversation_id.startswith("t3_") and p.parent_id for p in page.posts)


def test_a_deleted_comment_is_recognised_and_has_no_author():
    children = praw_children("TestComment.test_refresh__deleted_comment.json", "/api/info")
    post = parse_listing({"kind": "Listing", "data": {"children": children}}, FETCHED, {}).posts[0]
    assert post.is_deleted and post.author_handle is None and post.author_reach is None


def test_a_comment_page_as_a_list_of_listings_parses():
    body = praw_bodies("TestComment.test_refresh__deleted_comment.json", "/comments/")[0]
    assert isinstance(body, list) and len(body) == 2  # [the submission, its comments (none left here)]
    page = parse_listing(body, FETCHED, {})
    assert [p.kind for p in page.posts] == ["post"]


def test_karma_becomes_author_reach():
    about = praw_bodies("TestRedditor.test_notes__subreddits.json", "/about")[0]
    name, karma = parse_karma(about)
    child = praw_children("TestSubredditListings.test_new.json", "/new")[0]
    child["data"]["author"] = name
    post = parse_listing({"kind": "Listing", "data": {"children": [child]}}, FETCHED, {name: karma}).posts[0]
    assert post.author_reach == karma


def test_removed_by_moderators_is_deleted_and_a_broken_child_is_skipped():
    child = json.loads(json.dumps(praw_children("TestSubredditListings.test_new.json", "/new")[0]))
    child["data"]["removed_by_category"] = "moderator"
    broken = {"kind": "t3", "data": {"name": "t3_zzz", "title": "no time"}}
    page = parse_listing({"kind": "Listing", "data": {"children": [child, broken]}}, FETCHED, {})
    assert page.posts[0].is_deleted and [s.native_id for s in page.skipped] == ["t3_zzz"]


def test_something_other_than_a_listing_is_refused():
    with pytest.raises(ValueError):
        parse_listing({"kind": "t2", "data": {}}, FETCHED, {})
