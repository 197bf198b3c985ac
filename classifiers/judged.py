"""`earshot evaluate` on topic- and urgency-labelled files: the product beside simple baselines.

Topics: nearest prototype (the normalised mean of a topic's description and examples) over TF-IDF
and over the frozen all-MiniLM-L6-v2, with the same taxonomy. Critical: TF-IDF + logistic
regression and the frozen encoder + logistic regression, both trained on the harm model's own
lines (classifiers/safety/), and the brand's keyword risk signals alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from classifiers.data import normalise_text
from classifiers.heads.urgency import RiskSignal
from classifiers.metrics import head_metrics
from classifiers.safety import HERE, read_lines
from classifiers.settings import ClassifierSettings, TopicSettings


def confusion(truth: Sequence[object], predicted: Sequence[object]) -> dict[str, dict[str, int]]:
    """truth -> predicted -> count, only the cells that occur."""
    table: dict[str, Counter[str]] = {}
    for t, p in zip(truth, predicted, strict=True):
        table.setdefault(str(t), Counter())[str(p)] += 1
    return {t: dict(row.most_common()) for t, row in sorted(table.items())}


def frozen_embed(texts: list[str]) -> np.ndarray:
    """Normalised mean-pooled embeddings of the packaged all-MiniLM-L6-v2, as shipped (fp32, not tuned)."""
    from classifiers.encoder import load_base_encoder, load_tokenizer, mean_pool

    global _FROZEN
    if _FROZEN is None:
        _FROZEN = (load_tokenizer(), load_base_encoder().eval())
    tokenizer, model = _FROZEN
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), 64):
            enc = tokenizer(
                [normalise_text(t) or "." for t in texts[start : start + 64]],
                padding=True,
                truncation=True,
                max_length=64,
                return_tensors="pt",
            )
            hidden = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            out.append(mean_pool(hidden, enc["attention_mask"]).numpy())
    rows = np.concatenate(out) if out else np.zeros((0, 384))
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-9)


_FROZEN: tuple | None = None


def _topic_texts(topic: TopicSettings) -> list[str]:
    return ([topic.description] if topic.description else []) + list(topic.examples) or [topic.name]


def _nearest_prototype(vectors: list[np.ndarray], posts: np.ndarray, names: list[str]) -> list[str]:
    prototypes = np.stack([v.mean(axis=0) for v in vectors])
    prototypes = prototypes / np.maximum(np.linalg.norm(prototypes, axis=1, keepdims=True), 1e-9)
    return [names[i] for i in (posts @ prototypes.T).argmax(axis=1)]


def topic_baselines(topics: Sequence[TopicSettings], texts: list[str]) -> dict[str, list[str]]:
    """Each baseline's top topic per text."""
    names = [t.name for t in topics]
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=lambda t: normalise_text(t).lower())
    tfidf.fit([x for t in topics for x in _topic_texts(t)] + texts)

    def sparse(rows: list[str]) -> np.ndarray:
        return np.asarray(tfidf.transform(rows).todense())

    return {
        "tfidf-prototype": _nearest_prototype([sparse(_topic_texts(t)) for t in topics], sparse(texts), names),
        "frozen-minilm-prototype": _nearest_prototype(
            [frozen_embed(_topic_texts(t)) for t in topics], frozen_embed(texts), names
        ),
    }


def critical_baselines(settings: ClassifierSettings, texts: list[str]) -> dict[str, list[bool]]:
    """Each baseline's critical yes/no per text."""
    harm, safe = read_lines(HERE / "harm.txt"), read_lines(HERE / "safe.txt")
    labels = [1] * len(harm) + [0] * len(safe)
    tfidf = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=lambda t: normalise_text(t).lower())
    words = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000).fit(
        tfidf.fit_transform(harm + safe), labels
    )
    frozen = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(frozen_embed(harm + safe), labels)
    signals = [RiskSignal.from_settings(s) for s in settings.risk_signals if s.level == "critical"]
    return {
        "tfidf-logreg": [bool(p) for p in words.predict(tfidf.transform(texts))],
        "frozen-minilm-logreg": [bool(p) for p in frozen.predict(frozen_embed(texts))],
        "keyword-signals-only": [any(s.match(t) for s in signals) for t in texts],
    }


def baseline_report(
    key: str, settings: ClassifierSettings, texts: list[str], truth: list[object]
) -> dict[str, dict[str, object]]:
    """Figures of each baseline for `key` ("topic" or "critical")."""
    found: dict[str, list] = {}
    if key == "topic" and settings.topics:
        found = dict(topic_baselines(settings.topics, texts))
    elif key == "critical":
        found = dict(critical_baselines(settings, texts))
    return {
        name: {**head_metrics(truth, list(pred)), "confusion": confusion(truth, pred)} for name, pred in found.items()
    }
