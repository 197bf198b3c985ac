"""Corrections made in the feed are labelled examples: stored, listed, and seen by the next `earshot train`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import classifiers.train
from bot.cli.main import app
from classifiers.data import Example, corrected_examples, load_splits
from tests.conftest import REPO
from tests.unit.web_support import Feed, feed_fixture  # noqa: F401

TEXT = "My car caught fire while charging"


def test_a_correction_is_stored_listed_and_leaves_the_review_queue(feed: Feed) -> None:
    rory = feed.login("rory")
    csrf = {"X-CSRF-Token": rory.csrf}  # type: ignore[attr-defined]
    url = f"/api/posts/{feed.post_id}/corrections"
    assert rory.post(url, json={"kind": "topic", "value": "no such topic"}, headers=csrf).status_code == 400
    assert rory.post(url, json={"kind": "urgency", "value": "apocalyptic"}, headers=csrf).status_code == 400
    assert rory.post(url, json={"kind": "bogus"}, headers=csrf).status_code == 400
    assert rory.post(url, json={"kind": "urgency", "value": "low"}, headers=csrf).status_code == 200
    page = rory.post(
        f"/posts/{feed.post_id}/correct",
        data={"csrf_token": rory.csrf, "kind": "not_complaint", "next": "/corrections"},  # type: ignore[attr-defined]
    )
    assert page.status_code == 303
    listed = rory.get("/api/corrections").json()
    assert [(c["kind"], c["value"], c["text"], c["author"]) for c in listed] == [
        ("not_complaint", "", TEXT, "rory"),
        ("urgency", "low", TEXT, "rory"),
    ]
    assert "not a complaint" in rory.get("/corrections").text


def test_only_not_a_complaint_teaches_the_trained_heads_once_per_text() -> None:
    found = corrected_examples([("not_complaint", "", "a"), ("topic", "safety", "b"), ("not_complaint", "", "a")])
    assert found == {"complaints": [Example(text="a", labels={"complaint": False, "severity": 0})]}
    assert corrected_examples([("urgency", "low", "c")]) == {}


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    """A few lines of each labelled file: load_splits as `earshot train` runs it, in a blink."""
    folder = tmp_path / "labelled"
    folder.mkdir()
    for name in ("complaints", "sentiment"):
        lines = (REPO / "data" / "labelled" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        (folder / f"{name}.jsonl").write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    return folder


def test_corrections_join_the_training_split_only(small_data: Path) -> None:
    extra = {"complaints": [Example(text="the feed says: not a complaint", labels={"complaint": False, "severity": 0})]}
    plain, corrected = load_splits(small_data), load_splits(small_data, extra)
    assert corrected.train["complaints"] == plain.train["complaints"] + extra["complaints"]
    assert corrected.test == plain.test


def test_earshot_train_sees_a_correction_made_in_the_feed(
    feed: Feed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_data: Path
) -> None:
    seen: list[list[Example]] = []

    def fake_training(data_dir: Path, out_dir: Path, options: Any, extra: Any = None) -> dict:
        seen.append(load_splits(small_data, extra).all_train())  # what training would learn from
        return {}

    monkeypatch.setattr(classifiers.train, "train", fake_training)
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(feed.store.engine.url))
    command = ["train", "--config", str(REPO / "config.yaml"), "--out", str(tmp_path / "model")]
    assert CliRunner().invoke(app, command).exit_code == 0
    rory = feed.login("rory")
    rory.post(
        f"/api/posts/{feed.post_id}/corrections",
        json={"kind": "not_complaint"},
        headers={"X-CSRF-Token": rory.csrf},  # type: ignore[attr-defined]
    )
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    before, after = seen
    assert [e for e in after if e not in before] == [Example(text=TEXT, labels={"complaint": False, "severity": 0})]


def _critical(feed: Feed) -> None:
    from tests.unit.routing_support import labels

    feed.store.save_labels([(feed.post_id, labels(urgency="critical"))])


def test_a_false_alarm_is_one_click_in_the_feed_resolves_the_page_and_is_kept_as_a_correction(feed: Feed) -> None:
    _critical(feed)
    assert feed.login("vera").post(f"/api/alerts/{feed.alert_id}/false-alarm").status_code == 403  # a viewer
    rory = feed.login("rory")
    assert f'action="/alerts/{feed.alert_id}/false-alarm"' in rory.get("/").text
    page = rory.post(
        f"/alerts/{feed.alert_id}/false-alarm",
        data={"csrf_token": rory.csrf, "next": "/"},  # type: ignore[attr-defined]
    )
    assert page.status_code == 303
    item = rory.get(f"/api/alerts/{feed.alert_id}").json()
    assert item["status"] == "resolved" and item["resolved_by"] == "rory"
    assert [e["action"] for e in item["audit"]] == ["false-alarm"]
    listed = rory.get("/api/corrections").json()
    assert [(c["kind"], c["value"], c["text"], c["author"]) for c in listed] == [
        ("false_alarm", "critical", TEXT, "rory")
    ]
    assert "false alarm (paged as critical)" in rory.get("/corrections").text


def test_a_false_alarm_is_marked_on_its_alert_not_as_a_post_correction(feed: Feed) -> None:
    rory = feed.login("rory")
    answer = rory.post(
        f"/api/posts/{feed.post_id}/corrections",
        json={"kind": "false_alarm"},
        headers={"X-CSRF-Token": rory.csrf},  # type: ignore[attr-defined]
    )
    assert answer.status_code == 400 and "/alerts/<id>/false-alarm" in answer.text


def test_earshot_false_alarm_marks_it_from_the_command_line(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    _critical(feed)
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(feed.store.engine.url))
    config = ["--config", str(REPO / "config.yaml")]
    done = CliRunner().invoke(app, ["false-alarm", str(feed.alert_id), "--by", "dana", *config])
    assert done.exit_code == 0, done.output
    assert f"alert {feed.alert_id} marked a false alarm" in done.output
    with feed.store.transaction() as tx:
        assert [(c.kind, c.value, c.author) for c in tx.labels.corrections()] == [("false_alarm", "critical", "dana")]
        assert tx.audit.log(target=f"alert:{feed.alert_id}")[0].actor == "dana"
    missing = CliRunner().invoke(app, ["false-alarm", "999", "--by", "dana", *config])
    assert missing.exit_code != 0 and "no alert 999" in missing.output


def test_earshot_train_is_handed_the_false_alarms_made_in_the_feed(
    feed: Feed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _critical(feed)
    handed: list[list[tuple[str, str, str]]] = []

    def reader(corrections: list[tuple[str, str, str]]) -> dict[str, list[Example]]:
        handed.append(list(corrections))
        return corrected_examples(corrections)

    monkeypatch.setattr("classifiers.data.corrected_examples", reader)
    monkeypatch.setattr(classifiers.train, "train", lambda *_args, **_kwargs: {})
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(feed.store.engine.url))
    rory = feed.login("rory")
    rory.post(f"/api/alerts/{feed.alert_id}/false-alarm", headers={"X-CSRF-Token": rory.csrf})  # type: ignore[attr-defined]
    command = ["train", "--config", str(REPO / "config.yaml"), "--out", str(tmp_path / "model")]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert handed[0] == [("false_alarm", "critical", TEXT)]
