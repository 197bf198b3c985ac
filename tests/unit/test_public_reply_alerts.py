"""A public reply silences an ordinary alert, never a safety page, whichever stage runs first.

The brand's support account answers a complaint in public ("so sorry, please DM us"). For an ordinary
complaint that acknowledges its alert, so nobody is paged about it. For a post the safety override
pages about, the page goes out with the reply on it, and escalates until a person acknowledges it.
Each story runs in the three orders the stages can take: the reply handled before the post is routed,
between routing and delivery, and after delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlmodel import col, select

from bot.app.config import Config
from bot.delivery import EscalationStage, acknowledge, build_delivery_stages
from bot.delivery.channels.base import Notice
from bot.routing.explain import explain
from bot.routing.responses import ResponseStage
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow
from tests.unit.delivery_support import NOON, Clock, clear_stub_channels, titles
from tests.unit.routing_support import labels
from tests.unit.test_responses import COMPLAINT, COMPLAINT_ID, REPLY, save_x

REPLY_BEFORE_ROUTING, REPLY_BEFORE_DELIVERY, REPLY_AFTER_DELIVERY = "before routing", "before delivery", "after"
ORDERS = (REPLY_BEFORE_ROUTING, REPLY_BEFORE_DELIVERY, REPLY_AFTER_DELIVERY)


def config(**tiers: dict[str, Any]) -> Config:
    """Aurora's config: the safety override pages on-call; an angry complaint alerts support."""
    chain = {
        "support": {"urls": ["stub://support"], "escalate_after_minutes": 120, "next": "on-call"},
        "on-call": {"urls": ["stub://on-call"], "escalate_after_minutes": 15, "next": "executive"},
        "executive": {"urls": ["stub://executive"], "escalate_after_minutes": 30, "next": "leadership"},
        "leadership": {"urls": ["stub://leadership"]},
    }
    for name, extra in tiers.items():
        chain[name] = {**chain[name], **extra}
    return Config.model_validate(
        {
            "brand": {"name": "Aurora Motors", "handles": ["AuroraMotors"], "responders": {"x": ["AuroraSupport"]}},
            "routing": {
                "rules": [
                    {
                        "name": "angry-complaint",
                        "when": {"complaint": True, "min_urgency": "high"},
                        "then": {"alert": "support"},
                    },
                ],
                "alerts": {"tiers": chain},
            },
        }
    )


class Brand:
    """Earshot's later stages over one store and stub channels, each run by hand, on a hand-moved clock."""

    def __init__(self, store: Store, cfg: Config) -> None:
        from bot.app.daemon import build_route_stage

        self.store, self.cfg, self.clock = store, cfg, Clock(NOON)
        self.route = build_route_stage(cfg, store, clock=self.clock)
        self.delivery = build_delivery_stages(
            store, tickets=cfg.routing.tickets, alerts=cfg.routing.alerts, clock=self.clock
        )
        self.respond = ResponseStage(
            store,
            cfg.brand.responders,
            acknowledges=cfg.routing.alerts.public_reply_acknowledges,
            clock=self.clock,
        )

    def complaint(self, urgency: str) -> None:
        """Dana's complaint about the kids overheating, stored and labelled."""
        save_x(self.store, COMPLAINT)
        found = self.store.find_post("x", COMPLAINT_ID)
        assert found is not None
        self.store.save_labels([(found.id, labels(urgency=urgency, urgency_reasons=("children at risk",)))])

    def support_replies(self) -> None:
        """@AuroraSupport answers Dana in public, and the respond stage hears it."""
        save_x(self.store, REPLY)
        self.respond.run_once()

    def deliver(self) -> None:
        for stage in self.delivery:
            while stage.run_once():
                pass

    def run(self, order: str, urgency: str) -> None:
        """The complaint is routed and delivered; the reply is handled at the point `order` names."""
        self.complaint(urgency)
        if order == REPLY_BEFORE_ROUTING:
            self.support_replies()
        self.route.run_once()
        if order == REPLY_BEFORE_DELIVERY:
            self.support_replies()
        self.deliver()
        if order == REPLY_AFTER_DELIVERY:
            self.support_replies()
        self.deliver()

    def escalate(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)
        [escalation] = [s for s in self.delivery if isinstance(s, EscalationStage)]
        escalation.run_once()
        self.deliver()

    def alert(self) -> AlertRow:
        with self.store.session() as session:
            [row] = session.exec(select(AlertRow)).all()
            return row

    def outbox_reasons(self) -> list[str | None]:
        with self.store.session() as session:
            return [row.last_error for row in session.exec(select(OutboxRow)).all()]

    def explain(self) -> str:
        return explain(self.store, self.cfg.routing, self.cfg.brand.own_handles, f"x:{COMPLAINT_ID}")


@pytest.fixture
def brand(sqlite_store: Store) -> Iterator[Callable[..., Brand]]:
    clear_stub_channels()
    yield lambda **tiers: Brand(sqlite_store, config(**tiers))
    clear_stub_channels()


def pages(channel: str) -> list[Notice]:
    from bot.delivery.channels import stub

    return stub.SENT.get(channel, [])


@pytest.mark.parametrize("order", ORDERS)
def test_a_safety_page_goes_out_whether_the_brand_replied_before_or_after(
    brand: Callable[..., Brand], order: str
) -> None:
    desk = brand()
    desk.run(order, urgency="critical")
    [page] = pages("on-call")
    assert "@dana_drives" in page.body and desk.alert().rule == "safety-override"
    alert = desk.alert()
    assert alert.acked_at is None and alert.status == "sent"
    assert not any(desk.outbox_reasons())  # nothing cancelled, nothing failed
    assert (alert.reply_by, alert.reply_url) == (
        "AuroraSupport",
        "https://x.com/AuroraSupport/status/2123708157526549350",
    )
    assert alert.reply_text == "@dana_drives We're so sorry, please DM us your VIN"
    assert alert.reply_at is not None and alert.reply_at.isoformat().startswith("2026-11-20T09:08")
    if order == REPLY_AFTER_DELIVERY:
        assert "Brand replied in public" not in page.body  # sent before anyone answered
    else:
        assert (
            "Brand replied in public: @AuroraSupport at 2026-11-20 09:08 UTC: \"@dana_drives We're so sorry, "
            'please DM us your VIN" (https://x.com/AuroraSupport/status/2123708157526549350)'
        ) in page.body
    explained = desk.explain()
    assert "acked by" not in explained
    assert (
        "  public reply: @AuroraSupport at 2026-11-20 09:08 UTC: \"@dana_drives We're so sorry, please DM us your "
        'VIN" (https://x.com/AuroraSupport/status/2123708157526549350); not an acknowledgement: only a person '
        "acknowledges this alert"
    ) in explained


@pytest.mark.parametrize("order", ORDERS)
def test_a_safety_page_answered_in_public_escalates_until_a_person_acknowledges_it(
    brand: Callable[..., Brand], order: str
) -> None:
    desk = brand()
    desk.run(order, urgency="critical")
    desk.escalate(minutes=16)  # past on-call's 15 minutes
    assert len(pages("executive")) == 1 and "escalated to executive" in pages("executive")[0].title
    assert "Brand replied in public: @AuroraSupport" in pages("executive")[0].body  # the reply rides up with it
    acknowledge(desk.store, desk.alert().id, "dana (on-call)", now=desk.clock())
    desk.escalate(minutes=31)
    assert pages("leadership") == []
    alert = desk.alert()
    assert (alert.acked_by, alert.current_tier, alert.escalation_level) == ("dana (on-call)", "executive", 1)


@pytest.mark.parametrize("order", [REPLY_BEFORE_ROUTING, REPLY_BEFORE_DELIVERY])
def test_an_ordinary_complaint_answered_in_public_before_its_alert_went_out_pages_nobody(
    brand: Callable[..., Brand], order: str
) -> None:
    desk = brand()
    desk.run(order, urgency="high")
    assert titles("support") == []
    alert = desk.alert()
    assert (alert.rule, alert.acked_by, alert.reply_by) == (
        "angry-complaint",
        "@AuroraSupport (public reply)",
        "AuroraSupport",
    )
    assert set(desk.outbox_reasons()) == {"acknowledged by @AuroraSupport (public reply)"}
    desk.escalate(minutes=121)
    assert titles("on-call") == []


def test_an_ordinary_complaint_answered_after_its_alert_went_out_stops_escalating(
    brand: Callable[..., Brand],
) -> None:
    desk = brand()
    desk.run(REPLY_AFTER_DELIVERY, urgency="high")
    assert len(titles("support")) == 1
    assert desk.alert().acked_by == "@AuroraSupport (public reply)"
    desk.escalate(minutes=121)
    assert titles("on-call") == []


@pytest.mark.parametrize("order", ORDERS)
def test_a_tier_marked_not_acknowledged_by_replies_is_paged_like_a_safety_page(
    brand: Callable[..., Brand], order: str
) -> None:
    desk = brand(support={"public_reply_acknowledges": False})
    desk.run(order, urgency="high")
    assert len(titles("support")) == 1
    alert = desk.alert()
    assert alert.acked_at is None and alert.reply_by == "AuroraSupport" and not alert.reply_acknowledges
    desk.escalate(minutes=121)
    assert len(titles("on-call")) == 1


def test_the_reply_in_a_page_is_redacted_like_the_post() -> None:
    from bot.core.actions import PublicReply
    from bot.delivery.render import render
    from tests.unit.delivery_support import message

    reply = PublicReply(
        responder="AuroraSupport", at=NOON, url="https://x.com/AuroraSupport/status/9", text="Mail dana@example.com"
    )
    notice = render(
        message("k", "on-call", "my car is on fire", NOON),
        tier="on-call",
        level=0,
        alert_id=1,
        redacted=True,
        idempotency_key="k:L0",
        reply=reply,
    )
    assert 'Brand replied in public: @AuroraSupport at 2026-11-20 12:00 UTC: "Mail [email]"' in notice.body
    assert "dana@example.com" not in notice.body


def test_upgrading_marks_the_safety_overrides_open_alerts_as_not_acknowledged_by_replies(store_url: str) -> None:
    from sqlalchemy import text

    from bot.store.engine import make_engine
    from bot.store.migrate import upgrade

    engine = make_engine(store_url)
    upgrade(engine, "0004_scale")
    with engine.begin() as connection:
        for key, rule in (("a", "safety-override"), ("b", "angry-complaint")):
            connection.execute(
                text(
                    "INSERT INTO alert (idempotency_key, tier, current_tier, rule, message, status, created_at, "
                    "escalation_level) VALUES (:key, 'on-call', 'on-call', :rule, '{}', 'sent', :at, 0)"
                ),
                {"key": key, "rule": rule, "at": NOON},
            )
    engine.dispose()
    store = Store.open(store_url)
    with store.session() as session:
        rows = session.exec(select(AlertRow).order_by(col(AlertRow.id))).all()
        assert [(row.rule, row.reply_acknowledges, row.reply_at) for row in rows] == [
            ("safety-override", False, None),
            ("angry-complaint", True, None),
        ]
    store.engine.dispose()
