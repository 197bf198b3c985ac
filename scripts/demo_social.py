"""DEMO Bluesky and Mastodon pages for data/demo/stream.jsonl, in the shapes of the recorded responses
(tests/fixtures/recorded/bluesky, .../mastodon). Every post here is WRITTEN for the demo: the authors,
texts, ids and counts are invented, and each author's display name says "(demo)"."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

SKY_DID = {"river": "did:plc:demoriverxxxxxxxxxxxxxxx", "support": "did:plc:demoaurorasupportxxxxxx"}
HOST = "mastodon.social"


def pages(last: datetime) -> list[tuple[datetime, str, str, dict[str, Any]]]:
    """(fetched at, source, kind, body) of the demo's Bluesky search and feed pages and Mastodon tag and
    account pages, all shortly before `last` (the stream's end)."""
    complaint_at = last - timedelta(hours=3)
    reply_at = complaint_at + timedelta(minutes=40)
    complaint = _view(
        "river",
        "river-rides.bsky.social",
        "3demo0complaint",
        complaint_at,
        "@auroramotors.bsky.social my Aurora Nova has refused to charge at three of your own stations today. "
        "Stuck on the motorway with the kids, nobody answers the phone. This is a problem.",
        mention=("auroramotors.bsky.social", "did:plc:demoauroramotorsxxxxxxx"),
        counts=(48, 9, 4, 1),
    )
    reply = _view(
        "support",
        "aurorasupport.bsky.social",
        "3demo0reply",
        reply_at,
        "We're sorry, that's not the experience we want. A roadside team is on its way; please DM us your location.",
        reply_to=complaint,
    )
    toot = _status(
        "114900000000000001",
        "lena_ev",
        complaint_at + timedelta(minutes=5),
        '<p>Day 19 waiting for my <a href="https://mastodon.social/tags/AuroraMotors" class="mention hashtag">'
        "#<span>AuroraMotors</span></a> Volt delivery. Three dates promised, three dates missed, no refund of "
        "the deposit either. Worst buying experience ever.</p>",
        counts=(31, 12, 5),
    )
    sky = _status(
        "114900000000000002",
        "stargazer",
        complaint_at + timedelta(minutes=20),
        '<p>The <a href="https://mastodon.social/tags/aurora" class="mention hashtag">#<span>aurora</span></a>'
        " over Tromsø tonight was unreal, green curtains all over the northern sky</p>",
        counts=(120, 30, 2),
    )
    toot_reply = _status(
        "114900000000000003",
        "AuroraSupport",
        complaint_at + timedelta(minutes=55),
        "<p>@lena_ev we're sorry for the wait. Your delivery specialist will call today with a firm date.</p>",
        counts=(2, 0, 0),
        reply_to="114900000000000001",
    )
    return [
        (complaint_at + timedelta(minutes=2), "bluesky", "bluesky_posts", {"posts": [complaint]}),
        (reply_at + timedelta(minutes=2), "bluesky", "bluesky_posts", {"posts": [reply]}),
        (
            complaint_at + timedelta(minutes=30),
            "mastodon",
            "mastodon_statuses",
            {"host": HOST, "statuses": [sky, toot]},
        ),
        (
            complaint_at + timedelta(minutes=60),
            "mastodon",
            "mastodon_statuses",
            {"host": HOST, "statuses": [toot_reply]},
        ),
    ]


def _time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _view(
    who: str,
    handle: str,
    rkey: str,
    when: datetime,
    text: str,
    *,
    mention: tuple[str, str] | None = None,
    counts: tuple[int, int, int, int] = (0, 0, 0, 0),
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A post view as searchPosts and getAuthorFeed send it."""
    did = SKY_DID[who]
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": _time(when), "langs": ["en"], "text": text}
    if mention:
        end = len(("@" + mention[0]).encode())
        feature = {"$type": "app.bsky.richtext.facet#mention", "did": mention[1]}
        record["facets"] = [{"features": [feature], "index": {"byteEnd": end, "byteStart": 0}}]
    if reply_to:
        ref = {"cid": reply_to["cid"], "uri": reply_to["uri"]}
        record["reply"] = {"parent": ref, "root": ref}
    likes, reposts, replies, quotes = counts
    return {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "cid": f"bafyreidemo{rkey}",
        "author": {"did": did, "handle": handle, "displayName": f"{handle.split('.')[0]} (demo)", "labels": []},
        "record": record,
        "indexedAt": _time(when + timedelta(seconds=1)),
        "likeCount": likes,
        "repostCount": reposts,
        "replyCount": replies,
        "quoteCount": quotes,
        "labels": [],
    }


def _status(
    status_id: str, user: str, when: datetime, html: str, *, counts: tuple[int, int, int], reply_to: str | None = None
) -> dict[str, Any]:
    """A status as a tag timeline and account statuses send it."""
    favourites, boosts, replies = counts
    account = {
        "id": str(zlib.crc32(user.encode())),
        "username": user,
        "acct": user,
        "display_name": f"{user} (demo)",
        "followers_count": 800,
        "url": f"https://{HOST}/@{user}",
    }
    mentions = (
        [{"id": "1", "username": "lena_ev", "acct": "lena_ev", "url": f"https://{HOST}/@lena_ev"}] if reply_to else []
    )
    return {
        "id": status_id,
        "created_at": _time(when),
        "in_reply_to_id": reply_to,
        "language": "en",
        "uri": f"https://{HOST}/users/{user}/statuses/{status_id}",
        "url": f"https://{HOST}/@{user}/{status_id}",
        "content": html,
        "spoiler_text": "",
        "visibility": "public",
        "reblog": None,
        "account": account,
        "mentions": mentions,
        "tags": [],
        "media_attachments": [],
        "replies_count": replies,
        "reblogs_count": boosts,
        "favourites_count": favourites,
    }
