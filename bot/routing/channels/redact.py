"""Masks personal data in alert text: emails, phone numbers, order numbers and VINs."""

from __future__ import annotations

import re

# Order before phone: an order number is digits too. VIN: 17 chars, no I, O or Q, with a digit.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[email]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("[vin]", re.compile(r"\b(?=[A-HJ-NPR-Z0-9]{17}\b)(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}\b")),
    ("[order]", re.compile(r"(?i)\b(?:order|ord|rn|reservation|confirmation)\s*(?:number|no\.?|#)?\s*[:#]?\s*"
                           r"[A-Z0-9-]*\d[A-Z0-9-]{3,}\b")),
    ("[phone]", re.compile(r"(?<![\w$])\+?\d[\d\s().-]{7,}\d(?!\w)")),
)


def redact(text: str) -> str:
    """The text with personal data replaced by `[email]`, `[vin]`, `[order]` and `[phone]`."""
    for replacement, pattern in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
