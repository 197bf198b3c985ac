"""A learned harm signal: is a person at risk, or just hurt? Brand-agnostic, over meaning embeddings.

`harm.txt` and `safe.txt` beside this module are short posts and descriptions written for Earshot in
many industries (not the development set); a logistic regression over the meaning
embeddings of them is fitted once when the classifier loads, in well under a second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifiers.heads.base import Embed

HERE = Path(__file__).resolve().parent


def read_lines(path: Path) -> list[str]:
    """Non-empty lines of a text file, less the # comments."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class HarmModel:
    """P(a person is at risk or hurt) for normalised embeddings."""

    def __init__(self, embed: Embed, harm: list[str] | None = None, safe: list[str] | None = None) -> None:
        harm = harm if harm is not None else read_lines(HERE / "harm.txt")
        safe = safe if safe is not None else read_lines(HERE / "safe.txt")
        vectors = embed(harm + safe)
        labels = np.array([1] * len(harm) + [0] * len(safe))
        self.model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(vectors, labels)

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """One probability per row."""
        if len(embeddings) == 0:
            return np.zeros(0)
        return self.model.predict_proba(embeddings)[:, 1]
