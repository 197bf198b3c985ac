"""Answer memory: responders' public replies kept as answers (with what happened next), and the playbook.

The `answer` rows have this one writer. A reply becomes an answer once its response is linked to the
complaint it answers; its outcome is worked out from what the store knows (docs/answers.md, "Outcomes").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm import defer
from sqlmodel import col, select

from bot.core.answers import Answer, Outcome
from bot.store.answer_tables import AnswerRow
from bot.store.delivery_tables import AlertRow, TicketRow
from bot.store.digest_tables import ResponseRow
from bot.store.ops.base import Owner
from bot.store.routing_tables import RouteDecisionRow
from bot.store.tables import ClassificationRow, PostRow

FINAL_OUTCOMES = ("thanked", "asked again", "angry")  # the customer spoke: nothing later changes it


class Answers(Owner):
    """Reads and writes of known answers (`tx.answers`)."""

    def remember_replies(self) -> int:
        """Keep every linked public reply not kept yet as an answer, with its complaint, topic and language."""
        rows = self.session.exec(
            select(ResponseRow, PostRow, ClassificationRow)
            .join(PostRow, col(PostRow.id) == ResponseRow.post_id)
            .outerjoin(ClassificationRow, col(ClassificationRow.post_id) == ResponseRow.post_id)
            .outerjoin(AnswerRow, col(AnswerRow.response_id) == ResponseRow.id)
            .where(col(ResponseRow.post_id).is_not(None), col(AnswerRow.id).is_(None))
            .order_by(col(ResponseRow.responded_at))
        ).all()
        texts = self._texts([r.reply_post_id for r, _, _ in rows])
        for response, complaint, labels in rows:
            topics = labels.topics if labels is not None else []
            self.session.add(
                AnswerRow(
                    kind="reply",
                    response_id=response.id,
                    origin="reply",
                    title=_title(complaint.text),
                    text=texts.get(response.reply_post_id, ""),
                    complaint_post_id=complaint.id,
                    complaint_text=complaint.text,
                    topic=topics[0]["name"] if topics else None,
                    language=labels.language if labels is not None else None,
                    responder=response.responder,
                    url=response.url,
                    answered_at=response.responded_at,
                    vectors=[list(labels.embedding)] if labels is not None and labels.embedding else [],
                    created_at=self.now,
                )
            )
        self.session.flush()
        return len(rows)

    def update_outcomes(self, quiet_after: timedelta, since: datetime) -> int:
        """Work out what happened after each reply since `since` whose outcome may still change; returns how many
        changed (an older reply is stale: never suggested, so its outcome is left as it was)."""
        rows = self.session.exec(
            select(AnswerRow, ResponseRow, PostRow)
            .join(ResponseRow, col(ResponseRow.id) == AnswerRow.response_id)
            .join(PostRow, col(PostRow.id) == AnswerRow.complaint_post_id)
            .where(
                AnswerRow.kind == "reply",
                col(AnswerRow.outcome).not_in(FINAL_OUTCOMES),
                col(AnswerRow.answered_at) >= since,
            )
            .options(defer(AnswerRow.vectors))  # type: ignore[arg-type]
        ).all()
        changed = 0
        for answer, response, complaint in rows:
            outcome = self._outcome(answer, response, complaint, quiet_after)
            if outcome != answer.outcome:
                answer.outcome, answer.outcome_at = outcome, self.now
                self.session.add(answer)
                changed += 1
        return changed

    def sync_playbook(self, entries: Sequence[Any]) -> int:
        """Keep the config's playbook entries (`PlaybookEntry`) as answers; entries gone from it are retired."""
        rows = {r.key: r for r in self.session.exec(select(AnswerRow).where(AnswerRow.origin == "file")).all()}
        for entry in entries:
            row = rows.pop(entry.key, None) or self._by_key(entry.key)
            if row is None:
                row = AnswerRow(kind="playbook", origin="file", key=entry.key, title="", text="", created_at=self.now)
            if row.digest != entry.digest or row.origin != "file":
                row.title, row.text, row.examples = entry.title, entry.answer, list(entry.examples)
                row.digest, row.vectors, row.origin, row.retired_at = entry.digest, [], "file", None
            self.session.add(row)
        for gone in rows.values():
            if gone.retired_at is None:
                gone.retired_at = self.now
                self.session.add(gone)
        self.session.flush()
        return len(entries)

    def add_written(self, title: str, answer: str, examples: Sequence[str]) -> int:
        """A playbook entry written with `earshot answers add`; embedded by the next routing pass."""
        key = " ".join(title.split()).casefold()
        if self._by_key(key) is not None:
            raise ValueError(f"an answer titled {title!r} exists already")
        row = AnswerRow(
            kind="playbook", origin="cli", key=key, title=" ".join(title.split()), text=answer.strip(),
            examples=[e.strip() for e in examples], created_at=self.now,
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def retire(self, answer_id: int) -> bool:
        """Never suggest this answer again; False when there is no such answer."""
        row = self.session.get(AnswerRow, answer_id)
        if row is None:
            return False
        row.retired_at = row.retired_at or self.now
        self.session.add(row)
        return True

    def unembedded_playbook(self) -> list[Answer]:
        """Active playbook entries whose embeddings are not made yet (new or changed)."""
        rows = self.session.exec(
            select(AnswerRow).where(AnswerRow.kind == "playbook", col(AnswerRow.retired_at).is_(None))
        ).all()
        return [answer_of(r) for r in rows if not r.vectors]

    def set_vectors(self, answer_id: int, vectors: Sequence[Sequence[float]]) -> None:
        row = self.session.get(AnswerRow, answer_id)
        if row is not None:
            row.vectors = [list(map(float, v)) for v in vectors]
            row.digest = row.digest or "cli"
            self.session.add(row)

    def active(self, cached: Mapping[int, str] | None = None) -> list[Answer]:
        """Every answer that may be suggested: not retired, embedded. `cached`: id -> version of answers whose
        vectors the caller keeps; those come back without vectors, so a routing pass reads only new ones."""
        cached = cached or {}
        active = col(AnswerRow.retired_at).is_(None)
        rows = self.session.exec(select(AnswerRow).where(active).options(defer(AnswerRow.vectors))).all()  # type: ignore[arg-type]
        need = [r.id for r in rows if cached.get(r.id or 0) != r.digest]
        vectors: dict[int, list[list[float]]] = {}
        if need:
            query = select(AnswerRow.id, AnswerRow.vectors).where(active)
            if len(need) <= 500:
                query = query.where(col(AnswerRow.id).in_(need))
            vectors = {i: list(v) for i, v in self.session.exec(query).all() if i is not None}
        found = []
        for row in rows:
            assert row.id is not None
            if cached.get(row.id) == row.digest:
                found.append(answer_of(row, []))
            elif vectors.get(row.id):
                found.append(answer_of(row, vectors[row.id]))
        return found

    def search(self, *, text: str | None = None, include_retired: bool = False, limit: int = 100) -> list[Answer]:
        """Known answers, newest first; `text` searches the answer, its title and the complaint it answered."""
        query = select(AnswerRow).order_by(col(AnswerRow.id).desc()).limit(limit)
        if not include_retired:
            query = query.where(col(AnswerRow.retired_at).is_(None))
        if text:
            like = f"%{text.lower()}%"
            query = query.where(
                or_(
                    func.lower(AnswerRow.text).like(like),
                    func.lower(AnswerRow.title).like(like),
                    func.lower(AnswerRow.complaint_text).like(like),
                )
            )
        return [answer_of(r) for r in self.session.exec(query).all()]

    def get(self, answer_id: int) -> Answer | None:
        row = self.session.get(AnswerRow, answer_id)
        return answer_of(row) if row is not None else None

    def count(self) -> int:
        return int(self.session.exec(select(func.count()).select_from(AnswerRow)).one())

    # --- outcomes -----------------------------------------------------------------------

    def _outcome(self, answer: AnswerRow, response: ResponseRow, complaint: PostRow, quiet: timedelta) -> Outcome:
        nxt = self._next_in_thread(response, complaint)
        if nxt is not None:
            return {"negative": "angry", "positive": "thanked"}.get(nxt, "asked again")  # type: ignore[return-value]
        if self._resolved(complaint.id):
            return "resolved"
        if answer.answered_at is not None and self.now - answer.answered_at >= quiet:
            return "quiet"
        return "open"

    def _next_in_thread(self, response: ResponseRow, complaint: PostRow) -> str | None:
        """The sentiment of the customer's first classified post in the thread after the reply, if any."""
        reply = self.session.get(PostRow, response.reply_post_id)
        in_thread = [col(PostRow.parent_id) == reply.native_id] if reply is not None else []
        if complaint.conversation_id:
            in_thread.append(col(PostRow.conversation_id) == complaint.conversation_id)
        if not in_thread or not complaint.author_handle:
            return None
        found = self.session.exec(
            select(ClassificationRow.sentiment)
            .join(PostRow, col(PostRow.id) == ClassificationRow.post_id)
            .where(
                PostRow.source == complaint.source,
                PostRow.author_handle == complaint.author_handle,
                PostRow.created_at > response.responded_at,
                or_(*in_thread),
            )
            .order_by(col(PostRow.created_at))
            .limit(1)
        ).first()
        return found

    def _resolved(self, post_id: int | None) -> bool:
        ticket_id = self.session.exec(
            select(RouteDecisionRow.ticket_id).where(RouteDecisionRow.post_id == post_id)
        ).first()
        if ticket_id is not None:
            ticket = self.session.get(TicketRow, ticket_id)
            if ticket is not None and ticket.status == "resolved":
                return True
        resolved = select(AlertRow.id).where(AlertRow.post_id == post_id, col(AlertRow.resolved_at).is_not(None))
        return self.session.exec(resolved.limit(1)).first() is not None

    def _by_key(self, key: str) -> AnswerRow | None:
        return self.session.exec(select(AnswerRow).where(AnswerRow.key == key)).first()

    def _texts(self, post_ids: Sequence[int]) -> dict[int, str]:
        rows = self.session.exec(select(PostRow.id, PostRow.text).where(col(PostRow.id).in_(list(post_ids)))).all()
        return {pid: text for pid, text in rows if pid is not None}


def answer_of(row: AnswerRow, vectors: list[list[float]] | None = None) -> Answer:
    """The Answer of a row; `vectors` given when the row was read without them."""
    assert row.id is not None
    return Answer(
        id=row.id,
        kind="playbook" if row.kind == "playbook" else "reply",
        title=row.title,
        text=row.text,
        topic=row.topic,
        language=row.language,
        answered_at=row.answered_at,
        responder=row.responder,
        url=row.url,
        complaint_post_id=row.complaint_post_id,
        complaint_text=row.complaint_text,
        examples=tuple(row.examples),
        outcome=row.outcome,  # type: ignore[arg-type]
        retired=row.retired_at is not None,
        vectors=tuple(tuple(v) for v in (row.vectors if vectors is None else vectors)),
        version=row.digest,
    )


def _title(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
