"""Gaps: the most frequent kinds of complaint of the last days that no known answer covers yet.

Complaints that got a ticket or an alert, no suggested answer and no public reply are grouped by
meaning (greedy: each joins the first cluster whose running centroid is within `gap_similarity`,
else starts one); a cluster that a known answer now matches (one written since) is no gap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.core.answers import Answer
from bot.routing.answers.match import AnswerIndex, unit
from bot.store import ActedComplaint


@dataclass(frozen=True, kw_only=True)
class Gap:
    """A cluster of complaints asking the same thing, with no good answer yet."""

    size: int
    representative: str  # the member closest to the cluster's centre
    representative_post_id: int
    topic: str | None
    first_at: datetime
    last_at: datetime
    post_ids: tuple[int, ...]


@dataclass(kw_only=True)
class _Cluster:
    members: list[ActedComplaint] = field(default_factory=list)
    total: np.ndarray | None = None

    def centre(self) -> np.ndarray:
        assert self.total is not None
        return unit(self.total.tolist())

    def add(self, item: ActedComplaint, vector: np.ndarray) -> None:
        self.members.append(item)
        self.total = vector.copy() if self.total is None else self.total + vector


def find_gaps(
    complaints: Sequence[ActedComplaint],
    answers: Sequence[Answer],
    *,
    similarity: float,
    answer_threshold: float,
    limit: int = 10,
) -> list[Gap]:
    """The largest clusters of unanswered complaints, biggest first."""
    clusters: list[_Cluster] = []
    for item in complaints:
        if item.suggested or item.first_reply_at is not None or not item.embedding:
            continue
        vector = unit(item.embedding)
        best = max(clusters, key=lambda c: float(c.centre() @ vector), default=None)
        if best is not None and float(best.centre() @ vector) >= similarity:
            best.add(item, vector)
        else:
            cluster = _Cluster()
            cluster.add(item, vector)
            clusters.append(cluster)
    gaps = [_gap(c) for c in clusters if not _answered(c, answers, answer_threshold)]
    gaps.sort(key=lambda g: (-g.size, -g.last_at.timestamp()))
    return gaps[:limit]


def _answered(cluster: _Cluster, answers: Sequence[Answer], threshold: float) -> bool:
    index = AnswerIndex([a for a in answers if a.outcome != "angry"])
    return any(cosine >= threshold for cosine, _ in index.best(cluster.centre()).values())


def _gap(cluster: _Cluster) -> Gap:
    centre = cluster.centre()
    closest = max(cluster.members, key=lambda m: float(unit(m.embedding) @ centre))
    topics = Counter(m.topic for m in cluster.members if m.topic)
    return Gap(
        size=len(cluster.members),
        representative=closest.text,
        representative_post_id=closest.post_id,
        topic=topics.most_common(1)[0][0] if topics else None,
        first_at=min(m.created_at for m in cluster.members),
        last_at=max(m.created_at for m in cluster.members),
        post_ids=tuple(m.post_id for m in cluster.members),
    )
