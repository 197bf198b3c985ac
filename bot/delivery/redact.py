"""Masks personal data in outbound text: e-mails, phone numbers, payment cards, IBANs, order numbers, VINs.

The text is normalised first (NFKC, so full-width `４１１１` and `＠` read as ASCII; zero-width characters
and soft hyphens removed, so `jo\u200b@example.com` is one address), then each kind is replaced by its
tag. Cards need the Luhn check, IBANs the mod-97 check, phones a numbering plan (the `phonenumbers`
library); see `bot.delivery.pii`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import unquote

from bot.core.actions import TicketRequest
from bot.delivery.pii import Span, card_spans, iban_spans, phone_spans

# Zero-width space/non-joiner, word joiner, BOM, soft hyphen, Mongolian vowel separator; a zero-width
# joiner only between ASCII characters (inside emoji it joins them).
_INVISIBLE = re.compile(r"[\u200b\u200c\u2060\ufeff\u00ad\u180e]|(?<=[\x21-\x7e])\u200d(?=[\x21-\x7e])")
_AT = r"(?:\s*@\s*|\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+(?=[\w-]+\s*[(\[{<]\s*dot\s*[)\]}>]))"
_DOT = r"(?:\.|\s*[(\[{<]\s*dot\s*[)\]}>]\s*)"
_EMAIL = re.compile(rf"(?i)(?<![\w.%+-])[a-z0-9][a-z0-9._%+-]*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}[a-z]{{2,}}\b")
# VIN: 17 characters without I, O or Q, at least one digit.
_VIN = re.compile(r"(?i)\b(?=[A-HJ-NPR-Z0-9]{17}\b)(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}\b")
# A phone number glued into a handle (`@dana5551234567`, `call_555_123_4567`): 8-15 digits in a row.
_HANDLE_DIGITS = re.compile(r"\d(?:[_.-]?\d){7,14}")
_MENTION = re.compile(r"(?<![\w@])@[\w.-]+")
_URL = re.compile(r"https?://\S+")
_LETTER = re.compile(r"[^\W\d_]")
_ORDER = re.compile(
    r"(?i)\b(?:order|ord|rn|reservation|confirmation|case|ticket)\s*(?:number|no\.?|#|id)?(?:\s+(?:is|was))?\s*[:#]?\s*"
    r"[A-Z0-9-]*\d[A-Z0-9-]{3,}\b"
)

TAGS = ("[email]", "[vin]", "[order]", "[iban]", "[card]", "[phone]")


def normalise(text: str) -> str:
    """NFKC and no zero-width characters: what the patterns match against."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def redact(text: str) -> str:
    """The text, normalised, with personal data replaced by `[email]`, `[vin]`, `[order]`, `[iban]`,
    `[card]` and `[phone]`."""
    text = normalise(text)
    text = _EMAIL.sub("[email]", text)
    text = _VIN.sub("[vin]", text)
    text = _ORDER.sub("[order]", text)
    text = _MENTION.sub(lambda m: _HANDLE_DIGITS.sub("[phone]", m.group(0)), text)
    text = _URL.sub(lambda m: _handles_in_path(m.group(0)), text)
    text = _replace(text, iban_spans, "[iban]")
    text = _replace(text, card_spans, "[card]")
    return _replace(text, phone_spans, "[phone]")


def redact_optional(handle: str | None) -> str | None:
    """A handle redacted (digits of a phone number inside it too), or None for None (a deleted author)."""
    return None if handle is None else _HANDLE_DIGITS.sub("[phone]", redact(handle))


def redact_link(url: str) -> str:
    """A link as text: unchanged when it holds no personal data, else its decoded text redacted (no longer
    a working link: `https://x.com/[email]/status/1`)."""
    shown = unquote(url)
    masked = redact(shown)
    return url if masked == normalise(shown) else masked


def redact_request(request: TicketRequest) -> TicketRequest:
    """A ticket for a sink with `redact: true`: subject, body, author and link masked."""
    return replace(
        request,
        subject=redact(request.subject),
        body=redact(request.body),
        post_url=redact_link(request.post_url),
        author_handle=redact_optional(request.author_handle),
    )


def _handles_in_path(url: str) -> str:
    """A link's path segments with letters read as handles (`/dana5551234567/`); all-digit ones (a tweet id) not."""
    return "/".join(_HANDLE_DIGITS.sub("[phone]", part) if _LETTER.search(part) else part for part in url.split("/"))


def _replace(text: str, find: Callable[[str], list[Span]], tag: str) -> str:
    merged: list[Span] = []
    for start, end in sorted(find(text)):
        if merged and start <= merged[-1][1]:  # overlapping finds (one number in two regions) are one
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    for start, end in reversed(merged):
        text = text[:start] + tag + text[end:]
    return text
