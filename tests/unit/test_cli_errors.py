"""The error boundary: every command turns an Earshot error into one line and an exit code, never a traceback."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

import classifiers
from bot.cli.main import app
from tests.conftest import REPO

DOWN = "postgresql+psycopg://nobody@127.0.0.1:1/x"  # nothing listens on port 1
CONFIG = str(REPO / "config.yaml")


def one_line_error(result, code: int) -> str:
    """The single stderr line of a command that failed with `code`, after checking there is no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a clean exit, not an exception the runner caught
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["sources"],
        ["alerts"],
        ["tickets"],
        ["ack", "1", "--by", "dana"],
        ["resolve", "1", "--by", "dana"],
        ["snooze", "1", "--by", "dana"],
        ["route", "--explain", "1"],
        ["run", "--once"],
    ],
)
def test_every_command_with_the_database_down_says_so_in_one_line(command, monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", DOWN)
    line = one_line_error(CliRunner().invoke(app, [*command, "--config", CONFIG]), 1)
    assert line.startswith("database error: cannot reach the database at postgresql+psycopg://nobody@127.0.0.1:1/x")


@pytest.mark.parametrize("command", [["sources"], ["alerts"], ["tickets"], ["run", "--once"]])
def test_a_database_url_that_is_not_a_url_is_one_line(command, monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", "notaurl")
    line = one_line_error(CliRunner().invoke(app, [*command, "--config", CONFIG]), 1)
    assert line.startswith("database error: not a database URL: 'notaurl'")


@pytest.mark.process
def test_run_without_once_on_a_url_that_is_not_a_url_exits_1_in_one_line(tmp_path):
    env = {"EARSHOT_DATABASE_URL": "notaurl", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli.main import app; app()", "run", "--config", CONFIG],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "database error: not a database URL: 'notaurl' (expected e.g. sqlite:///data/earshot.db "
        "or postgresql+psycopg://user@host/earshot)"
    ]


def test_classify_rejects_an_empty_text_before_loading_the_model(monkeypatch):
    def no_model(settings):
        raise AssertionError("the model must not load for an empty text")

    monkeypatch.setattr(classifiers, "load_classifier", no_model)
    line = one_line_error(CliRunner().invoke(app, ["classify", "fine text", "  ", "--config", CONFIG]), 1)
    assert line == "error: text 2 is empty: give the text of a post to classify"


def test_check_config_on_a_directory_is_a_config_error(tmp_path):
    line = one_line_error(CliRunner().invoke(app, ["check-config", str(tmp_path)]), 2)
    assert line == f"config error: {tmp_path}: is a directory, not a config file"


def test_a_missing_config_is_a_config_error_for_every_command(tmp_path):
    missing = tmp_path / "nope.yaml"
    for command in (["sources"], ["alerts"], ["tickets"], ["run", "--once"], ["classify", "hello"]):
        line = one_line_error(CliRunner().invoke(app, [*command, "--config", str(missing)]), 2)
        assert line == f"config error: {missing}: no such config file"


@pytest.mark.parametrize("command", ["ack", "resolve", "snooze"])
def test_an_unknown_alert_is_one_line(command, tmp_path, monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", f"sqlite:///{tmp_path / 'earshot.db'}")
    line = one_line_error(CliRunner().invoke(app, [command, "999", "--by", "dana", "--config", CONFIG]), 1)
    assert line == "error: no alert 999"


def test_route_explain_of_an_unknown_post_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("EARSHOT_DATABASE_URL", f"sqlite:///{tmp_path / 'earshot.db'}")
    line = one_line_error(CliRunner().invoke(app, ["route", "--explain", "x:404", "--config", CONFIG]), 1)
    assert line.startswith("error: no stored post 'x:404'")
