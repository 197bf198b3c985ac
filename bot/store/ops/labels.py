"""Labels: what the classifier said of each post, and the corrections people make to it.

The classification and correction rows have this one writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from bot.core.labels import Labels as PostLabels
from bot.store.convert import classification_row, classification_values, labels_from_row
from bot.store.ops.base import Owner
from bot.store.ops.posts import Posts
from bot.store.stages import STAGE_CLASSIFIED, STAGE_SKIPPED
from bot.store.tables import ClassificationRow, PostRow
from bot.store.web_tables import CORRECTION_KINDS, CorrectionRow


@dataclass(frozen=True, kw_only=True)
class CorrectionView:
    """A stored correction: post `post_id` is not a complaint, its topic/urgency is `value`, or it paged at
    urgency `value` and should not have (a false alarm)."""

    id: int
    post_id: int
    kind: str
    value: str
    text: str
    author: str
    created_at: datetime


class Labels(Owner):
    """Stores labels (moving their posts on through `Posts`), reads them, and keeps corrections."""

    def __init__(self, session: Session, now: datetime, *, posts: Posts) -> None:
        super().__init__(session, now)
        self.posts = posts

    def save(self, labelled: Sequence[tuple[int, PostLabels]], *, skip: Sequence[int] = ()) -> None:
        """Store labels and move their posts to `classified` (or `skipped` when in `skip`)."""
        skipped = set(skip)
        ids = [post_id for post_id, _ in labelled]
        known = set(
            self.session.exec(select(ClassificationRow.post_id).where(col(ClassificationRow.post_id).in_(ids))).all()
        )
        fresh = [
            classification_values(post_id, labels, self.now) for post_id, labels in labelled if post_id not in known
        ]
        if fresh:  # Core, one executemany: building an ORM row per post cost more than storing it
            self.session.execute(insert(ClassificationRow.__table__), fresh)  # type: ignore[attr-defined]
        for post_id, labels in labelled:
            if post_id in known:
                self.session.merge(classification_row(post_id, labels, self.now))  # labelled before: replaced
        self.posts.move({post_id: STAGE_SKIPPED if post_id in skipped else STAGE_CLASSIFIED for post_id in ids})

    def of(self, post_id: int) -> PostLabels | None:
        row = self.session.get(ClassificationRow, post_id)
        return labels_from_row(row) if row else None

    def review_queue(self, limit: int = 100) -> list[tuple[int, str, str | None, str, float, str]]:
        """Posts a head was unsure of: (post id, text, author, urgency, complaint score, main topic)."""
        rows = self.session.exec(
            select(PostRow, ClassificationRow)
            .join(ClassificationRow, col(ClassificationRow.post_id) == PostRow.id)
            .where(col(ClassificationRow.needs_review).is_(True))
            .order_by(col(PostRow.id).desc())
            .limit(limit)
        ).all()
        return [
            (p.id or 0, p.text, p.author_handle, c.urgency, c.complaint_score, (c.topics or [{}])[0].get("name", ""))
            for p, c in rows
        ]

    def correct(self, post_id: int, kind: str, value: str, author: str) -> CorrectionView | None:
        """Store a correction of post `post_id`'s labels (a human looked: out of the review queue);
        None if no such post."""
        if kind not in CORRECTION_KINDS:
            raise ValueError(f"unknown correction {kind!r}; the kinds are {', '.join(CORRECTION_KINDS)}")
        post = self.session.get(PostRow, post_id)
        if post is None:
            return None
        row = CorrectionRow(post_id=post_id, kind=kind, value=value, text=post.text, author=author, created_at=self.now)
        self.session.add(row)
        labels = self.session.get(ClassificationRow, post_id)
        if labels is not None and labels.needs_review:
            labels.needs_review = False
            self.session.add(labels)
        self.session.flush()
        return _correction(row)

    def corrections(self, limit: int = 500) -> list[CorrectionView]:
        rows = self.session.exec(select(CorrectionRow).order_by(col(CorrectionRow.id).desc()).limit(limit)).all()
        return [_correction(r) for r in rows]


def _correction(row: CorrectionRow) -> CorrectionView:
    return CorrectionView(
        id=row.id or 0,
        post_id=row.post_id,
        kind=row.kind,
        value=row.value,
        text=row.text,
        author=row.author,
        created_at=row.created_at,
    )
