"""`earshot run --once` over the demo stream: the right human hears about each scripted scenario.

Uses the shipped classifier (as the outside evaluator does) and fails if its artifacts are missing
from classifiers/artifacts; EARSHOT_TEST_CLASSIFIER=stub runs the stub instead, on purpose only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select
from typer.testing import CliRunner

import classifiers
from bot.app import daemon
from bot.cli.main import app
from bot.delivery.channels import stub as stub_channel
from bot.delivery.channels.base import Notice
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketEventRow, TicketRow
from bot.store.routing_tables import IncidentPostRow, IncidentRow, RouteDecisionRow
from bot.store.tables import PostRow
from classifiers.stub import StubClassifier
from tests.conftest import REPO

pytestmark = pytest.mark.model

ARTIFACTS = REPO / "classifiers" / "artifacts" / "model.json"
TIERS = ("support", "on-call", "executive", "leadership")


def _use_real_model() -> bool:
    if os.environ.get("EARSHOT_TEST_CLASSIFIER") == "stub":
        return False
    if not ARTIFACTS.exists():
        pytest.fail(f"the shipped classifier is missing ({ARTIFACTS}): the demo would test the stub")
    return True


@dataclass
class Demo:
    store: Store
    posts: dict[str, PostRow]  # author handle -> their post (first one)
    by_author: dict[str, list[PostRow]]
    sent: dict[str, list[Notice]]  # stub channel -> the notices it sent in this run

    def rows(self, table: type) -> list:  # type: ignore[type-arg]
        with self.store.session() as session:
            return list(session.exec(select(table)).all())

    def decision(self, handle: str) -> RouteDecisionRow:
        with self.store.session() as session:
            found = session.get(RouteDecisionRow, self.posts[handle].id)
            assert found is not None, f"@{handle}'s post was never routed"
            return found

    def tickets_of(self, handle: str) -> list[TicketRow]:
        return [t for t in self.rows(TicketRow) if t.post_id == self.posts[handle].id]

    def alerts_of(self, handle: str) -> list[AlertRow]:
        return [a for a in self.rows(AlertRow) if a.post_id == self.posts[handle].id]


def _respond_first(build_stages: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    """The daemon's stages with the respond stage moved before the route stage."""

    def reordered(config: Any, store: Store, **options: Any) -> list[Any]:
        stages = build_stages(config, store, **options)
        return sorted(stages, key=lambda stage: stage.name != "respond")

    return reordered


def _run_demo(tmp: Path, *, respond_first: bool = False) -> Demo:
    """`earshot run --once` over the demo stream into a fresh database, each tier on a stub channel."""
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": f"sqlite:///{tmp / 'earshot.db'}"}
    document["connectors"]["replay"]["path"] = str(REPO / "data" / "demo")
    for tier in TIERS:  # loopback channels: each tier's notices land in stub_channel.SENT[tier]
        document["routing"]["alerts"]["tiers"][tier]["urls"] = [f"stub://{tier}"]
    config_path = tmp / "config.yaml"
    config_path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.delenv("EARSHOT_DATABASE_URL", raising=False)
    if not _use_real_model():
        patch.setattr(classifiers, "load_classifier", lambda settings, **_: StubClassifier(), raising=False)
    if respond_first:
        patch.setattr(daemon, "build_stages", _respond_first(daemon.build_stages))
    stub_channel.SENT.clear()
    result = CliRunner().invoke(app, ["run", "--once", "--config", str(config_path)])
    patch.undo()
    assert result.exit_code == 0, result.output
    store = Store.open(f"sqlite:///{tmp / 'earshot.db'}")
    with store.session() as session:
        rows = list(session.exec(select(PostRow).order_by(PostRow.id)).all())
    by_author: dict[str, list[PostRow]] = {}
    for row in rows:
        by_author.setdefault(row.author_handle or "", []).append(row)
    sent = {name: list(notices) for name, notices in stub_channel.SENT.items()}
    return Demo(store=store, posts={h: p[0] for h, p in by_author.items()}, by_author=by_author, sent=sent)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo as the daemon runs it: route, escalate, deliver, then respond."""
    run = _run_demo(tmp_path_factory.mktemp("demo"))
    yield run
    run.store.engine.dispose()


@pytest.fixture(scope="module")
def demo_respond_first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo with the respond stage first: the brand's reply is linked before the complaint is routed."""
    shipped = dict(stub_channel.SENT)  # the other tests read what the shipped order sent
    run = _run_demo(tmp_path_factory.mktemp("demo-respond-first"), respond_first=True)
    stub_channel.SENT.clear()
    stub_channel.SENT.update(shipped)
    yield run
    run.store.engine.dispose()


def test_every_post_is_routed(demo: Demo) -> None:
    assert demo.store.count_posts("classified") == 0 and demo.store.count_posts("ingested") == 0


def test_kids_overheating_pages_on_call_though_the_author_has_40_followers(demo: Demo) -> None:
    assert demo.posts["dana_drives"].author_reach == 40
    decision = demo.decision("dana_drives")
    assert (decision.rule, decision.alert_tier) == ("safety-override", "on-call")
    [alert] = demo.alerts_of("dana_drives")
    assert alert.tier == "on-call"
    assert any("dana_drives" in n.body or "dana_drives" in n.title for n in stub_channel.SENT.get("on-call", []))


@pytest.mark.parametrize("order", ["demo", "demo_respond_first"])
def test_the_kids_overheating_page_goes_out_with_the_brand_reply_whichever_stage_runs_first(
    order: str, request: pytest.FixtureRequest
) -> None:
    run: Demo = request.getfixturevalue(order)
    [alert] = run.alerts_of("dana_drives")
    assert (alert.rule, alert.status, alert.acked_at) == ("safety-override", "sent", None)  # a reply is no ack
    assert [r.status for r in run.rows(OutboxRow) if r.kind == "alert" and r.ref_id == alert.id] == ["sent"]
    assert alert.reply_by == "AuroraSupport" and alert.reply_url and "/AuroraSupport/status/" in alert.reply_url
    assert alert.reply_text and "please DM us your VIN" in alert.reply_text
    [page] = [n for n in run.sent["on-call"] if "@dana_drives" in n.body]
    # The route stage links the replies already stored before it routes (answer memory, docs/answers.md), so in
    # either order the reply is linked before the page goes out, and the message shows it.
    assert "Brand replied in public: @AuroraSupport at " in page.body


def test_the_viral_recall_charge_is_one_incident_one_ticket_and_an_executive_alert(demo: Demo) -> None:
    decision = demo.decision("mike_ev_owner")
    assert decision.alert_tier == "executive" and decision.ticket_action == "opened"
    incident_id = decision.incident_id
    assert incident_id is not None
    assert [t.post_id for t in demo.rows(TicketRow) if t.incident_id == incident_id] == [demo.posts["mike_ev_owner"].id]
    alerts = [a for a in demo.rows(AlertRow) if a.incident_id == incident_id]
    assert [a.tier for a in alerts] == ["executive"]
    assert alerts[0].next_escalation_at is not None  # escalates to leadership if nobody acks
    assert stub_channel.SENT.get("executive")


def test_the_retweet_and_both_reddit_posts_join_the_recall_incident(demo: Demo) -> None:
    incident_id = demo.decision("mike_ev_owner").incident_id
    members = {m.post_id for m in demo.rows(IncidentPostRow) if m.incident_id == incident_id}
    for handle in ("ev_news_fan", "throwaway_aurora", "cold_pack_owner"):
        assert demo.posts[handle].id in members, f"@{handle} is not in the recall incident"
        assert demo.tickets_of(handle) == [] and demo.alerts_of(handle) == []
    [incident] = [i for i in demo.rows(IncidentRow) if i.id == incident_id]
    assert incident.sources == ["reddit", "x"] and incident.post_count >= 4


def test_the_polite_order_question_gets_a_low_priority_ticket_and_no_page(demo: Demo) -> None:
    [ticket] = demo.tickets_of("priya_k")
    assert ticket.priority == "low"
    assert demo.alerts_of("priya_k") == []


@pytest.mark.parametrize("handle", ["happy_miles", "city_news_bot"])
def test_praise_and_a_neutral_mention_cause_nothing(demo: Demo, handle: str) -> None:
    decision = demo.decision(handle)
    assert decision.ticket_id is None and decision.alert_id is None and decision.incident_id is None
    assert demo.tickets_of(handle) == [] and demo.alerts_of(handle) == []


def test_the_brand_reply_and_the_retweet_open_no_ticket(demo: Demo) -> None:
    assert demo.decision("AuroraSupport").rule == "guard:brand-own-post"
    assert demo.decision("ev_news_fan").rule == "guard:repost"
    ids = {demo.posts["AuroraSupport"].id, demo.posts["ev_news_fan"].id}
    assert not [t for t in demo.rows(TicketRow) if t.post_id in ids]
    assert not [e for e in demo.rows(TicketEventRow) if e.post_id in ids]


def test_the_brand_answered_dana_in_public_and_not_the_recall_charge(demo: Demo) -> None:
    with demo.store.transaction() as tx:
        dana = tx.responses.times([demo.posts["dana_drives"].id], demo.posts["dana_drives"].created_at)
        mike = tx.responses.times([demo.posts["mike_ev_owner"].id], demo.posts["mike_ev_owner"].created_at)
    assert dana.replied_by == "AuroraSupport" and dana.time_to_reply is not None
    assert 60 * 60 <= dana.time_to_reply <= 70 * 60  # scripted 68 minutes after the complaint
    assert mike.first_reply_at is None


def test_a_second_run_adds_nothing(demo: Demo, tmp_path: Path) -> None:
    before = (len(demo.rows(TicketRow)), len(demo.rows(AlertRow)), len(demo.rows(RouteDecisionRow)))
    from bot.app.config import load_config
    from tests.unit.routing_support import route_stage

    config = load_config(REPO / "config.yaml")
    assert route_stage(config, demo.store).run_once() == 0
    assert (len(demo.rows(TicketRow)), len(demo.rows(AlertRow)), len(demo.rows(RouteDecisionRow))) == before


def test_route_explain_names_the_rule_the_reasons_and_the_incident(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(demo.store.engine.url))
    mike = demo.posts["mike_ev_owner"]
    result = CliRunner().invoke(
        app, ["route", "--explain", f"x:{mike.native_id}", "--config", str(REPO / "config.yaml")]
    )
    assert result.exit_code == 0, result.output
    for expected in (
        "by @mike_ev_owner",
        "decision: rule 'viral-complaint'",
        "why:",
        "VIRAL",
        "timeline:",
        "@throwaway_aurora",
        "@cold_pack_owner",
        "responses: not acknowledged yet; no public reply yet",
        "incident responses: not acknowledged yet; no public reply yet",
    ):
        assert expected in result.output, expected


def test_route_explain_shows_the_brand_reply_on_the_kids_page(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(demo.store.engine.url))
    dana = demo.posts["dana_drives"]
    result = CliRunner().invoke(
        app, ["route", "--explain", f"x:{dana.native_id}", "--config", str(REPO / "config.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "decision: rule 'safety-override'" in result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("  public reply: @AuroraSupport at ")]
    assert "please DM us your VIN" in line and "https://x.com/AuroraSupport/status/" in line
    assert line.endswith("not an acknowledgement: only a person acknowledges this alert")


def _off_brand(demo: Demo) -> list[PostRow]:
    """The borrowed tweets the demo leaves written to another brand (Reddit posts sit in r/AuroraMotors)."""
    rows = [p for posts in demo.by_author.values() for p in posts]
    return [
        p for p in rows if p.source == "x" and "aurora" not in p.text.lower() and p.author_handle != "AuroraSupport"
    ]


def test_posts_to_other_brands_are_stored_labelled_and_never_routed(demo: Demo) -> None:
    off = _off_brand(demo)
    assert len(off) >= 4
    alerted = {a.post_id for a in demo.rows(AlertRow)} | {t.post_id for t in demo.rows(TicketRow)}
    decided = {d.post_id for d in demo.rows(RouteDecisionRow)}
    for post in off:
        assert post.id not in alerted and post.id not in decided, post.text
    assert demo.store.count_posts("skipped") >= len(off)


def test_route_explain_says_an_off_brand_post_is_not_about_the_brand(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(demo.store.engine.url))
    post = _off_brand(demo)[0]
    result = CliRunner().invoke(app, ["route", "--explain", str(post.id), "--config", str(REPO / "config.yaml")])
    assert result.exit_code == 0, result.output
    assert "about the brand: NO (names no handle, name, product or subreddit of the brand)" in result.output
    assert "never routed" in result.output


def test_the_executive_alert_escalates_when_unacked_and_an_acked_one_does_not(demo: Demo) -> None:
    """Runs last: it moves the demo's clock past the escalation deadlines; only a person's ack stops the kids' page."""
    from datetime import timedelta

    from bot.app.config import load_config
    from bot.delivery import EscalationStage, acknowledge, build_delivery_stages

    recall = demo.alerts_of("mike_ev_owner")[0]
    kids = demo.alerts_of("dana_drives")[0]
    assert kids.acked_at is None and kids.reply_by == "AuroraSupport"  # answered in public, still a page
    assert acknowledge(demo.store, kids.id, "on-call responder").acked_by == "on-call responder"
    later = recall.next_escalation_at + timedelta(minutes=1)
    config = load_config(REPO / "config.yaml")
    stages = build_delivery_stages(
        demo.store, tickets=config.routing.tickets, alerts=config.routing.alerts, clock=lambda: later
    )
    escalation = next(stage for stage in stages if isinstance(stage, EscalationStage))
    assert escalation.run_once() >= 1
    by_id = {alert.id: alert for alert in demo.rows(AlertRow)}
    assert (by_id[recall.id].current_tier, by_id[recall.id].escalation_level) == ("leadership", 1)
    assert by_id[kids.id].current_tier == "on-call" and by_id[kids.id].escalation_level == 0


def test_the_digest_names_the_unanswered_recall_charge_first_and_the_answered_complaint(
    demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import email
    import re
    from email.policy import default

    from tests.fakes.sinks_smtp import smtp_server

    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": str(demo.store.engine.url)}
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    with smtp_server() as inbox:
        document["digest"] |= {
            "recipients": ["ceo@example.com"],
            "smtp": {"host": "127.0.0.1", "port": inbox.port, "tls": "none"},
        }
        config_path = tmp_path / "config.yaml"
        config_path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        out = tmp_path / "digest.html"
        made = CliRunner().invoke(app, ["digest", "--since", "24h", "--out", str(out), "--config", str(config_path)])
        sent = CliRunner().invoke(app, ["digest", "--since", "24h", "--send", "--config", str(config_path)])
    assert made.exit_code == 0, made.output
    assert sent.exit_code == 0 and "sent to 1 recipient" in sent.output, sent.output
    html = out.read_text(encoding="utf-8")
    first = html[html.index('id="item-1"') : html.index('id="item-2"')]
    assert "@mike_ev_owner" in first and "VIRAL" in first and "$30,000" in first
    assert re.search(r"X 2 \(reach [\d.]+[kM]?\), Reddit 2 \(reach", first), "size across X and Reddit"
    assert "ticket #" in first and "alert to executive" in first and "no public reply yet" in first
    answered = html[html.index(">Responses<") :]
    assert "@dana_drives" in answered and re.search(r"@AuroraSupport</a> after <b>1 h 0[78] min</b>", answered)
    [raw] = inbox.messages
    message = email.message_from_bytes(raw, policy=default)
    assert message.get_content_type() == "multipart/alternative"
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2 and all(part["Content-ID"] for part in images)
    listed = CliRunner().invoke(app, ["digest", "--list", "--config", str(config_path)])
    assert listed.exit_code == 0 and listed.output.count("manual") == 2 and " sent " in listed.output
