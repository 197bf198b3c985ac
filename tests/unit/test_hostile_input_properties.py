"""Property-based tests: hostile input to the X and Reddit parsers, the replay reader and the config loader.

Whatever comes in (huge texts, odd Unicode, NULs, lone surrogates, absurd numbers and dates, wrong
types, deep nesting), the answer is a post fit for the database, a counted skip, or a clear config
error; never a crash, never a stalled source. 10,000 generated cases in all (3,000 + 3,000 + 1,000 + 2,700 + 300);
the quick tier (`HYPOTHESIS_PROFILE=dev`) draws at most 50 per property.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app.config import config_from_document, load_config
from bot.core.errors import ConfigError
from bot.core.posts import Post
from bot.core.sanitize import MAX_HANDLE, MAX_ID, MAX_INT
from connectors.bluesky.parse import parse_views
from connectors.mastodon.parse import parse_statuses
from connectors.reddit.parse import parse_listing
from connectors.replay.connector import ReplayConnector
from connectors.replay.settings import ReplaySettings
from connectors.x.parse import parse_page
from tests.conftest import REPO, examples

FETCHED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FAST = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large], "database": None}

# A pool of hostile values: drawing from it is cheap, so a normal run affords thousands of cases.
POOL = [
    None,
    True,
    False,
    0,
    -1,
    12,
    1e20,
    -1e20,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    2**63,
    2**70,
    "12",
    "1e20",
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e",
    "🚗🚗",
    "9" * 65,
    "h" * 129,
    "z" * 300_000,
    "\x00" * 70_000,
    [],
    {},
    [1, [2]],
    {"a": {"b": None}},
    ["t3_x"],
    "2026-11-20T07:00:00Z",
    "2026-11-20T07:00:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2004-12-31T23:59:59Z",
    "2026-11-25T00:00:00Z",
    "2026-13-45T99:99:99Z",
    "not a date",
    1.79e9,
    -1e12,
]
HOSTILE = st.sampled_from(POOL)
TEXT = st.one_of(st.text(max_size=30), HOSTILE, st.sampled_from(["my car is broken", "brakes failed 🚗"]))
NUMBER = st.one_of(HOSTILE, st.integers(-(2**70), 2**70), st.floats())
DATE = st.one_of(HOSTILE, st.sampled_from(["2026-11-20T07:00:00Z", "2026-11-19T07:00:00.000Z"]))

TWEET = st.fixed_dictionaries(
    {"id": st.one_of(HOSTILE, st.sampled_from(["1", "2", "3"]), st.integers(0, 2**70)), "text": TEXT},
    optional={
        "created_at": DATE,
        "author_id": st.one_of(HOSTILE, st.sampled_from(["u1", "u2"])),
        "lang": TEXT,
        "conversation_id": TEXT,
        "public_metrics": st.one_of(
            HOSTILE, st.dictionaries(st.sampled_from(["like_count", "retweet_count", "impression_count"]), NUMBER)
        ),
        "referenced_tweets": st.one_of(
            HOSTILE, st.lists(st.fixed_dictionaries({"type": TEXT, "id": NUMBER}), max_size=2)
        ),
        "edit_history_tweet_ids": st.one_of(HOSTILE, st.lists(TEXT, max_size=3)),
    },
)
USER = st.fixed_dictionaries(
    {"id": st.sampled_from(["u1", "u2"])},
    optional={
        "username": TEXT,
        "public_metrics": st.one_of(HOSTILE, st.fixed_dictionaries({"followers_count": NUMBER})),
    },
)
THING = st.fixed_dictionaries(
    {"id": st.one_of(TEXT, st.sampled_from(["abc", "def"]))},
    optional={
        "name": TEXT,
        "author": TEXT,
        "title": TEXT,
        "selftext": TEXT,
        "body": TEXT,
        "created_utc": st.one_of(NUMBER, DATE),
        "score": NUMBER,
        "num_comments": NUMBER,
        "parent_id": TEXT,
        "permalink": TEXT,
    },
)


def fits_the_database(post: Post) -> None:
    """What every database must accept: clean text, bounded ids, handles and numbers."""
    for text in (post.text, post.url, post.native_id, post.author_handle or "", post.parent_id or ""):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogate
    assert 0 < len(post.native_id) <= MAX_ID and len(post.author_handle or "") <= MAX_HANDLE
    e = post.engagement
    for number in (e.likes, e.reposts, e.replies, e.quotes, e.views or 0, post.author_reach or 0):
        assert isinstance(number, int) and abs(number) <= MAX_INT


@settings(max_examples=examples(3000), **FAST)
@given(tweets=st.lists(TWEET, max_size=4), users=st.lists(USER, max_size=2))
def test_x_pages_of_hostile_tweets_give_posts_fit_for_the_database_or_counted_skips(tweets, users) -> None:
    page = parse_page({"data": tweets, "includes": {"users": users}}, FETCHED)
    for post in page.posts:
        fits_the_database(post)
    assert len(page.posts) + len(page.skipped) <= len(tweets)
    assert all(item.reason for item in page.skipped)


@settings(max_examples=examples(3000), **FAST)
@given(things=st.lists(st.tuples(st.sampled_from(["t1", "t3", "t5", 7]), st.one_of(THING, HOSTILE)), max_size=4))
def test_reddit_listings_of_hostile_things_give_posts_fit_for_the_database_or_counted_skips(things) -> None:
    body = {"kind": "Listing", "data": {"children": [{"kind": kind, "data": data} for kind, data in things]}}
    page = parse_listing(body, FETCHED)
    for post in page.posts:
        fits_the_database(post)
    usable = sum(1 for kind, _ in things if kind in ("t1", "t3"))
    assert len(page.posts) + len(page.skipped) == usable


VIEW = st.fixed_dictionaries(
    {
        "uri": st.one_of(HOSTILE, st.sampled_from(["at://did:plc:a/app.bsky.feed.post/3k", "at://did:plc:b/x/1"])),
        "author": st.one_of(HOSTILE, st.fixed_dictionaries({"did": TEXT, "handle": TEXT})),
        "record": st.one_of(
            HOSTILE,
            st.fixed_dictionaries(
                {"text": TEXT, "createdAt": DATE},
                optional={
                    "langs": st.one_of(HOSTILE, st.lists(TEXT, max_size=2)),
                    "reply": st.one_of(HOSTILE, st.fixed_dictionaries({"parent": HOSTILE, "root": HOSTILE})),
                    "facets": st.one_of(
                        HOSTILE,
                        st.lists(
                            st.fixed_dictionaries(
                                {
                                    "index": st.fixed_dictionaries({"byteStart": NUMBER, "byteEnd": NUMBER}),
                                    "features": st.just([{"$type": "app.bsky.richtext.facet#mention"}]),
                                }
                            ),
                            max_size=2,
                        ),
                    ),
                    "embed": HOSTILE,
                },
            ),
        ),
    },
    optional={
        "indexedAt": DATE,
        "likeCount": NUMBER,
        "repostCount": NUMBER,
        "replyCount": NUMBER,
        "quoteCount": NUMBER,
    },
)
STATUS = st.fixed_dictionaries(
    {
        "id": st.one_of(HOSTILE, st.sampled_from(["1", "114870142396314555"])),
        "account": st.one_of(
            HOSTILE, st.fixed_dictionaries({"id": TEXT, "acct": TEXT}, optional={"followers_count": NUMBER})
        ),
        "created_at": DATE,
        "content": TEXT,
    },
    optional={
        "url": TEXT,
        "uri": TEXT,
        "in_reply_to_id": TEXT,
        "reblog": st.one_of(HOSTILE, st.fixed_dictionaries({"id": TEXT, "content": TEXT})),
        "mentions": st.one_of(HOSTILE, st.lists(st.fixed_dictionaries({"acct": TEXT}), max_size=2)),
        "favourites_count": NUMBER,
        "reblogs_count": NUMBER,
        "replies_count": NUMBER,
        "spoiler_text": TEXT,
        "language": TEXT,
    },
)


@settings(max_examples=1500, **FAST)
@given(views=st.lists(st.one_of(VIEW, HOSTILE), max_size=4))
def test_bluesky_post_views_that_are_hostile_give_posts_fit_for_the_database_or_counted_skips(views) -> None:
    page = parse_views(views, FETCHED)
    for post in page.posts:
        fits_the_database(post)
        assert post.url.startswith("https://bsky.app/profile/did:")
    assert len(page.posts) + len(page.skipped) == len(views)


@settings(max_examples=1500, **FAST)
@given(statuses=st.lists(st.one_of(STATUS, HOSTILE), max_size=4))
def test_mastodon_statuses_that_are_hostile_give_posts_fit_for_the_database_or_counted_skips(statuses) -> None:
    page = parse_statuses(statuses, "mastodon.social", FETCHED)
    for post in page.posts:
        fits_the_database(post)
        assert post.url.startswith("https://")
    assert len(page.posts) + len(page.skipped) == len(statuses)


GOOD = json.dumps(
    {
        "fetched_at": "2026-11-20T08:00:00+00:00",
        "kind": "x_page",
        "body": {"data": [{"id": "1", "text": "my car is broken", "created_at": "2026-11-20T07:00:00Z"}]},
    }
).encode()
HOSTILE_LINE = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda n: b"[" * n + b"]" * n, st.integers(1, 120_000)),
    st.builds(lambda value: json.dumps(value, default=str).encode(), HOSTILE),
    st.builds(
        lambda at, kind, body: json.dumps({"fetched_at": at, "kind": kind, "body": body}, default=str).encode(),
        DATE,
        st.sampled_from(["x_page", "reddit_listing", "reddit_about", "other"]),
        st.one_of(HOSTILE, st.builds(lambda t: {"data": [t]}, TWEET)),
    ),
)


@settings(max_examples=examples(1000), **FAST)
@given(lines=st.lists(HOSTILE_LINE, max_size=4))
def test_the_replay_reader_passes_every_hostile_line_and_keeps_the_good_one(tmp_path_factory, lines) -> None:
    folder = tmp_path_factory.mktemp("replay")
    (folder / "stream.jsonl").write_bytes(b"\n".join([GOOD, *(line.replace(b"\n", b" ") for line in lines)]))
    connector = ReplayConnector(ReplaySettings(), folder, clock=lambda: FETCHED)
    batch = connector.fetch(None)
    assert batch.next_cursor.to_json()["line"] == len(connector._lines)  # past everything: the source never stalls
    assert "1" in {post.native_id for post in batch.posts}
    for post in batch.posts:
        fits_the_database(post)


BASE = yaml.safe_load((REPO / "config.yaml").read_text())
SECTIONS = ["pipeline", "database", "logging", "alarms", "brand", "connectors", "routing", "classifier"]
CONFIG_VALUE = st.one_of(HOSTILE, st.sampled_from(["notadb://", "DEBUG", "json", "sqlite:///x.db", 5, 0.5]))


def mutate(document: Any, steps: list[int], key: str, value: Any) -> None:
    """Walk `steps` (indexes into each mapping's keys or each list) and set `key` (or the item reached) to `value`."""
    node = document
    for step in steps:
        children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
        inner = [child for child in children if isinstance(child, dict | list)]
        if not inner:
            break
        node = inner[step % len(inner)]
    if isinstance(node, dict):
        keys = list(node)
        node[keys[len(key) % len(keys)] if keys and len(key) % 2 else key] = value  # a known key or a new one
    elif isinstance(node, list) and node:
        node[len(key) % len(node)] = value


@settings(max_examples=examples(2700), **FAST)
@given(
    section=st.sampled_from(SECTIONS),
    steps=st.lists(st.integers(0, 20), max_size=4),
    key=st.text(max_size=8) | st.sampled_from(["batch_size", "url", "level", "timeout_seconds"]),
    value=CONFIG_VALUE,
)
def test_the_config_loader_gives_a_config_or_one_clear_config_error(section, steps, key, value) -> None:
    # Copies: `mutate` may walk into either section, and a hostile value left in BASE would reach later tests (a
    # 300,000-character brand name once made the next test's YAML dump run past its timeout).
    document = {"brand": copy.deepcopy(BASE["brand"]), section: copy.deepcopy(BASE.get(section, {}))}
    mutate(document, [SECTIONS.index(section), *steps], key, copy.deepcopy(value))
    path = Path("config.yaml")
    try:
        config_from_document(document, path)
    except ConfigError as err:
        message = str(err)
        assert message.startswith("config.yaml: ") and "\n" not in message


SHORT_VALUE = CONFIG_VALUE.filter(lambda value: not isinstance(value, str) or len(value) < 1000)  # YAML is slow
SMALL = ["pipeline", "database", "logging", "alarms", "brand"]


@settings(max_examples=examples(300), **FAST)
@given(section=st.sampled_from(SMALL), key=st.text(max_size=8), value=SHORT_VALUE, whole=st.booleans())
def test_a_config_file_with_a_hostile_value_gives_one_clear_config_error(tmp_path_factory, section, key, value, whole):
    document: dict[str, Any] = {"brand": copy.deepcopy(BASE["brand"]), section: copy.deepcopy(BASE.get(section) or {})}
    if whole:
        document[section] = copy.deepcopy(value)
    else:
        document[section][key] = copy.deepcopy(value)
    path = Path(tmp_path_factory.mktemp("config")) / "config.yaml"
    path.write_bytes(yaml.safe_dump(document, allow_unicode=True).encode("utf-8", errors="surrogatepass"))
    try:
        load_config(path)
    except ConfigError as err:
        assert str(err).startswith(str(path)) and "\n" not in str(err)


def test_the_hostile_config_tests_leave_the_base_config_as_read():
    """Runs after them in this module: a mutation that reached BASE would poison every later example."""
    assert BASE == yaml.safe_load((REPO / "config.yaml").read_text())
