"""Tickets (`tx.tickets`): the ticket and ticket_event rows' one writer.

Routing opens a ticket (`open`) or comments on its thread's ticket (`comment`); the deliver stage reads a
ticket's remote id at a sink (`ref`), and the outbox, once a ticket is open at a sink, asks this owner to
keep that id (`set_ref`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, union_all
from sqlmodel import Session, col, select

from bot.core.actions import TicketRequest
from bot.store.delivery_tables import TicketEventRow, TicketRow
from bot.store.ops.base import Owner, TxCache
from bot.store.records import Ticket


class Tickets(Owner):
    """Tickets in the built-in queue, and the comments of their follow-ups."""

    def __init__(self, session: Session, now: datetime, *, cache: TxCache) -> None:
        super().__init__(session, now)
        self.cache = cache
        self._held: dict[int, TicketRow] = {}  # found by `of_thread`: commenting on it reads it no more

    def for_key(self, key: str, post_id: int | None = None) -> int | None:
        """The ticket a request with this idempotency key already opened or commented on.

        With `post_id` (the post the request is for; a key always comes with the same post), a post
        that Routing.prefetch found without a ticket or comment costs no query.
        """
        if post_id is not None and post_id in self.cache.unticketed:
            return None
        opened = select(TicketRow.id).where(TicketRow.idempotency_key == key)
        commented = select(TicketEventRow.ticket_id).where(TicketEventRow.idempotency_key == key)
        return self.session.execute(union_all(opened, commented)).scalars().first()

    def of_thread(self, thread_ref: str | None, incident_id: int | None, *, shadow: bool = False) -> int | None:
        """The ticket a follow-up belongs to: by thread key or id, else the incident's unresolved one.

        Out of shadow mode a ticket opened in it is no thread: a new post opens a ticket that is sent.
        """
        live = [] if shadow else [col(TicketRow.shadow).is_(False)]
        if thread_ref:
            by_key = col(TicketRow.thread_key) == thread_ref
            match = (by_key | (TicketRow.id == int(thread_ref))) if thread_ref.isdigit() else by_key
            found = self.session.exec(
                select(TicketRow).where(match, *live).order_by(case((by_key, 0), else_=1), col(TicketRow.id))
            ).first()  # one query: by thread key, else by id
            if found is not None:
                self._held[found.id] = found  # type: ignore[index]
                return found.id
        if incident_id is not None:
            return self.session.exec(
                select(TicketRow.id)
                .where(TicketRow.incident_id == incident_id, TicketRow.status != "resolved", *live)
                .order_by(col(TicketRow.id))
            ).first()
        return None

    def open(
        self,
        request: TicketRequest,
        *,
        post_id: int,
        first_response_due: datetime,
        resolution_due: datetime,
        now: datetime | None = None,
        shadow: bool = False,
    ) -> int:
        """A new ticket in the built-in queue (`shadow`: opened in shadow mode); returns its id."""
        now = now or self.now
        ticket = TicketRow(
            idempotency_key=request.idempotency_key,
            post_id=post_id,
            incident_id=request.incident_id,
            queue=request.queue,
            priority=request.priority,
            status="new",
            subject=request.subject,
            body=request.body,
            post_url=request.post_url,
            first_response_due=first_response_due,
            resolution_due=resolution_due,
            thread_key=request.thread_ref,
            external_refs={},
            created_at=now,
            updated_at=now,
            shadow=shadow,
        )
        self.session.add(ticket)
        self.session.flush()
        assert ticket.id is not None
        self.cache.unticketed.discard(post_id)
        return ticket.id

    def comment(self, ticket_id: int, request: TicketRequest, *, post_id: int, now: datetime | None = None) -> int:
        """A comment on a ticket (reopening it when resolved); returns the event id."""
        now = now or self.now
        ticket = self._held.get(ticket_id) or self.session.get(TicketRow, ticket_id)
        assert ticket is not None, f"no ticket {ticket_id}"
        event = TicketEventRow(
            ticket_id=ticket_id,
            idempotency_key=request.idempotency_key,
            post_id=post_id,
            kind="comment",
            body=request.body,
            author=request.author_handle,
            created_at=now,
        )
        self.session.add(event)
        self.cache.unticketed.discard(post_id)
        ticket.updated_at = now
        if ticket.status == "resolved":
            ticket.status = "open"  # a follow-up on a closed problem reopens it
        self.session.add(ticket)
        self.session.flush()
        assert event.id is not None
        return event.id

    def ref(self, ticket_id: int, sink: str) -> str | None:
        """The remote id of a ticket at `sink`, once it is open there."""
        ticket = self.session.get(TicketRow, ticket_id)
        ref = (ticket.external_refs if ticket else {}).get(sink)
        return None if ref is None else str(ref)

    def set_ref(self, ticket_id: int, sink: str, ref: str) -> None:
        """The ticket is open at `sink` as `ref` (the outbox sent it)."""
        ticket = self.session.get(TicketRow, ticket_id)
        if ticket is not None:
            ticket.external_refs = {**ticket.external_refs, sink: ref}
            ticket.updated_at = self.now
            self.session.add(ticket)

    def brief(self, ticket_id: int) -> str | None:
        """`status, queue/priority` of a ticket, or None when it is gone."""
        row = self.session.get(TicketRow, ticket_id)
        return f"{row.status}, {row.queue}/{row.priority}" if row else None

    def get(self, ticket_id: int) -> Ticket | None:
        row = self.session.get(TicketRow, ticket_id)
        return ticket_of(row) if row else None

    def recent(self, limit: int = 200) -> list[Ticket]:
        """The newest tickets, newest first."""
        rows = self.session.exec(select(TicketRow).order_by(col(TicketRow.id).desc()).limit(limit)).all()
        return [ticket_of(row) for row in rows]


def ticket_of(row: TicketRow) -> Ticket:
    assert row.id is not None
    fields = {name: getattr(row, name) for name in Ticket.__dataclass_fields__}
    return Ticket(**{**fields, "external_refs": dict(row.external_refs)})
