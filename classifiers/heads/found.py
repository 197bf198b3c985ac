"""What the heads found for one post: each head returns its own fields, merged in head order, made Labels once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TypeVar

from bot.core.errors import ModelError
from bot.core.labels import Labels, Sentiment, TopicScore, Urgency

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Found:
    """One post's fields as far as the heads have read (None: not read yet); scores unrounded until `labels()`."""

    complaint: bool | None = None
    complaint_score: float | None = None
    sentiment: Sentiment | None = None
    sentiment_score: float | None = None
    severity: int | None = None
    severity_score: float | None = None
    safety_score: float | None = None
    urgency: Urgency | None = None
    urgency_reasons: tuple[str, ...] | None = None
    topics: tuple[TopicScore, ...] | None = None
    language: str | None = None
    signal_topics: tuple[str, ...] | None = None  # topics the urgency rule's signals name, for the topics head
    confidence: Mapping[str, float] = field(default_factory=dict)  # trained head -> its confidence, for review

    def merged(self, later: Found) -> Found:
        """These fields with `later`'s (a later head's) set ones on top; confidences of both."""
        update = {f.name: value for f in fields(later) if (value := getattr(later, f.name)) is not None}
        update["confidence"] = {**self.confidence, **later.confidence}
        return replace(self, **update)

    def labels(self, *, review_heads: tuple[str, ...], review_threshold: float, model_version: str,
               embedding: tuple[float, ...]) -> Labels:  # fmt: skip
        """The post's Labels: scores clipped to [0, 1] and rounded; needs review when a listed head is unsure."""
        return Labels(
            complaint=known(self.complaint, "complaint"),
            complaint_score=unit(known(self.complaint_score, "complaint_score")),
            sentiment=known(self.sentiment, "sentiment"),
            sentiment_score=unit(known(self.sentiment_score, "sentiment_score")),
            severity=known(self.severity, "severity"),
            severity_score=unit(known(self.severity_score, "severity_score")),
            urgency=known(self.urgency, "urgency"),
            urgency_reasons=self.urgency_reasons or (),
            safety_score=unit(self.safety_score or 0.0),
            topics=self.topics or (),
            language=self.language,
            needs_review=any(self.confidence[h] < review_threshold for h in review_heads),
            model_version=model_version,
            embedding=embedding,
        )


def known(value: T | None, name: str) -> T:
    """A field an earlier head read (a head's `after` orders it after that head)."""
    if value is None:
        raise ModelError(f"no head read {name} before it was needed")
    return value


def unit(value: float) -> float:
    """A score as Labels stores it: clipped to [0, 1], six decimals."""
    return round(min(max(value, 0.0), 1.0), 6)
