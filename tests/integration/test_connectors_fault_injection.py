"""X and Reddit connectors against a loopback fake API that injects 429s, 5xx, 401s and truncated JSON."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC

import pytest
import yaml
from typer.testing import CliRunner

import classifiers
import connectors.ratelimit
from bot.app.config import load_config
from bot.app.pipeline import Pipeline
from bot.cli.main import app
from bot.core.errors import RateLimited
from bot.store import Store
from bot.store.tables import PostRow
from classifiers.stub import StubClassifier
from connectors.reddit.connector import RedditConnector
from connectors.reddit.settings import RedditSettings
from connectors.settings import BudgetSettings
from connectors.x.connector import XConnector
from connectors.x.settings import XSettings
from tests.conftest import REPO
from tests.fakes.fake_api import REDDIT_ID, REDDIT_SECRET, X_TOKEN, FakeAPI, Fault
from tests.fakes.recorded import fake_data, require_recorded

SEARCH = "#brexit"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every backoff and rate-limit wait is recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", slept.append)
    return slept


@pytest.fixture
def api() -> Iterator[FakeAPI]:
    require_recorded()
    with FakeAPI(fake_data(), page_size=20) as fake:
        yield fake


@pytest.fixture
def store(migrated_sqlite_url: str) -> Iterator[Store]:
    opened = Store.open(migrated_sqlite_url)
    yield opened
    opened.engine.dispose()


def x_connector(api: FakeAPI, **overrides: object) -> XConnector:
    settings = XSettings(enabled=True, api_base=api.url, queries=[SEARCH], mentions_of=["AuroraMotors"], **overrides)  # type: ignore[arg-type]
    return XConnector(settings, X_TOKEN, own_handles=["AuroraMotors"])


def reddit_connector(api: FakeAPI, **overrides: object) -> RedditConnector:
    settings = RedditSettings(
        enabled=True, api_base=api.url, subreddits=["askreddit"], queries=["praw oauth search"], **overrides
    )  # type: ignore[arg-type]
    return RedditConnector(settings, REDDIT_ID, REDDIT_SECRET)


def pipeline(store: Store, *sources: object) -> Pipeline:
    config = load_config(REPO / "config.yaml")
    return Pipeline(
        store,
        list(sources),
        classifier=StubClassifier,
        settings=config.pipeline,  # type: ignore[arg-type]
        engagement=config.connectors.engagement,
        classifier_settings=config.classifier,
        clock=lambda: 0.0,
    )


def expected_x(api: FakeAPI) -> set[str]:
    """What X serves: search excludes retweets by query; mentions cannot, and what is served is kept."""

    def original(t: dict) -> bool:
        return not any(r.get("type") == "retweeted" for r in t.get("referenced_tweets") or [])

    return {t["id"] for t in api.data.search if original(t)} | {t["id"] for t in api.data.mentions}


def expected_reddit(api: FakeAPI) -> set[str]:
    return {c["data"]["name"] for c in api.data.reddit_new + api.data.reddit_comments + api.data.reddit_search}


def stored(store: Store, source: str) -> list[PostRow]:
    from sqlmodel import select

    with store.session() as session:
        return list(session.exec(select(PostRow).where(PostRow.source == source)).all())


def test_every_served_post_is_stored_once_through_429s_5xx_and_truncated_json(api, store, no_sleep):
    api.faults += [
        Fault("/2/tweets/search/recent", 429, headers={"x-rate-limit-reset": "1", "x-rate-limit-remaining": "0"}),
        Fault("/2/tweets/search/recent", 429),  # no reset header: jittered backoff
        Fault("/2/users/783214/mentions", 503, times=2),
        Fault("/2/tweets/search/recent", truncate=True),
        Fault("/api/v1/access_token", 500),
        Fault("/r/askreddit/new", 429, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"}),
        Fault("/r/askreddit/comments", 502),
        Fault("/search", truncate=True),
        Fault("/user/", 429),
    ]
    run = pipeline(store, x_connector(api), reddit_connector(api))
    for connector in run.connectors:
        result = run.ingest(connector)
        assert result.error is None, result
    x_rows, reddit_rows = stored(store, "x"), stored(store, "reddit")
    assert sorted(r.native_id for r in x_rows) == sorted(expected_x(api))
    assert sorted(r.native_id for r in reddit_rows) == sorted(expected_reddit(api))
    assert all(f.times == 0 for f in api.faults), "every injected fault was met"
    assert 0 < len(no_sleep) <= 12 and max(no_sleep) < 5
    assert all(r.author_reach is not None for r in x_rows)
    live = [r for r in reddit_rows if not r.is_deleted]
    assert all(r.author_reach is not None for r in live)
    assert sum(r.likes + r.reposts + r.replies for r in x_rows) > 0
    deleted = [r for r in reddit_rows if r.is_deleted]
    assert deleted and all(r.stage == "skipped" for r in deleted)


def test_cursors_resume_after_a_restart_and_fetch_only_new_posts(api, store):
    pipeline(store, x_connector(api), reddit_connector(api)).run_once()
    before = {"x": len(stored(store, "x")), "reddit": len(stored(store, "reddit"))}
    newest = max(api.data.search, key=lambda t: int(t["id"]))
    fresh_tweet = {**copy.deepcopy(newest), "id": str(int(newest["id"]) + 1), "text": "my order is broken again"}
    fresh_tweet.pop("referenced_tweets", None)
    api.data.search.append(fresh_tweet)
    newest_sub = max(api.data.reddit_new, key=lambda c: c["data"]["created_utc"])
    fresh_sub = copy.deepcopy(newest_sub)
    fresh_sub["data"].update(name="t3_fresh1", id="fresh1", created_utc=newest_sub["data"]["created_utc"] + 60)
    api.data.reddit_new.append(fresh_sub)
    served = len(api.requests)

    restarted = pipeline(store, x_connector(api), reddit_connector(api))  # new connectors, same store
    results = [restarted.ingest(c) for c in restarted.connectors]

    assert [r.new for r in results] == [1, 1]
    assert {"x": len(stored(store, "x")), "reddit": len(stored(store, "reddit"))} == {
        "x": before["x"] + 1,
        "reddit": before["reddit"] + 1,
    }
    since = [q.get("since_id") for m, p, q in api.requests[served:] if p == "/2/tweets/search/recent"]
    assert since and all(s == [str(int(newest["id"]))] for s in since)
    new_pages = [p for _, p, _ in api.requests[served:] if p in ("/r/askreddit/new", "/r/askreddit/comments")]
    assert len(new_pages) == 2, "one page per listing: the cursor stops at known items"


def test_401_on_x_stops_x_and_leaves_reddit_running(api, store):
    api.reject.add("x")
    x, reddit = x_connector(api), reddit_connector(api)
    run = pipeline(store, x, reddit)
    run.run_once()
    states = {s.source: s for s in store.source_states()}
    assert states["x"].status == "stopped" and "AuthFailed" in states["x"].last_error
    assert states["reddit"].status == "ok"
    assert len(stored(store, "reddit")) == len(expected_reddit(api)) and not stored(store, "x")
    assert not run.health.may_poll("x") and run.health.may_poll("reddit")
    x_requests = api.count("/2/")
    run.ingest(x)
    assert api.count("/2/") == x_requests, "a stopped source sends nothing more"


def test_401_from_the_reddit_token_endpoint_is_an_auth_failure(api, store):
    api.reject.add("reddit")
    run = pipeline(store, reddit_connector(api))
    assert "401" in (run.ingest(run.connectors[0]).error or "")
    state = store.source_state("reddit")
    assert state.status == "stopped" and state.last_error.startswith("AuthFailed")


def test_a_long_rate_limit_pauses_the_source_with_retry_after(api):
    api.faults.append(Fault("/2/tweets/search/recent", 429, headers={"retry-after": "900"}, times=1))
    api.faults.append(Fault("/2/users/by", 429, headers={"x-rate-limit-reset": "4102444800"}, times=9))
    with pytest.raises(RateLimited) as caught:
        x_connector(api).fetch(None)
    assert caught.value.retry_after > 60
    assert caught.value.__cause__ is not None


def test_the_request_budget_is_never_exceeded(api, store):
    reddit = reddit_connector(api, budget=BudgetSettings(requests=6, window_seconds=600))
    run = pipeline(store, reddit)
    run.ingest(reddit)
    assert api.count("/r/") + api.count("/search") + api.count("/user/") + api.count("/api/info") <= 6
    assert stored(store, "reddit"), "what the budget allowed was stored"


def test_engagement_refresh_batches_ids_and_marks_deleted_posts(api, store):
    x, reddit = x_connector(api, cost={"repoll_min_velocity": 0}), reddit_connector(api)  # re-poll every one
    run = pipeline(store, x, reddit)
    run.run_once()
    x_posts = [store.find_post("x", r.native_id).post for r in stored(store, "x")]
    gone = x_posts[0]
    api.data.search = [t for t in api.data.search if t["id"] != gone.native_id]
    api.data.mentions = [t for t in api.data.mentions if t["id"] != gone.native_id]
    updates = x.refresh(x_posts)
    assert len(updates) == len(x_posts)
    assert [u.is_deleted for u in updates if u.native_id == gone.native_id] == [True]
    reddit_posts = [store.find_post("reddit", r.native_id).post for r in stored(store, "reddit")]
    info_before = api.count("/api/info")
    reddit_updates = reddit.refresh(reddit_posts)
    assert api.count("/api/info") - info_before == -(-len(reddit_posts) // 100)
    assert {u.native_id for u in reddit_updates} == {p.native_id for p in reddit_posts}
    assert store.save_engagement(reddit_updates) == len(reddit_updates)


def test_run_once_twice_from_the_cli_then_sources_reports_both(api, tmp_path, monkeypatch):
    db = tmp_path / "cli.db"
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["database"] = {"url": f"sqlite:///{db}"}
    config["connectors"]["replay"]["enabled"] = False
    config["connectors"]["x"].update(enabled=True, api_base=api.url, queries=[SEARCH], mentions_of=["AuroraMotors"])
    config["connectors"]["reddit"].update(
        enabled=True, api_base=api.url, subreddits=["askreddit"], queries=["praw oauth search"]
    )
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    monkeypatch.setenv("X_BEARER_TOKEN", X_TOKEN)
    monkeypatch.setenv("REDDIT_CLIENT_ID", REDDIT_ID)
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", REDDIT_SECRET)
    monkeypatch.setattr(classifiers, "load_classifier", lambda settings, **_: StubClassifier(), raising=False)
    api.faults += [Fault("/2/tweets/search/recent", 429), Fault("/r/askreddit/new", 503)]
    runner = CliRunner()

    for _ in range(2):
        result = runner.invoke(app, ["run", "--once", "--config", str(path)])
        assert result.exit_code == 0, result.output

    store = Store.open(f"sqlite:///{db}")
    assert sorted(r.native_id for r in stored(store, "x")) == sorted(expected_x(api))
    assert sorted(r.native_id for r in stored(store, "reddit")) == sorted(expected_reddit(api))
    sources = runner.invoke(app, ["sources", "--config", str(path), "--json"])
    assert sources.exit_code == 0, sources.output
    rows = {row["source"]: row for row in map(json.loads, sources.output.splitlines())}
    assert rows["x"]["status"] == rows["reddit"]["status"] == "ok"
    assert rows["x"]["posts_today"] == len(expected_x(api))
    assert rows["x"]["cursor"]["streams"][f"search:{SEARCH}"]["since"]
    store.engine.dispose()


def test_brand_accounts_resolve_one_by_one_when_the_batch_lookup_is_missing(api, store):
    api.faults.append(Fault("/2/users/by", 404))
    batch = x_connector(api).fetch(None)
    assert batch.next_cursor.to_json()["users"] == {"auroramotors": "783214"}
    assert api.count("/2/users/by/username/AuroraMotors") == 1 and api.count("/2/users/783214/mentions") >= 1


def test_an_unknown_brand_account_is_skipped_and_search_goes_on(api):
    x = XConnector(XSettings(enabled=True, api_base=api.url, queries=[SEARCH], mentions_of=["NoSuchBrand"]), X_TOKEN)
    batch = x.fetch(None)
    assert batch.next_cursor.to_json()["users"] == {"nosuchbrand": None}
    assert batch.posts and api.count("/2/users/by/username/NoSuchBrand") == 1


def test_a_server_that_ignores_since_id_costs_one_page_per_stream_and_stores_nothing_twice(api, store):
    api.honour_since = False
    pipeline(store, x_connector(api), reddit_connector(api)).run_once()
    served = len(api.requests)
    again = pipeline(store, x_connector(api), reddit_connector(api))
    results = [again.ingest(c) for c in again.connectors]
    assert [r.new for r in results] == [0, 0]
    paths = [p for _, p, _ in api.requests[served:]]
    assert paths.count("/2/tweets/search/recent") == 1 and paths.count("/2/users/783214/mentions") == 1
    assert paths.count("/r/askreddit/new") == 1 and paths.count("/search") == 1


def test_run_once_re_polls_fresh_complaints_and_stores_snapshots(api, store):
    from datetime import datetime, timedelta

    recent = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for tweet in api.data.search + api.data.mentions:
        tweet["created_at"] = recent
        tweet["text"] = "my car is broken and support is useless " + tweet["text"]
    for child in api.data.reddit_new:
        child["data"]["created_utc"] = datetime.now(UTC).timestamp() - 3600 - len(child["data"]["id"])
        child["data"]["title"] = "Broken again: " + child["data"]["title"]
    x = x_connector(api, cost={"repoll_min_velocity": 0})  # these fresh complaints have no interactions yet
    run = pipeline(store, x, reddit_connector(api))
    run.run_once()
    assert api.count("/2/tweets") - api.count("/2/tweets/search") >= 1, "tweet lookup by id"
    assert api.count("/api/info") == 1, "100 fresh submissions: one info request"
    row = stored(store, "x")[0]
    assert len(store.snapshots(row.id)) >= 2, "the intake snapshot and the re-poll"


def test_a_refused_query_fails_loudly_but_mentions_still_arrive(api, store):
    api.faults.append(Fault("/2/tweets/search/recent", 400, times=50))
    run = pipeline(store, x_connector(api))
    result = run.ingest(run.connectors[0])
    assert "400" in (result.error or "")
    mentions = {t["id"] for t in api.data.mentions} & expected_x(api)
    assert {r.native_id for r in stored(store, "x")} == mentions
    assert store.source_state("x").status == "failing"


def test_an_api_base_behind_a_gateway_path_prefix_reaches_both_apis(api):
    api.prefix = "/gateway"
    x = XConnector(XSettings(enabled=True, api_base=api.url + "/gateway/", queries=[SEARCH]), X_TOKEN)
    reddit = RedditConnector(
        RedditSettings(enabled=True, api_base=api.url + "/gateway", subreddits=["askreddit"], include_comments=False),
        REDDIT_ID,
        REDDIT_SECRET,
    )
    assert x.fetch(None).posts and reddit.fetch(None).posts
    assert api.count("/not-found") == 0
