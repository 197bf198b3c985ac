"""Classifiers that tag every post: complaint, sentiment, severity, urgency, topics."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from classifiers.base import Classifier
    from classifiers.settings import ClassifierSettings


def load_classifier(settings: ClassifierSettings) -> Classifier:
    """Load Earshot's transformer classifier once; raises ModelError if its artifacts are unusable."""
    from classifiers.transformer import TransformerClassifier

    return TransformerClassifier(settings)
