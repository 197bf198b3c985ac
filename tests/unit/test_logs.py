"""Logs are structured: one JSON line or a human line with key=value extras, to the stderr of the moment."""

import io
import json
import logging
import sys

import pytest

from bot.app.logs import HumanFormatter, JsonFormatter, setup_logging


def record(**extra):
    entry = logging.LogRecord("earshot.test", logging.WARNING, __file__, 1, "source %s failing", ("x",), None)
    entry.__dict__.update(extra)
    return entry


def test_json_lines_carry_message_and_extras():
    line = json.loads(JsonFormatter().format(record(source="x", count=3)))
    assert line["message"] == "source x failing"
    assert (line["level"], line["source"], line["count"]) == ("WARNING", "x", 3)


def test_human_lines_show_extras_as_key_value():
    line = HumanFormatter().format(record(source="x"))
    assert "WARNING" in line and line.endswith("source x failing  source=x")


def test_records_go_to_the_current_stderr_not_to_one_closed_since(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    setup_logging()
    first.close()  # what a test runner or a CLI wrapper does with the stream it lent
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("earshot.test").warning("after the swap")
    assert "WARNING earshot.test: after the swap" in second.getvalue()
    assert "Logging error" not in second.getvalue()  # the closed stream was never written to
    logging.getLogger().handlers[:] = []
