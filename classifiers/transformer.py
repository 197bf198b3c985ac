"""Earshot's classifier: one fine-tuned MiniLM pass for the trained heads and for meaning.

Fine-tuning pulls every complaint together, so topics, safety, relevance and incident grouping
read the meaning embedding instead: a projection of the same pooled vector, distilled in training
to the frozen base encoder's (see docs/classifier.md, "Embedding").
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from bot.core.errors import ModelError
from bot.core.labels import Labels
from bot.core.posts import Post
from classifiers.artifacts import DEFAULT_DIR, WEIGHTS, load_runner, weights_digest
from classifiers.base import Classifier, Embed
from classifiers.calibration import softmax
from classifiers.data import normalise_text
from classifiers.encoder import load_tokenizer
from classifiers.heads import head_classes, trained_heads
from classifiers.heads.base import Batch
from classifiers.heads.language import LanguageDetector
from classifiers.multilingual.encoder import MultilingualEncoder
from classifiers.multilingual.heads import HEADS_FILE
from classifiers.passes import TOKENS_PER_PASS, length_groups  # noqa: F401 - TOKENS_PER_PASS: its old home
from classifiers.runtime import Runner
from classifiers.settings import ClassifierSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inference:
    """Per head, calibrated and class-balanced probabilities; the normalised meaning embeddings; one row per text."""

    probs: dict[str, np.ndarray]
    balanced: dict[str, np.ndarray]
    embeddings: np.ndarray
    harm: np.ndarray | None = None  # P(harm) from the multilingual path's own harm model; NaN for the others


def load_multilingual(model_dir: Path, settings: ClassifierSettings) -> MultilingualEncoder | None:
    """e5 and the heads distilled from these weights, for the posts in the other listed languages.

    Weights trained since (`earshot train` into a new folder) have no distilled heads yet: every post is then
    read by the English model, as before the multilingual path, with a WARNING.
    """
    if not (model_dir / HEADS_FILE).is_file():
        log.warning(
            "%s is missing: posts in %s are read by the English model (python -m classifiers.multilingual.distil)",
            model_dir / HEADS_FILE,
            ", ".join(settings.multilingual),
        )
        return None
    return MultilingualEncoder(model_dir, weights_digest(model_dir / WEIGHTS), settings.threads)


class TransformerClassifier(Classifier):
    """The product classifier; build it with `load_classifier(settings)`."""

    def __init__(self, settings: ClassifierSettings, art_dir: Path | None = None) -> None:
        torch.set_num_threads(settings.threads)
        # fp32 (torch) path: oneDNN keeps a compiled kernel per input shape (up to 1,024 of them), and passes grouped by
        # length bring a new shape almost every call: a daemon's memory grew ~450 MB in 900 calls.
        # Without oneDNN it stays flat, at about the same speed (docs/scaling.md, "Soak").
        torch.backends.mkldnn.set_flags(False)
        self.settings = settings
        model_dir = Path(art_dir or settings.model_dir or DEFAULT_DIR)
        self.run: Runner
        self.run, manifest = load_runner(model_dir, quantize=settings.quantize, threads=settings.threads)
        self.max_length = manifest.max_length
        self.scalings = manifest.scalings
        self.version = manifest.version + ("-int8" if settings.quantize else "")
        self.tokenizer = load_tokenizer()
        self.detector = LanguageDetector(settings.languages[0], settings.language_min_confidence)
        self.multilingual = load_multilingual(model_dir, settings) if settings.multilingual else None
        own = settings.model_copy(update={"model_dir": str(model_dir)})  # heads read files beside these weights
        self.heads = [head(own, self.embed) for head in head_classes()]

    def embedding(self) -> Embed:
        return self.embed

    def embed(self, texts: list[str]) -> np.ndarray:
        """The normalised meaning embeddings of `texts` (prototypes are built with it)."""
        return self.infer(texts).embeddings

    def infer(self, texts: Sequence[str]) -> Inference:
        """Run the encoder once per group of texts of like length, and restore the order."""
        if not texts:
            empty = {h.name: np.zeros((0, len(h.classes))) for h in trained_heads()}
            return Inference(probs=empty, balanced=empty, embeddings=np.zeros((0, 384)))
        cleaned = [normalise_text(t) or "." for t in texts]
        ids = self.tokenizer(cleaned, truncation=True, max_length=self.max_length)["input_ids"]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        logit_parts: dict[str, list[np.ndarray]] = {head.name: [] for head in trained_heads()}
        pooled_parts = []
        for group in length_groups([len(ids[i]) for i in order], self.settings.batch_size):
            encoded = self.tokenizer.pad({"input_ids": [ids[order[i]] for i in group]}, return_tensors="np")
            embedded, logits = self.run(encoded["input_ids"], encoded["attention_mask"])
            pooled_parts.append(embedded)
            for name, values in logits.items():
                logit_parts[name].append(values)
        inverse = np.argsort(np.array(order, dtype=np.int64))
        pooled = np.concatenate(pooled_parts)[inverse]
        embeddings = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)
        probs, balanced = {}, {}
        for name, parts in logit_parts.items():
            scores, scaling = np.concatenate(parts)[inverse], self.scalings[name]
            probs[name] = scaling.probs(scores)
            balanced[name] = softmax(scores, scaling.temperature) if scaling.bias else probs[name]
        return Inference(probs=probs, balanced=balanced, embeddings=embeddings)

    def routed(self, languages: Sequence[str]) -> list[int]:
        """The positions of the posts the multilingual encoder reads (none when no language is routed)."""
        if self.multilingual is None:
            return []
        return [i for i, code in enumerate(languages) if code in self.settings.multilingual]

    def read(self, texts: Sequence[str], languages: Sequence[str]) -> Inference:
        """English (and unlisted languages) through the fine-tuned MiniLM, the routed ones through e5, in order."""
        routed = self.routed(languages)
        if not routed or self.multilingual is None:
            return self.infer(texts)
        others = sorted(set(range(len(texts))) - set(routed))
        english = self.infer([texts[i] for i in others])
        theirs = self.multilingual.read([texts[i] for i in routed], self.scalings, self.settings.batch_size)
        merged: dict[str, dict[str, np.ndarray]] = {"probs": {}, "balanced": {}}
        for key, ours, their in (
            ("probs", english.probs, theirs.probs),
            ("balanced", english.balanced, theirs.balanced),
        ):
            for name, values in ours.items():
                rows = np.zeros((len(texts), values.shape[1]))
                rows[others], rows[routed] = values, their[name]
                merged[key][name] = rows
        embeddings = np.zeros((len(texts), english.embeddings.shape[1]))
        embeddings[others], embeddings[routed] = english.embeddings, theirs.embeddings
        harm = np.full(len(texts), np.nan)
        harm[routed] = theirs.harm
        return Inference(probs=merged["probs"], balanced=merged["balanced"], embeddings=embeddings, harm=harm)

    def classify(self, posts: Sequence[Post]) -> list[Labels]:
        """One Labels per post, in order: every head reads the same encoder pass (MiniLM's or, routed, e5's)."""
        texts = [p.text for p in posts]
        languages = [self.detector.detect(t) for t in texts]
        try:
            result = self.read(texts, languages)
        except RuntimeError as err:
            raise ModelError(f"the classifier failed on a batch of {len(texts)}: {err}") from err
        batch = Batch(
            texts=texts,
            probs=result.probs,
            balanced=result.balanced,
            embeddings=result.embeddings,
            languages=languages,
            harm=result.harm,
        )
        for head in self.heads:
            batch.merge(head.read(batch))
        rounded = np.round(result.embeddings, self.settings.embedding_decimals).tolist()
        review = tuple(self.settings.review_heads)
        return [
            found.labels(
                review_heads=review,
                review_threshold=self.settings.review_threshold,
                model_version=self.version,
                embedding=tuple(rounded[i]),
            )
            for i, found in enumerate(batch.found)
        ]
