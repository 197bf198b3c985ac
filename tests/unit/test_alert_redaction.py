"""With `redact: true`, no page carries a post's personal data: not its text, not its title, not a summary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app.config import Config
from bot.app.daemon import build_route_stage
from bot.delivery import EscalationStage, build_delivery_stages
from bot.delivery.channels import stub
from bot.delivery.channels.base import Notice
from bot.store import Store
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, clear_stub_channels, settings
from tests.unit.routing_support import labels

# The personal data sits in the first 70 characters, so it is in the alert's title as well as its text.
TEXT = "Call +1 (555) 123-4567 or jo@example.com NOW, VIN 1HGCM82633A004352: the car is smoking with my kids inside"
SECRETS = ("555", "123-4567", "jo@example.com", "1HGCM82633A004352")


@pytest.fixture(autouse=True)
def _clear_stub_channels() -> Iterator[None]:
    clear_stub_channels()
    yield
    clear_stub_channels()


def _config(redact: bool) -> Config:
    tiers = {
        "on-call": {"urls": ["stub://on-call"], "escalate_after_minutes": 15, "next": "executive"},
        "executive": {"urls": ["stub://executive"]},
    }
    return Config.model_validate(
        {
            "brand": {"name": "Aurora Motors", "handles": ["AuroraMotors"]},
            "routing": {"rules": [], "alerts": {"tiers": tiers, "redact": redact}},
        }
    )


def _pages(store: Store, redact: bool) -> list[Notice]:
    """A critical post routed by the safety override, paged to on-call, then escalated to executive."""
    cfg, clock = _config(redact), Clock(NOON)
    store.save_batch("x", [make_post("1", text=TEXT, created_at=NOON)], None)
    found = store.find_post("x", "1")
    assert found is not None
    store.save_labels([(found.id, labels(urgency="critical", urgency_reasons=("children at risk",)))])
    build_route_stage(cfg, store, clock=clock).run_once()
    stages = build_delivery_stages(store, tickets=cfg.routing.tickets, alerts=cfg.routing.alerts, clock=clock)
    for _ in range(2):
        for stage in stages:
            while stage.run_once():
                pass
        clock.advance(minutes=16)
        [escalation] = [s for s in stages if isinstance(s, EscalationStage)]
        escalation.run_once()
    return [*stub.SENT.get("on-call", []), *stub.SENT.get("executive", [])]


def test_a_pages_title_and_text_are_redacted_at_every_tier(sqlite_store: Store) -> None:
    pages = _pages(sqlite_store, redact=True)
    assert [p.title.split("]")[0] for p in pages] == ["[on-call", "[executive"]  # the page, then its escalation
    for page in pages:
        assert "[phone]" in page.title and "[email]" in page.title, page.title
        for secret in SECRETS:
            assert secret not in page.title, (secret, page.title)
            assert secret not in page.body, (secret, page.body)


def test_with_redaction_off_the_title_keeps_the_post_as_written(sqlite_store: Store) -> None:
    [page, _escalated] = _pages(sqlite_store, redact=False)
    assert "+1 (555) 123-4567 or jo@example.com" in page.title


def test_the_summary_of_capped_alerts_redacts_their_titles(sqlite_store: Store) -> None:
    sqlite_store.save_batch("x", [make_post("1")], None)
    desk = Desk(sqlite_store, settings(cap_per_hour=1), Clock(NOON.replace(minute=10)))
    for index in range(3):
        desk.raise_alert(f"pii-{index}", "executive", title=f"[critical] @dana on x: call +1 (555) 123-456{index}")
    desk.raise_alert("mail", "executive", title="[high] @jo on x: write to jo@example.com about VIN 1HGCM82633A004352")
    desk.tick()
    desk.clock.advance(minutes=51)
    desk.tick()
    [first, summary] = stub.SENT["executive"]
    assert summary.title == "Earshot: 3 more alerts held back"
    assert summary.body.count("[phone]") == 2 and "[email]" in summary.body and "[vin]" in summary.body
    for notice in (first, summary):
        for secret in (*SECRETS, "123-4560", "123-4561", "123-4562"):
            assert secret not in notice.title + notice.body, (secret, notice.title, notice.body)


def test_each_kind_of_personal_data_is_masked_with_its_own_word_in_the_page(sqlite_store: Store) -> None:
    """The first line of a page is the post's text; each case is masked exactly, nothing more, nothing less."""
    cases = [
        ("mail jo.doe+car@example.co.uk today", "mail [email] today"),
        ("VIN 1HGCM82633A004352 smokes", "VIN [vin] smokes"),
        ("call 555/123/4567 now", "call [phone] now"),  # a US number, however it is split
        ("call 555 1234 now", "call 555 1234 now"),  # 7 digits: not a number anyone can dial
        ("call +44 20 7946 0958 now", "call [phone] now"),  # a valid UK number
        ("call +44 207 946 095 812 3 now", "call +44 207 946 095 812 3 now"),  # too long for any UK number
    ]
    sqlite_store.save_batch("x", [make_post("1")], None)
    desk = Desk(sqlite_store, settings(), Clock(NOON))
    for index, (text, _) in enumerate(cases):
        desk.raise_alert(f"case-{index}", "on-call", text=text)
    desk.tick()
    assert [notice.body.splitlines()[0] for notice in stub.SENT["on-call"]] == [masked for _, masked in cases]
