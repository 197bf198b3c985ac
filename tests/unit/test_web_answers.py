"""The feed shows the answers suggested for an alert's post, copies them in a click, and takes feedback."""

from __future__ import annotations

import re

from bot.core.answers import Suggestion, Suggestions
from bot.store import Store
from tests.unit.web_support import Feed, feed_fixture  # noqa: F401

ANSWER = "Turn off air recirculation <b>when</b> the third row is in use."


def suggest(store: Store, post_id: int, *, safety: bool = False) -> int:
    with store.transaction() as tx:
        answer_id = tx.answers.add_written("Hot third row", ANSWER, ["the back is too hot"])
        tx.answers.set_vectors(answer_id, [[1.0, 0.0]])
        item = Suggestion(
            answer_id=answer_id, kind="playbook", title="Hot third row", text=ANSWER, similarity=0.83, score=0.83,
            matched="the back is too hot",
        )  # fmt: skip
        tx.suggestions.save(Suggestions(post_id=post_id, items=(item,), safety_case=safety))
    return answer_id


def test_the_alert_page_shows_the_suggested_answer_escaped_with_a_copy_button_and_no_inline_script(feed: Feed) -> None:
    suggest(feed.store, feed.post_id)
    page = feed.login("vera").get(f"/alerts/{feed.alert_id}")
    assert page.status_code == 200
    assert "Answered before" in page.text and "Turn off air recirculation &lt;b&gt;when&lt;/b&gt;" in page.text
    assert 'data-copy="answer-1"' in page.text and '<script src="/static/answers.js"></script>' in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # every script is a file
    assert "This helped" not in page.text  # a viewer reads, never acts


def test_a_safety_case_is_headed_as_one(feed: Feed) -> None:
    suggest(feed.store, feed.post_id, safety=True)
    page = feed.login("rory").get(f"/alerts/{feed.alert_id}")
    assert "Safety case: talk to the customer first; past answers for reference" in page.text


def test_feedback_is_stored_with_a_csrf_token_and_refused_without(feed: Feed) -> None:
    answer_id = suggest(feed.store, feed.post_id)
    rory = feed.login("rory")
    url = f"/posts/{feed.post_id}/answers/{answer_id}/feedback"
    assert rory.post(url, data={"helpful": "false", "next": "/"}).status_code == 403
    done = rory.post(url, data={"csrf_token": rory.csrf, "helpful": "false", "next": f"/alerts/{feed.alert_id}"})  # type: ignore[attr-defined]
    assert done.status_code == 303 and done.headers["location"] == f"/alerts/{feed.alert_id}"
    with feed.store.transaction() as tx:
        [note] = tx.suggestions.feedback_on([answer_id])
    assert note.helpful is False
    other = rory.post(f"/posts/{feed.post_id}/answers/999/feedback", data={"csrf_token": rory.csrf, "helpful": "true"})  # type: ignore[attr-defined]
    assert other.status_code == 404


def test_a_viewer_cannot_give_feedback(feed: Feed) -> None:
    answer_id = suggest(feed.store, feed.post_id)
    vera = feed.login("vera")
    url = f"/posts/{feed.post_id}/answers/{answer_id}/feedback"
    assert vera.post(url, data={"csrf_token": vera.csrf, "helpful": "true"}).status_code == 403  # type: ignore[attr-defined]


def test_the_json_api_carries_suggestions_and_takes_feedback(feed: Feed) -> None:
    answer_id = suggest(feed.store, feed.post_id)
    rory = feed.login("rory")
    alert = rory.get(f"/api/alerts/{feed.alert_id}").json()
    [item] = alert["suggestions"]["items"]
    assert (
        item["text"] == ANSWER and item["similarity"] == 0.83 and alert["suggestions"]["heading"] == "Answered before"
    )
    csrf = {"X-CSRF-Token": rory.csrf}  # type: ignore[attr-defined]
    url = f"/api/posts/{feed.post_id}/answers/{answer_id}/feedback"
    assert rory.post(url, json={"helpful": True}, headers=csrf).json()["ok"] is True
    assert rory.post(url, json={"helpful": True}).status_code == 403
    assert [a["title"] for a in rory.get("/api/answers", params={"q": "recirculation"}).json()] == ["Hot third row"]
    assert rory.get("/api/answers/gaps").status_code == 200


def test_the_gaps_page_and_an_unknown_ticket(feed: Feed) -> None:
    rory = feed.login("rory")
    page = rory.get("/answers/gaps?days=3")
    assert page.status_code == 200 and "Complaints still without an answer" in page.text
    assert rory.get("/tickets/999").status_code == 404
