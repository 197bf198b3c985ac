"""Hostile input made safe before it reaches the database: clean text, bounded ids and numbers.

Every database Earshot runs on must accept what a valid `Post` holds: PostgreSQL refuses NUL
in text and strings longer than their column, no driver can encode a lone surrogate, and
integers beyond 64 bits overflow. `Post` calls these at construction, so a record that
breaks them is skipped by its parser (and dead-lettered), never stored half-way.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.core.escape import displayable

MAX_ID = 64  # native ids, author ids, parent and conversation ids (the columns' length)
MAX_HANDLE = 128
MAX_LANGUAGE = 16
MAX_TEXT = 100_000  # characters of a post's text kept; X allows 25k, Reddit 40k
MAX_INT = 2**63 - 1  # BIGINT
MAX_PAYLOAD = 64 * 1024  # characters of a skipped record kept in the dead-letter table

_UNSAFE = re.compile(r"[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` without NUL characters and lone surrogates (which no database can store)."""
    return _UNSAFE.sub("", value) if _UNSAFE.search(value) else value


def clean_handle(value: str | None) -> str | None:
    """A handle as the sources allow it: no whitespace, control characters, escape sequences or bidi
    controls (a handle with CR/LF or U+202E would forge lines and reorder names wherever it is shown)."""
    if value is None:
        return None
    return "".join(displayable(clean_text(value)).split()) or None


def bounded_id(name: str, value: str | None, limit: int = MAX_ID) -> str | None:
    """A cleaned identifier; ValueError when it is longer than its column."""
    if value is None:
        return None
    cleaned = clean_text(value)
    if len(cleaned) > limit:
        raise ValueError(f"{name} is {len(cleaned)} characters long (at most {limit})")
    return cleaned


def bounded_int(name: str, value: int | None, *, low: int = -MAX_INT) -> int | None:
    """`value` when it fits a 64-bit column; ValueError otherwise."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {type(value).__name__}")
    if not low <= value <= MAX_INT:
        raise ValueError(f"{name} {value} is out of range")
    return value


def to_int(value: Any) -> int:
    """A JSON number or numeric string as an int; ValueError for anything absurd (1e20 passes, inf not)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = int(value)
    except OverflowError as err:  # float('inf')
        raise ValueError(f"number {value!r} is out of range") from err
    if abs(number) > MAX_INT:
        raise ValueError(f"number {str(value)[:40]} is out of range")
    return number


def payload_text(payload: Any) -> str:
    """A skipped record as text fit for the dead-letter table: JSON if it can be, cut to MAX_PAYLOAD."""
    if isinstance(payload, bytes):
        text = payload.decode("utf-8", errors="backslashreplace")
    elif isinstance(payload, str):
        text = payload
    else:
        try:
            text = json.dumps(payload, default=repr)
        except (ValueError, TypeError, RecursionError):
            text = repr(payload)[:MAX_PAYLOAD] if not isinstance(payload, (list, dict)) else "(unprintable)"
    text = text.encode("utf-8", errors="backslashreplace").decode("utf-8").replace("\x00", "\\u0000")
    return text if len(text) <= MAX_PAYLOAD else text[:MAX_PAYLOAD] + f"... ({len(text)} characters)"
