"""Structured logging: human lines or one JSON object per line, with `extra` fields kept."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.app.secrets import MaskingFormatter, env_secrets
from bot.core.escape import for_log

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and every extra field (ASCII only: every
    control, bidi or line-separator character is a `\\uNNNN` escape)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class HumanFormatter(logging.Formatter):
    """`HH:MM:SS LEVEL logger: message key=value ...`, one line whatever the message and fields hold
    (a handle's CR/LF or escape sequence is written as `\\r\\n`, `\\x1b`); a traceback follows on its own lines."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={for_log(v)}" for k, v in _extras(record).items())
        line = (
            f"{datetime.fromtimestamp(record.created).strftime('%H:%M:%S')} {record.levelname:<7} "
            f"{record.name}: {for_log(record.getMessage())}" + (f"  {fields}" if fields else "")
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes, unless `setStream` gave it a stream.

    A test runner swaps `sys.stderr` per test and closes the old one; a library thread that logs
    late (aiosmtpd's "connection lost") must not write to a closed stream.
    """

    def __init__(self) -> None:
        self._given: Any = None
        super().__init__()

    @property
    def stream(self) -> Any:
        return self._given if self._given is not None else sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        self._given = None if value is sys.stderr else value


def setup_logging(fmt: str = "human", level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Route every log record to stderr in the chosen format, every secret masked (env ones always)."""
    handler = StderrHandler()
    inner = JsonFormatter() if fmt == "json" else HumanFormatter()
    handler.setFormatter(MaskingFormatter(inner, {*secrets, *env_secrets()}))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("alembic", "httpx", "urllib3", "prawcore", "matplotlib"):  # matplotlib: its font cache, once
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    # "skipped: maximum number of running instances" is expected while a long batch runs;
    # a job that raises is still logged, at ERROR.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
