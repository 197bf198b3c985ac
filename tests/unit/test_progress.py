"""Long work shows progress: a bar on a terminal, a plain log line every tenth otherwise."""

from __future__ import annotations

import io
import logging

import pytest

from bot.core.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_on_a_terminal_progress_is_ten_plain_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.core.progress")
    with Progress(250, "evaluating", stream=io.StringIO()) as bar:
        for _ in range(250):
            bar.advance()
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 10 and lines[0] == "evaluating: 25/250 (10%)" and lines[-1] == "evaluating: 250/250 (100%)"


def test_on_a_terminal_progress_is_a_bar_and_no_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.core.progress")
    with Progress(40, "training", stream=Terminal()) as bar:
        assert bar._bar is not None
        for _ in range(40):
            bar.advance()
        assert bar._bar.tasks[0].completed == 40
    assert caplog.records == []
