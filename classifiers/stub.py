"""A fast keyword classifier for tests and for running without the model. Not the product's classifier."""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

from bot.core.labels import Labels, Sentiment, TopicScore, Urgency
from bot.core.posts import Post
from classifiers.base import Classifier

_NEGATIVE = re.compile(
    r"\b(worst|terrible|awful|broken|never|refund|charged|angry|disappointed|dangerous|"
    r"still waiting|no one|useless|ridiculous|scam|fail\w*|problem|issue)\b",
    re.I,
)
_POSITIVE = re.compile(r"\b(love|great|thanks|thank you|awesome|amazing|best|happy)\b", re.I)
_SAFETY = re.compile(r"\b(fire|crash|injur\w*|kids?|children|overheat\w*|dangerous|brakes?)\b", re.I)
_BILLING = re.compile(r"(\$\d|charge|bill|refund|invoice|quote)", re.I)


class StubClassifier(Classifier):
    """Keyword rules with fixed scores, so tests are fast and deterministic."""

    version = "stub-1"

    def classify(self, posts: Sequence[Post]) -> list[Labels]:
        return [self._one(post.text) for post in posts]

    def _one(self, text: str) -> Labels:
        negative = bool(_NEGATIVE.search(text))
        safety = bool(_SAFETY.search(text))
        complaint = negative or safety
        sentiment: Sentiment = "negative" if negative else "positive" if _POSITIVE.search(text) else "neutral"
        topics = []
        if safety:
            topics.append(TopicScore(name="safety", score=0.9))
        if _BILLING.search(text):
            topics.append(TopicScore(name="billing", score=0.8))
        if not topics:
            topics.append(TopicScore(name="other", score=0.5))
        urgency: Urgency = "critical" if safety and complaint else "medium" if complaint else "low"
        buckets = {zlib.crc32(w.encode()) % 64 for w in re.findall(r"[a-z0-9$]+", text.lower())}
        embedding = tuple(1.0 if i in buckets else 0.0 for i in range(64))
        return Labels(
            complaint=complaint,
            complaint_score=0.9 if complaint else 0.1,
            sentiment=sentiment,
            sentiment_score=0.8,
            severity=3 if complaint else 0,
            severity_score=0.7,
            urgency=urgency,
            urgency_reasons=("safety keyword",) if safety else (),
            topics=tuple(topics),
            language="en",
            model_version=self.version,
            embedding=embedding,
        )
