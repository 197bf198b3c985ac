"""The X connector replays tweepy's recorded X API v2 traffic through the real tweepy (vcrpy, no network)."""

from __future__ import annotations

import pytest
import vcr

from connectors.x.connector import XConnector
from connectors.x.settings import XSettings
from tests.conftest import make_post
from tests.fakes.recorded import TWEEPY, require_recorded

REPLAY = vcr.VCR(
    record_mode="none", decode_compressed_response=True, match_on=("method", "scheme", "host", "port", "path")
)


@pytest.fixture(autouse=True)
def recorded() -> None:
    require_recorded()


def replay(name: str) -> object:
    return REPLAY.use_cassette(str(TWEEPY / name))


def spy(x: XConnector) -> list[tuple[str, dict]]:
    """Every (path, params) tweepy sends; the cassette holds what was recorded, not what we send."""
    sent: list[tuple[str, dict]] = []
    send = x.client.session.request

    def request(method: str, url: str, **kwargs: object) -> object:
        sent.append((url.removeprefix("https://api.twitter.com"), dict(kwargs.get("params") or {})))  # type: ignore[call-overload]
        return send(method, url, **kwargs)

    x.client.session.request = request  # type: ignore[method-assign]
    return sent


def connector(**settings: object) -> XConnector:
    defaults: dict[str, object] = {"enabled": True, "queries": [], "mentions_of": [], "max_pages_per_tick": 1}
    return XConnector(XSettings(**{**defaults, **settings}), "recorded-token", sleep=lambda s: None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cassette", ["test_client_search_recent_tweets.yaml", "test_asyncclient_search_recent_tweets.yaml"]
)
def test_recent_search_replays_into_posts_and_a_resumable_cursor(cassette):
    x = connector(queries=["Tweepy"])
    sent = spy(x)
    with replay(cassette):
        batch = x.fetch(None)
    path, query = sent[0]
    assert path == "/2/tweets/search/recent" and query["query"] == "Tweepy -is:retweet"
    assert query["expansions"] == "author_id,referenced_tweets.id"
    assert "public_metrics" in query["tweet.fields"] and "public_metrics" in query["user.fields"]
    assert len(batch.posts) == 10, "recorded without referenced_tweets: nothing is known to be a retweet"
    stream = batch.next_cursor.to_json()["streams"]["search:Tweepy"]
    assert stream["next"], "the page bound was reached: the next token is kept to resume"
    assert not batch.exhausted


@pytest.mark.parametrize(
    "cassette", ["test_client_get_users_mentions.yaml", "test_asyncclient_get_users_mentions.yaml"]
)
def test_mentions_of_a_brand_account_replay(cassette):
    x = connector(mentions_of=["783214"])
    sent = spy(x)
    with replay(cassette):
        batch = x.fetch(None)
    assert sent[0][0] == "/2/users/783214/mentions" and sent[0][1]["max_results"] == 100
    assert batch.posts and all(p.source == "x" and p.text for p in batch.posts)
    assert "mentions:783214" in batch.next_cursor.to_json()["streams"]


def test_brand_handles_are_resolved_to_ids_once():
    x = connector(mentions_of=["Twitter", "TwitterDev"])
    users: dict[str, str | None] = {}
    sent = spy(x)
    with replay("test_client_get_users.yaml"):
        x._resolve(users)
        x._resolve(users)  # already known: no second request
    assert users == {"twitter": "783214", "twitterdev": "2244994945"}
    assert [path for path, _ in sent] == ["/2/users/by"]


def test_engagement_refresh_looks_tweets_up_by_id():
    x = connector(queries=["unused"], cost={"repoll_min_velocity": 0})  # these built posts have no velocity
    posts = [make_post("1293593516040269825"), make_post("1293595870563381249")]
    sent = spy(x)
    with replay("test_client_get_tweets.yaml"):
        updates = x.refresh(posts)
    assert sent[0][0] == "/2/tweets" and sent[0][1]["ids"] == "1293593516040269825,1293595870563381249"
    assert sorted(u.native_id for u in updates) == sorted(p.native_id for p in posts)
    assert all(not u.is_deleted for u in updates)
