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
