"""`earshot run --once` with Bluesky and Mastodon enabled, against loopback servers replaying their traffic.

Their posts are ingested, classified and routed like X's: the brand's complaint on each pages the
on-call tier, the responder's reply is its public answer, the unrelated recorded posts are stored but
not about the brand; cursors survive a restart (a second run adds nothing); a refused token stops the
source and raises the alarm once; a kill in the middle of ingestion loses and doubles nothing.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import classifiers
import connectors.ratelimit
from bot.cli.main import app
from bot.store import Store
from classifiers.stub import StubClassifier
from tests.conftest import REPO
from tests.fakes.replay_http import Loopback
from tests.fakes.social import bluesky_server, mastodon_server
from tests.integration.test_service_faults import earshot, wait_for

BLUESKY_URL = "https://bsky.app/profile/did:plc:danaxxxxxxxxxxxxxxxxxxxx/post/3lpk9complaint"
MASTODON_URL = "https://mastodon.social/@dana/114870142396399999"  # the status's own page, on its origin server


@pytest.fixture
def servers() -> Iterator[tuple[Loopback, Loopback]]:
    with Loopback(bluesky_server()) as sky, Loopback(mastodon_server()) as toot:
        yield sky, toot


def write_config(tmp_path: Path, sky: Loopback, toot: Loopback) -> Path:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": f"sqlite:///{tmp_path / 'earshot.db'}"}
    document["connectors"]["replay"]["enabled"] = False
    document["connectors"]["bluesky"] = {
        "enabled": True,
        "api_base": sky.url,
        "login": "earshot.bsky.social",
        "queries": ["Aurora Motors"],
        "retry": {"attempts": 2},
    }
    document["connectors"]["mastodon"] = {
        "enabled": True,
        "instances": [{"api_base": toot.url, "hashtags": ["AuroraMotors"]}],
        "retry": {"attempts": 2},
    }
    document["brand"]["responders"].update(bluesky=["aurorasupport.bsky.social"], mastodon=["AuroraSupport@127.0.0.1"])
    for tier in document["routing"]["alerts"]["tiers"].values():
        tier["urls"] = []
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def run(tmp_path, servers, monkeypatch):
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "app-password")
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    monkeypatch.setattr(classifiers, "load_classifier", lambda settings, **_: StubClassifier(), raising=False)
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", lambda _s: None)
    path = write_config(tmp_path, *servers)

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--config", str(path)])
        assert result.exit_code == 0, result.output
        return result.output

    invoke.url = f"sqlite:///{tmp_path / 'earshot.db'}"  # type: ignore[attr-defined]
    invoke.path = path  # type: ignore[attr-defined]
    return invoke


def test_both_sources_are_ingested_classified_and_routed_like_x(run, servers):
    run("run", "--once")
    store = Store.open(run.url)
    assert store.count_posts() == 26 + 1 + 6 + 1  # search + reply, timeline + reply
    assert store.count_posts("ingested") == store.count_posts("classified") == 0
    alerts = [json.loads(line) for line in run("alerts", "--json").splitlines()]
    replied = {a["post_url"]: a["reply"] for a in alerts}
    assert set(replied) == {BLUESKY_URL, MASTODON_URL}, alerts  # one page each, links to the right hosts
    assert replied[BLUESKY_URL]["responder"] == "aurorasupport.bsky.social"
    assert replied[MASTODON_URL]["responder"] == "AuroraSupport@127.0.0.1"
    unrelated = store.find_post("bluesky", "did:plc:kkergqgbhb56ptpwj2wenkje/3lpk2u6qo222m")
    assert unrelated is not None and not store.labels(unrelated.id).about_brand
    store.engine.dispose()


def test_a_second_run_adds_nothing_and_sources_shows_both(run):
    run("run", "--once")
    store = Store.open(run.url)
    stored, cursors = store.count_posts(), (store.load_cursor("bluesky"), store.load_cursor("mastodon"))
    run("run", "--once")
    assert store.count_posts() == stored
    assert cursors[0]["streams"] and cursors[1]["streams"]
    rows = {row["source"]: row for row in map(json.loads, run("sources", "--json").splitlines())}
    assert rows["bluesky"]["status"] == rows["mastodon"]["status"] == "ok"
    assert rows["bluesky"]["posts_total"] == 27 and rows["mastodon"]["posts_total"] == 7
    store.engine.dispose()


def test_a_refused_token_stops_the_source_and_raises_the_alarm_once(run, servers):
    sky, _ = servers
    sky.server.routes["/xrpc/com.atproto.server.createSession"][0:1] = []
    sky.server.add(
        "/xrpc/com.atproto.server.createSession",
        401,
        {"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
    )
    said = (run("run", "--once") + run("run", "--once")).splitlines()
    assert sum("source bluesky alarm" in line for line in said) == 1, said
    assert sum("source bluesky stopped" in line for line in said) == 2  # each start tries once, loudly
    rows = {row["source"]: row for row in map(json.loads, run("sources", "--json").splitlines())}
    assert rows["bluesky"]["status"] == "stopped" and rows["bluesky"]["alarm"]
    assert rows["mastodon"]["status"] == "ok" and rows["mastodon"]["posts_total"] == 7


@pytest.mark.process  # `earshot run` as a subprocess, killed mid-ingest
def test_a_kill_during_ingestion_loses_and_doubles_nothing(run, tmp_path):
    daemon = earshot("run", "--config", str(run.path), FAULT_STAGE="ingest", BLUESKY_APP_PASSWORD="app-password")
    wait_for(daemon, "HOOK in ingest")  # the second source's batch is about to be stored
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=30)
    run("run", "--once")
    store = Store.open(run.url)
    assert store.count_posts() == 34 and store.count_posts("ingested") == 0
    store.engine.dispose()
