"""A digest with personal data masked in everything strangers wrote: texts, handles, links, titles, summaries."""

from __future__ import annotations

from dataclasses import replace

from bot.delivery.redact import redact, redact_link, redact_optional
from bot.digest.model import Answered, Digest, Item
from bot.store import DigestPost, TicketBreach


def redact_digest(digest: Digest) -> Digest:
    """`digest` as it may leave the building (`digest.redact`, and the short form when alerts are redacted)."""
    return replace(
        digest,
        items=[_item(item) for item in digest.items],
        emerging=[redact(line) for line in digest.emerging],
        answered=[_answered(a) for a in digest.answered],
        breaches=[_breach(b) for b in digest.breaches],
    )


def _post(post: DigestPost) -> DigestPost:
    return replace(
        post, text=redact(post.text), author_handle=redact_optional(post.author_handle), url=redact_link(post.url)
    )


def _item(item: Item) -> Item:
    return replace(
        item, title=redact(item.title), summary=redact(item.summary), representative=_post(item.representative)
    )


def _answered(answered: Answered) -> Answered:
    return replace(answered, post=_post(answered.post))


def _breach(breach: TicketBreach) -> TicketBreach:
    return replace(breach, subject=redact(breach.subject), post_url=redact_link(breach.post_url))
