"""Groups posts about the same problem, across X and Reddit, into incidents that escalate as they grow.

A post joins, in this order of preference:
  1. `repost` — the incident of the post it reposts;
  2. `thread` — the incident of an earlier post by the same author in the same conversation;
  3. `similar` — the open incident, active within `window_hours`, holding a post whose embedding
     has cosine similarity ≥ `similarity` when they share a topic (≥ `cross_topic_similarity`
     when they do not) AND that has at least `min_shared_terms` distinctive words in common
     with it (see terms.py); the closest such post wins. Fine-tuned embeddings put most
     complaints close together, so the words are what tell "the same problem" apart.
Otherwise it opens a new incident (when the post is acted on: a ticket or an alert).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlmodel import Session, col, select

from bot.core.posts import Post
from bot.store.routing_tables import INCIDENT_OPEN, IncidentPostRow, IncidentRow
from bot.routing.settings import IncidentSettings
from bot.routing.terms import terms
from bot.store.tables import ClassificationRow, PostRow
from bot.core.labels import Labels

TITLE_LENGTH = 120


@dataclass(frozen=True, kw_only=True)
class Match:
    """An existing incident a post belongs to, and how it was found."""

    incident: IncidentRow
    how: str  # repost | thread | similar
    similarity: float | None = None
    reason: str = ""


def topic_names(labels: Labels, settings: IncidentSettings) -> list[str]:
    """The post's topics that count for grouping: the first, and any others above the floor."""
    return [t.name for i, t in enumerate(labels.topics) if i == 0 or t.score >= settings.min_topic_score]


def cosine(a: Sequence[float], b: np.ndarray) -> np.ndarray:
    """Cosine similarity of vector `a` to each row of `b` (embeddings need not be normalised)."""
    va = np.asarray(a, dtype=np.float64)
    norms = np.linalg.norm(b, axis=1) * max(float(np.linalg.norm(va)), 1e-12)
    return (b @ va) / np.maximum(norms, 1e-12)


class Incidents:
    """Finds, opens and grows incidents inside the caller's session (the caller commits)."""

    def __init__(self, settings: IncidentSettings, ignore: frozenset[str] = frozenset()) -> None:
        self.settings = settings
        self.ignore = ignore  # words every post shares (the brand's name), never evidence

    def find(self, session: Session, post: Post, labels: Labels) -> Match | None:
        """The incident `post` belongs to, if any."""
        return (self._by_repost(session, post) or self._by_thread(session, post)
                or self._by_similarity(session, post, labels))

    def open(self, session: Session, post_id: int, post: Post, labels: Labels, reach: int,
             now: datetime) -> IncidentRow:
        """A new incident with `post` as its first member."""
        incident = IncidentRow(topics=topic_names(labels, self.settings), title=_title(post.text), opened_at=now,
                               last_post_at=post.created_at)
        session.add(incident)
        session.flush()
        self.add(session, incident, post_id, post, labels, reach, how="opened", similarity=None, now=now)
        return incident

    def add(self, session: Session, incident: IncidentRow, post_id: int, post: Post, labels: Labels, reach: int,
            *, how: str, similarity: float | None, now: datetime) -> None:
        """Record `post` in `incident` and update its counts, reach and sources."""
        if session.get(IncidentPostRow, post_id) is not None:
            return
        session.add(IncidentPostRow(post_id=post_id, incident_id=incident.id, joined_at=now,  # type: ignore[arg-type]
                                    post_created_at=post.created_at, reach=reach, how=how, similarity=similarity))
        incident.post_count += 1
        incident.total_reach += reach
        incident.sources = sorted({*incident.sources, post.source})
        incident.topics = list(dict.fromkeys([*incident.topics, *topic_names(labels, self.settings)]))
        incident.last_post_at = max(incident.last_post_at, post.created_at)
        session.add(incident)

    def due_tiers(self, incident: IncidentRow) -> list[str]:
        """Escalation tiers this incident has grown into and not yet alerted, in config order."""
        due = []
        for step in self.settings.escalation:
            if step.tier in incident.alert_tiers or step.tier in due:
                continue
            if ((step.min_posts is None or incident.post_count >= step.min_posts)
                    and (step.min_sources is None or len(incident.sources) >= step.min_sources)
                    and (step.min_reach is None or incident.total_reach >= step.min_reach)):
                due.append(step.tier)
        return due

    def timeline(self, session: Session, incident_id: int) -> list[IncidentPostRow]:
        """The incident's posts in the order they were written."""
        return list(session.exec(select(IncidentPostRow).where(IncidentPostRow.incident_id == incident_id)
                                 .order_by(col(IncidentPostRow.post_created_at))).all())

    # --- the three ways to join ----------------------------------------------------------

    def _by_repost(self, session: Session, post: Post) -> Match | None:
        if post.kind != "repost" or not post.parent_id:
            return None
        row = session.exec(select(IncidentRow).join(IncidentPostRow, col(IncidentPostRow.incident_id) == IncidentRow.id)
                           .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
                           .where(PostRow.source == post.source, PostRow.native_id == post.parent_id)).first()
        return Match(incident=row, how="repost", reason=f"reposts {post.parent_id}") if row else None

    def _by_thread(self, session: Session, post: Post) -> Match | None:
        if not post.conversation_id or not post.author_handle:
            return None
        row = session.exec(select(IncidentRow).join(IncidentPostRow, col(IncidentPostRow.incident_id) == IncidentRow.id)
                           .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
                           .where(PostRow.source == post.source, PostRow.author_handle == post.author_handle,
                                  PostRow.native_id != post.native_id,
                                  (PostRow.conversation_id == post.conversation_id)
                                  | (PostRow.native_id == post.conversation_id))
                           .order_by(col(IncidentPostRow.joined_at).desc())).first()
        return Match(incident=row, how="thread",
                     reason=f"follow-up by @{post.author_handle} in conversation {post.conversation_id}") if row else None

    def _by_similarity(self, session: Session, post: Post, labels: Labels) -> Match | None:
        if not labels.embedding:
            return None
        since = post.created_at - timedelta(hours=self.settings.window_hours)
        candidates = {row.id: row for row in session.exec(select(IncidentRow).where(
            IncidentRow.status == INCIDENT_OPEN, IncidentRow.last_post_at >= since)).all()}
        if not candidates:
            return None
        topics = topic_names(labels, self.settings)
        threshold = {i: self.settings.similarity if _shares_topic(row.topics, topics)
                     else self.settings.cross_topic_similarity for i, row in candidates.items()}
        members = session.exec(
            select(IncidentPostRow.incident_id, IncidentPostRow.post_id, ClassificationRow.embedding, PostRow.text)
            .join(ClassificationRow, col(ClassificationRow.post_id) == IncidentPostRow.post_id)
            .join(PostRow, col(PostRow.id) == IncidentPostRow.post_id)
            .where(col(IncidentPostRow.incident_id).in_(list(candidates)))).all()
        members = [m for m in members if len(m[2]) == len(labels.embedding)]
        if not members:
            return None
        scores = cosine(labels.embedding, np.asarray([m[2] for m in members], dtype=np.float64))
        mine, floor = terms(post.text, self.ignore), min(threshold.values())
        best: tuple[float, int, frozenset[str]] | None = None
        for index in np.argsort(-scores):
            incident_id, _, _, text = members[int(index)]
            if scores[index] < floor:
                break  # sorted: nothing further can qualify
            if scores[index] < threshold[incident_id]:
                continue
            shared = mine & terms(text, self.ignore)
            if len(shared) >= self.settings.min_shared_terms:
                best = (float(scores[index]), int(index), shared)
                break
        if best is None:
            return None
        score, index, shared = best
        incident_id, member_post = members[index][0], members[index][1]
        return Match(incident=candidates[incident_id], how="similar", similarity=round(score, 3),
                     reason=f"similar to post {member_post} (cosine {score:.2f} ≥ {threshold[incident_id]}; "
                            f"{len(shared)} words in common: {', '.join(sorted(shared)[:8])})")


def _shares_topic(a: Sequence[str], b: Sequence[str]) -> bool:
    return not a or not b or bool(set(a) & set(b))


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH - 1] + "…"
