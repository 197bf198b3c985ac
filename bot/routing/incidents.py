"""Groups posts about the same problem, across X and Reddit, into incidents that escalate as they grow.

A post joins, in this order of preference:
  1. `repost` — the incident of the post it reposts;
  2. `thread` — the incident of an earlier post by the same author in the same conversation;
  3. `similar` — the open incident, active within `window_hours`, holding a post whose embedding
     has cosine similarity ≥ `similarity` when they share a topic (≥ `cross_topic_similarity`
     when they do not) AND that has at least `min_shared_terms` distinctive words in common
     with it (see terms.py); the closest such post wins. The embedding (the frozen encoder's)
     separates problems; the shared words are a second guard against near-misses.
Otherwise it opens a new incident (when the post is acted on: a ticket or an alert).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from bot.core.actions import Incident
from bot.core.labels import Labels
from bot.core.posts import Post
from bot.routing.settings import IncidentSettings
from bot.routing.terms import terms
from bot.store import Transaction

TITLE_LENGTH = 120


@dataclass(frozen=True, kw_only=True)
class Match:
    """An existing incident a post belongs to, and how it was found."""

    incident: Incident
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
    """Finds, opens and grows incidents inside the caller's transaction (the caller commits)."""

    def __init__(self, settings: IncidentSettings, ignore: frozenset[str] = frozenset()) -> None:
        self.settings = settings
        self.ignore = ignore  # words every post shares (the brand's name), never evidence

    def find(self, tx: Transaction, post: Post, labels: Labels) -> Match | None:
        """The incident `post` belongs to, if any."""
        return self._by_repost(tx, post) or self._by_thread(tx, post) or self._by_similarity(tx, post, labels)

    def open(self, tx: Transaction, post_id: int, post: Post, labels: Labels, reach: int) -> Incident:
        """A new incident with `post` as its first member."""
        incident = tx.open_incident(
            topics=topic_names(labels, self.settings), title=_title(post.text), last_post_at=post.created_at
        )
        return self.add(tx, incident, post_id, post, labels, reach, how="opened", similarity=None)

    def add(
        self,
        tx: Transaction,
        incident: Incident,
        post_id: int,
        post: Post,
        labels: Labels,
        reach: int,
        *,
        how: str,
        similarity: float | None,
    ) -> Incident:
        """Record `post` in `incident`; returns the incident as it now stands."""
        return tx.add_member(
            incident.id,
            post_id=post_id,
            post=post,
            topics=topic_names(labels, self.settings),
            reach=reach,
            how=how,
            similarity=similarity,
        )

    def due_tiers(self, incident: Incident) -> list[str]:
        """Escalation tiers this incident has grown into and not yet alerted, in config order."""
        due: list[str] = []
        for step in self.settings.escalation:
            if step.tier in incident.alert_tiers or step.tier in due:
                continue
            if (
                (step.min_posts is None or incident.post_count >= step.min_posts)
                and (step.min_sources is None or len(incident.sources) >= step.min_sources)
                and (step.min_reach is None or incident.total_reach >= step.min_reach)
            ):
                due.append(step.tier)
        return due

    # --- the three ways to join ----------------------------------------------------------

    def _by_repost(self, tx: Transaction, post: Post) -> Match | None:
        if post.kind != "repost" or not post.parent_id:
            return None
        found = tx.incident_of_post(post.source, post.parent_id)
        return Match(incident=found, how="repost", reason=f"reposts {post.parent_id}") if found else None

    def _by_thread(self, tx: Transaction, post: Post) -> Match | None:
        if not post.conversation_id or not post.author_handle:
            return None
        found = tx.incident_of_thread(post)
        return (
            Match(
                incident=found,
                how="thread",
                reason=f"follow-up by @{post.author_handle} in conversation {post.conversation_id}",
            )
            if found
            else None
        )

    def _by_similarity(self, tx: Transaction, post: Post, labels: Labels) -> Match | None:
        if not labels.embedding:
            return None
        since = post.created_at - timedelta(hours=self.settings.window_hours)
        candidates = {incident.id: incident for incident in tx.open_incidents_since(since)}
        if not candidates:
            return None
        topics = topic_names(labels, self.settings)
        threshold = {
            i: self.settings.similarity if _shares_topic(row.topics, topics) else self.settings.cross_topic_similarity
            for i, row in candidates.items()
        }
        members = [m for m in tx.member_vectors(list(candidates)) if len(m.embedding) == len(labels.embedding)]
        if not members:
            return None
        scores = cosine(labels.embedding, np.asarray([m.embedding for m in members], dtype=np.float64))
        mine, floor = terms(post.text, self.ignore), min(threshold.values())
        best: tuple[float, int, frozenset[str]] | None = None
        for index in np.argsort(-scores):
            member = members[int(index)]
            incident_id, text = member.incident_id, member.text
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
        incident_id, member_post = members[index].incident_id, members[index].post_id
        return Match(
            incident=candidates[incident_id],
            how="similar",
            similarity=round(score, 3),
            reason=f"similar to post {member_post} (cosine {score:.2f} ≥ {threshold[incident_id]}; "
            f"{len(shared)} words in common: {', '.join(sorted(shared)[:8])})",
        )


def _shares_topic(a: Sequence[str], b: Sequence[str]) -> bool:
    return not a or not b or bool(set(a) & set(b))


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"
