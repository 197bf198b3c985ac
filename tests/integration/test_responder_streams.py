"""X and Reddit read what the brand's responders post: X user timelines, Reddit user comments and posts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import connectors.ratelimit
from connectors.reddit.connector import RedditConnector
from connectors.reddit.settings import RedditSettings
from connectors.x.connector import XConnector
from connectors.x.settings import XSettings
from tests.fakes.fake_api import REDDIT_ID, REDDIT_SECRET, X_TOKEN, FakeAPI
from tests.fakes.recorded import fake_data, require_recorded

BRAND_ID = "783214"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", lambda _s: None)


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    require_recorded()
    data = fake_data()
    complaint = data.search[0]
    data.users.append({"id": BRAND_ID, "username": "AuroraMotors", "public_metrics": {"followers_count": 45000}})
    data.timeline = [
        {
            "id": str(int(complaint["id"]) + 1000 * n),
            "text": f"@someone we're on it ({n})",
            "author_id": BRAND_ID,
            "created_at": complaint["created_at"],
            "conversation_id": complaint.get("conversation_id", complaint["id"]),
            "referenced_tweets": [{"type": "replied_to", "id": complaint["id"]}],
            "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
        }
        for n in (1, 2)
    ]
    question = data.reddit_new[0]["data"]
    data.reddit_user["AuroraMotors_Team/comments"] = [
        {
            "kind": "t1",
            "data": {
                "id": "rsp0001",
                "name": "t1_rsp0001",
                "author": "AuroraMotors_Team",
                "body": "Thanks for flagging this, we've sent you a DM.",
                "score": 3,
                "created_utc": float(question["created_utc"]) + 600,
                "link_id": question["name"],
                "parent_id": question["name"],
                "permalink": f"/r/{question['subreddit']}/comments/{question['id']}/_/rsp0001/",
            },
        }
    ]
    with FakeAPI(data, page_size=20) as fake:
        yield fake


def test_x_reads_each_responders_timeline_from_a_since_id_cursor(api: FakeAPI) -> None:
    settings = XSettings(enabled=True, api_base=api.url, queries=["#brexit"])  # type: ignore[call-arg]
    x = XConnector(settings, X_TOKEN, responders=["AuroraMotors"])
    batch = x.fetch(None)
    replies = [p for p in batch.posts if p.author_handle == "AuroraMotors"]
    assert len(replies) == 2 and all(p.kind == "reply" and p.parent_id for p in replies)
    assert f"timeline:{BRAND_ID}" in batch.next_cursor.to_json()["streams"]
    x.fetch(batch.next_cursor)
    [_, second] = [q for _, path, q in api.requests if path == f"/2/users/{BRAND_ID}/tweets"]
    assert second["since_id"] == [max(t["id"] for t in api.data.timeline)]


def test_reddit_reads_each_responders_comments_and_posts(api: FakeAPI) -> None:
    settings = RedditSettings(enabled=True, api_base=api.url, subreddits=["askreddit"])  # type: ignore[call-arg]
    reddit = RedditConnector(settings, REDDIT_ID, REDDIT_SECRET, responders=["AuroraMotors_Team"])
    batch = reddit.fetch(None)
    assert api.count("/user/AuroraMotors_Team/comments") == 1 and api.count("/user/AuroraMotors_Team/submitted") == 1
    [reply] = [p for p in batch.posts if p.author_handle == "AuroraMotors_Team"]
    assert reply.parent_id == api.data.reddit_new[0]["data"]["name"]
