"""The classifier interface: a pure batch function from posts to labels."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from bot.core.labels import Labels
from bot.core.posts import Post


class Classifier(ABC):
    """A pure batch function from posts to labels; the model loads once."""

    version: str

    @abstractmethod
    def classify(self, posts: Sequence[Post]) -> list[Labels]:
        """Return one Labels per post, in order."""

    def close(self) -> None:  # noqa: B027 - most classifiers hold nothing to release
        """Release what the classifier holds (the worker process of `ProcessClassifier`)."""
