"""Masks personal data in alert text: emails, phone numbers, order numbers and VINs."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# VIN: 17 characters without I, O or Q, at least one digit.
_VIN = re.compile(r"\b(?=[A-HJ-NPR-Z0-9]{17}\b)(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}\b")
_ORDER = re.compile(
    r"(?i)\b(?:order|ord|rn|reservation|confirmation|case|ticket)\s*(?:number|no\.?|#|id)?(?:\s+(?:is|was))?\s*[:#]?\s*"
    r"[A-Z0-9-]*\d[A-Z0-9-]{3,}\b"
)
_PHONE = re.compile(r"(?<![\w$€£])\+?\(?\d[\d\s().-]{6,}\d(?![\w%])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")


def redact(text: str) -> str:
    """The text with personal data replaced by `[email]`, `[vin]`, `[order]` and `[phone]`."""
    text = _EMAIL.sub("[email]", text)
    text = _VIN.sub("[vin]", text)
    text = _ORDER.sub("[order]", text)
    return _PHONE.sub(_phone, text)


def _phone(match: re.Match[str]) -> str:
    """A phone number has 8–15 digits and is not a date; anything else stays as written."""
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if not 8 <= digits <= 15 or _DATE.fullmatch(found.strip()):
        return found
    return "[phone]"
