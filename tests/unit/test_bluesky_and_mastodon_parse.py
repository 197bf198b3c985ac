"""Every recorded Bluesky post view and Mastodon status parses into a Post; bad records become dead letters."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

from connectors.bluesky.parse import native_id, parse_views
from connectors.mastodon.parse import html_text, parse_statuses
from tests.fakes.replay_http import r_vcr, vcrpy
from tests.fakes.social import BLUESKY, MASTODON, recorded_body

FETCHED = datetime(2026, 12, 7, tzinfo=UTC)


def test_every_recorded_author_feed_item_parses_with_its_reply_links():
    feed = recorded_body(r_vcr(BLUESKY / "f_autfeed.yml"), "getAuthorFeed")["feed"]
    page = parse_views([item["post"] for item in feed], FETCHED)
    assert len(page.posts) == 50 and page.skipped == []
    replies = [p for p in page.posts if p.kind == "reply"]
    assert len(replies) == sum(1 for item in feed if item["post"]["record"].get("reply"))
    assert all(r.parent_id and r.conversation_id and "/" in r.parent_id for r in replies)
    assert all(p.url.startswith("https://bsky.app/profile/did:") for p in page.posts)


def test_recorded_getposts_and_search_give_engagement_and_languages():
    [post] = parse_views(recorded_body(r_vcr(BLUESKY / "f_getposts.yml"), "getPosts")["posts"], FETCHED).posts
    assert post.engagement.likes == 4 and post.source == "bluesky"
    search = parse_views(recorded_body(r_vcr(BLUESKY / "f_search.yml"), "searchPosts")["posts"], FETCHED)
    assert len(search.posts) == 25 and all(p.language for p in search.posts if p.raw["record"].get("langs"))


def test_a_bluesky_view_without_a_record_is_a_dead_letter_and_the_rest_parse():
    views = recorded_body(r_vcr(BLUESKY / "f_search.yml"), "searchPosts")["posts"][:3]
    broken = copy.deepcopy(views[0])
    del broken["record"]
    page = parse_views([broken, *views[1:]], FETCHED)
    assert len(page.posts) == 2 and len(page.skipped) == 1
    assert page.skipped[0].reason.startswith("unusable post: KeyError") and page.skipped[0].payload is broken


def test_a_uri_that_is_not_a_post_is_refused():
    assert native_id("at://did:plc:abc/app.bsky.feed.post/3k7") == "did:plc:abc/3k7"
    for uri in ("at://did:plc:abc/app.bsky.feed.like/3k7", "https://bsky.app/x", "at://handle/app.bsky.feed.post/1"):
        try:
            native_id(uri)
        except ValueError:
            continue
        raise AssertionError(f"{uri} was taken as a post")


def test_every_recorded_mastodon_status_parses_on_both_instances():
    for name, host in (
        ("get_timeline_hashtag_anonymous.yml", "mastodon.social"),
        ("get_timeline_hashtag_default.yml", "fosstodon.org"),
    ):
        statuses = recorded_body(r_vcr(MASTODON / "rtoot-cassettes" / name), "/tag/")
        page = parse_statuses(statuses, host, FETCHED)
        assert len(page.posts) == 5 and page.skipped == []
        assert all(p.native_id.startswith(f"{host}:") and "@" in (p.author_handle or "") for p in page.posts)
    account = recorded_body(r_vcr(MASTODON / "rtoot-cassettes" / "get_account_statuses_default.yml"), "/statuses")
    page = parse_statuses(account, "fosstodon.org", FETCHED)
    replies = [p for p in page.posts if p.kind == "reply"]
    assert len(page.posts) == 20 and len(replies) == 8
    assert all(r.parent_id and r.parent_id.startswith("fosstodon.org:") for r in replies)


def test_a_recorded_status_gives_its_counts_and_plain_text():
    status = recorded_body(r_vcr(MASTODON / "rtoot-cassettes" / "get_status_anonymous.yml"), "/statuses/")
    [post] = parse_statuses([status], "fosstodon.org", FETCHED).posts
    assert (post.engagement.replies, post.engagement.reposts, post.engagement.likes) == (1, 5, 12)
    assert "<" not in post.text and post.text


def test_recorded_search_hits_parse():
    interactions = vcrpy(MASTODON / "mastodonpy-entity-recordings" / "test_entity_searchv2.2.search_v2.json")
    statuses = json.loads(interactions[0][1].body)["statuses"]
    assert len(parse_statuses(statuses, "mastodon.social", FETCHED).posts) == 2


def test_status_html_becomes_text_with_line_breaks():
    assert html_text("<p>first &amp; <a href='x'>#<span>tag</span></a></p><p>second<br>third</p>") == (
        "first & #tag\nsecond\nthird"
    )


def test_a_mastodon_status_without_an_account_is_a_dead_letter():
    statuses = recorded_body(r_vcr(MASTODON / "rtoot-cassettes" / "get_timeline_hashtag_anonymous.yml"), "/tag/")
    del statuses[0]["account"]
    page = parse_statuses(statuses, "mastodon.social", FETCHED)
    assert len(page.posts) == 4 and page.skipped[0].native_id == f"mastodon.social:{statuses[0]['id']}"
