"""The TF-IDF + logistic-regression baseline that `earshot evaluate` compares against."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from classifiers.data import Example, Splits, normalise_text

BASELINE_VERSION = "tfidf-logreg-1"


def _pipeline() -> Pipeline:
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, preprocessor=lambda t: normalise_text(t).lower()),
        LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced"),
    )


def _fit(examples: list[Example], head: str) -> Pipeline | None:
    rows = [e for e in examples if getattr(e, head) is not None]
    if len({getattr(e, head) for e in rows}) < 2:
        return None  # nothing to learn: the head is left out
    return _pipeline().fit([e.text for e in rows], [getattr(e, head) for e in rows])


@dataclass(frozen=True)
class Baseline:
    """One TF-IDF + logistic regression per head, trained on the same training split as the model."""

    models: dict[str, Pipeline]

    @classmethod
    def train(cls, splits: Splits) -> "Baseline":
        """Complaint and severity on complaints' training split; sentiment on both training splits."""
        models = {
            "complaint": _fit(splits.complaints_train, "complaint"),
            "severity": _fit(splits.complaints_train, "severity"),
            "sentiment": _fit(splits.complaints_train + splits.sentiment_train, "sentiment"),
        }
        return cls({head: model for head, model in models.items() if model is not None})

    def predict(self, head: str, texts: list[str]) -> list:
        """Labels for `texts` from this head's model."""
        return list(self.models[head].predict(texts))
