"""The classifier interface: a pure batch function from posts to labels."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.core.labels import Labels
from bot.core.posts import Post

if TYPE_CHECKING:
    import numpy as np

Embed = Callable[[list[str]], "np.ndarray"]  # texts -> their normalised meaning embeddings, one row each


class Classifier(ABC):
    """A pure batch function from posts to labels; the model loads once."""

    version: str

    @abstractmethod
    def classify(self, posts: Sequence[Post]) -> list[Labels]:
        """Return one Labels per post, in order."""

    def embedding(self) -> Embed | None:
        """The classifier's meaning embedding (relevance and answers use it), or None when it has none."""
        return None

    def close(self) -> None:  # noqa: B027 - most classifiers hold nothing to release
        """Release what the classifier holds (the worker process of `ProcessClassifier`)."""
