"""Logs are structured: one JSON object per line, or a human line with key=value extras."""

import json
import logging

from bot.app.logs import HumanFormatter, JsonFormatter


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
