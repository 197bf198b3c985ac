"""The feed's actions: acknowledge stops escalation as `earshot ack` does; the others are recorded."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.store import FeedFilter, Store
from bot.store.delivery_tables import AlertRow, OutboxRow
from tests.conftest import make_post
from tests.unit.delivery_support import NOON, Clock, Desk, settings
from tests.unit.web_support import Feed, feed_fixture  # noqa: F401

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>' + "é" * 3000


def _alert(feed: Feed) -> AlertRow:
    with feed.store.session() as session:
        row = session.get(AlertRow, feed.alert_id)
        assert row is not None
        return row


def _outbox(feed: Feed) -> list[str]:
    with feed.store.session() as session:
        return [r.status for r in session.exec(select(OutboxRow).where(OutboxRow.ref_id == feed.alert_id)).all()]


def test_acknowledging_in_the_feed_stops_escalation_and_cancels_unsent_messages(feed: Feed) -> None:
    assert _alert(feed).next_escalation_at is not None and "pending" in _outbox(feed)
    rory = feed.login("rory")
    answer = rory.post(f"/alerts/{feed.alert_id}/ack", data={"csrf_token": rory.csrf, "next": "/"})  # type: ignore[attr-defined]
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    alert = _alert(feed)
    assert alert.acked_by == "rory" and alert.next_escalation_at is None
    assert set(_outbox(feed)) == {"cancelled"}
    feed.desk.clock.advance(hours=2)
    feed.desk.tick()
    assert _alert(feed).escalation_level == 0  # nobody else is paged
    history = rory.get(f"/api/alerts/{feed.alert_id}").json()["audit"]
    assert [(e["actor"], e["action"]) for e in history] == [("rory", "ack")]


def test_snooze_pauses_escalation_until_the_chosen_time_then_it_resumes(feed: Feed) -> None:
    due = _alert(feed).next_escalation_at
    assert due is not None
    rory = feed.login("rory")
    csrf = {"X-CSRF-Token": rory.csrf}  # type: ignore[attr-defined]
    assert rory.post(f"/api/alerts/{feed.alert_id}/snooze", json={"minutes": 0}, headers=csrf).status_code == 400
    assert rory.post(f"/api/alerts/{feed.alert_id}/snooze", json={"minutes": 600}, headers=csrf).status_code == 200
    snoozed = _alert(feed)
    assert snoozed.next_escalation_at is not None and snoozed.next_escalation_at > due + timedelta(hours=1)
    item = rory.get(f"/api/alerts/{feed.alert_id}").json()
    assert item["snoozed_until"] is not None and item["acked_at"] is None
    feed.desk.clock.now = snoozed.next_escalation_at - timedelta(minutes=1)
    feed.desk.tick()
    assert _alert(feed).escalation_level == 0  # still snoozed
    feed.desk.clock.now = snoozed.next_escalation_at + timedelta(minutes=1)
    feed.desk.tick()
    assert _alert(feed).escalation_level == 1 and _alert(feed).current_tier == "executive"  # resumed


def test_claim_reassign_resolve_and_note_are_recorded_with_who_and_when(feed: Feed) -> None:
    rory = feed.login("rory")
    csrf = {"X-CSRF-Token": rory.csrf}  # type: ignore[attr-defined]
    url = f"/api/alerts/{feed.alert_id}"
    assert rory.post(f"{url}/claim", headers=csrf).status_code == 200
    assert rory.post(f"{url}/reassign", json={"to": "nobody"}, headers=csrf).status_code == 400
    assert rory.post(f"{url}/reassign", json={"to": "ada"}, headers=csrf).status_code == 200
    assert rory.post(f"{url}/note", json={"note": "called the customer"}, headers=csrf).status_code == 200
    assert rory.post(f"{url}/resolve", headers=csrf).status_code == 200
    item = rory.get(url).json()
    assert item["assignee"] == "ada" and item["status"] == "resolved" and item["acked_by"] == "rory"
    assert [n["body"] for n in item["notes"]] == ["called the customer"]
    assert [e["action"] for e in reversed(item["audit"])] == ["claim", "reassign", "note", "resolve"]
    assert all(e["actor"] == "rory" and e["at"] for e in item["audit"])
    assert set(_outbox(feed)) == {"cancelled"}  # resolving acknowledges: nothing more is sent


def test_unknown_ids_and_actions_are_404(feed: Feed) -> None:
    rory = feed.login("rory")
    csrf = {"X-CSRF-Token": rory.csrf}  # type: ignore[attr-defined]
    assert rory.post("/api/alerts/999/ack", headers=csrf).status_code == 404
    assert rory.post("/api/alerts/999/claim", headers=csrf).status_code == 404
    assert rory.post(f"/api/alerts/{feed.alert_id}/explode", headers=csrf).status_code == 404
    assert rory.get("/api/alerts/999").status_code == 404
    assert rory.get("/alerts/999").status_code == 404
    assert rory.get("/incidents/999").status_code == 404
    assert rory.get("/incidents/999/chart.svg").status_code == 404
    assert rory.get("/api/incidents/999").status_code == 404
    assert rory.post("/api/posts/999/corrections", json={"kind": "not_complaint"}, headers=csrf).status_code == 404
    assert rory.get("/alerts/not-a-number").status_code in (404, 422)


def test_hostile_input_is_stored_as_given_and_rendered_escaped(feed: Feed) -> None:
    rory = feed.login("rory")
    answer = rory.post(
        f"/alerts/{feed.alert_id}/note",
        data={"csrf_token": rory.csrf, "note": HOSTILE[:3500], "next": "javascript:alert(1)"},  # type: ignore[attr-defined]
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"  # never an off-site or script target
    page = rory.get(f"/alerts/{feed.alert_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    search = rory.get("/", params={"q": HOSTILE, "urgency": HOSTILE, "tier": "<b>", "status": "' OR 1=1 --"})
    assert search.status_code == 200 and "<script>alert" not in search.text and "No alerts match" in search.text
    assert rory.get("/api/alerts", params={"q": "x" * 20_000}).status_code == 422
    too_long = rory.post(f"/alerts/{feed.alert_id}/note", data={"csrf_token": rory.csrf, "note": "n" * 20_000})  # type: ignore[attr-defined]
    assert too_long.status_code == 422
    huge_user = feed.client().get("/login")
    assert huge_user.status_code == 200


def test_a_post_with_markup_in_its_text_and_a_script_link_is_shown_harmless(feed: Feed) -> None:
    from tests.conftest import make_post

    post = make_post("2", text="<script>steal()</script> my car")
    feed.store.save_batch("x", [post.__class__(**{**post.__dict__, "url": "javascript:steal()"})], None)
    with feed.store.transaction() as tx:
        alert_id = feed.desk.outbox.enqueue_alert(tx, post_id=2, message=_message("k2"))
    page = feed.login("vera").get("/").text
    assert f'id="alert-{alert_id}"' in page
    assert "<script>steal()" not in page and "&lt;script&gt;steal()&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


def _message(key: str):  # type: ignore[no-untyped-def]
    from tests.unit.delivery_support import NOON, message

    return message(key, "support", "<script>steal()</script>", NOON)


def test_the_feed_stamp_changes_on_a_new_alert_an_ack_and_any_handling(store: Store) -> None:
    """What the live stream polls, on SQLite and PostgreSQL: several processes may share one database."""
    store.save_batch("x", [make_post("1")], None)
    desk = Desk(store, settings(), Clock(NOON))
    with store.transaction() as tx:
        empty = tx.feed.stamp()
    first = desk.raise_alert("k1", "on-call")
    stamps = [empty]
    for change in (
        lambda tx: None,
        lambda tx: tx.handling.claim(first, "rory"),
        lambda tx: tx.alerts.acknowledge(first, "rory"),
        lambda tx: tx.handling.add_note(first, "rory", "called"),
    ):
        with store.transaction() as tx:
            change(tx)
        with store.transaction() as tx:
            stamps.append(tx.feed.stamp())
    assert stamps[1][0] == first and stamps[1] != stamps[0]
    assert len(set(stamps[1:])) == 4  # every change moved it
    with store.transaction() as tx:
        items = tx.feed.items(FeedFilter(q="car", status="acked"))
        assert [(i.id, i.assignee, i.acked_by) for i in items] == [(first, "rory", "rory")]
        assert tx.feed.items(FeedFilter(q="100%_\\")) == []  # LIKE wildcards are matched literally
