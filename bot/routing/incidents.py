"""Groups posts about the same problem, across X and Reddit, into incidents that escalate as they grow.

A post joins, in this order of preference:
  1. `repost` — the incident of the post it reposts;
  2. `thread` — the incident of an earlier post by the same author in the same conversation;
  3. `similar` — the open incident, active within `window_hours`, holding a recent post whose embedding
     has cosine similarity ≥ `similarity` when they share a topic (≥ `cross_topic_similarity`
     when they do not) AND that has at least `min_shared_terms` distinctive words in common
     with it (see terms.py); the closest such post wins. The embedding (the frozen encoder's)
     separates problems; the shared words are a second guard against near-misses.
Candidates come from an index of the words each incident's members used (incident_term), so
finding the incident costs the same with 1,000 or 100,000 posts stored.
Otherwise it opens a new incident (when the post is acted on: a ticket or an alert).
"""

from __future__ import annotations

from collections import OrderedDict
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
MAX_CANDIDATES = 16  # incidents compared with a post: those sharing the most distinctive words
RECENT_MEMBERS = 48  # members of each candidate compared: its newest
VECTOR_CACHE = 8_192  # member embeddings kept in memory (about 2.5 KB each); one post reads at most 16 x 48


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
        self.vectors = MemberVectors(ignore)

    def find(self, tx: Transaction, post: Post, labels: Labels) -> Match | None:
        """The incident `post` belongs to, if any."""
        return self._by_repost(tx, post) or self._by_thread(tx, post) or self._by_similarity(tx, post, labels)

    def open(self, tx: Transaction, post_id: int, post: Post, labels: Labels, reach: int) -> Incident:
        """A new incident with `post` as its first member."""
        incident = tx.incidents.open(
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
        """Record `post` in `incident` and index its words; returns the incident as it now stands."""
        tx.incidents.add_terms(incident.id, terms(post.text, self.ignore))
        return tx.incidents.add_member(
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
        found = tx.incidents.of_post(post.source, post.parent_id)
        return Match(incident=found, how="repost", reason=f"reposts {post.parent_id}") if found else None

    def _by_thread(self, tx: Transaction, post: Post) -> Match | None:
        if not post.conversation_id or not post.author_handle or post.conversation_id == post.native_id:
            return None  # a post that starts its conversation follows nothing
        found = tx.incidents.of_thread(post)
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
        """The closest recent member of a candidate incident, candidates found through the term index.

        Cost is bounded whatever the store holds: at most MAX_CANDIDATES incidents (those sharing
        the most distinctive words with the post), at most RECENT_MEMBERS members of each.
        """
        mine = terms(post.text, self.ignore)
        if not labels.embedding or len(mine) < self.settings.min_shared_terms:
            return None
        since = post.created_at - timedelta(hours=self.settings.window_hours)
        found = tx.incidents.candidates(
            mine, since=since, min_shared=self.settings.min_shared_terms, limit=MAX_CANDIDATES
        )
        if not found:
            return None
        candidates = {incident.id: incident for incident, _ in found}
        topics = topic_names(labels, self.settings)
        threshold = {
            i: self.settings.similarity if _shares_topic(row.topics, topics) else self.settings.cross_topic_similarity
            for i, row in candidates.items()
        }
        members = [
            (incident_id, post_id)
            for incident_id in candidates
            for post_id in tx.incidents.recent_members(incident_id, RECENT_MEMBERS)
        ]
        vectors = self.vectors.get(tx, [post_id for _, post_id in members])
        members = [(i, p) for i, p in members if p in vectors and len(vectors[p][0]) == len(labels.embedding)]
        if not members:
            return None
        scores = cosine(labels.embedding, np.asarray([vectors[p][0] for _, p in members], dtype=np.float64))
        floor = min(threshold.values())
        best: tuple[float, int, frozenset[str]] | None = None
        for index in np.argsort(-scores):
            incident_id, member_post = members[int(index)]
            if scores[index] < floor:
                break  # sorted: nothing further can qualify
            if scores[index] < threshold[incident_id]:
                continue
            shared = mine & vectors[member_post][1]
            if len(shared) >= self.settings.min_shared_terms:
                best = (float(scores[index]), int(index), shared)
                break
        if best is None:
            return None
        score, index, shared = best
        incident_id, member_post = members[index]
        return Match(
            incident=candidates[incident_id],
            how="similar",
            similarity=round(score, 3),
            reason=f"similar to post {member_post} (cosine {score:.2f} ≥ {threshold[incident_id]}; "
            f"{len(shared)} words in common: {', '.join(sorted(shared)[:8])})",
        )


class MemberVectors:
    """Members' embeddings and distinctive words, read once and kept (a post's never change)."""

    def __init__(self, ignore: frozenset[str], size: int = VECTOR_CACHE) -> None:
        self.ignore, self.size = ignore, size
        self._cache: OrderedDict[int, tuple[np.ndarray, frozenset[str]]] = OrderedDict()

    def get(self, tx: Transaction, post_ids: Sequence[int]) -> dict[int, tuple[np.ndarray, frozenset[str]]]:
        missing = [p for p in post_ids if p not in self._cache]
        for post_id, (embedding, text) in tx.incidents.vectors_of(missing).items():
            self._cache[post_id] = (np.asarray(embedding, dtype=np.float32), terms(text, self.ignore))
        found = {}
        for post_id in post_ids:
            if post_id in self._cache:
                self._cache.move_to_end(post_id)
                found[post_id] = self._cache[post_id]
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return found


def _shares_topic(a: Sequence[str], b: Sequence[str]) -> bool:
    return not a or not b or bool(set(a) & set(b))


def _title(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"
