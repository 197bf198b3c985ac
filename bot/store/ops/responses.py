"""The brand's public answers: responders' replies stored as responses, linked to the post they answer.

A reply may arrive before the post it answers (a thread read out of order): it is kept with
`post_id` unset and linked on a later pass, once that post is stored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from bot.core.actions import PublicReply
from bot.store.delivery_tables import AlertRow, TicketEventRow
from bot.store.digest_tables import ResponseRow
from bot.store.ops.base import Owner
from bot.store.tables import PostRow

Responders = Mapping[str, Collection[str]]  # source -> handles (any case, without '@')
LINK_WITHIN = timedelta(days=7)  # a reply whose post has not arrived after this is left unlinked


@dataclass(frozen=True, kw_only=True)
class ResponseTimes:
    """When a post (or its incident) was first acknowledged and first answered in public.

    An acknowledgement is any response: a public reply, an alert acked in the feed or with
    `earshot ack`, or a status change of its ticket.
    """

    since: datetime  # when the complaint was posted
    first_ack_at: datetime | None = None
    first_reply_at: datetime | None = None
    replied_by: str | None = None
    reply_url: str | None = None

    @property
    def time_to_ack(self) -> float | None:
        """Seconds from the complaint to its first acknowledgement."""
        return None if self.first_ack_at is None else max((self.first_ack_at - self.since).total_seconds(), 0.0)

    @property
    def time_to_reply(self) -> float | None:
        """Seconds from the complaint to the brand's first public reply."""
        return None if self.first_reply_at is None else max((self.first_reply_at - self.since).total_seconds(), 0.0)


class Responses(Owner):
    """Reads and writes of responses (`tx.responses`); the response rows have this one writer."""

    def record(self, responders: Responders) -> int:
        """Store every reply by a responder not stored as a response yet; returns how many."""
        added = 0
        for source, handles in responders.items():
            lowered = sorted({h.lstrip("@").lower() for h in handles if h})
            if not lowered:
                continue
            rows = self.session.exec(
                select(PostRow)
                .outerjoin(ResponseRow, col(ResponseRow.reply_post_id) == PostRow.id)
                .where(
                    PostRow.source == source,
                    func.lower(PostRow.author_handle).in_(lowered),
                    col(PostRow.parent_id).is_not(None),
                    PostRow.kind != "repost",
                    col(ResponseRow.id).is_(None),
                )
            ).all()
            values = [
                {
                    "reply_post_id": post.id,
                    "source": post.source,
                    "parent_native_id": post.parent_id,
                    "conversation_id": post.conversation_id,
                    "responder": post.author_handle or "?",
                    "url": post.url,
                    "responded_at": post.created_at,
                }
                for post in rows
            ]
            if values:  # another stage's pass may store the same reply at the same moment: the first one wins
                dialect = postgresql if self.on_postgres else sqlite
                statement = dialect.insert(ResponseRow).on_conflict_do_nothing(index_elements=["reply_post_id"])
                added += len(self.session.execute(statement.values(values).returning(ResponseRow.id)).all())
        return added

    def link(self, responders: Responders) -> int:
        """Link unlinked responses (of the last LINK_WITHIN) to the post they answer, once it is stored."""
        mine = {(s, h.lstrip("@").lower()) for s, handles in responders.items() for h in handles}
        linked = 0
        waiting = select(ResponseRow).where(
            col(ResponseRow.post_id).is_(None), ResponseRow.responded_at >= self.now - LINK_WITHIN
        )
        for response in self.session.exec(waiting).all():
            for native_id in (response.parent_native_id, response.conversation_id):
                target = self._post(response.source, native_id)
                if target is not None and (target.source, (target.author_handle or "").lower()) not in mine:
                    response.post_id, response.linked_at = target.id, self.now
                    self.session.add(response)
                    linked += 1
                    break
        return linked

    def answered_alerts(self, *, unacked: bool = True) -> list[tuple[int, PublicReply]]:
        """(alert id, the first public reply to its post) of every alert whose post has one and that still
        lacks it, or, with `unacked`, that a reply may still acknowledge (unacknowledged, `reply_acknowledges`)."""
        lacking = col(AlertRow.reply_at).is_(None)
        may_ack = col(AlertRow.acked_at).is_(None) & col(AlertRow.reply_acknowledges).is_(True)
        waiting = or_(lacking, may_ack) if unacked else lacking
        rows = self.session.exec(
            select(AlertRow.id, ResponseRow, PostRow.text)
            .join(ResponseRow, col(ResponseRow.post_id) == AlertRow.post_id)
            .join(PostRow, col(PostRow.id) == ResponseRow.reply_post_id)
            .where(waiting)
            .order_by(col(AlertRow.id), col(ResponseRow.responded_at), col(ResponseRow.id))
        ).all()
        found: dict[int, PublicReply] = {}
        for alert_id, response, text in rows:
            if alert_id is not None and alert_id not in found:
                found[alert_id] = _reply(response, text)
        return list(found.items())

    def first_reply(self, post_id: int) -> PublicReply | None:
        """The first public reply linked to `post_id`, if any."""
        row = self.session.exec(
            select(ResponseRow, PostRow.text)
            .join(PostRow, col(PostRow.id) == ResponseRow.reply_post_id)
            .where(ResponseRow.post_id == post_id)
            .order_by(col(ResponseRow.responded_at), col(ResponseRow.id))
            .limit(1)
        ).first()
        return _reply(*row) if row is not None else None

    def first_replies(self, post_ids: Sequence[int]) -> dict[int, tuple[str, str, datetime]]:
        """post id -> (responder, reply url, when) of the first public reply to each of `post_ids` answered."""
        rows = self.session.exec(
            select(ResponseRow)
            .where(col(ResponseRow.post_id).in_(list(post_ids)))
            .order_by(col(ResponseRow.responded_at).desc())
        ).all()
        return {row.post_id: (row.responder, row.url, row.responded_at) for row in rows if row.post_id is not None}

    def times(self, post_ids: Sequence[int], since: datetime, *, incident_id: int | None = None) -> ResponseTimes:
        """First acknowledgement and first public reply to any of `post_ids` (and their incident's alerts)."""
        ids = list(post_ids)
        reply = self.session.exec(
            select(ResponseRow)
            .where(col(ResponseRow.post_id).in_(ids))
            .order_by(col(ResponseRow.responded_at))
            .limit(1)
        ).first()
        alert_of = col(AlertRow.post_id).in_(ids) | (AlertRow.incident_id == (incident_id or -1))
        acked = self.session.exec(select(func.min(AlertRow.acked_at)).where(alert_of)).one()
        ticket_moved = self.session.exec(
            select(func.min(TicketEventRow.created_at)).where(
                TicketEventRow.kind == "status", col(TicketEventRow.post_id).in_(ids)
            )
        ).one()
        reply_at = reply.responded_at if reply else None
        firsts = [_aware(t) for t in (acked, ticket_moved, reply_at) if t is not None]
        return ResponseTimes(
            since=since,
            first_ack_at=min(firsts) if firsts else None,
            first_reply_at=reply_at,
            replied_by=reply.responder if reply else None,
            reply_url=reply.url if reply else None,
        )

    def _post(self, source: str, native_id: str | None) -> PostRow | None:
        if not native_id:
            return None
        return self.session.exec(
            select(PostRow).where(PostRow.source == source, PostRow.native_id == native_id)
        ).first()


def _reply(response: ResponseRow, text: str) -> PublicReply:
    return PublicReply(responder=response.responder, at=response.responded_at, url=response.url, text=text)


def _aware(value: datetime) -> datetime:
    """func.min over a UTC column comes back naive on SQLite."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
