"""Earshot's classifier: one fine-tuned MiniLM pass feeds every head, topics and the embedding."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bot.core.errors import ModelError
from bot.core.posts import Post
from classifiers.artifacts import DEFAULT_DIR, load_model
from classifiers.base import Classifier
from bot.core.labels import Labels
from classifiers.calibration import softmax
from classifiers.data import SENTIMENTS, normalise_text
from classifiers.encoder import load_tokenizer
from classifiers.language import LanguageDetector
from classifiers.settings import ClassifierSettings
from classifiers.topics import TopicIndex
from classifiers.urgency import RiskSignal, decide_urgency


@dataclass(frozen=True)
class Inference:
    """Calibrated probabilities per head and normalised embeddings, one row per text."""

    probs: dict[str, np.ndarray]
    embeddings: np.ndarray


def quantize(module: nn.Module) -> nn.Module:
    """Dynamic int8 quantisation of every Linear: per-channel int8 weights, activations quantised on the fly."""
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    with warnings.catch_warnings():  # torch.ao eager quantisation warns that it is moving to torchao
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        return quantize_dynamic(module, {nn.Linear: per_channel_dynamic_qconfig})


class TransformerClassifier(Classifier):
    """The product classifier; build it with `load_classifier(settings)`."""

    def __init__(self, settings: ClassifierSettings, art_dir: Path | None = None) -> None:
        torch.set_num_threads(settings.threads)
        self.settings = settings
        model, manifest = load_model(Path(art_dir or settings.model_dir or DEFAULT_DIR))
        if settings.quantize:
            model.encoder = quantize(model.encoder)
        self.model = model
        self.max_length = manifest.max_length
        self.temperatures = manifest.temperatures
        self.version = manifest.version + ("-int8" if settings.quantize else "")
        self.tokenizer = load_tokenizer()
        self.signals = tuple(RiskSignal.from_settings(s) for s in settings.risk_signals)
        self.language = LanguageDetector(settings.languages[0] if settings.languages else "en",
                                         settings.language_min_confidence)
        self.topics = TopicIndex(settings.topics, lambda texts: self.infer(texts).embeddings)

    @torch.inference_mode()
    def infer(self, texts: Sequence[str]) -> Inference:
        """Run the encoder once per batch, shortest texts together, and restore the order."""
        cleaned = [normalise_text(t) or "." for t in texts]
        order = sorted(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        heads = {name: [] for name in self.model.heads}
        pooled_parts = []
        size = self.settings.batch_size
        for start in range(0, len(order), size):
            batch = [cleaned[i] for i in order[start:start + size]]
            encoded = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                     return_tensors="pt")
            pooled, logits = self.model(encoded["input_ids"], encoded["attention_mask"])
            pooled_parts.append(pooled.numpy())
            for name, values in logits.items():
                heads[name].append(values.numpy())
        inverse = np.argsort(np.array(order, dtype=np.int64))
        if not order:
            return Inference(probs={n: np.zeros((0, h.out_features)) for n, h in self.model.heads.items()},
                             embeddings=np.zeros((0, 384)))
        pooled = np.concatenate(pooled_parts)[inverse]
        embeddings = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)
        probs = {name: softmax(np.concatenate(parts)[inverse], self.temperatures[name])
                 for name, parts in heads.items()}
        return Inference(probs=probs, embeddings=embeddings)

    def classify(self, posts: Sequence[Post]) -> list[Labels]:
        """One Labels per post, in order."""
        texts = [p.text for p in posts]
        try:
            result = self.infer(texts)
        except RuntimeError as err:
            raise ModelError(f"the classifier failed on a batch of {len(texts)}: {err}") from err
        topic_scores = self.topics.score(result.embeddings)
        rounded = np.round(result.embeddings, self.settings.embedding_decimals).tolist()
        return [self._labels(text, i, result, topic_scores, tuple(rounded[i])) for i, text in enumerate(texts)]

    def _labels(self, text: str, i: int, result: Inference, topic_scores: np.ndarray,
                embedding: tuple[float, ...]) -> Labels:
        severity_probs = result.probs["severity"][i]
        # Two heads learnt the same yes/no (severity 0 means not a complaint): average them.
        p_complaint = (float(result.probs["complaint"][i, 1]) + 1.0 - float(severity_probs[0])) / 2
        complaint = p_complaint >= 0.5
        sentiment_probs = result.probs["sentiment"][i]
        sentiment = SENTIMENTS[int(sentiment_probs.argmax())]
        sentiment_score = float(sentiment_probs.max())
        if complaint:
            graded = severity_probs[1:] / max(float(severity_probs[1:].sum()), 1e-9)
            severity, severity_score = int(graded.argmax()) + 1, float(graded.max())
        else:
            severity, severity_score = 0, 1.0 - p_complaint
        verdict = decide_urgency(text=text, complaint=complaint, severity=severity, sentiment=sentiment,
                                 sentiment_score=sentiment_score, signals=self.signals)
        topics = (self.topics.pick(topic_scores[i], self.settings.topic_threshold, self.settings.max_topics,
                                   forced=[t for t in verdict.signal_topics if t in self.topics.names])
                  if self.topics.names else ())
        confidences = {"complaint": max(p_complaint, 1 - p_complaint), "sentiment": sentiment_score,
                       "severity": severity_score}
        return Labels(
            complaint=complaint, complaint_score=_unit(p_complaint),
            sentiment=sentiment, sentiment_score=_unit(sentiment_score),
            severity=severity, severity_score=_unit(severity_score),
            urgency=verdict.level, urgency_reasons=verdict.reasons, topics=topics,
            language=self.language.detect(text),
            needs_review=any(confidences[h] < self.settings.review_threshold for h in self.settings.review_heads),
            model_version=self.version,
            embedding=embedding,
        )


def _unit(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 6)
