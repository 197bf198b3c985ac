"""The Bluesky connector replaying recorded AppView traffic through the real atproto client."""

from __future__ import annotations

import json
import time

import pytest

import connectors.ratelimit
from bot.core.errors import AuthFailed, RateLimited
from connectors import bluesky
from connectors.base import SourceContext
from connectors.bluesky.connector import BlueskyConnector
from connectors.bluesky.settings import BlueskySettings
from tests.fakes.replay_http import Server, httpx_transport, r_vcr
from tests.fakes.social import BLUESKY, RESPONDER_DID, bluesky_server, bluesky_views

COMPLAINT_ID = "did:plc:danaxxxxxxxxxxxxxxxxxxxx/3lpk9complaint"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", slept.append)
    return slept


def connector(server: Server, responders=("aurorasupport.bsky.social",), **settings: object) -> BlueskyConnector:
    section = BlueskySettings(enabled=True, login="earshot.bsky.social", queries=["aurora"], **settings)  # type: ignore[arg-type]
    return BlueskyConnector(section, "app-password", responders, transport=httpx_transport(server))


def test_search_and_a_responders_feed_become_posts_after_logging_in():
    server = bluesky_server()
    batch = connector(server).fetch(None)
    assert server.requests[0].endswith("/xrpc/com.atproto.server.createSession")
    by_id = {p.native_id: p for p in batch.posts}
    assert len(batch.posts) == 27 and batch.skipped == []
    complaint = by_id[COMPLAINT_ID]
    assert complaint.mentions == ("auroramotors",) and complaint.author_handle == "dana.bsky.social"
    assert complaint.author_reach == 5000  # getProfiles, once per author
    assert len(server.requests_to("getProfiles")) == 1 and "actors=did" in server.requests_to("getProfiles")[0]
    assert (complaint.engagement.likes, complaint.engagement.reposts, complaint.engagement.replies) == (40, 12, 3)
    reply = by_id[f"{RESPONDER_DID}/3lpk9reply"]
    assert reply.kind == "reply" and reply.parent_id == COMPLAINT_ID and reply.conversation_id == COMPLAINT_ID
    assert all(p.url.startswith("https://bsky.app/profile/did:") for p in batch.posts)
    recorded = [p for p in batch.posts if p.native_id not in (COMPLAINT_ID, reply.native_id)]
    assert {p.kind for p in recorded} >= {"post", "reply"}  # the recorded search page has both
    json.dumps(batch.next_cursor.to_json())
    assert batch.next_cursor.to_json()["users"] == {"aurorasupport.bsky.social": RESPONDER_DID}


def test_a_responder_who_changed_handle_is_still_the_brand():
    server = bluesky_server(handle="aurora-help.bsky.social")  # the account's handle is now another
    reply = next(p for p in connector(server).fetch(None).posts if p.author_id == RESPONDER_DID)
    assert reply.author_handle == "aurorasupport.bsky.social"


def test_a_second_fetch_adds_nothing_and_a_restart_resumes_from_the_cursor():
    server = bluesky_server()
    first = connector(server).fetch(None)
    again = connector(server).fetch(first.next_cursor)  # a new connector: a restarted daemon
    assert again.posts == []
    assert len(server.requests_to("getProfile?")) == 1  # the responder's DID was kept in the cursor


def test_the_next_search_page_is_asked_for_with_the_cursor():
    views = bluesky_views()
    server = Server().add(
        "/xrpc/com.atproto.server.createSession",
        200,
        bluesky_server().routes["/xrpc/com.atproto.server.createSession"][0].body,
    )
    server.add(
        "/xrpc/app.bsky.feed.searchPosts", 200, {"posts": views[:10], "cursor": "10"}
    )  # BUILT: the recorded page cut in two
    server.add("/xrpc/app.bsky.feed.searchPosts", 200, {"posts": views[10:]})
    batch = connector(server, responders=()).fetch(None)
    assert len(batch.posts) == 25 and "cursor=10" in server.requests_to("searchPosts")[1]


def test_a_429_with_a_distant_reset_pauses_the_source():
    server = bluesky_server()
    reset = str(int(time.time()) + 900)
    server.routes["/xrpc/app.bsky.feed.searchPosts"].clear()
    # BUILT: no 429 was recorded; the XRPC error shape is the recorded 400's, the headers the recorded RateLimit-*
    server.add(
        "/xrpc/app.bsky.feed.searchPosts",
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        {
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": reset,
            "ratelimit-policy": "3000;w=300",
        },
    )
    with pytest.raises(RateLimited) as caught:
        connector(server, responders=()).fetch(None)
    assert 890 <= caught.value.retry_after <= 905


def test_a_refused_app_password_stops_the_source():
    recorded_error = r_vcr(BLUESKY / "r_post_errors.yml")[0][1]  # the recorded XRPC error body's shape
    server = Server().add(
        "/xrpc/com.atproto.server.createSession",
        401,
        {
            **json.loads(recorded_error.body),
            "error": "AuthenticationRequired",
            "message": "Invalid identifier or password",
        },
    )
    with pytest.raises(AuthFailed, match="Invalid identifier or password"):
        connector(server).fetch(None)


def test_a_missing_app_password_is_named_clearly():
    settings = BlueskySettings(enabled=True, login="earshot.bsky.social", queries=["aurora"])
    assert bluesky.problems(settings, SourceContext()) == [
        "connectors.bluesky: enabled, but the environment variable BLUESKY_APP_PASSWORD is not set "
        "(an app password for connectors.bluesky.login: search needs a logged-in session)"
    ]


def test_refresh_updates_counts_and_marks_a_deleted_post():
    server = bluesky_server()
    source = connector(server)
    posts = source.fetch(None).posts
    updates = {u.native_id: u for u in source.refresh(posts[:3] + [p for p in posts if p.native_id == COMPLAINT_ID])}
    assert updates[COMPLAINT_ID].engagement.likes == 90 and not updates[COMPLAINT_ID].is_deleted
    assert sum(u.is_deleted for u in updates.values()) == 3  # getPosts leaves out what was deleted
