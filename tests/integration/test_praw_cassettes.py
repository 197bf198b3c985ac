"""The Reddit connector replays PRAW's recorded Reddit traffic through the real praw/prawcore (vcrpy, no network)."""

from __future__ import annotations

import json

import pytest
import vcr

from connectors.reddit.connector import RedditConnector
from connectors.reddit.settings import RedditSettings
from tests.conftest import make_post
from tests.fakes.recorded import PRAW, require_recorded


class JsonSerializer:
    """PRAW's cassettes are JSON, not vcrpy's default YAML."""

    @staticmethod
    def deserialize(text: str) -> dict:
        return json.loads(text)

    @staticmethod
    def serialize(data: dict) -> str:
        return json.dumps(data)


def same_resource(r1: vcr.request.Request, r2: vcr.request.Request) -> None:
    """Paths equal up to a trailing slash; /r/all/search is Reddit's site-wide /search."""

    def norm(path: str) -> str:
        return path.rstrip("/").replace("/r/all/search", "/search")

    assert norm(r1.path) == norm(r2.path)


REPLAY = vcr.VCR(record_mode="none", serializer="praw-json", match_on=("method", "host", "resource"))
REPLAY.register_serializer("praw-json", JsonSerializer)
REPLAY.register_matcher("resource", same_resource)


@pytest.fixture(autouse=True)
def recorded() -> None:
    require_recorded()


def connector(**settings: object) -> RedditConnector:
    defaults: dict[str, object] = {
        "enabled": True,
        "subreddits": ["askreddit"],
        "queries": [],
        "include_comments": False,
        "max_pages_per_tick": 1,
        "max_karma_lookups_per_tick": 0,
    }
    return RedditConnector(
        RedditSettings(**{**defaults, **settings}),
        "recorded-id",
        "recorded-secret",  # type: ignore[arg-type]
        sleep=lambda s: None,
    )


def sent_paths(reddit: RedditConnector) -> list[tuple[str, dict]]:
    """Every (url, params) prawcore sends through its requestor, token request included."""
    sent: list[tuple[str, dict]] = []
    requestor = reddit.reddit._core.requestor
    send = requestor.request

    def request(*args: object, **kwargs: object) -> object:
        url = str(kwargs.get("url") or args[1])
        sent.append((url.split("://", 1)[1].split("/", 1)[1], dict(kwargs.get("params") or {})))  # type: ignore[call-overload]
        return send(*args, **kwargs)

    requestor.request = request  # type: ignore[method-assign]
    return sent


def test_new_submissions_replay_through_read_only_praw():
    reddit = connector()
    assert reddit.reddit.read_only
    sent = sent_paths(reddit)
    with REPLAY.use_cassette(str(PRAW / "TestSubredditListings.test_new.json")):
        batch = reddit.fetch(None)
    assert len(batch.posts) == 100 and {p.kind for p in batch.posts} == {"post"}
    assert ("api/v1/access_token", {}) in sent
    assert ("r/askreddit/new", {"limit": 100, "raw_json": 1}) in sent
    assert batch.next_cursor.to_json()["streams"]["new:askreddit"]["next"], "page bound reached: resume with `after`"


def test_new_comments_replay():
    reddit = connector(include_comments=True)
    reddit.listings = lambda: [("comments:askreddit", "r/askreddit/comments", {})]  # type: ignore[method-assign]
    with REPLAY.use_cassette(str(PRAW / "TestSubredditListings.test_comments.json")):
        batch = reddit.fetch(None)
    assert len(batch.posts) == 100 and {p.kind for p in batch.posts} == {"comment"}
    assert all(p.url.startswith("https://www.reddit.com/") and p.parent_id for p in batch.posts)


def test_site_wide_search_replays():
    reddit = connector(subreddits=["unused"], queries=["praw oauth search"])
    reddit.listings = lambda: [("search:praw oauth search", "search", {"q": "praw oauth search", "sort": "new"})]  # type: ignore[method-assign]
    with REPLAY.use_cassette(str(PRAW / "TestSubreddit.test_search.json")):
        batch = reddit.fetch(None)
    assert batch.posts and batch.exhausted
    assert batch.next_cursor.to_json()["streams"]["search:praw oauth search"]["since"] > 0


def test_stream_pages_replay_and_the_cursor_moves_to_the_newest():
    reddit = connector(subreddits=["all"], max_pages_per_tick=2)
    with REPLAY.use_cassette(str(PRAW / "TestSubredditStreams.test_submissions.json")):
        batch = reddit.fetch(None)
    newest = max(p.created_at for p in batch.posts).timestamp()
    tied = sorted(p.native_id for p in batch.posts if p.created_at.timestamp() == newest)
    assert batch.exhausted, "the feed ended within two pages: the walk is complete"
    assert batch.next_cursor.to_json()["streams"]["new:all"] == {"since": newest, "seen": tied}
    assert len({p.native_id for p in batch.posts}) == len(batch.posts)


def test_a_comment_page_with_an_empty_second_page_ends_the_walk():
    reddit = connector(subreddits=["kakapo"], max_pages_per_tick=3)
    reddit.listings = lambda: [("comments:kakapo", "r/kakapo/comments", {})]  # type: ignore[method-assign]
    with REPLAY.use_cassette(str(PRAW / "TestSubredditStreams.test_comments__with_pause.json")):
        batch = reddit.fetch(None)
    assert batch.posts and batch.exhausted


def test_karma_is_looked_up_once_per_author():
    reddit = connector(max_karma_lookups_per_tick=10)
    sent = sent_paths(reddit)
    with REPLAY.use_cassette(str(PRAW / "TestRedditor.test_notes__subreddits.json")):
        reddit._learn_karma(["Watchful1", "Watchful1"], limit=10)
        reddit._learn_karma(["Watchful1"], limit=10)
    assert [path for path, _ in sent if path.startswith("user/")] == ["user/Watchful1/about"]
    karma = reddit.karma.get("Watchful1")
    assert karma is not None and karma > 0


def test_refresh_by_fullname_marks_a_deleted_comment():
    reddit = connector()
    post = make_post("t1_d7ltvl0", source="reddit")
    with REPLAY.use_cassette(str(PRAW / "TestComment.test_refresh__deleted_comment.json")):
        updates = reddit.refresh([post])
    assert [(u.native_id, u.is_deleted) for u in updates] == [("t1_d7ltvl0", True)]
