"""sentiment: negative, neutral or positive. Trained on data/labelled/sentiment.jsonl and the complaints."""

from __future__ import annotations

from bot.core.errors import ModelError
from bot.core.labels import Labels, Sentiment
from classifiers.heads.base import Batch, LabelledFile, TrainedHead
from classifiers.heads.found import Found

SENTIMENTS: tuple[Sentiment, ...] = ("negative", "neutral", "positive")
# SemEval tweets; a fresh 10,000 of the training split each epoch.
SENTIMENT_TWEETS = LabelledFile(name="sentiment", stratify="sentiment", held_out=2500, sample=10000)


class SentimentHead(TrainedHead):
    """The most probable of SENTIMENTS with classes equally likely (class-weighted, so none is sacrificed).

    Its score is the calibrated probability of that sentiment.
    """

    name = "sentiment"
    label = "sentiment"
    classes = SENTIMENTS
    data = SENTIMENT_TWEETS
    balanced = True
    recall = True

    def read(self, batch: Batch) -> list[Found]:
        found = []
        for i in range(len(batch.texts)):
            chosen = int(batch.balanced["sentiment"][i].argmax())
            score = float(batch.probs["sentiment"][i, chosen])
            found.append(Found(sentiment=SENTIMENTS[chosen], sentiment_score=score, confidence={"sentiment": score}))
        return found

    @classmethod
    def parse(cls, value: object, where: str) -> object:
        value = value.strip().lower() if isinstance(value, str) else value
        if value is not None and value not in SENTIMENTS:
            raise ModelError(f"{where}: sentiment must be one of {SENTIMENTS}, got {value!r}")
        return value

    @classmethod
    def predicted(cls, labels: Labels) -> object:
        return labels.sentiment


HEAD = SentimentHead
