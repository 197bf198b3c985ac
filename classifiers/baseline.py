"""The TF-IDF + logistic-regression baseline that `earshot evaluate` compares against."""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from classifiers.data import Example, Splits, normalise_text
from classifiers.heads import trained_heads

BASELINE_VERSION = "tfidf-logreg-1"


def _pipeline() -> Pipeline:
    return make_pipeline(
        TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, sublinear_tf=True, preprocessor=lambda t: normalise_text(t).lower()
        ),
        LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced"),
    )


def _fit(examples: list[Example], key: str) -> Pipeline | None:
    rows = [e for e in examples if e.label(key) is not None]
    if len({e.label(key) for e in rows}) < 2:
        return None  # nothing to learn: the head is left out
    return _pipeline().fit([e.text for e in rows], [e.label(key) for e in rows])


@dataclass(frozen=True)
class Baseline:
    """One TF-IDF + logistic regression per head, trained on the same training split as the model."""

    models: dict[str, Pipeline]

    @classmethod
    def train(cls, splits: Splits) -> Baseline:
        """One model per trained head, on every training example that carries its label."""
        examples = splits.all_train()
        models = {head.name: _fit(examples, head.name) for head in trained_heads()}
        return cls({head: model for head, model in models.items() if model is not None})

    def predict(self, head: str, texts: list[str]) -> list:
        """Labels for `texts` from this head's model."""
        return list(self.models[head].predict(texts))
