"""Classifiers that tag every post: complaint, sentiment, severity, urgency, topics."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from classifiers.base import Classifier
    from classifiers.settings import ClassifierSettings


def load_classifier(settings: ClassifierSettings, *, own_process: bool = False) -> Classifier:
    """Load Earshot's transformer classifier once; raises ModelError if its artifacts are unusable.

    `own_process`: run the model in a worker process (the daemon's choice, `classifier.own_process`).
    """
    if own_process:
        from classifiers.worker import ProcessClassifier

        return ProcessClassifier(settings)
    from classifiers.transformer import TransformerClassifier

    return TransformerClassifier(settings)
