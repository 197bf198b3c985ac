"""The feed's other pages: incident with its chart, tickets with overdue ones marked, sources, review queue."""

from __future__ import annotations

from bot.core.actions import TicketRequest
from bot.core.labels import Labels
from tests.conftest import make_post
from tests.unit.web_support import Feed, feed_fixture  # noqa: F401


def test_incident_page_shows_its_posts_and_a_server_drawn_svg_chart(feed: Feed) -> None:
    post = make_post("1", text="My car caught fire while charging")
    with feed.store.transaction() as tx:
        incident = tx.incidents.open(topics=["safety"], title="Fires while charging", last_post_at=post.created_at)
        tx.incidents.add_member(
            incident.id, post_id=1, post=post, topics=["safety"], reach=4200, how="opened", similarity=None
        )
    viewer = feed.login("vera")
    page = viewer.get(f"/incidents/{incident.id}").text
    assert "Fires while charging" in page and "4,200" in page and f"/incidents/{incident.id}/chart.svg" in page
    chart = viewer.get(f"/incidents/{incident.id}/chart.svg")
    assert chart.headers["content-type"] == "image/svg+xml" and chart.text.lstrip().startswith("<?xml")
    assert "<svg" in chart.text and "Posts of this incident" in chart.text
    assert viewer.get(f"/api/incidents/{incident.id}").json()["posts"][0]["reach"] == 4200


def test_tickets_page_marks_overdue_tickets(feed: Feed) -> None:
    request = TicketRequest(
        idempotency_key="t1",
        queue="social",
        priority="urgent",
        subject="Car on fire",
        body="...",
        post_url="https://x.com/someone/status/1",
        author_handle="someone",
        requester_reach=100,
    )
    with feed.store.transaction() as tx:
        feed.desk.outbox.enqueue_ticket(tx, post_id=1, request=request)  # due 15 minutes after NOON, long past
    viewer = feed.login("vera")
    assert "OVERDUE" in viewer.get("/tickets").text
    assert viewer.get("/api/tickets").json()[0]["overdue"] is True


def test_sources_page_shows_each_sources_health(feed: Feed) -> None:
    viewer = feed.login("vera")
    page = viewer.get("/sources").text
    assert "<td>x</td><td>ok</td>" in page.replace("\n", "")
    assert viewer.get("/api/sources").json()[0]["source"] == "x"


def test_review_queue_lists_unsure_posts_and_a_correction_takes_one_out(feed: Feed) -> None:
    labels = Labels(
        complaint=True,
        complaint_score=0.55,
        sentiment="negative",
        sentiment_score=0.7,
        severity=2,
        severity_score=0.5,
        urgency="medium",
        needs_review=True,
    )
    feed.store.save_labels([(1, labels)])
    rory = feed.login("rory")
    assert [p["post_id"] for p in rory.get("/api/review").json()] == [1]
    page = rory.get("/review").text
    assert "My car caught fire while charging" in page and ">Not a complaint</button>" in page
    rory.post("/posts/1/correct", data={"csrf_token": rory.csrf, "kind": "not_complaint", "next": "/review"})  # type: ignore[attr-defined]
    assert rory.get("/api/review").json() == []
    assert "Nothing to review." in rory.get("/review").text


def test_the_links_in_alert_messages_open_the_alert_in_the_feed(feed: Feed) -> None:
    from urllib.parse import quote

    from bot.routing.messages import alert_key

    key = alert_key(1)  # "alert:post:1"; bot.routing.messages links to feed_base_url/alerts/<quoted key>
    alert_id = feed.desk.raise_alert(key, "support")
    viewer = feed.login("vera")
    by_key = viewer.get("/alerts/" + quote(key, safe=""))
    assert by_key.status_code == 200 and f'id="alert-{alert_id}"' in by_key.text and f"Alert {key}" in by_key.text
    assert viewer.get("/alerts/" + quote("alert:post:999", safe="")).status_code == 404
    summary = viewer.get("/alerts?urgency=critical")  # summaries link to all alerts
    assert summary.status_code == 303 and summary.headers["location"] == "/?urgency=critical"


def test_the_feed_and_the_alert_page_show_the_brands_public_reply(feed: Feed) -> None:
    from bot.core.actions import PublicReply
    from tests.unit.delivery_support import NOON

    reply = PublicReply(
        responder="AuroraSupport", at=NOON, url="https://x.com/AuroraSupport/status/9", text="So sorry <b>DM us</b>"
    )
    with feed.store.transaction(now=NOON) as tx:
        assert not tx.alerts.note_public_reply(feed.alert_id, reply, acknowledges=True)  # the safety override's: no ack
    viewer = feed.login("vera")
    listing = viewer.get("/").text
    assert "brand replied in public" in listing and 'href="https://x.com/AuroraSupport/status/9"' in listing
    assert "So sorry &lt;b&gt;DM us&lt;/b&gt;" in listing and "<b>DM us</b>" not in listing
    assert "not an acknowledgement</strong>: escalates until a person acknowledges it" in listing
    page = viewer.get(f"/alerts/{feed.alert_id}").text
    assert "replied in public at 2026-11-20 12:00 UTC" in page and "No brand responses recorded" not in page
    assert "A public reply does not acknowledge this alert" in page
    shown = viewer.get(f"/api/alerts/{feed.alert_id}").json()
    assert (shown["reply"]["responder"], shown["reply_acknowledges"], shown["acked_at"]) == (
        "AuroraSupport",
        False,
        None,
    )
