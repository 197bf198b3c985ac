"""The route stage over a real store: incidents, one ticket per incident, threading, escalation, reruns."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.routing.explain import explain
from bot.store import Store
from bot.store.delivery_tables import AlertRow, OutboxRow, TicketEventRow, TicketRow
from bot.store.routing_tables import IncidentPostRow, IncidentRow, IncidentTermRow, RouteDecisionRow
from bot.store.tables import PostRow
from tests.unit.routing_support import RULES, add, config, growth, labels, post, route_stage

SAME = (1.0, 0.0, 0.0)
NEAR = (0.9, 0.3, 0.0)  # cosine 0.95 with SAME
FAR = (0.0, 0.0, 1.0)
RECALL = "quoted me $30,000 for the battery cooling recall repair"


# `store` (tests/conftest.py) runs each test on SQLite and on PostgreSQL when a server answers.


def rows(store: Store, table: type) -> list:  # type: ignore[type-arg]
    with store.session() as session:
        return list(session.exec(select(table)).all())


def decision(store: Store, post_id: int) -> RouteDecisionRow:
    with store.session() as session:
        found = session.get(RouteDecisionRow, post_id)
        assert found is not None
        return found


def run(store: Store, **routing: object) -> int:
    stage, total = route_stage(config(**routing), store), 0
    while done := stage.run_once():
        total += done
    return total


def test_posts_about_one_problem_on_x_and_reddit_make_one_incident_and_one_ticket(store: Store) -> None:
    tweet = post("1", reach=2300, text=RECALL)
    reddit = post(
        "t3_a", source="reddit", author="owner2", minutes=30, text="$30k for a battery cooling recall repair?"
    )
    ids = add(
        store,
        [(tweet, labels(embedding=SAME)), (reddit, labels(embedding=NEAR))],
        snapshots=growth(tweet, reposts_per_half_hour=900),
    )
    run(store)
    [incident] = rows(store, IncidentRow)
    assert (incident.post_count, incident.sources, incident.alert_tiers) == (2, ["reddit", "x"], ["executive"])
    assert [t.post_id for t in rows(store, TicketRow)] == [ids[0]]
    assert [e.post_id for e in rows(store, TicketEventRow)] == [ids[1]]  # a follow-up, not a new ticket
    assert decision(store, ids[1]).ticket_action == "follow-up"
    assert [(a.tier, a.rule) for a in rows(store, AlertRow)] == [("executive", "viral-complaint")]


def test_a_dissimilar_or_off_topic_complaint_opens_its_own_incident(store: Store) -> None:
    add(
        store,
        [
            (post("1", text=RECALL), labels(embedding=SAME)),
            (post("2", minutes=5, text=RECALL), labels(embedding=FAR)),
            (post("3", minutes=9, text=RECALL), labels(embedding=(0.4, 0.9165, 0.0), topics=(("delivery", 0.9),))),
        ],
    )
    run(store)
    assert len(rows(store, IncidentRow)) == 3 and len(rows(store, TicketRow)) == 3


def test_a_similar_sounding_complaint_about_something_else_opens_its_own_incident(store: Store) -> None:
    add(
        store,
        [
            (post("1", text=RECALL), labels(embedding=SAME)),
            (post("2", minutes=5, text="the app charged my card twice for a subscription"), labels(embedding=SAME)),
        ],
    )
    run(store)
    assert len(rows(store, IncidentRow)) == 2 and len(rows(store, TicketRow)) == 2


def test_a_near_identical_post_joins_even_when_the_model_picked_another_topic(store: Store) -> None:
    add(
        store,
        [
            (post("1", text=RECALL), labels(embedding=SAME)),
            (post("2", minutes=9, text=RECALL), labels(embedding=NEAR, topics=(("service", 0.9),))),
        ],
    )
    run(store)
    assert len(rows(store, IncidentRow)) == 1 and len(rows(store, TicketRow)) == 1


def test_a_similar_post_after_the_window_opens_a_new_incident(store: Store) -> None:
    add(
        store,
        [
            (post("1", text=RECALL), labels(embedding=SAME)),
            (post("2", minutes=60 * 50, text=RECALL), labels(embedding=SAME)),
        ],
    )
    run(store)
    assert len(rows(store, IncidentRow)) == 2


def test_a_follow_up_by_the_same_author_threads_into_the_existing_ticket(store: Store) -> None:
    first = post("10", author="dana", conversation_id="10")
    again = post(
        "11",
        author="dana",
        minutes=40,
        kind="reply",
        parent_id="10",
        conversation_id="10",
        text="still no answer, any update?",
    )
    ids = add(store, [(first, labels(embedding=SAME)), (again, labels(embedding=FAR, topics=(("support", 0.9),)))])
    run(store)
    assert len(rows(store, TicketRow)) == 1 and len(rows(store, IncidentRow)) == 1
    assert "follow-up by @dana in conversation 10" in " ".join(decision(store, ids[1]).reasons)
    assert [e.post_id for e in rows(store, TicketEventRow)] == [ids[1]]


def test_a_complaint_from_someone_on_an_author_list_takes_that_rule(store: Store) -> None:
    vip_rule = {"name": "vip", "when": {"complaint": True, "author": ["vip"]}, "then": {"alert": "on-call"}}
    ids = add(
        store,
        [
            (post("30", author="BigCustomer", text="my car is broken again"), labels(embedding=SAME)),
            (post("31", author="nobody", text="my car is broken again"), labels(embedding=FAR)),
        ],
    )
    run(store, author_lists={"vips": ["@bigcustomer"]}, rules=[vip_rule, *RULES])
    assert (decision(store, ids[0]).rule, decision(store, ids[0]).alert_tier) == ("vip", "on-call")
    assert decision(store, ids[1]).rule == "complaint"


def test_reposts_and_brand_replies_open_nothing(store: Store) -> None:
    original = post("20", text="charged twice, unacceptable")
    ids = add(
        store,
        [
            (original, labels(embedding=SAME)),
            (post("21", author="fan", kind="repost", parent_id="20", text="RT charged twice"), labels(embedding=SAME)),
            (
                post(
                    "22",
                    author="AuroraSupport",
                    kind="reply",
                    parent_id="20",
                    conversation_id="20",
                    text="Sorry! Please DM us",
                ),
                labels(embedding=SAME),
            ),
        ],
    )
    run(store)
    assert [t.post_id for t in rows(store, TicketRow)] == [ids[0]]
    assert rows(store, TicketEventRow) == []
    assert decision(store, ids[1]).rule == "guard:repost" and decision(store, ids[1]).incident_id is not None
    assert decision(store, ids[2]).rule == "guard:brand-own-post" and decision(store, ids[2]).incident_id is None
    assert decision(store, ids[1]).suppressed and decision(store, ids[2]).suppressed


def test_an_incident_escalates_once_when_it_grows(store: Store) -> None:
    items = [(post(str(i), author=f"user{i}", minutes=i, text=RECALL), labels(embedding=SAME)) for i in range(6)]
    add(store, items)
    run(store)
    alerts = rows(store, AlertRow)
    assert [(a.tier, a.rule) for a in alerts] == [("executive", "incident-escalation")]
    assert alerts[0].idempotency_key == "alert:incident:1:executive"
    assert rows(store, IncidentRow)[0].post_count == 6 and len(rows(store, TicketRow)) == 1


def test_a_post_that_goes_viral_after_routing_escalates_on_review(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    tweet = post("30", reach=2300)
    [post_id] = add(store, [(tweet, labels(embedding=SAME))])
    run(store)
    assert decision(store, post_id).rule == "complaint" and rows(store, AlertRow) == []
    store.save_engagement(growth(tweet, reposts_per_half_hour=900))
    with store.session() as session:  # the decision was taken before the re-polls
        row = session.get(RouteDecisionRow, post_id)
        row.decided_at = tweet.fetched_at  # type: ignore[union-attr]
        session.add(row)
    run(store)
    assert [(a.tier, a.idempotency_key) for a in rows(store, AlertRow)] == [
        ("executive", f"alert:post:{post_id}:executive")
    ]
    assert decision(store, post_id).rule == "viral-complaint" and len(rows(store, TicketRow)) == 1
    reviewed = decision(store, post_id)
    assert not [r for r in caplog.records if r.getMessage().startswith("could not review")]
    assert (
        reviewed.visibility["viral"] is True and reviewed.visibility["samples"] == 5
    )  # as fetched, then four re-polls
    assert any(r.startswith("review at ") and "rule 'viral-complaint' now holds" in r for r in reviewed.reasons)
    latest = max(s.taken_at for s in growth(tweet, reposts_per_half_hour=900))
    assert reviewed.reviewed_at is not None and reviewed.reviewed_at >= latest
    [incident] = rows(store, IncidentRow)  # the member's reach, and so the incident's, grew to the projection
    [member] = rows(store, IncidentPostRow)
    assert member.reach == incident.total_reach == reviewed.visibility["projected_reach"] > 100_000
    assert run(store) == 0  # reviewed: nothing more to do


def test_rerunning_the_stage_enqueues_nothing_twice(store: Store) -> None:
    tweet = post("40", reach=2300)
    add(store, [(tweet, labels(embedding=SAME))], snapshots=growth(tweet, reposts_per_half_hour=900))
    run(store)
    before = (len(rows(store, TicketRow)), len(rows(store, AlertRow)), len(rows(store, OutboxRow)))
    with store.session() as session:  # as if the process died after the commit and the stage ran again
        for row in session.exec(select(PostRow)).all():
            row.stage = "classified"
            session.add(row)
    stage = route_stage(config(), store)
    for stored in store.pending("classified", 10):
        with store.transaction() as tx:
            stage.route(tx, stored)
    assert (len(rows(store, TicketRow)), len(rows(store, AlertRow)), len(rows(store, OutboxRow))) == before
    with store.session() as session:  # even with the decision gone, the idempotency keys hold
        for table in (RouteDecisionRow, IncidentPostRow, IncidentTermRow, IncidentRow):
            for row in session.exec(select(table)).all():
                session.delete(row)
        for row in session.exec(select(PostRow)).all():
            row.stage = "classified"
            session.add(row)
    run(store)
    assert (len(rows(store, TicketRow)), len(rows(store, AlertRow)), len(rows(store, OutboxRow))) == before


def test_a_failure_while_enqueueing_leaves_the_post_classified(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    tweet = post("50", reach=2300)
    [post_id] = add(store, [(tweet, labels(embedding=SAME))], snapshots=growth(tweet, reposts_per_half_hour=900))
    stage = route_stage(config(), store)

    def broken(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(stage.actions.outbox, "enqueue_alert", broken)
    assert stage.run_once() == 0
    assert store.post(post_id) is not None and rows(store, TicketRow) == [] and rows(store, RouteDecisionRow) == []
    assert store.count_posts("classified") == 1


def test_explain_shows_the_rule_every_reason_the_figures_and_the_incident(store: Store) -> None:
    tweet = post("60", reach=2300, text=RECALL)
    reddit = post("t1_b", source="reddit", author="owner2", minutes=30, text="same $30k battery cooling recall repair")
    ids = add(
        store,
        [(tweet, labels(embedding=SAME)), (reddit, labels(embedding=NEAR))],
        snapshots=growth(tweet, reposts_per_half_hour=900),
    )
    cfg = config()
    assert "not routed yet; the rules would decide now: rule 'viral-complaint'" in explain(
        store, cfg.routing, cfg.brand.handles, "x:60"
    )
    run(store)
    text = explain(store, cfg.routing, cfg.brand.handles, str(ids[0]))
    for expected in (
        "rule 'viral-complaint' → ticket social/high, alert executive",
        "viral: projected reach",
        "1,800 reposts/h",
        "opened incident #1",
        "incident #1 (open): 2 posts on reddit, x",
        "alert #1 to executive",
        "reddit @owner2 post 2 (similar, cosine 0.95",
    ):
        assert expected in text, expected
    assert "added to ticket #1 of incident #1" in explain(store, cfg.routing, cfg.brand.handles, "reddit:t1_b")


def test_explain_of_an_unknown_post_says_how_to_name_one(store: Store) -> None:
    from bot.routing.explain import UnknownPost

    with pytest.raises(UnknownPost, match="give a post id, x:<tweet id> or reddit:<fullname>"):
        explain(store, config().routing, config().brand.handles, "x:404")


def test_the_stage_says_what_it_did_and_every_critical_page_stands_out(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    danger = post("70", text="the kids were trapped in the back seat and overheating")
    grows = [(post(str(i), author=f"user{i}", minutes=i, text=RECALL), labels(embedding=SAME)) for i in range(80, 86)]
    add(store, [(danger, labels(urgency="critical", embedding=FAR)), *grows])
    with caplog.at_level("INFO", logger="bot.routing"):
        run(store)
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("bot.routing")]
    critical = [m for level, m in said if level == "WARNING"]
    assert len(critical) == 1 and critical[0].startswith("CRITICAL alert #1 to tier on-call for post 1:")
    assert critical[0].endswith(danger.url)
    assert ("INFO", "opened ticket #1 (safety/urgent) for post 1") in said
    assert any(m.startswith("incident #2 escalated to tier executive (alert #2)") for _, m in said)
