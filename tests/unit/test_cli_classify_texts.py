"""`earshot classify`: a text that begins with '-' is a text, wherever it stands; '-' reads texts from stdin."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import classifiers
from bot.cli.main import app
from classifiers.stub import StubClassifier
from tests.conftest import REPO

CONFIG = str(REPO / "config.yaml")


@pytest.fixture(autouse=True)
def stub_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifiers, "load_classifier", lambda settings, **_: StubClassifier())


def texts_of(args: list[str], stdin: str | None = None) -> list[str]:
    result = CliRunner().invoke(app, ["classify", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return [json.loads(line)["text"] for line in result.stdout.splitlines()]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-50% off all recalls, what a joke", "--config", CONFIG], ["-50% off all recalls, what a joke"]),
        (["--config", CONFIG, "-cheap cars break"], ["-cheap cars break"]),
        (["-c", CONFIG, "fine", "--- worst service ---"], ["fine", "--- worst service ---"]),
        (["--config=" + CONFIG, "--", "-50% off", "--config"], ["-50% off", "--config"]),
    ],
)
def test_a_text_beginning_with_a_dash_is_classified_as_a_text(args: list[str], expected: list[str]) -> None:
    assert texts_of(args) == expected


def test_a_lone_dash_reads_the_texts_from_stdin_one_per_line() -> None:
    assert texts_of(["-", "--config", CONFIG], stdin="-50% off\n\nmy AC died\n") == ["-50% off", "my AC died"]


def test_classify_prints_a_hostile_text_without_escape_sequences() -> None:
    result = CliRunner().invoke(app, ["classify", "--config", CONFIG, "hi \x1b]52;c;ZXZpbA==\x07 \u202eevil \x9b2J"])
    assert result.exit_code == 0, result.output
    for raw in ("\x1b", "\u202e", "\x9b", "\x07"):
        assert raw not in result.stdout
