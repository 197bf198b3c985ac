"""What a classifier says about a post: labels with calibrated confidences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Sentiment = Literal["negative", "neutral", "positive"]
Urgency = Literal["low", "medium", "high", "critical"]
URGENCY_ORDER: tuple[Urgency, ...] = ("low", "medium", "high", "critical")


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value}")


@dataclass(frozen=True, kw_only=True)
class TopicScore:
    """One topic a post is about, with its confidence."""

    name: str
    score: float

    def __post_init__(self) -> None:
        _check_probability(f"topic {self.name} score", self.score)


@dataclass(frozen=True, kw_only=True)
class Labels:
    """Everything a classifier says about one post."""

    complaint: bool
    complaint_score: float  # calibrated P(complaint)
    sentiment: Sentiment
    sentiment_score: float
    severity: int  # 0..4, see data/labelled/README.md
    severity_score: float
    urgency: Urgency
    urgency_reasons: tuple[str, ...] = ()
    safety_score: float = 0.0  # P(a person is at risk or was just hurt), from the harm model
    about_brand: bool = True  # False: about something else; stored, never routed
    relevance: str = ""  # why the post is (not) about the brand
    topics: tuple[TopicScore, ...] = ()
    language: str | None = None
    needs_review: bool = False  # a label's confidence fell below the configured threshold
    model_version: str = ""
    embedding: tuple[float, ...] = field(default=(), repr=False)  # for incident grouping

    def __post_init__(self) -> None:
        for name in ("complaint_score", "sentiment_score", "severity_score", "safety_score"):
            _check_probability(name, getattr(self, name))
        if not 0 <= self.severity <= 4:
            raise ValueError(f"severity must be in 0..4, got {self.severity}")
        if self.urgency not in URGENCY_ORDER:
            raise ValueError(f"unknown urgency {self.urgency!r}")

    @property
    def topic_names(self) -> tuple[str, ...]:
        """Names of the post's topics, most confident first."""
        return tuple(t.name for t in self.topics)
