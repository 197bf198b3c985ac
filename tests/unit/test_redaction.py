"""Redaction: every kind of personal data masked, and the numbers that are not personal left alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.actions import TicketRequest
from bot.delivery.redact import redact, redact_request

MASKED = [
    ("call 555/123/4567 now", "call [phone] now"),
    ("call +1 (555) 123-4567 today", "call [phone] today"),
    ("ring me at (555) 123-4567", "ring me at [phone]"),
    ("call 0151 2345 6789 now", "call [phone] now"),
    ("UK mobile 07700 900123 please", "UK mobile [phone] please"),
    ("London +44 20 7946 0958", "London [phone]"),
    ("mail jo@example.com", "mail [email]"),
    ("mail jo\u200b@exam\u200bple.com", "mail [email]"),
    ("mail jo\u2060.smith@example\u00ad.com", "mail [email]"),
    ("write name(at)example(dot)com", "write [email]"),
    ("write name [at] example [dot] com", "write [email]"),
    ("write name {at} mail {dot} example {dot} org", "write [email]"),
    ("full-width ｊｏ＠ｅｘａｍｐｌｅ．ｃｏｍ", "full-width [email]"),
    ("card 4111 1111 1111 1111 declined", "card [card] declined"),
    ("card 4111-1111-1111-1111", "card [card]"),
    ("card 4111111111111111", "card [card]"),
    ("amex 3782 822463 10005", "amex [card]"),
    ("full-width ４１１１ １１１１ １１１１ １１１１", "full-width [card]"),
    ("IBAN DE89 3704 0044 0532 0130 00 please refund", "IBAN [iban] please refund"),
    ("iban GB82WEST12345698765432", "iban [iban]"),
    ("VIN 1HGCM82633A004352", "VIN [vin]"),
    ("my order number is 100234987", "my [order]"),
    ("Order: RN-123456 delayed", "[order] delayed"),
]

KEPT = [
    "on 2026-11-20 and 12.11.2026 and 03/04/2025",
    "Charged $30,000 for the 2024 recall",
    "paid 1,299.99 EUR, then 19.99",
    "range dropped 20% to 250 miles",
    "Northwind 455 to Oslo was cancelled",
    "flight NW455 at 14:30",
    "https://x.com/dana/status/1869012345678901234",
    "tweet 1869012345678901234 was deleted",
    "card 4111 1111 1111 1112 fails Luhn",
    "IBAN DE89 3704 0044 0532 0130 01 fails mod-97",
    "1234 5678 9012 3456 is no card network's",
    "Q3 2026 sales 12345678",
    "meet at home dot com at five",
    "@AuroraSupport my 2019 Model 3 at 5pm",
    "emoji family 👨\u200d👩\u200d👧 stays joined",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_numbers_that_are_not_personal_are_kept(text: str) -> None:
    assert redact(text) == text


REQUEST = TicketRequest(
    idempotency_key="ticket:post:1",
    queue="support",
    priority="high",
    subject="@call_5551234567 on x: refund to DE89 3704 0044 0532 0130 00",
    body="mail jo@example.com",
    post_url="https://x.com/jo%40example.com/status/1",
    author_handle="jo(at)example(dot)com",
    requester_reach=10,
)


def test_a_ticket_for_a_redacting_sink_masks_subject_body_author_and_link() -> None:
    request = REQUEST
    masked = redact_request(request)
    assert masked.body == "mail [email]"
    assert "DE89" not in masked.subject and "[iban]" in masked.subject
    assert masked.author_handle == "[email]"
    assert masked.post_url == "https://x.com/[email]/status/1"


def test_a_handle_in_a_link_is_redacted_but_the_tweet_id_is_not() -> None:
    masked = redact_request(replace(REQUEST, post_url="https://x.com/dana5551234567/status/1869012345678901234"))
    assert masked.post_url == "https://x.com/dana[phone]/status/1869012345678901234"


def test_a_link_without_personal_data_is_left_working() -> None:
    url = "https://www.reddit.com/r/cars/comments/abc123/ac_died_at_2024_recall/"
    assert redact_request(replace(REQUEST, post_url=url)).post_url == url
