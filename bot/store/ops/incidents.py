"""Incidents (`tx.incidents`): incidents, their members, the index of the words their members used, and the
alerts an incident raised (read, for whether a later post pages)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.core.actions import Incident, IncidentMember
from bot.core.posts import Post
from bot.store.delivery_tables import AlertRow
from bot.store.ops.base import Owner, TxCache
from bot.store.routing_tables import INCIDENT_OPEN, IncidentPostRow, IncidentRow, IncidentTermRow
from bot.store.tables import ClassificationRow, PostRow

TERM_LENGTH = 64  # longer "words" (a pasted hash) are never indexed
POSTINGS = 64  # per word, the newest incidents that used it are candidates (a common word stays cheap)


@dataclass(frozen=True, kw_only=True)
class IncidentAlert:
    """An alert an incident raised: its tier, whose post it was about, and how responders handled it."""

    id: int
    tier: str  # the tier first alerted
    source: str | None  # the alerted post's source and author (None: no post, or a deleted author)
    author_handle: str | None
    acked_at: datetime | None
    acked_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    snoozed_until: datetime | None


class Incidents(Owner):
    """Finds, opens and grows incidents; the incident, incident_post and incident_term rows have this one writer."""

    def __init__(self, session: Session, now: datetime, *, cache: TxCache) -> None:
        super().__init__(session, now)
        self.cache = cache
        self._held: dict[int, IncidentRow] = {}  # rows this transaction read or opened, by id

    def get(self, incident_id: int) -> Incident | None:
        row = self.session.get(IncidentRow, incident_id)
        return _incident(row) if row else None

    def open(self, *, topics: Sequence[str], title: str, last_post_at: datetime) -> Incident:
        row = IncidentRow(
            topics=list(topics), sources=[], alert_tiers=[], title=title, opened_at=self.now, last_post_at=last_post_at
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        self._held[row.id] = row
        return _incident(row)

    def add_member(
        self,
        incident_id: int,
        *,
        post_id: int,
        post: Post,
        topics: Sequence[str],
        reach: int,
        how: str,
        similarity: float | None,
    ) -> Incident:
        """Record `post` in the incident and update its counts, reach, sources and topics (once per post)."""
        row = self._incident_row(incident_id)
        unmembered = self.cache.unmembered  # read by Routing.prefetch for a batch
        if post_id not in unmembered and self.session.get(IncidentPostRow, post_id) is not None:
            return _incident(row)
        self.session.add(
            IncidentPostRow(
                post_id=post_id,
                incident_id=incident_id,
                joined_at=self.now,
                post_created_at=post.created_at,
                reach=reach,
                how=how,
                similarity=similarity,
            )
        )
        row.post_count += 1
        row.total_reach += reach
        row.sources = sorted({*row.sources, post.source})
        row.topics = list(dict.fromkeys([*row.topics, *topics]))
        row.last_post_at = max(row.last_post_at, post.created_at)
        self.session.add(row)
        return _incident(row)

    def grow_member(self, incident_id: int, post_id: int, reach: int) -> Incident:
        """Raise a member's reach (and so its incident's) to its newest projection."""
        row = self._incident_row(incident_id)
        member = self.session.get(IncidentPostRow, post_id)
        if member is not None and reach > member.reach:
            row.total_reach += reach - member.reach
            member.reach = reach
            self.session.add(member)
            self.session.add(row)
        return _incident(row)

    def note_alerted(self, incident_id: int, tier: str) -> Incident:
        """The incident alerted `tier` (listed once, however many of its posts paged it)."""
        row = self._incident_row(incident_id)
        row.alert_tiers = list(dict.fromkeys([*row.alert_tiers, tier]))
        self.session.add(row)
        return _incident(row)

    def set_ticket(self, incident_id: int, ticket_id: int) -> Incident:
        row = self._incident_row(incident_id)
        row.ticket_id = ticket_id
        self.session.add(row)
        return _incident(row)

    def of_post(self, source: str, native_id: str) -> Incident | None:
        """The incident holding the post `source:native_id` (what a repost joins)."""
        row = self.session.exec(
            select(IncidentRow)
            .join(IncidentPostRow, col(IncidentPostRow.incident_id) == IncidentRow.id)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(PostRow.source == source, PostRow.native_id == native_id)
        ).first()
        return _incident(row) if row else None

    def of_thread(self, post: Post) -> Incident | None:
        """The incident of the newest earlier post by the same author in the same conversation."""
        row = self.session.exec(
            select(IncidentRow)
            .join(IncidentPostRow, col(IncidentPostRow.incident_id) == IncidentRow.id)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(
                PostRow.source == post.source,
                PostRow.author_handle == post.author_handle,
                PostRow.native_id != post.native_id,
                (PostRow.conversation_id == post.conversation_id) | (PostRow.native_id == post.conversation_id),
            )
            .order_by(col(IncidentPostRow.joined_at).desc())
        ).first()
        return _incident(row) if row else None

    def candidates(
        self, terms: Collection[str], *, since: datetime, min_shared: int, limit: int
    ) -> list[tuple[Incident, int]]:
        """Open incidents active since `since` whose members used at least `min_shared` of `terms`, most
        words in common first. Bounded whatever the store holds: each word's newest POSTINGS incidents only."""
        words = sorted({t for t in terms if len(t) <= TERM_LENGTH})
        if len(words) < min_shared:
            return []
        params: dict[str, Any] = {f"t{i}": word for i, word in enumerate(words)}
        params |= {
            "postings": POSTINGS,
            "min_shared": min_shared,
            "limit": limit,
            "open": INCIDENT_OPEN,
            "since": since,
        }
        shared = [(int(i), int(n)) for i, n in self.session.execute(_candidates_query(len(words)), params)]
        rows = self._incident_rows([i for i, _ in shared])
        return [(_incident(rows[i]), n) for i, n in shared]

    def _incident_rows(self, ids: Sequence[int]) -> dict[int, IncidentRow]:
        """The incidents' rows by id; one query for those this transaction does not hold yet."""
        held = self._held
        missing = [i for i in ids if i not in held]
        if missing:
            for row in self.session.exec(select(IncidentRow).where(col(IncidentRow.id).in_(missing))):
                held[row.id] = row  # type: ignore[index]
        return {i: held[i] for i in ids}

    def add_terms(self, incident_id: int, terms: Collection[str]) -> None:
        """Index the words of a new member under its incident (each word once: a word it has is skipped)."""
        words = sorted({t for t in terms if len(t) <= TERM_LENGTH})
        if not words:
            return
        dialect = postgresql if self.on_postgres else sqlite
        statement = dialect.insert(IncidentTermRow).on_conflict_do_nothing()
        self.session.execute(statement, [{"term": t, "incident_id": incident_id} for t in words])

    def recent_members(self, incident_id: int, limit: int) -> list[int]:
        """The post ids of the incident's newest `limit` members."""
        return list(
            self.session.exec(
                select(IncidentPostRow.post_id)
                .where(IncidentPostRow.incident_id == incident_id)
                .order_by(col(IncidentPostRow.post_id).desc())
                .limit(limit)
            ).all()
        )

    def vectors_of(self, post_ids: Collection[int]) -> dict[int, tuple[list[float], str]]:
        """Each post's embedding and text, by post id."""
        if not post_ids:
            return {}
        rows = self.session.exec(
            select(ClassificationRow.post_id, ClassificationRow.embedding, PostRow.text)
            .join(PostRow, col(PostRow.id) == ClassificationRow.post_id)
            .where(col(ClassificationRow.post_id).in_(list(post_ids)))
        ).all()
        return {post_id: (list(embedding), text) for post_id, embedding, text in rows}

    def alerts(self, incident_id: int) -> list[IncidentAlert]:
        """Every alert the incident raised (its posts' and its escalations'), oldest first."""
        rows = self.session.exec(
            select(AlertRow, PostRow.source, PostRow.author_handle)
            .join(PostRow, col(PostRow.id) == AlertRow.post_id, isouter=True)
            .where(AlertRow.incident_id == incident_id)
            .order_by(col(AlertRow.id))
        ).all()
        return [
            IncidentAlert(
                id=a.id or 0,
                tier=a.tier,
                source=source,
                author_handle=handle,
                acked_at=a.acked_at,
                acked_by=a.acked_by,
                resolved_at=a.resolved_at,
                resolved_by=a.resolved_by,
                snoozed_until=a.snoozed_until,
            )
            for a, source, handle in rows
        ]

    def timeline(self, incident_id: int) -> list[IncidentMember]:
        """The incident's posts in the order they were written."""
        rows = self.session.exec(
            select(IncidentPostRow, PostRow)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(IncidentPostRow.incident_id == incident_id)
            .order_by(col(IncidentPostRow.post_created_at))
        ).all()
        return [
            IncidentMember(
                post_id=m.post_id,
                source=p.source,
                author_handle=p.author_handle,
                post_created_at=m.post_created_at,
                reach=m.reach,
                how=m.how,
                similarity=m.similarity,
            )
            for m, p in rows
        ]

    def _incident_row(self, incident_id: int) -> IncidentRow:
        held = self._held
        row = held.get(incident_id) or self.session.get(IncidentRow, incident_id)
        if row is None:
            raise LookupError(f"no incident {incident_id}")
        held[incident_id] = row
        return row


@lru_cache(maxsize=128)
def _candidates_query(words: int) -> TextClause:
    """The candidate count for a post of `words` indexed words: plain SQL, parsed once per length."""
    postings = " UNION ALL ".join(
        f"SELECT * FROM (SELECT incident_id FROM incident_term WHERE term = :t{i} "
        f"ORDER BY incident_id DESC LIMIT :postings) AS p{i}"
        for i in range(words)
    )
    counted = (  # counted in the database: a few rows come back, not every posting
        f"SELECT postings.incident_id, count(*) AS n FROM ({postings}) AS postings "
        "JOIN incident ON incident.id = postings.incident_id "
        "WHERE incident.status = :open AND incident.last_post_at >= :since "
        "GROUP BY postings.incident_id HAVING count(*) >= :min_shared "
        "ORDER BY n DESC, postings.incident_id DESC LIMIT :limit"
    )
    since_type = IncidentRow.__table__.c.last_post_at.type  # type: ignore[attr-defined]  # stored as the column stores it
    return text(counted).bindparams(bindparam("since", type_=since_type))


def _incident(row: IncidentRow) -> Incident:
    assert row.id is not None
    return Incident(
        id=row.id,
        status=row.status,
        title=row.title,
        topics=tuple(row.topics),
        sources=tuple(row.sources),
        post_count=row.post_count,
        total_reach=row.total_reach,
        alert_tiers=tuple(row.alert_tiers),
        ticket_id=row.ticket_id,
        opened_at=row.opened_at,
        last_post_at=row.last_post_at,
    )
