"""Rules: each condition, first match wins, guards, and the safety override."""

from __future__ import annotations

from typing import Any

import pytest

from bot.routing.rule_settings import Conditions
from bot.routing.rules import Facts, evaluate, match
from bot.routing.visibility import Visibility
from tests.unit.routing_support import config, labels, post

QUIET = Visibility(
    reach=100, velocity=0, reposts_per_hour=0, reach_per_hour=0, projected_reach=100, score=2.0, viral=False, samples=1
)
VIRAL = Visibility(
    reach=386_000,
    velocity=2400,
    reposts_per_hour=1800,
    reach_per_hour=190_000,
    projected_reach=960_000,
    score=5.98,
    viral=True,
    samples=4,
)


def facts(
    *,
    text: str = "my car is broken",
    vis: Visibility = QUIET,
    lists: frozenset[str] = frozenset(),
    post_extra: dict[str, Any] | None = None,
    **label_extra: Any,
) -> Facts:
    return Facts(
        post=post("1", text=text, **(post_extra or {})),
        labels=labels(**label_extra),
        visibility=vis,
        author_lists=lists,
    )


@pytest.mark.parametrize(
    ("when", "case", "holds"),
    [
        ({"complaint": True}, facts(), True),
        ({"complaint": True}, facts(complaint=False), False),
        ({"min_complaint_score": 0.95}, facts(), False),
        ({"topics": ["billing", "safety"]}, facts(), True),
        ({"topics": ["delivery"]}, facts(), False),
        ({"urgency": ["high", "critical"]}, facts(urgency="high"), True),
        ({"min_urgency": "high"}, facts(urgency="medium"), False),
        ({"min_urgency": "high"}, facts(urgency="critical"), True),
        ({"sentiment": ["negative"]}, facts(sentiment="positive"), False),
        ({"min_severity": 3}, facts(severity=3), True),
        ({"min_reach": 1000}, facts(), False),
        ({"min_projected_reach": 500_000}, facts(vis=VIRAL), True),
        ({"min_velocity": 1000}, facts(vis=VIRAL), True),
        ({"min_visibility": 5}, facts(vis=QUIET), False),
        ({"viral": True}, facts(vis=VIRAL), True),
        ({"viral": False}, facts(vis=VIRAL), False),
        ({"source": ["reddit"]}, facts(), False),
        ({"kind": ["reply", "comment"]}, facts(post_extra={"kind": "reply"}), True),
        ({"language": ["en"]}, facts(), True),
        ({"author": ["vip", "press"]}, facts(lists=frozenset({"press"})), True),
        ({"author": ["verified"]}, facts(lists=frozenset({"vip"})), False),
        ({"keywords": ["$30,000"]}, facts(text="they quoted me $30,000 for a recall"), True),
        ({"keywords": ["recall*"]}, facts(text="under a RECALL."), True),
        ({"keywords": ["order"]}, facts(text="the border was closed"), False),
        ({"mentions": ["AuroraSupport"]}, facts(text="hi @aurorasupport, help"), True),
        ({"mentions": ["@AuroraSupport"]}, facts(text="hi @AuroraSupport"), True),
        ({"mentions": ["AuroraSupport"]}, facts(text="AuroraSupport, without the at"), False),
        ({"needs_review": True}, facts(), False),
        ({"any": [{"complaint": False}, {"keywords": ["broken"]}]}, facts(), True),
        ({"any": [{"complaint": False}, {"keywords": ["fire"]}]}, facts(), False),
        ({"complaint": True, "topics": ["billing"], "viral": True}, facts(), False),
        ({}, facts(), True),
    ],
)
def test_conditions(when: dict[str, Any], case: Facts, holds: bool) -> None:
    assert (match(Conditions.model_validate(when), case) is not None) is holds


def test_every_condition_that_held_is_a_reason() -> None:
    reasons = match(Conditions(complaint=True, topics=["billing"], viral=True), facts(vis=VIRAL))
    assert reasons == ["a complaint (p=0.90)", "topic billing (0.80)", "viral: projected reach 960,000"]


def test_reasons_name_the_mention_and_what_held_of_any() -> None:
    assert match(Conditions(mentions=["@AuroraSupport"]), facts(text="hi @aurorasupport")) == [
        "mentions @AuroraSupport"
    ]
    either = Conditions.model_validate({"any": [{"complaint": False}, {"keywords": ["broken", "stuck"]}]})
    assert match(either, facts(text="broken and stuck")) == ["any of: keyword 'broken', 'stuck' in the text"]


@pytest.mark.parametrize(
    ("case", "rule", "ticket", "alert"),
    [
        (facts(vis=VIRAL), "viral-complaint", ("social", "high"), "executive"),
        (facts(), "complaint", ("social", "normal"), None),
        (
            facts(complaint=False, sentiment="neutral", text="could you tell me when my order ships?"),
            "question",
            ("support", "low"),
            None,
        ),
        (facts(complaint=False, sentiment="positive", text="love it"), "praise", None, None),
        (facts(complaint=False, sentiment="neutral", text="new showroom opens Saturday"), None, None, None),
    ],
)
def test_the_first_rule_that_holds_decides(
    case: Facts, rule: str | None, ticket: tuple[str, str] | None, alert: str | None
) -> None:
    verdict = evaluate(case, config().routing, ["AuroraMotors"])
    assert verdict.rule == rule
    assert ((verdict.ticket.queue, verdict.ticket.priority) if verdict.ticket else None) == ticket
    assert verdict.alert == alert


def test_critical_urgency_alerts_on_call_whatever_the_reach_and_the_rules() -> None:
    case = facts(
        text="giveaway! kids overheating in the back",
        urgency="critical",
        complaint=False,
        urgency_reasons=("children",),
        post_extra={"reach": 40},
    )
    verdict = evaluate(case, config().routing, ["AuroraMotors"])  # `spam` would suppress it
    assert (verdict.rule, verdict.alert, verdict.suppressed) == ("safety-override", "on-call", False)
    assert verdict.ticket is not None and verdict.ticket.priority == "urgent"
    assert "urgency critical (children)" in verdict.reasons[0] and "author reach 40" in verdict.reasons[1]


@pytest.mark.parametrize(
    ("post_extra", "guard", "reason"),
    [
        ({"author": "AuroraSupport"}, "guard:brand-own-post", "@AuroraSupport is one of the brand's own accounts"),
        ({"author": "aurorasupport"}, "guard:brand-own-post", "@aurorasupport is one of the brand's own accounts"),
        ({"kind": "repost", "parent_id": "9"}, "guard:repost", "a repost of 9: counted with the original"),
        ({"is_deleted": True}, "guard:deleted", "the post was deleted"),
    ],
)
def test_brand_posts_reposts_and_deleted_posts_never_act(post_extra: dict[str, Any], guard: str, reason: str) -> None:
    case = facts(vis=VIRAL, urgency="critical", post_extra=post_extra)
    verdict = evaluate(case, config().routing, ["AuroraMotors", "@AuroraSupport"])  # handles with or without '@'
    assert (verdict.rule, verdict.ticket, verdict.alert, verdict.guarded) == (guard, None, None, True)
    assert verdict.suppressed is True and verdict.reasons == (reason,)


def test_a_rules_digest_and_suppress_reach_the_verdict_and_no_match_says_so() -> None:
    routing, brand = config().routing, ["AuroraMotors"]
    praise = evaluate(facts(complaint=False, sentiment="positive", text="love it"), routing, brand)
    assert (praise.rule, praise.digest, praise.suppressed) == ("praise", True, False)
    spam = evaluate(facts(text="free giveaway, click"), routing, brand)
    assert (spam.rule, spam.digest, spam.suppressed) == ("spam", False, True)
    nothing = evaluate(facts(complaint=False, sentiment="neutral", text="new showroom opens"), routing, brand)
    assert (nothing.rule, nothing.reasons) == (None, ("no rule matched",))


def test_a_rule_alerting_an_unknown_tier_is_a_config_error() -> None:
    with pytest.raises(ValueError, match=r"rules\[0\]\.then\.alert: no tier 'ceo'"):
        config(rules=[{"name": "x", "then": {"alert": "ceo"}}])


def test_unknown_condition_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="extra_forbidden|Extra inputs"):
        config(rules=[{"name": "x", "when": {"complain": True}, "then": {"digest": True}}])


def test_suppress_cannot_be_combined_with_other_actions() -> None:
    with pytest.raises(ValueError, match="suppress cannot be combined"):
        config(rules=[{"name": "x", "then": {"suppress": True, "alert": "on-call"}}])


def test_an_unknown_routing_key_names_its_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.app.config import load_config
    from bot.core.errors import ConfigError

    path = tmp_path / "config.yaml"
    path.write_text("brand: {name: A}\nrouting:\n  incidents: {similarity: 0.6, windw_hours: 4}\n")
    with pytest.raises(ConfigError, match=r"routing\.incidents\.windw_hours: unknown key; did you mean 'window_hours'"):
        load_config(path)


def test_author_lists_match_handles_in_any_case_and_verified_comes_from_the_post() -> None:
    from bot.routing.rules import author_lists

    routing = config(author_lists={"vips": ["@BigCustomer"], "press": ["autoweekly"]}).routing
    assert author_lists(post("1", author="bigcustomer"), routing) == {"vip"}
    assert author_lists(post("2", author="AutoWeekly", author_verified=True), routing) == {"press", "verified"}
    assert author_lists(post("3", author="nobody"), routing) == frozenset()


def test_tiers_rank_by_the_escalation_chain() -> None:
    from bot.routing.assess import tier_rank

    cfg = config()
    assert [tier_rank(cfg.routing, t) for t in ("support", "on-call", "executive", "leadership")] == [0, 1, 2, 3]
