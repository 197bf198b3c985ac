"""Ranking known answers for a complaint by meaning: pure functions over embeddings, in any language.

The match reads only the meaning embeddings, never the words or the language: once the classifier's
embedding is shared across languages, a complaint in one language meets an answer given in another.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from bot.core.answers import Answer, Suggestion, Suggestions
from bot.routing.answers.settings import AnswerSettings
from bot.store import FeedbackNote

Redact = Callable[[str], str]


def unit(vector: Sequence[float]) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def best_similarity(answer: Answer, query: np.ndarray) -> tuple[float, str]:
    """The highest cosine between the query and the answer's vectors, and the text that vector stands for."""
    return AnswerIndex([answer]).best(query).get(answer.id, (-1.0, ""))


class AnswerIndex:
    """Every vector of the known answers in one matrix: one product per complaint, whatever the number of answers."""

    def __init__(self, answers: Sequence[Answer]) -> None:
        self.answers = {a.id: a for a in answers}
        rows: list[np.ndarray] = []
        self._owner: list[int] = []
        self._said: list[str] = []
        for answer in answers:
            said = answer.examples if answer.kind == "playbook" else (answer.complaint_text,)
            for index, vector in enumerate(answer.vectors):
                rows.append(unit(vector))
                self._owner.append(answer.id)
                self._said.append(said[index] if index < len(said) else answer.title)
        sizes = {len(r) for r in rows}
        self.dim = sizes.pop() if len(sizes) == 1 else None  # vectors of another encoder are never compared
        self._matrix = np.vstack(rows) if rows and self.dim else np.zeros((0, 0))

    def best(self, query: np.ndarray) -> dict[int, tuple[float, str]]:
        """Answer id -> (its highest cosine with the query, the text of that vector)."""
        found: dict[int, tuple[float, str]] = {}
        if not self._owner or self.dim != len(query):
            return found
        for row, cosine in enumerate((self._matrix @ query).tolist()):
            owner = self._owner[row]
            if owner not in found or cosine > found[owner][0]:
                found[owner] = (cosine, self._said[row])
        return found


def rank(
    index: AnswerIndex,
    feedback: Sequence[FeedbackNote],
    *,
    post_id: int,
    embedding: Sequence[float],
    written_at: datetime,
    now: datetime,
    safety_case: bool,
    settings: AnswerSettings,
    redact: Redact,
) -> Suggestions:
    """The closest answers above the threshold, best first; stale, angrily received and later answers left out."""
    if not embedding:
        return Suggestions(post_id=post_id, safety_case=safety_case)
    query = unit(embedding)
    found: list[Suggestion] = []
    for answer_id, (similarity, matched) in index.best(query).items():
        answer = index.answers[answer_id]
        if similarity < settings.threshold:
            continue
        if not _usable(answer, post_id=post_id, written_at=written_at, now=now, settings=settings):
            continue
        helped, not_relevant = _verdicts(answer.id, feedback, query, settings.threshold)
        score = similarity + settings.helpful_boost * helped - settings.not_relevant_penalty * not_relevant
        if score < settings.threshold:
            continue  # marked not relevant for complaints like this one
        age = (now - answer.answered_at).total_seconds() / 86400 if answer.answered_at else None
        found.append(
            Suggestion(
                answer_id=answer.id,
                kind=answer.kind,
                title=answer.title,
                text=redact(answer.text),
                similarity=round(similarity, 4),
                score=round(score, 4),
                matched=redact(matched),
                outcome=answer.outcome,
                answered_at=answer.answered_at,
                age_days=round(age, 2) if age is not None else None,
                responder=answer.responder,
                url=answer.url,
                feedback=_feedback_words(helped, not_relevant),
            )
        )
    found.sort(key=lambda s: (-s.score, -s.similarity, s.answer_id))
    return Suggestions(post_id=post_id, items=tuple(found[: settings.max_suggestions]), safety_case=safety_case)


def _usable(answer: Answer, *, post_id: int, written_at: datetime, now: datetime, settings: AnswerSettings) -> bool:
    """Not the post's own answer, not given after the post was written, not stale, not received with anger."""
    if answer.retired or answer.complaint_post_id == post_id or answer.outcome == "angry":
        return False
    if answer.answered_at is None:
        return True  # a playbook entry: the brand keeps it current, or retires it
    if answer.answered_at > written_at:
        return False
    return (now - answer.answered_at).total_seconds() <= settings.max_age_days * 86400


def _verdicts(answer_id: int, feedback: Sequence[FeedbackNote], query: np.ndarray, threshold: float) -> tuple[int, int]:
    """How many people found this answer helpful / not relevant for complaints like this one."""
    helped = not_relevant = 0
    for note in feedback:
        if note.answer_id != answer_id or len(note.embedding) != len(query):
            continue
        if float(unit(note.embedding) @ query) >= threshold:
            helped += note.helpful
            not_relevant += not note.helpful
    return helped, not_relevant


def _feedback_words(helped: int, not_relevant: int) -> str:
    parts = []
    if helped:
        parts.append(f"{helped} found it helpful for similar complaints")
    if not_relevant:
        parts.append(f"{not_relevant} marked it not relevant")
    return ", ".join(parts)
