"""Finds personal data that a checksum or a numbering plan can confirm: card numbers, IBANs, phone numbers.

Each finder returns the (start, end) spans to mask in already-normalised text; a candidate that fails
its check (Luhn for cards, mod-97 for IBANs, a numbering plan for phones) is left as written, so order
numbers, dates, prices, flight numbers and tweet ids survive.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

Span = tuple[int, int]

# 13-19 digits, in groups split by single spaces or dashes, not glued to other digits or words.
_CARD = re.compile(r"(?<![\w/.-])\d(?:[ -]?\d){12,18}(?![\w/-])")
# Issuer prefixes of the card networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro).
_ISSUER = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|64[4-9]|65|62|5[06-9]|6[0-9])")
# Country code, check digits, then 11-30 letters and digits, compact or in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b")
# Card numbers' lengths by network prefix; other prefixes (Discover, JCB, UnionPay, Maestro) 12-19.
_LENGTHS = {"34": (15,), "37": (15,), "4": (13, 16, 19), "5": (16,), "2": (16,)}
_DATE = re.compile(r"\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
# Where a phone number may be: a run of 8+ digits and separators, not glued to a word.
_PHONE_CANDIDATE = re.compile(r"(?<!\w)\+?\(?\d[\d \t().\/-]{6,}\d(?!\w)")
# Phones: any number a numbering plan allows in the default region (NANP: 555 numbers too), or a
# valid number of one of these regions, or any valid number in international form (+CC).
DEFAULT_REGION = "US"
OTHER_REGIONS = ("GB", "DE", "FR", "ES", "IT", "NL", "IE", "IN", "AU", "BR", "MX", "JP")


def card_spans(text: str) -> list[Span]:
    """Payment card numbers: 13-19 digits with a card network's prefix that pass the Luhn check."""
    spans = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        lengths = _LENGTHS.get(digits[:2], _LENGTHS.get(digits[:1], tuple(range(12, 20))))
        if _ISSUER.match(digits) and len(digits) in lengths and _luhn(digits):
            spans.append(match.span())
    return spans


def iban_spans(text: str) -> list[Span]:
    """IBANs (`DE89 3704 0044 0532 0130 00`) whose mod-97 check holds."""
    spans = []
    for match in _IBAN.finditer(text.upper()):
        candidate = match.group(0)
        while candidate:  # the longest prefix that checks out: an IBAN may be followed by other groups
            compact = candidate.replace(" ", "")
            if 15 <= len(compact) <= 34 and _mod97(compact):
                spans.append((match.start(), match.start() + len(candidate)))
                break
            candidate = candidate.rsplit(" ", 1)[0] if " " in candidate else ""
    return spans


def phone_spans(text: str) -> list[Span]:
    """Phone numbers of 8-15 digits that a numbering plan allows; never a date. Only runs of digits and
    separators are handed to the matchers, so a long post costs what its numbers cost."""
    found: set[Span] = set()
    for candidate in _PHONE_CANDIDATE.finditer(text):
        piece, offset = candidate.group(0), candidate.start()
        for region, leniency in ((DEFAULT_REGION, Leniency.POSSIBLE), *((r, Leniency.VALID) for r in OTHER_REGIONS)):
            for match in PhoneNumberMatcher(piece, region, leniency=leniency):
                raw = match.raw_string
                digits = sum(ch.isdigit() for ch in raw)
                if 8 <= digits <= 15 and not _DATE.fullmatch(raw.strip()) and _is_phone(match.number, region):
                    found.add((offset + match.start, offset + match.end))
    return sorted(found)


def _is_phone(number: phonenumbers.PhoneNumber, region: str) -> bool:
    if region == DEFAULT_REGION:
        return phonenumbers.is_possible_number(number)
    return phonenumbers.is_valid_number(number)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _mod97(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    try:
        return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1
    except ValueError:
        return False
