"""`earshot answers`: add, list, search, retire a written answer; bad requests one line; gaps cluster the unanswered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.answers import Answer
from bot.routing.answers.gaps import find_gaps
from bot.store import ActedComplaint
from tests.conftest import REPO
from tests.unit.test_cli_errors import one_line_error

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated_sqlite_url: str) -> str:
    document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    document["database"] = {"url": migrated_sqlite_url}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    monkeypatch.delenv("EARSHOT_DATABASE_URL", raising=False)
    return str(path)


def earshot(config: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["answers", *args, "--config", config])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_written_answer_is_added_found_and_retired(config: str) -> None:
    said = earshot(config, "add", "--title", "Hot third row", "--answer", "Turn off recirculation.",
                   "--example", "the back is too hot", "--example", "kids sweating in the third row")  # fmt: skip
    assert said.strip() == "added answer #1 (2 examples)"
    [listed] = [json.loads(line) for line in earshot(config, "list", "--json").splitlines()]
    assert listed["kind"] == "playbook" and listed["examples"] == [
        "the back is too hot",
        "kids sweating in the third row",
    ]
    assert "Hot third row" in earshot(config, "search", "RECIRCULATION")
    assert earshot(config, "search", "refund").strip() == "no answers matching 'refund'"
    assert earshot(config, "retire", "1").strip() == "retired answer #1"
    assert earshot(config, "list").strip() == "no answers"
    assert "retired" in earshot(config, "list", "--all")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["retire", "99"], "error: no answer 99"),
        (["add", "--title", " ", "--answer", "x", "--example", "y"], "--title, --answer and at least one --example"),
        (["search", "  "], "search: give some words to look for"),
    ],
)
def test_a_bad_request_is_one_line(config: str, args: list[str], says: str) -> None:
    assert says in one_line_error(CliRunner().invoke(app, ["answers", *args, "--config", config]), 1)


def test_a_second_answer_with_the_same_title_is_refused(config: str) -> None:
    earshot(config, "add", "--title", "Hot third row", "--answer", "a", "--example", "b")
    again = ["answers", "add", "--title", "hot  THIRD row", "--answer", "c", "--example", "d", "--config", config]
    assert "an answer titled 'hot THIRD row' exists already" in one_line_error(CliRunner().invoke(app, again), 1)


def complaint(post_id: int, vector: tuple[float, ...], minutes: int, **extra: object) -> ActedComplaint:
    values: dict = {"suggested": False, "first_reply_at": None, "topic": "comfort", **extra}  # type: ignore[type-arg]
    return ActedComplaint(
        post_id=post_id, text=f"post {post_id}", created_at=T0 + timedelta(minutes=minutes), embedding=vector, **values
    )


def test_gaps_cluster_unanswered_complaints_by_meaning_biggest_first() -> None:
    hot = [complaint(1, (1.0, 0.0, 0.0), 0), complaint(2, (0.95, 0.3, 0.0), 5), complaint(3, (0.9, 0.0, 0.4), 9)]
    billing = [complaint(4, (0.0, 1.0, 0.0), 3, topic="billing")]
    answered = [complaint(5, (1.0, 0.0, 0.0), 7, suggested=True), complaint(6, (0.0, 0.0, 1.0), 8, first_reply_at=T0)]
    gaps = find_gaps([*hot, *billing, *answered], [], similarity=0.8, answer_threshold=0.65)
    assert [(g.size, g.topic, g.post_ids) for g in gaps] == [(3, "comfort", (1, 2, 3)), (1, "billing", (4,))]
    assert gaps[0].representative == "post 1" and gaps[0].last_at == T0 + timedelta(minutes=9)


def test_a_cluster_a_known_answer_now_covers_is_no_gap() -> None:
    hot = [complaint(1, (1.0, 0.0), 0), complaint(2, (0.97, 0.2), 5)]
    written = Answer(id=1, kind="playbook", title="Hot", text="Vent", examples=("hot",), vectors=((1.0, 0.05),))
    angry = Answer(id=2, kind="reply", title="Hot", text="DM us", outcome="angry", vectors=((1.0, 0.0),))
    assert (
        find_gaps(hot, [angry], similarity=0.8, answer_threshold=0.65) != []
    )  # an answer met with anger covers nothing
    assert find_gaps(hot, [written], similarity=0.8, answer_threshold=0.65) == []


def test_personal_data_in_a_known_answer_is_redacted_when_listed(config: str) -> None:
    earshot(config, "add", "--title", "Refunds", "--answer", "Write to care@aurora.example or call +1 555 010 9999",
            "--example", "how do I get a refund")  # fmt: skip
    listed = earshot(config, "list")
    assert "care@aurora.example" not in listed and "[email]" in listed and "[phone]" in listed
