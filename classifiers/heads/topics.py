"""topics: similarity to prototypes built from config, so a new topic needs no retraining.

Posts and prototypes are compared by their meaning embeddings, which keep the frozen base
encoder's sense of meaning (the fine-tuned pooled vector pulls every complaint together); a post
no topic fits well enough gets `other`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.core.labels import Labels, TopicScore
from classifiers.heads.base import Batch, Embed, Head
from classifiers.heads.found import Found
from classifiers.settings import ClassifierSettings, TopicSettings

SOFTMAX_TEMPERATURE = 0.05


class TopicIndex:
    """One prototype per topic: the normalised mean of its description and examples."""

    def __init__(self, topics: Sequence[TopicSettings], embed: Embed) -> None:
        self.names = [t.name for t in topics]
        self._examples: list[np.ndarray] = []
        prototypes = []
        for topic in topics:
            texts = ([topic.description] if topic.description else []) + list(topic.examples) or [topic.name]
            vectors = embed(texts)
            self._examples.append(vectors)
            mean = vectors.mean(axis=0)
            prototypes.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
        self._prototypes = np.stack(prototypes) if prototypes else np.zeros((0, 1))

    def similarities(self, embeddings: np.ndarray) -> np.ndarray:
        """Per post and topic: mean of prototype cosine and best single-example cosine."""
        if not self.names:
            return np.zeros((len(embeddings), 0))
        to_prototype = embeddings @ self._prototypes.T
        to_nearest = np.stack([(embeddings @ ex.T).max(axis=1) for ex in self._examples], axis=1)
        return (to_prototype + to_nearest) / 2

    def fit(self, embeddings: np.ndarray, other: str | None) -> np.ndarray:
        """Per post: the best similarity to any topic but `other`."""
        sims = self.similarities(embeddings)
        keep = [i for i, name in enumerate(self.names) if name != other]
        return sims[:, keep].max(axis=1) if keep else np.zeros(len(embeddings))

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """Softmax over topics of the similarities (temperature 0.05): each row sums to 1."""
        sims = self.similarities(embeddings) / SOFTMAX_TEMPERATURE
        if sims.shape[1] == 0:
            return sims
        sims -= sims.max(axis=1, keepdims=True)
        exp = np.exp(sims)
        return exp / exp.sum(axis=1, keepdims=True)

    def pick(
        self, scores: np.ndarray, threshold: float, limit: int, forced: Sequence[str] = (), forced_score: float = 0.8
    ) -> tuple[TopicScore, ...]:
        """The best topic, any other at or above `threshold`, plus `forced` ones; best first."""
        chosen: dict[str, float] = {}
        for rank, index in enumerate(np.argsort(-scores)[:limit]):
            if rank == 0 or scores[index] >= threshold:
                chosen[self.names[index]] = float(scores[index])
        for name in forced:
            chosen[name] = max(chosen.get(name, 0.0), forced_score)
        ordered = sorted(chosen.items(), key=lambda item: -item[1])[: max(limit, len(forced))]
        return tuple(TopicScore(name=n, score=round(min(max(s, 0.0), 1.0), 4)) for n, s in ordered)


class TopicsHead(Head):
    """The best topics of the config's taxonomy, plus any a risk signal named."""

    name = "topics"
    after = ("urgency",)
    label = "topic"  # a labelled line names the post's main topic

    def __init__(self, settings: ClassifierSettings, embed: Embed) -> None:
        self.settings = settings
        self.index = TopicIndex(settings.topics, embed)

    def read(self, batch: Batch) -> list[Found]:
        names, other = self.index.names, self.settings.other_topic
        scores = self.index.score(batch.embeddings)
        fit = self.index.fit(batch.embeddings, other)
        found = []
        for i, before in enumerate(batch.found):
            forced = [t for t in before.signal_topics or () if t in names]
            if not names:
                topics: tuple[TopicScore, ...] = ()
            elif other and fit[i] < self.settings.topic_min_similarity:  # nothing fits: other
                unfit = TopicScore(name=other, score=round(min(max(1.0 - float(fit[i]), 0.0), 1.0), 4))
                topics = self.index.pick(np.zeros(len(names)), 1.0, 0, forced=forced) or (unfit,)
            else:
                topics = self.index.pick(
                    scores[i], self.settings.topic_threshold, self.settings.max_topics, forced=forced
                )
            found.append(Found(topics=topics))
        return found

    @classmethod
    def predicted(cls, labels: Labels) -> object:
        return labels.topics[0].name if labels.topics else None


HEAD = TopicsHead
