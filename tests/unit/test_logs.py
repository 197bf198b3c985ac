"""Logs are structured: one JSON object per line, or a human line with key=value extras."""

import io
import json
import logging
import sys

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


def test_the_handler_follows_stderr_so_a_late_line_never_meets_a_closed_stream(monkeypatch):
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        setup_logging("human", "INFO")
        first, second = io.StringIO(), io.StringIO()
        monkeypatch.setattr(sys, "stderr", first)
        logging.getLogger("earshot.test").info("one")
        first.close()  # a test runner closes the stream it lent, a library thread logs on
        monkeypatch.setattr(sys, "stderr", second)
        logging.getLogger("earshot.test").info("two")
        assert "two" in second.getvalue()
        given = io.StringIO()
        root.handlers[0].setStream(given)  # type: ignore[attr-defined]
        logging.getLogger("earshot.test").info("three")
        assert "three" in given.getvalue() and "three" not in second.getvalue()
    finally:
        root.handlers[:], root.level = saved


def test_libraries_chatter_at_info_stays_out_of_the_operators_log(monkeypatch):
    """matplotlib logs building its font cache at INFO the first time a chart is drawn on a machine."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        setup_logging("human", "INFO")
        stream = io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        logging.getLogger("matplotlib.font_manager").info("generated new fontManager")
        logging.getLogger("matplotlib.font_manager").warning("no font found for 'Inter'")
        logging.getLogger("earshot.test").info("digest sent")
        assert "fontManager" not in stream.getvalue()
        assert "no font found" in stream.getvalue() and "digest sent" in stream.getvalue()
    finally:
        root.handlers[:], root.level = saved
