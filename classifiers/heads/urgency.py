"""urgency: from the harm model, severity, sentiment and the brand's risk signals (rule: docs/classifier.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.labels import URGENCY_ORDER, Labels, Urgency
from classifiers.heads.base import Batch, Embed, Head
from classifiers.heads.found import Found, known
from classifiers.heads.severity import SEVERITY_NAMES
from classifiers.settings import ClassifierSettings, RiskSignalSettings, SafetySettings

# A non-complaint this positive is praise, not a risk report ("props, they handled my accident!").
CHEERFUL_SCORE = 0.7
DEFAULT_SAFETY = SafetySettings()


def _pattern(words: list[str]) -> re.Pattern[str]:
    parts = [re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in words]
    return re.compile(r"(?<!\w)(" + "|".join(parts) + r")(?!\w)", re.I)


@dataclass(frozen=True)
class RiskSignal:
    """A compiled risk signal from config."""

    name: str
    level: Urgency
    keywords: re.Pattern[str]
    with_any: re.Pattern[str] | None
    topic: str | None
    override: bool = False

    @classmethod
    def from_settings(cls, settings: RiskSignalSettings) -> RiskSignal:
        """Compile the keyword lists once."""
        return cls(
            settings.name,
            settings.level,
            _pattern(settings.keywords),
            _pattern(settings.with_any) if settings.with_any else None,
            settings.topic,
            settings.override,
        )

    def match(self, text: str) -> str | None:
        """The words that fired this signal, or None."""
        found = self.keywords.search(text)
        if not found:
            return None
        if self.with_any is None:
            return found.group(0).lower()
        also = self.with_any.search(text)
        return f"{found.group(0).lower()} + {also.group(0).lower()}" if also else None


@dataclass(frozen=True, kw_only=True)
class UrgencyVerdict:
    """The urgency, why, and the topics risk signals add."""

    level: Urgency
    reasons: tuple[str, ...]
    signal_topics: tuple[str, ...]


def _raise_to(current: Urgency, level: Urgency) -> Urgency:
    return max(current, level, key=URGENCY_ORDER.index)


def decide_urgency(
    *,
    text: str,
    complaint: bool,
    severity: int,
    sentiment: str,
    sentiment_score: float,
    signals: tuple[RiskSignal, ...],
    harm: float = 0.0,
    safety: SafetySettings = DEFAULT_SAFETY,
) -> UrgencyVerdict:
    """Apply the urgency rule: a base level from the complaint, the harm model, then the brand's signals."""
    level: Urgency = "low"
    reasons: list[str] = []
    if complaint:
        angry = severity >= 3 or (severity >= 2 and sentiment == "negative")
        level = "high" if angry else "medium"
        reasons.append(
            f"complaint, severity {severity} ({SEVERITY_NAMES[severity]})"
            + (f", {sentiment} sentiment" if sentiment == "negative" else "")
        )
    cheerful = not complaint and sentiment == "positive" and sentiment_score >= CHEERFUL_SCORE
    topics: list[str] = []
    if harm >= safety.critical and not cheerful:
        level = "critical"
        reasons.append(f"harm model {harm:.2f} >= {safety.critical}: a person at risk or hurt -> critical")
    elif harm >= safety.critical:
        reasons.append(f"harm model {harm:.2f} ignored: clearly positive, not a complaint")
    elif harm >= safety.elevated and complaint:
        level = _raise_to(level, "high")
        reasons.append(f"harm model {harm:.2f} >= {safety.elevated} on a complaint -> at least high")
    if level == "critical" and safety.topic:
        topics.append(safety.topic)
    for signal in signals:
        words = signal.match(text)
        if words is None:
            continue
        if cheerful:
            reasons.append(f"risk signal {signal.name} ({words}) ignored: clearly positive, not a complaint")
            continue
        level = signal.level if signal.override else _raise_to(level, signal.level)
        reasons.append(
            f"risk signal {signal.name} ({words}) -> {signal.level}" + (" (override)" if signal.override else "")
        )
        if signal.topic and signal.topic not in topics:
            topics.append(signal.topic)
    return UrgencyVerdict(level=level, reasons=tuple(reasons), signal_topics=tuple(topics))


class UrgencyHead(Head):
    """The urgency rule over the complaint, severity and sentiment already read; notes the signals' topics."""

    name = "urgency"
    after = ("complaint", "safety", "sentiment", "severity")
    label = "critical"  # a labelled line says whether the post is critical

    def __init__(self, settings: ClassifierSettings, embed: Embed) -> None:
        self.signals = tuple(RiskSignal.from_settings(s) for s in settings.risk_signals)
        self.safety = settings.safety

    def read(self, batch: Batch) -> list[Found]:
        found = []
        for text, before in zip(batch.texts, batch.found, strict=True):
            verdict = decide_urgency(
                text=text,
                complaint=known(before.complaint, "complaint"),
                severity=known(before.severity, "severity"),
                sentiment=known(before.sentiment, "sentiment"),
                sentiment_score=known(before.sentiment_score, "sentiment_score"),
                signals=self.signals,
                harm=0.0 if before.safety_score is None else before.safety_score,
                safety=self.safety,
            )
            found.append(
                Found(urgency=verdict.level, urgency_reasons=verdict.reasons, signal_topics=verdict.signal_topics)
            )
        return found

    @classmethod
    def parse(cls, value: object, where: str) -> object:
        if isinstance(value, str):
            value = value.strip().lower() in ("true", "1", "yes")
        return None if value is None else bool(value)

    @classmethod
    def predicted(cls, labels: Labels) -> object:
        return labels.urgency == "critical"


HEAD = UrgencyHead
