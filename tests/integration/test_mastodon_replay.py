"""The Mastodon connector replaying recorded instance traffic through the real Mastodon.py."""

from __future__ import annotations

import json
import time

import pytest

import connectors.ratelimit
from bot.core.errors import AuthFailed, RateLimited
from connectors.cursor import PolledCursor
from connectors.mastodon.connector import NO_SEARCH, MastodonConnector
from connectors.mastodon.settings import MastodonSettings
from tests.fakes.replay_http import Server, requests_session, vcrpy
from tests.fakes.social import MASTODON, mastodon_server, mastodon_statuses

BASE = "https://mastodon.social"
RESPONDER = "AuroraSupport@mastodon.social"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", slept.append)
    return slept


def connector(server: Server, responders=(RESPONDER,), **instance: object) -> MastodonConnector:
    settings = MastodonSettings(
        enabled=True, instances=[{"api_base": BASE, "hashtags": ["AuroraMotors"], **instance}], retry={"attempts": 2}
    )
    return MastodonConnector(settings, {"MASTODON_TOKEN": "t"}, responders, session=requests_session(server, BASE))


def test_a_hashtag_timeline_and_a_responders_statuses_become_posts():
    server = mastodon_server()
    batch = connector(server).fetch(None)
    by_id = {p.native_id: p for p in batch.posts}
    assert len(batch.posts) == 7 and batch.skipped == []
    assert [p.created_at for p in batch.posts] == sorted(p.created_at for p in batch.posts)
    complaint = by_id["mastodon.social:114870142396399999"]
    assert complaint.author_handle == "dana@mastodon.social" and complaint.mentions == ("auroramotors@mastodon.social",)
    assert complaint.text.startswith("@AuroraMotors my Aurora Volt overheated")
    assert (complaint.engagement.likes, complaint.engagement.reposts, complaint.engagement.replies) == (40, 12, 3)
    reply = by_id["mastodon.social:114870142396400001"]
    assert reply.kind == "reply" and reply.parent_id == complaint.native_id
    assert reply.author_handle == "AuroraSupport@mastodon.social"
    remote = by_id["mastodon.social:114869166181027661"]  # recorded: a status from corteximplant.com
    assert remote.author_handle == "donnagen@corteximplant.com"
    assert remote.url == "https://corteximplant.com/@donnagen/114869166140148790"
    assert all(p.url.startswith("https://") for p in batch.posts)
    json.dumps(batch.next_cursor.to_json())  # the cursor is stored as JSON
    assert batch.next_cursor.to_json()["users"] == {"mastodon.social:aurorasupport@mastodon.social": "777"}


def test_a_link_to_an_unrelated_host_is_replaced_by_the_instances_own_page():
    server = mastodon_server()
    timeline = mastodon_statuses()
    timeline[0]["url"] = "http://evil.example/phish"
    server.routes["/api/v1/timelines/tag/auroramotors"].clear()
    server.add("/api/v1/timelines/tag/auroramotors", 200, timeline[:1])
    post = connector(server, responders=()).fetch(None).posts[0]
    assert post.url == f"https://mastodon.social/@simonpcouch@rstats.me/{timeline[0]['id']}"


def test_a_second_fetch_adds_nothing_and_a_restart_resumes_with_since_id():
    server = mastodon_server()
    first = connector(server).fetch(None)
    again = connector(server).fetch(first.next_cursor)  # a new connector: a restarted daemon
    assert again.posts == []
    assert "since_id=114870142396399999" in server.requests_to("/tag/auroramotors")[-1]


def test_older_pages_are_walked_with_max_id_from_the_link_header():
    server = Server().load(
        vcrpy(MASTODON / "mastodonpy-entity-recordings" / "test_entity_searchv2.1.instance_v2.json"),
        as_path="/api/v2/instance",
    )
    timeline = mastodon_statuses()
    link = f'<{BASE}/api/v1/timelines/tag/auroramotors?max_id={timeline[1]["id"]}>; rel="next"'
    server.add(
        "/api/v1/timelines/tag/auroramotors", 200, timeline[:2], {"link": link}
    )  # BUILT: the recorded page cut in two
    server.add("/api/v1/timelines/tag/auroramotors", 200, timeline[2:])
    batch = connector(server, responders=()).fetch(None)
    assert len(batch.posts) == 5
    assert f"max_id={timeline[1]['id']}" in server.requests_to("/tag/")[1]


def test_a_429_with_a_distant_reset_pauses_the_source():
    server = mastodon_server()
    server.routes["/api/v1/timelines/tag/auroramotors"].clear()
    reset = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() + 900))
    # BUILT: no 429 was recorded; the headers are the recorded x-ratelimit-* ones with nothing left
    server.add(
        "/api/v1/timelines/tag/auroramotors",
        429,
        {"error": "Too many requests"},
        {"x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
    )
    with pytest.raises(RateLimited) as caught:
        connector(server, responders=()).fetch(None)
    assert 890 <= caught.value.retry_after <= 905


def test_a_page_that_spends_the_window_makes_the_next_request_wait(no_sleep):
    server = mastodon_server()
    reset = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() + 30))
    timeline = mastodon_statuses()
    server.routes["/api/v1/timelines/tag/auroramotors"].clear()
    link = f'<{BASE}/api/v1/timelines/tag/auroramotors?max_id={timeline[1]["id"]}>; rel="next"'
    server.add(
        "/api/v1/timelines/tag/auroramotors",
        200,
        timeline[:2],
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset, "link": link},
    )  # BUILT from recorded headers
    server.add("/api/v1/timelines/tag/auroramotors", 200, timeline[2:])
    batch = connector(server, responders=()).fetch(None)
    assert len(batch.posts) == 5 and len(no_sleep) == 1 and 25 <= no_sleep[0] <= 32


def test_a_refused_token_stops_the_source():
    server = mastodon_server()
    server.routes["/api/v1/timelines/tag/auroramotors"].clear()
    server.add("/api/v1/timelines/tag/auroramotors", 401, {"error": "The access token is invalid"})
    with pytest.raises(AuthFailed, match="401"):
        connector(server, responders=()).fetch(None)


def test_a_search_the_instance_cannot_answer_is_named_in_the_cursor():
    server = mastodon_server()
    server.load(
        vcrpy(MASTODON / "mastodonpy-cassettes" / "test_search.yaml"), "type=statuses"
    )  # recorded: no full-text search
    batch = connector(server, responders=(), queries=["aurora"], token_env="MASTODON_TOKEN").fetch(None)
    assert batch.next_cursor.to_json()["notes"] == {"search:mastodon.social:aurora": NO_SEARCH}


def test_a_search_with_hits_gives_their_statuses():
    server = mastodon_server()
    server.load(
        vcrpy(MASTODON / "mastodonpy-entity-recordings" / "test_entity_searchv2.2.search_v2.json"),
        as_path="/api/v2/search",
    )
    batch = connector(server, responders=(), queries=["halcy"], token_env="MASTODON_TOKEN").fetch(None)
    assert sum(p.native_id.startswith("mastodon.social:") for p in batch.posts) == 8  # 6 from the tag, 2 hits
    assert batch.next_cursor.to_json()["notes"] == {}


def test_refresh_updates_counts_and_marks_a_status_no_longer_served_deleted():
    server = mastodon_server()
    source = connector(server)
    posts = source.fetch(None).posts
    updates = {u.native_id: u for u in source.refresh(posts[:7])}
    complaint = updates["mastodon.social:114870142396399999"]
    assert complaint.engagement.likes == 90 and not complaint.is_deleted
    assert sum(u.is_deleted for u in updates.values()) == 6
    assert "id%5B%5D=114870142396399999" in server.requests_to("/api/v1/statuses?")[0]


def test_a_responder_the_instance_could_not_look_up_is_asked_again_next_tick():
    server = mastodon_server()
    lookup = server.routes["/api/v1/accounts/lookup"]
    unavailable = lookup[0].__class__(status=503, headers={}, body='{"error":"unavailable"}')  # BUILT: a 503
    lookup[0:0] = [unavailable, unavailable]  # both attempts of the first tick
    source = connector(server)
    first = source.fetch(None)
    assert "mastodon.social:aurorasupport@mastodon.social" not in first.next_cursor.to_json()["users"]
    again = connector(server).fetch(first.next_cursor)
    assert again.next_cursor.to_json()["users"] == {"mastodon.social:aurorasupport@mastodon.social": "777"}
    assert any(p.author_handle == "AuroraSupport@mastodon.social" for p in again.posts)


def test_a_status_federated_to_two_configured_instances_is_taken_once_across_fetches():
    server = mastodon_server()
    other = "https://fosstodon.org"
    settings = MastodonSettings(
        enabled=True,
        instances=[{"api_base": BASE, "hashtags": ["AuroraMotors"]}, {"api_base": other, "hashtags": ["rstats"]}],
    )
    session = requests_session(server, BASE)
    session.mount(other + "/", session.get_adapter(BASE + "/"))  # BUILT: fosstodon serves the same statuses
    server.routes["/api/v1/timelines/tag/rstats"] = [server.routes["/api/v1/timelines/tag/auroramotors"][0]]
    source = MastodonConnector(settings, {}, (), session=session)
    first = source.fetch(None)
    assert len(first.posts) == 6 and all(p.native_id.startswith("mastodon.social:") for p in first.posts)
    assert len(first.next_cursor.to_json()["uris"]) == 6
    cursor = json.loads(json.dumps(first.next_cursor.to_json()))
    del cursor["streams"]["tag:fosstodon.org:rstats"]  # as if fosstodon were added to the config only now
    again = MastodonConnector(settings, {}, (), session=session).fetch(PolledCursor.from_json(cursor))
    assert again.posts == []  # its statuses were taken from mastodon.social already (the uris in the cursor)
