"""A new airline, as the guide (docs/onboarding.md) sets it up: `earshot init`, a day in shadow mode, then live.

The config comes from `earshot init` alone; the test only points the tiers at loopback channels and adds the
recording ticket sink, to see what is sent. The stream (tests/fixtures/airline) holds raw X API v2 and Reddit
listing pages; the shipped classifier judges them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.actions import Delivery, TicketRequest
from bot.delivery.channels import stub as stub_channel
from bot.delivery.sinks import stub as stub_sink
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketRow
from bot.store.routing_tables import RouteDecisionRow
from bot.store.tables import ClassificationRow, PostRow
from tests.conftest import REPO

pytestmark = pytest.mark.model

FIXTURE = REPO / "tests" / "fixtures" / "airline"
TIERS = ("support", "on-call", "executive", "leadership", "operator")


@dataclass
class Airline:
    config: Path
    store: Store
    opened: list[str]  # post URLs of the tickets the recording sink received

    def rows(self, table: type) -> list:  # type: ignore[type-arg]
        with self.store.session() as session:
            return list(session.exec(select(table).order_by(table.id)).all())

    def post(self, native_id: str) -> PostRow:
        [post] = [p for p in self.rows(PostRow) if p.native_id == native_id]
        return post

    def labels(self, native_id: str) -> ClassificationRow:
        with self.store.session() as session:
            found = session.get(ClassificationRow, self.post(native_id).id)
            assert found is not None
            return found

    def decision(self, native_id: str) -> RouteDecisionRow:
        with self.store.session() as session:
            found = session.get(RouteDecisionRow, self.post(native_id).id)
            assert found is not None, f"post {native_id} was never routed"
            return found

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--config", str(self.config)])
        assert result.exit_code == 0, result.output
        return result.stdout


def _init(tmp: Path) -> Path:
    """`earshot init` as the guide gives it, then loopback channels and the recording sink for the test to watch."""
    stream = tmp / "stream"
    stream.mkdir()
    shutil.copy(FIXTURE / "stream.jsonl", stream / "stream.jsonl")
    config = tmp / "config.yaml"
    args = ["init", "--brand", "Northwind Air", "--handle", "NorthwindAir", "--handle", "NorthwindHelp"]
    args += ["--alias", "Northwind", "--subreddit", "NorthwindAir", "--industry", "airline"]
    result = CliRunner().invoke(app, [*args, "--replay", str(stream), "--live", "--out", str(config)])
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    for tier in TIERS:
        document["routing"]["alerts"]["tiers"][tier]["urls"] = [f"stub://{tier}"]
    document["routing"]["tickets"]["sinks"]["stub"] = {"enabled": True}
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def airline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Airline]:
    tmp = tmp_path_factory.mktemp("airline")
    config = _init(tmp)
    opened: list[str] = []
    original = stub_sink.Sink.open

    def recording(self: stub_sink.Sink, request: TicketRequest) -> Delivery:
        opened.append(request.post_url)
        return original(self, request)

    patch = pytest.MonkeyPatch()
    patch.delenv("EARSHOT_DATABASE_URL", raising=False)
    patch.setattr(stub_sink.Sink, "open", recording)
    stub_channel.SENT.clear()
    result = CliRunner().invoke(app, ["run", "--once", "--shadow", "--config", str(config)])
    assert result.exit_code == 0, result.output
    yield Airline(config=config, store=Store.open(f"sqlite:///{tmp / 'data' / 'earshot.db'}"), opened=opened)
    patch.undo()


AIRLINE_POSTS = [
    "2124000000000000001",
    "2124000000000000002",
    "2124000000000000003",
    "t3_nw455a",
    "t3_nw6am",
    "t3_trv001",
]


def test_the_airlines_posts_on_x_and_reddit_are_about_it_and_routed(airline: Airline) -> None:
    for native_id in AIRLINE_POSTS:
        assert airline.labels(native_id).about_brand, native_id
        assert airline.decision(native_id).ticket_id is not None, native_id


def test_a_post_naming_only_the_short_name_in_its_community_is_routed(airline: Airline) -> None:
    post = airline.post("t3_nw455a")
    assert post.text.startswith("Grinding noise from the left engine") and "Northwind 455" in post.text
    assert airline.labels("t3_nw455a").relevance == "posted in r/NorthwindAir"
    assert airline.labels("t3_nw6am").relevance == "posted in r/NorthwindAir"  # names the airline nowhere
    assert airline.labels("t3_trv001").relevance == "names Northwind Air"  # r/travel, by its full name


def test_a_tweet_to_another_airline_is_dropped_and_counted_on_the_sources_page(airline: Airline) -> None:
    labels = airline.labels("2124000000000000004")
    assert not labels.about_brand and labels.relevance.startswith("names no handle, name, product or subreddit")
    said = airline.cli("sources")
    assert "judged not about the brand today: 1 (stored, never routed)" in said
    assert '"@SkyHighAir lost my bag again' in said


def test_shadow_mode_sends_nothing_and_shows_everything_that_would_have_gone_out(airline: Airline) -> None:
    assert airline.opened == [] and not any(stub_channel.SENT.get(tier) for tier in TIERS)
    assert {row.status for row in airline.rows(OutboxRow)} == {"shadow"}
    [alert] = airline.rows(AlertRow)
    assert (alert.rule, alert.tier, alert.status, alert.shadow) == ("safety-override", "on-call", "shadow", True)
    assert len(airline.rows(TicketRow)) == 6 and all(t.shadow for t in airline.rows(TicketRow))
    assert "[shadow: would have sent]" in airline.cli("alerts", "--table")
    assert airline.cli("tickets").count("[shadow: would have gone to the sinks]") == 6
    digest = airline.cli("digest", "--since", "1000d")
    assert "In shadow mode: 1 page, 6 tickets would have gone out (nothing was sent)." in digest


def test_going_live_sends_new_posts_and_never_the_shadow_backlog(airline: Airline) -> None:
    stream = Path(yaml.safe_load(airline.config.read_text(encoding="utf-8"))["connectors"]["replay"]["path"])
    with (stream / "stream.jsonl").open("a", encoding="utf-8") as f:
        f.write((FIXTURE / "later.jsonl").read_text(encoding="utf-8"))
    result = CliRunner().invoke(app, ["run", "--once", "--config", str(airline.config)])  # no --shadow: live
    assert result.exit_code == 0, result.output
    new = {airline.post("2124000000000000011").url, airline.post("t3_nwlate").url}
    assert set(airline.opened) == new and len(airline.opened) == 2
    assert not any(stub_channel.SENT.get(tier) for tier in TIERS)  # the shadow page never goes out
    statuses = {(row.ref_id, row.status) for row in airline.rows(OutboxRow) if row.kind == "ticket"}
    assert {status for _, status in statuses} == {"shadow", "sent"}
    assert sum(status == "sent" for _, status in statuses) == 2
