"""One contract for every polled source, each against its replayed API: what the pipeline relies on.

X and Reddit replay through the loopback fake (tests/fakes/fake_api.py, recorded pages); Bluesky and
Mastodon through their recorded responses (tests/fakes/social.py). A source added later joins here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

import connectors.ratelimit
from connectors.base import Batch, Connector
from connectors.bluesky.connector import BlueskyConnector
from connectors.bluesky.settings import BlueskySettings
from connectors.cursor import SourceCursor
from connectors.mastodon.connector import MastodonConnector
from connectors.mastodon.settings import MastodonSettings
from connectors.registry import SOURCES
from tests.fakes.fake_api import FakeAPI
from tests.fakes.recorded import fake_data
from tests.fakes.replay_http import httpx_transport, requests_session
from tests.fakes.social import bluesky_server, mastodon_server
from tests.integration.test_connectors_fault_injection import reddit_connector, x_connector

Build = Callable[[ExitStack], Callable[[], Connector]]  # opens the replayed API, gives a connector factory


def _x(stack: ExitStack) -> Callable[[], Connector]:
    api = stack.enter_context(FakeAPI(fake_data(), page_size=20))
    return lambda: x_connector(api, cost={"repoll_min_velocity": 0})


def _reddit(stack: ExitStack) -> Callable[[], Connector]:
    api = stack.enter_context(FakeAPI(fake_data(), page_size=20))
    return lambda: reddit_connector(api)


def _bluesky(stack: ExitStack) -> Callable[[], Connector]:
    settings = BlueskySettings(enabled=True, login="earshot.bsky.social", queries=["aurora"])
    server = bluesky_server()
    return lambda: BlueskyConnector(settings, "pw", ["aurorasupport.bsky.social"], transport=httpx_transport(server))


def _mastodon(stack: ExitStack) -> Callable[[], Connector]:
    base = "https://mastodon.social"
    settings = MastodonSettings(enabled=True, instances=[{"api_base": base, "hashtags": ["AuroraMotors"]}])
    server = mastodon_server()
    return lambda: MastodonConnector(
        settings, {}, ["AuroraSupport@mastodon.social"], session=requests_session(server, base)
    )


BUILDERS: dict[str, tuple[Build, set[str]]] = {
    "x": (_x, {"x.com"}),
    "reddit": (_reddit, {"www.reddit.com"}),
    "bluesky": (_bluesky, {"bsky.app"}),
    "mastodon": (_mastodon, {"mastodon.social", "rstats.me", "corteximplant.com", "hachyderm.io"}),
}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", lambda _s: None)


@pytest.fixture(params=sorted(BUILDERS))
def source(request: pytest.FixtureRequest) -> Iterator[tuple[str, Connector, Connector, set[str]]]:
    build, hosts = BUILDERS[request.param]
    with ExitStack() as stack:
        make = build(stack)
        yield request.param, make(), make(), hosts


def test_every_polled_source_is_in_the_contract():
    streams = {"replay", "jetstream"}  # a recording, and a firehose (tests/integration/test_jetstream_replay.py)
    assert set(BUILDERS) == set(SOURCES) - streams


def test_a_fetch_gives_its_own_posts_oldest_first_with_https_links_to_the_right_host(source):
    name, connector, _, hosts = source
    batch = connector.fetch(None)
    assert batch.posts and connector.name == name
    assert all(p.source == name for p in batch.posts)
    assert [p.created_at for p in batch.posts] == sorted(p.created_at for p in batch.posts)
    for post in batch.posts:
        parts = urlsplit(post.url)
        assert parts.scheme == "https" and parts.hostname in hosts, post.url
    assert len({p.native_id for p in batch.posts}) == len(batch.posts)


def test_the_cursor_is_json_and_a_restarted_connector_adds_nothing_from_it(source):
    _, connector, restarted, _ = source
    batch, taken = connector.fetch(None), set()
    for _ in range(20):  # until the source says it is exhausted (as the pipeline does within a tick)
        taken |= {p.native_id for p in batch.posts}
        if batch.exhausted:
            break
        batch = connector.fetch(stored(connector, batch))
    again = restarted.fetch(stored(restarted, batch))  # as the store keeps it
    assert not {p.native_id for p in again.posts} & taken


def stored(connector: Connector, batch: Batch) -> SourceCursor | None:
    """The batch's cursor as the store keeps it (JSON) and the ingest stage reads it back."""
    return connector.cursor_type.load(json.loads(json.dumps(batch.next_cursor.to_json())))


def test_refresh_answers_only_for_the_posts_it_was_given(source):
    name, connector, _, _ = source
    posts = connector.fetch(None).posts[:5]
    updates = connector.refresh(posts)
    assert updates and {u.native_id for u in updates} <= {p.native_id for p in posts}
    assert all(u.source == name for u in updates)
