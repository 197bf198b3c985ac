"""The brand's known answers and the ones suggested for a complaint: typed values between stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.posts import require_aware

AnswerKind = Literal["reply", "playbook"]
# What happened after a public reply (docs/answers.md, "Outcomes"): open means not known yet.
Outcome = Literal["open", "thanked", "asked again", "angry", "resolved", "quiet"]
OUTCOMES: tuple[Outcome, ...] = ("open", "thanked", "asked again", "angry", "resolved", "quiet")
SAFETY_HEADING = "Safety case: talk to the customer first; past answers for reference"


@dataclass(frozen=True, kw_only=True)
class Answer:
    """One known answer: a responder's public reply to a complaint, or a written playbook entry."""

    id: int
    kind: AnswerKind
    title: str  # a playbook entry's title; for a reply, the start of the complaint it answered
    text: str  # the answer as written (redact before showing it)
    topic: str | None = None
    language: str | None = None
    answered_at: datetime | None = None  # when the reply was posted; None for a playbook entry
    responder: str | None = None
    url: str | None = None
    complaint_post_id: int | None = None
    complaint_text: str = ""  # the complaint it answered
    examples: tuple[str, ...] = ()  # a playbook entry's example questions
    outcome: Outcome = "open"
    retired: bool = False
    vectors: tuple[tuple[float, ...], ...] = ()  # meaning embeddings matched against (complaint, or examples)
    version: str = ""  # what the vectors were made from (a playbook entry's digest): a cache of them keys on it

    def __post_init__(self) -> None:
        if self.answered_at is not None:
            require_aware("answered_at", self.answered_at)
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")


@dataclass(frozen=True, kw_only=True)
class Suggestion:
    """A known answer offered for a complaint, and why it was matched."""

    answer_id: int
    kind: AnswerKind
    title: str
    text: str  # redacted
    similarity: float  # cosine of the meaning embeddings
    score: float  # similarity moved by feedback; the ranking
    matched: str  # the earlier complaint, or the playbook example, that it was matched on
    outcome: Outcome = "open"
    answered_at: datetime | None = None
    age_days: float | None = None  # how long ago it was given, at suggestion time
    responder: str | None = None
    url: str | None = None
    feedback: str = ""  # e.g. "2 found it helpful for similar complaints"

    def why(self) -> str:
        """Why this answer: similarity, what it was matched on, its outcome and age."""
        parts = [f"similarity {self.similarity:.2f}"]
        if self.kind == "playbook":
            parts.append(f'playbook "{_short(self.title, 60)}", like "{_short(self.matched, 80)}"')
        else:
            parts.append(f'answered "{_short(self.matched, 80)}"')
            if self.age_days is not None:
                parts.append(f"{_age(self.age_days)} ago")
            parts.append(f"outcome: {self.outcome}")
        if self.feedback:
            parts.append(self.feedback)
        return "; ".join(parts)


@dataclass(frozen=True, kw_only=True)
class Suggestions:
    """The answers suggested for one complaint, best first; a safety case says so first."""

    post_id: int
    items: tuple[Suggestion, ...] = ()
    safety_case: bool = False

    @property
    def heading(self) -> str:
        return SAFETY_HEADING if self.safety_case else "Answered before"

    def one_line(self, limit: int = 160) -> str | None:
        """`answered before: "..." (similarity 0.82, thanked)` for an alert message; None when there is none."""
        if not self.items:
            return None
        best = self.items[0]
        head = "answered before (SAFETY CASE: talk to the customer first)" if self.safety_case else "answered before"
        state = "playbook" if best.kind == "playbook" else best.outcome
        return f'{head}: "{_short(best.text, limit)}" (similarity {best.similarity:.2f}, {state})'


def _short(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _age(days: float) -> str:
    if days < 1:
        return f"{max(round(days * 24), 0)} h"
    return f"{round(days)} d"
