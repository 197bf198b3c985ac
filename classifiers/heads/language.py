"""language: py3langid, treating short or uncertain posts as the default language."""

from __future__ import annotations

import re
from functools import cache

from classifiers.heads.base import Batch, Embed, Head
from classifiers.heads.found import Found
from classifiers.settings import ClassifierSettings

_NOISE = re.compile(r"https?://\S+|[@#]\w+|\d+")
_LETTER = re.compile(r"[^\W\d_]", re.U)


@cache
def known_languages() -> frozenset[str]:
    """The ISO 639-1 (or 639-3) codes py3langid can return (its model read once: every config load asks)."""
    from py3langid import langid

    return frozenset(langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE).nb_classes)


class LanguageDetector:
    """py3langid with normalised probabilities; low confidence or short text gives `default`."""

    def __init__(self, default: str = "en", min_confidence: float = 0.6, min_letters: int = 15) -> None:
        from py3langid import langid

        self._identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
        self.default = default
        self.min_confidence = min_confidence
        self.min_letters = min_letters

    def detect(self, text: str) -> str:
        """ISO 639-1 code of the post's language."""
        cleaned = _NOISE.sub(" ", text)
        if len(_LETTER.findall(cleaned)) < self.min_letters:
            return self.default
        language, confidence = self._identifier.classify(cleaned)
        return language if confidence >= self.min_confidence else self.default


class LanguageHead(Head):
    """The post's language; the first of `classifier.languages` when unsure."""

    name = "language"

    def __init__(self, settings: ClassifierSettings, embed: Embed) -> None:
        self.detector = LanguageDetector(
            settings.languages[0] if settings.languages else "en", settings.language_min_confidence
        )

    def read(self, batch: Batch) -> list[Found]:
        languages = batch.languages or [self.detector.detect(text) for text in batch.texts]
        return [Found(language=language) for language in languages]


HEAD = LanguageHead
