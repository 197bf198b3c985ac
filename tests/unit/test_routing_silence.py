"""No post silences another: a critical post from another author pages on-call even when its incident already
alerted, unless a responder acknowledged that incident recently (and `route --explain` says which)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlmodel import select

from bot.app.config import Config
from bot.delivery import acknowledge, resolve, snooze
from bot.routing.explain import explain
from bot.store import Store
from bot.store.delivery_tables import AlertRow
from bot.store.routing_tables import RouteDecisionRow
from bot.web.actions import false_alarm
from tests.conftest import NOW
from tests.unit.routing_support import RULES, add, config, labels, post, route_stage

SAME, NEAR = (1.0, 0.0, 0.0), (0.9, 0.3, 0.0)  # cosine 0.95
SPAM = "URGENT!!! brakes failed at full speed, brakes failed totally and the car crashed. Share before they delete this"
GENUINE = "The brakes failed on the school run, pedal to the floor, the car almost crashed into a bus @AuroraMotors"
FIRST_ROUTED = NOW + timedelta(minutes=5)  # the spam is routed
HANDLED = NOW + timedelta(minutes=15)  # a responder handles its page
SECOND_ROUTED = NOW + timedelta(minutes=40)  # the genuine post is routed


def route(store: Store, at: datetime, **routing: Any) -> None:
    stage = route_stage(config(**routing), store, clock=lambda: at)
    while stage.run_once():
        pass


def alerts(store: Store) -> list[tuple[int | None, str]]:
    with store.session() as session:
        return [(a.post_id, a.tier) for a in session.exec(select(AlertRow).order_by(AlertRow.id)).all()]


def incident_of(store: Store, post_id: int) -> int | None:
    with store.session() as session:
        found = session.get(RouteDecisionRow, post_id)
        assert found is not None
        return found.incident_id


def why(store: Store, post_id: int, cfg: Config | None = None) -> str:
    cfg = cfg or config()
    return explain(store, cfg.routing, cfg.brand.handles, str(post_id))


def spam_paged(store: Store, **routing: Any) -> int:
    """The fake "brakes failed ... URGENT" post, rated critical, has opened an incident and paged on-call."""
    [spam] = add(store, [(post("1", author="spammer", text=SPAM), labels(urgency="critical", embedding=SAME))])
    route(store, FIRST_ROUTED, **routing)
    assert alerts(store) == [(spam, "on-call")]
    return spam


def genuine_routed(store: Store, author: str = "school_run_mum", **routing: Any) -> int:
    """A genuine critical post from another owner, about the same brakes, routed 40 minutes after the spam."""
    [genuine] = add(
        store, [(post("2", author=author, minutes=30, text=GENUINE), labels(urgency="critical", embedding=NEAR))]
    )
    route(store, SECOND_ROUTED, **routing)
    return genuine


def test_a_spam_page_resolved_by_a_responder_does_not_silence_another_owners_critical_post(store: Store) -> None:
    spam = spam_paged(store)
    assert resolve(store, 1, "dana", now=HANDLED) is not None  # "spam"
    genuine = genuine_routed(store)
    assert incident_of(store, genuine) == incident_of(store, spam)  # it joined the spam's incident ...
    assert alerts(store) == [(spam, "on-call"), (genuine, "on-call")]  # ... and still paged on-call
    said = why(store, genuine)
    assert "a critical post by @school_run_mum pages although incident #1 already alerted on-call" in said
    assert "alert #1 was resolved by dana" in said
    assert "alerted tier 'on-call' (alert #2)" in said and "tiers alerted on-call, ticket" in said


def _resolved(store: Store) -> None:
    resolve(store, 1, "dana", now=HANDLED)


def _snoozed(store: Store) -> None:
    snooze(store, 1, "dana", until=HANDLED + timedelta(hours=4), now=HANDLED)


def _false_alarm(store: Store) -> None:
    false_alarm(store, 1, "dana")  # the feed's one click, and `earshot false-alarm 1 --by dana`


def _not_a_complaint(store: Store) -> None:
    with store.transaction(now=HANDLED) as tx:
        tx.labels.correct(1, "not_complaint", "", "dana")


def _acked_by_a_public_reply(store: Store) -> None:
    acknowledge(store, 1, "@AuroraSupport (public reply)", now=HANDLED)


def _acked_long_ago(store: Store) -> None:
    acknowledge(store, 1, "dana", now=SECOND_ROUTED - timedelta(minutes=61))


def _nothing(store: Store) -> None:
    """Nobody touched the spam's page yet: it pages about another author."""


@pytest.mark.parametrize(
    "handle",
    [_resolved, _snoozed, _false_alarm, _not_a_complaint, _acked_by_a_public_reply, _acked_long_ago, _nothing],
)
def test_how_the_first_page_was_handled_never_silences_a_critical_post_from_another_author(
    store: Store, handle: Callable[[Store], None]
) -> None:
    spam = spam_paged(store)
    handle(store)
    genuine = genuine_routed(store)
    assert incident_of(store, genuine) == incident_of(store, spam)
    assert alerts(store) == [(spam, "on-call"), (genuine, "on-call")]
    assert "pages although incident #1 already alerted on-call" in why(store, genuine)


def test_a_recent_acknowledgement_of_the_incident_holds_back_its_next_critical_post(store: Store) -> None:
    spam_paged(store)
    acknowledge(store, 1, "dana", now=HANDLED)
    genuine = genuine_routed(store)
    assert alerts(store) == [(1, "on-call")]
    said = why(store, genuine)
    assert "no new alert: dana acknowledged incident #1 25 min ago (alert #1)" in said
    assert "routing.incidents.ack_silences_for_minutes" in said and "for 1 h" in said


def test_an_acknowledgement_older_than_the_setting_holds_nothing_back(store: Store) -> None:
    spam_paged(store, incidents={"similarity": 0.8, "ack_silences_for_minutes": 20})
    acknowledge(store, 1, "dana", now=HANDLED)
    genuine = genuine_routed(store, incidents={"similarity": 0.8, "ack_silences_for_minutes": 20})
    assert alerts(store) == [(1, "on-call"), (genuine, "on-call")]
    assert "alert #1 was acknowledged by dana 25 min ago" in why(store, genuine)


def test_a_second_critical_post_by_the_same_author_adds_to_the_page_still_unacknowledged(store: Store) -> None:
    spam_paged(store)
    again = genuine_routed(store, author="spammer")
    assert alerts(store) == [(1, "on-call")]
    assert "no new alert: alert #1 of incident #1 already pages on-call about @spammer, unacknowledged" in why(
        store, again
    )


def test_a_resolved_alert_does_not_silence_a_later_alert_of_another_rule(store: Store) -> None:
    vip = {"name": "vip", "when": {"complaint": True, "author": ["vip"]}, "then": {"alert": "on-call"}}
    routing: dict[str, Any] = {"author_lists": {"vips": ["bigcustomer", "otherbig"]}, "rules": [vip, *RULES]}
    [first] = add(store, [(post("1", author="bigcustomer", text=SPAM), labels(embedding=SAME))])
    route(store, FIRST_ROUTED, **routing)
    resolve(store, 1, "dana", now=HANDLED)
    [second] = add(store, [(post("2", author="otherbig", minutes=30, text=GENUINE), labels(embedding=NEAR))])
    route(store, SECOND_ROUTED, **routing)
    assert alerts(store) == [(first, "on-call"), (second, "on-call")]
    cfg = config(**routing)
    assert "alerts although incident #1 already alerted on-call: alert #1 was resolved by dana" in why(
        store, second, cfg
    )


def test_an_unresolved_alert_still_means_one_alert_per_tier_for_other_rules(store: Store) -> None:
    vip = {"name": "vip", "when": {"complaint": True, "author": ["vip"]}, "then": {"alert": "on-call"}}
    routing: dict[str, Any] = {"author_lists": {"vips": ["bigcustomer", "otherbig"]}, "rules": [vip, *RULES]}
    add(store, [(post("1", author="bigcustomer", text=SPAM), labels(embedding=SAME))])
    route(store, FIRST_ROUTED, **routing)
    [second] = add(store, [(post("2", author="otherbig", minutes=30, text=GENUINE), labels(embedding=NEAR))])
    route(store, SECOND_ROUTED, **routing)
    assert alerts(store) == [(1, "on-call")]
    assert "no new alert: incident #1 already alerted on-call" in why(store, second, config(**routing))


MARKUP = '<img src="https://cdn.example.com/a.png" style="color:red" alt=""> <a href="https://example.com/x">{}</a>'


def test_critical_posts_that_share_only_markup_links_and_handles_are_separate_incidents(store: Store) -> None:
    texts = [
        MARKUP.format("my seatbelt snapped") + " @AuroraMotors @newsdesk #recall https://t.co/abc",
        MARKUP.format("smoke coming from the charger") + " @AuroraMotors @newsdesk #recall https://t.co/abc",
    ]
    ids = add(
        store,
        [
            (post(str(i), author=f"owner{i}", minutes=i, text=t), labels(urgency="critical", embedding=SAME))
            for i, t in enumerate(texts)
        ],
    )
    route(store, FIRST_ROUTED)
    assert incident_of(store, ids[0]) != incident_of(store, ids[1])
    assert alerts(store) == [(ids[0], "on-call"), (ids[1], "on-call")]


@pytest.mark.parametrize("minutes", [-1, 7 * 24 * 60 + 1])
def test_the_acknowledgement_window_is_checked_with_its_path(minutes: int) -> None:
    with pytest.raises(ValidationError, match="ack_silences_for_minutes"):
        config(incidents={"ack_silences_for_minutes": minutes})
