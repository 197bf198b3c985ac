"""safety: P(a person is at risk or was just hurt), a learned signal over the meaning embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from classifiers.artifacts import DEFAULT_DIR, WEIGHTS, weights_digest
from classifiers.data import SHIPPED_DATA_DIR
from classifiers.heads.base import Batch, Embed, Head
from classifiers.heads.found import Found
from classifiers.safety import HarmModel
from classifiers.settings import ClassifierSettings


class SafetyHead(Head):
    """The harm model's probability, for the urgency rule (classifiers/safety/)."""

    name = "safety"

    def __init__(self, settings: ClassifierSettings, embed: Embed) -> None:
        art_dir = Path(settings.model_dir or DEFAULT_DIR)
        self.model = HarmModel.load(embed, art_dir, weights_digest(art_dir / WEIGHTS), SHIPPED_DATA_DIR)

    def read(self, batch: Batch) -> list[Found]:
        scores = self.model.score(batch.embeddings)
        if batch.harm is not None:  # posts read by the multilingual encoder: its own harm model (docs, "Languages")
            scores = np.where(np.isnan(batch.harm), scores, batch.harm)
        return [Found(safety_score=float(score)) for score in scores]


HEAD = SafetyHead
