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


def test_corrections_join_the_training_split_only() -> None:
    extra = {"complaints": [Example(text="the feed says: not a complaint", labels={"complaint": False, "severity": 0})]}
    plain, corrected = load_splits(REPO / "data" / "labelled"), load_splits(REPO / "data" / "labelled", extra)
    assert corrected.train["complaints"] == plain.train["complaints"] + extra["complaints"]
    assert corrected.test == plain.test


def test_earshot_train_sees_a_correction_made_in_the_feed(
    feed: Feed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: dict[str, Any] = {}

    def fake_training(data_dir: Path, out_dir: Path, options: Any, extra: Any = None) -> dict:
        seen["before" if "before" not in seen else "after"] = load_splits(data_dir, extra).all_train()
        return {}

    monkeypatch.setattr(classifiers.train, "train", fake_training)
    monkeypatch.setenv("EARSHOT_DATABASE_URL", str(feed.store.engine.url))
    command = ["train", "--config", str(REPO / "config.yaml"), "--out", str(tmp_path)]
    assert CliRunner().invoke(app, command).exit_code == 0
    rory = feed.login("rory")
    rory.post(
        f"/api/posts/{feed.post_id}/corrections", json={"kind": "not_complaint"}, headers={"X-CSRF-Token": rory.csrf}
    )  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    added = [e for e in seen["after"] if e not in seen["before"]]
    assert added == [Example(text=TEXT, labels={"complaint": False, "severity": 0})]
