"""Classifiers that tag every post: complaint, sentiment, severity, urgency, topics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.errors import ConfigError

if TYPE_CHECKING:
    from classifiers.base import Classifier
    from classifiers.settings import ClassifierSettings


def load_classifier(settings: ClassifierSettings, *, own_process: bool = False) -> Classifier:
    """Load Earshot's transformer classifier once; raises ModelError if its artifacts are unusable.

    `own_process`: run the model in a worker process (the daemon's choice, `classifier.own_process`).
    """
    if found := problems(settings):
        raise ConfigError(found[0])
    if own_process:
        from classifiers.worker import ProcessClassifier

        return ProcessClassifier(settings)
    from classifiers.transformer import TransformerClassifier

    return TransformerClassifier(settings)


def problems(settings: ClassifierSettings) -> list[str]:
    """What in `classifier:` only the heads can check (it imports them all), one line each naming its YAML path."""
    from classifiers.heads import review_problems

    return review_problems(settings.review_heads)
