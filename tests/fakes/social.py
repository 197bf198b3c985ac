"""Replayed Bluesky and Mastodon servers: the recorded responses, plus a few built from their shapes.

Recorded (tests/fixtures/recorded/): Mastodon's hashtag timeline, account statuses, one status, the
instance and an authenticated search; Bluesky's searchPosts, getAuthorFeed and getPosts. None of them
is about a brand, so the brand's complaint and its responder's reply are BUILT: a recorded status (or
post view) copied with its text, ids and author changed. Also built, because nothing was recorded: the
Bluesky login (createSession) and profile lookup, and Mastodon's account lookup and status lookup.
"""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes.replay_http import Server, r_vcr, vcrpy

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"
MASTODON = RECORDED / "mastodon"
BLUESKY = RECORDED / "bluesky" / "bskyr-cassettes"
COMPLAINT = "@AuroraMotors my Aurora Volt overheated with the kids in the back seat, still waiting for an answer"
REPLY = "We're so sorry. Please DM us your VIN and we'll call you today."
RESPONDER_DID = "did:plc:aurorasupportxxxxxxxxxxx"


def recent(minutes_ago: float) -> str:
    """A time shortly before now (the built posts are recent: the brand's answer is linked within 7 days)."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def recorded_body(interactions: list[tuple[str, Any]], path_part: str) -> Any:
    """The JSON body of the first recorded response to a URI containing `path_part`."""
    return json.loads(next(r.body for uri, r in interactions if path_part in uri))


# --- Mastodon ---------------------------------------------------------------------------


def mastodon_statuses() -> list[dict[str, Any]]:
    """The recorded #rstats timeline of mastodon.social (5 statuses, newest first)."""
    return recorded_body(r_vcr(MASTODON / "rtoot-cassettes" / "get_timeline_hashtag_anonymous.yml"), "/tag/")


def mastodon_complaint(base: dict[str, Any]) -> dict[str, Any]:
    """BUILT: a recorded status re-addressed to the brand (text, id, author changed)."""
    status = copy.deepcopy(base)
    status["id"], status["uri"] = "114870142396399999", "https://mastodon.social/users/dana/statuses/114870142396399999"
    status["url"] = "https://mastodon.social/@dana/114870142396399999"
    mention = '<span class="h-card"><a href="https://mastodon.social/@AuroraMotors" class="u-url mention">'
    status["content"] = "<p>" + COMPLAINT.replace("@AuroraMotors", mention + "@<span>AuroraMotors</span></a></span>")
    status["content"] += "</p>"
    status["mentions"] = [
        {"id": "1", "username": "AuroraMotors", "acct": "AuroraMotors", "url": "https://mastodon.social/@AuroraMotors"}
    ]
    status["account"] = {
        **status["account"],
        "id": "424242",
        "username": "dana",
        "acct": "dana",
        "followers_count": 5000,
    }
    status["favourites_count"], status["reblogs_count"], status["replies_count"] = 40, 12, 3
    status["created_at"] = recent(30)
    return status


def mastodon_reply(base: dict[str, Any], to: dict[str, Any]) -> dict[str, Any]:
    """BUILT: the responder's reply to `to`, in a recorded status's shape."""
    status = copy.deepcopy(base)
    status["id"], status["in_reply_to_id"] = "114870142396400001", to["id"]
    status["uri"] = "https://mastodon.social/users/AuroraSupport/statuses/114870142396400001"
    status["url"] = "https://mastodon.social/@AuroraSupport/114870142396400001"
    status["created_at"] = recent(10)
    status["content"], status["mentions"] = f"<p>{REPLY}</p>", []
    status["account"] = {**status["account"], "id": "777", "username": "AuroraSupport", "acct": "AuroraSupport"}
    return status


def mastodon_server(tag: str = "auroramotors") -> Server:
    """The instance: a tag timeline (recorded, plus the built complaint), the responder's statuses."""
    timeline = mastodon_statuses()
    complaint = mastodon_complaint(timeline[0])
    reply = mastodon_reply(timeline[0], complaint)
    headers = r_vcr(MASTODON / "rtoot-cassettes" / "get_timeline_hashtag_anonymous.yml")[0][1].headers
    server = Server().load(
        vcrpy(MASTODON / "mastodonpy-entity-recordings" / "test_entity_searchv2.1.instance_v2.json"),
        as_path="/api/v2/instance",
    )
    server.add(
        f"/api/v1/timelines/tag/{tag}", 200, [complaint, *timeline], {k: v for k, v in headers.items() if k != "link"}
    )
    server.add("/api/v1/accounts/lookup", 200, reply["account"])  # BUILT: no lookup was recorded
    server.add("/api/v1/accounts/777/statuses", 200, [reply])
    server.add("/api/v1/statuses", 200, [{**complaint, "favourites_count": 90}])  # BUILT: the status lookup (4.3+)
    return server


# --- Bluesky ----------------------------------------------------------------------------


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def session_body(did: str = "did:plc:earshotxxxxxxxxxxxxxxxx") -> dict[str, Any]:
    """BUILT: createSession's answer (none was recorded: it carries tokens); the JWT expires in 2100."""
    payload = {"scope": "com.atproto.appPass", "sub": did, "iat": 1_700_000_000, "exp": 4_102_444_800}
    jwt = ".".join([_b64({"alg": "ES256K", "typ": "at+jwt"}), _b64(payload), "c2ln"])
    return {"accessJwt": jwt, "refreshJwt": jwt, "handle": "earshot.bsky.social", "did": did, "active": True}


def bluesky_views() -> list[dict[str, Any]]:
    """The recorded searchPosts page (25 post views, newest first)."""
    return recorded_body(r_vcr(BLUESKY / "f_search.yml"), "searchPosts")["posts"]


def bluesky_complaint(base: dict[str, Any]) -> dict[str, Any]:
    """BUILT: a recorded post view re-addressed to the brand, with a mention facet."""
    view = copy.deepcopy(base)
    view["uri"] = "at://did:plc:danaxxxxxxxxxxxxxxxxxxxx/app.bsky.feed.post/3lpk9complaint"
    view["author"] = {**view["author"], "did": "did:plc:danaxxxxxxxxxxxxxxxxxxxx", "handle": "dana.bsky.social"}
    view["record"] = {
        "$type": "app.bsky.feed.post",
        "text": COMPLAINT,
        "createdAt": recent(30),
        "langs": ["en"],
        "facets": [
            {
                "index": {"byteStart": 0, "byteEnd": 13},
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:auroramotorsxxxxxxxxxxxx"}],
            }
        ],
    }
    view["indexedAt"] = recent(29.9)
    view["likeCount"], view["repostCount"], view["replyCount"] = 40, 12, 3
    return view


def bluesky_reply(
    base: dict[str, Any], to: dict[str, Any], handle: str = "aurorasupport.bsky.social"
) -> dict[str, Any]:
    """BUILT: the responder's reply to `to` (the feed item shape of the recorded getAuthorFeed)."""
    view = copy.deepcopy(base)
    view["uri"] = f"at://{RESPONDER_DID}/app.bsky.feed.post/3lpk9reply"
    view["author"] = {**view["author"], "did": RESPONDER_DID, "handle": handle}
    ref = {"uri": to["uri"], "cid": to["cid"]}
    view["record"] = {
        "$type": "app.bsky.feed.post",
        "text": REPLY,
        "createdAt": recent(10),
        "langs": ["en"],
        "reply": {"root": ref, "parent": ref},
    }
    view["indexedAt"] = recent(9.9)
    return view


def bluesky_server(handle: str = "aurorasupport.bsky.social") -> Server:
    """The PDS: login, the recorded search (plus the built complaint), the responder's feed, getPosts."""
    views = bluesky_views()
    complaint = bluesky_complaint(views[0])
    reply = bluesky_reply(views[0], complaint, handle)
    search = r_vcr(BLUESKY / "f_search.yml")[0][1]
    server = Server()
    server.add("/xrpc/com.atproto.server.createSession", 200, session_body())
    server.add("/xrpc/app.bsky.feed.searchPosts", 200, {"posts": [complaint, *views]}, search.headers)
    server.add("/xrpc/app.bsky.actor.getProfile", 200, {"did": RESPONDER_DID, "handle": handle})  # BUILT
    server.add("/xrpc/app.bsky.feed.getAuthorFeed", 200, {"feed": [{"post": reply}]})
    server.add("/xrpc/app.bsky.feed.getPosts", 200, {"posts": [{**complaint, "likeCount": 90}]})
    # BUILT: no getProfiles was recorded; a profile view (profileViewDetailed) has followersCount
    server.add("/xrpc/app.bsky.actor.getProfiles", 200, {"profiles": [{**complaint["author"], "followersCount": 5000}]})
    return server
