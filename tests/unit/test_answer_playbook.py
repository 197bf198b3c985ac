"""The playbook and `answers:` are validated once, each problem one line naming the file or YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app.config import config_from_document
from bot.core.errors import ConfigError
from bot.routing.answers.playbook import load_playbook
from bot.routing.answers.settings import AnswerSettings

BRAND = {"brand": {"name": "Aurora Motors"}}


def _load(tmp_path: Path, name: str, text: str) -> list:  # type: ignore[type-arg]
    (tmp_path / name).write_text(text, encoding="utf-8")
    return load_playbook(AnswerSettings(playbook=name), tmp_path)


def test_a_yaml_playbook_and_inline_entries_are_read_together(tmp_path: Path) -> None:
    (tmp_path / "book.yaml").write_text(
        "entries:\n  - {title: Hot  third row, answer: Turn off recirculation, examples: [too hot]}\n"
    )
    settings = AnswerSettings(
        playbook="book.yaml", entries=[{"title": "Charging", "answer": "80%", "examples": ["stops at 80"]}]
    )  # type: ignore[list-item]
    found = load_playbook(settings, tmp_path)
    assert [(e.key, e.title, e.examples) for e in found] == [
        ("charging", "Charging", ("stops at 80",)),
        ("hot third row", "Hot third row", ("too hot",)),
    ]


def test_a_json_playbook_is_read(tmp_path: Path) -> None:
    [entry] = _load(tmp_path, "book.json", '[{"title": "Hot", "answer": "Vent", "examples": ["hot back seat"]}]')
    assert entry.answer == "Vent"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("- {title: Hot, answer: Vent, examples: []}\n", "book.yaml: [0].examples: List should have at least 1 item"),
        ("- {title: Hot, answer: Vent, examples: ['  ']}\n", "book.yaml: [0]: examples[0]: must not be empty"),
        (
            "- {title: Hot, answer: Vent, exampels: [x]}\n",
            "book.yaml: [0].exampels: unknown key; did you mean 'examples'?",
        ),
        ("- {title: Hot, examples: [x]}\n", "book.yaml: [0].answer: Field required"),
        ("title: Hot\n", "book.yaml: must be a list of entries"),
        ("- [unclosed\n", "book.yaml: not valid YAML"),
        (
            "- {title: Hot, answer: a, examples: [x]}\n- {title: hot, answer: b, examples: [y]}\n",
            "playbook entry 1 repeats the title 'hot'",
        ),
    ],
)
def test_a_bad_playbook_entry_is_one_line_naming_the_file_and_the_entry(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "book.yaml", text)
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_playbook_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"answers.playbook: cannot read .*nowhere.yaml"):
        load_playbook(AnswerSettings(playbook="nowhere.yaml"), tmp_path)


@pytest.mark.parametrize(
    ("answers", "said"),
    [
        ({"threshold": 1.5}, "answers.threshold: Input should be less than or equal to 1"),
        ({"treshold": 0.7}, "answers.treshold: unknown key; did you mean 'threshold'?"),
        ({"max_suggestions": 0}, "answers.max_suggestions: Input should be greater than or equal to 1"),
        ({"entries": [{"title": "x", "answer": "y"}]}, "answers.entries[0].examples: required key is missing"),
    ],
)
def test_answers_settings_are_validated_with_their_path(answers: dict, said: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as caught:
        config_from_document({**BRAND, "answers": answers}, Path("config.yaml"))
    assert said in str(caught.value)


def test_check_config_names_a_bad_playbook_file_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from bot.cli.main import app

    (tmp_path / "book.yaml").write_text("- {title: Hot, answer: Vent}\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("brand: {name: Aurora Motors}\nanswers: {playbook: book.yaml}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check-config", str(config)])
    assert result.exit_code == 2
    assert f"config error: {config}: {tmp_path / 'book.yaml'}: [0].examples: Field required" in result.stderr
