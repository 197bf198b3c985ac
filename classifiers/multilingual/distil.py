"""Fit the multilingual heads: `python -m classifiers.multilingual.distil` writes `multilingual.npz` beside the weights.

The English model labels its own training texts (the harm model's lines and tweets, the complaint and sentiment
training splits); linear heads on e5 embeddings learn to give the same probabilities, and a ridge map learns to
put e5 embeddings where the English model's meaning embeddings are. `lines.jsonl` (posts written for Earshot in
es, pt, fr, de and it: never the development posts) adds labelled examples in other languages, and the harm model
over e5 embeddings learns from the English harm lines, tweets and these lines. Takes several minutes on 2 cores.
"""

from __future__ import annotations

import json
import logging
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from classifiers.artifacts import DEFAULT_DIR, WEIGHTS, weights_digest
from classifiers.data import SHIPPED_DATA_DIR, Example, load_splits
from classifiers.heads import trained_heads
from classifiers.multilingual.encoder import E5Encoder
from classifiers.multilingual.heads import HEADS_FILE, DistilledHeads
from classifiers.safety import HarmExamples, HarmModel, as_tweets, training_examples

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
LINES = HERE / "lines.jsonl"
LINE_WEIGHT = 2.0  # a written line in another language counts as two English texts
STRENGTH = 10.0  # the heads' C
RIDGE = 1.0  # the meaning map's L2
SENTIMENT_SAMPLE = 3000
# The harm model's written lines in other languages weigh as much at risk as not (0.5 : 0.5), beside the English
# groups' 1 : 0.3 : 0.7; P is shifted so that the English model's critical threshold (0.15) falls where this
# model's Platt probability is 0.5 (chosen on held-out English tweets' false pages and the development posts).
HARM_GROUPS = {"harm": 1.0, "safe": 0.3, "real": 0.7, "lines-harm": 0.5, "lines-safe": 0.5}
HARM_SHIFT = float(np.log(0.15 / 0.85))


def read_lines() -> list[dict]:
    """The written posts in other languages, each as written and as a tweet to a brand."""
    rows = [json.loads(line) for line in LINES.read_text(encoding="utf-8").splitlines() if line.strip()]
    tweets = as_tweets([r["text"] for r in rows])[len(rows) :]
    return rows + [dict(r, text=t) for r, t in zip(rows, tweets, strict=True)]


def soft_logistic(x: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A softmax layer fitted to soft targets: each row repeated once per class, weighted by its probability."""
    classes = targets.shape[1]
    rows = np.tile(x, (classes, 1))
    labels = np.repeat(np.arange(classes), len(x))
    model = LogisticRegression(C=STRENGTH, max_iter=3000).fit(
        rows, labels, sample_weight=targets.T.ravel() * np.tile(weights, classes)
    )
    if classes == 2:
        coef, bias = np.vstack([np.zeros_like(model.coef_[0]), model.coef_[0]]), np.array([0.0, model.intercept_[0]])
    else:
        coef, bias = model.coef_, model.intercept_
    return coef.T.astype(np.float32), bias.astype(np.float32)


@dataclass(frozen=True)
class Taught:
    """The English texts as the English model and e5 read them, one row each."""

    balanced: dict[str, np.ndarray]  # per head, the English model's class-balanced probabilities
    meaning: np.ndarray  # its meaning embeddings
    e5: np.ndarray  # e5's embeddings


def fit(
    taught: Taught,
    harm: HarmExamples,
    complaints: list[Example],
    lines: list[dict],
    e5_lines: np.ndarray,
    art_dir: Path,
) -> DistilledHeads:
    """The heads, the meaning map and the harm model over e5 (texts: harm's, then complaints', then general)."""
    e5, english = taught.e5, len(taught.e5)
    x = np.concatenate([e5, e5_lines])
    weights = np.concatenate([np.ones(english), np.full(len(lines), LINE_WEIGHT)])
    heads = {}
    for head in trained_heads():
        targets = taught.balanced[head.name].copy()
        if head.name == "complaint":  # the complaint tweets' own labels count as much as the teacher's view of them
            start = len(harm.texts)
            truth = np.array([head.target(e.label("complaint")) for e in complaints])
            targets[start : start + len(complaints)] = (
                0.5 * targets[start : start + len(complaints)] + 0.5 * np.eye(2)[truth]
            )
        written = np.zeros((len(lines), len(head.classes)))
        known = [i for i, r in enumerate(lines) if head.name in r]
        for i in known:
            written[i, head.target(lines[i][head.name])] = 1.0
        line_weights = np.zeros(len(lines))
        line_weights[known] = LINE_WEIGHT
        heads[head.name] = soft_logistic(
            x, np.concatenate([targets, written]), np.concatenate([weights[:english], line_weights])
        )
        log.info("head %s fitted", head.name)
    design = np.c_[e5, np.ones(len(e5))]
    mapping = np.linalg.solve(design.T @ design + RIDGE * np.eye(design.shape[1]), design.T @ taught.meaning)
    fitted = HarmModel.fit_vectors(
        np.concatenate([e5[: len(harm.texts)], e5_lines]),
        HarmExamples(
            texts=harm.texts + [r["text"] for r in lines],
            labels=harm.labels + [int(r["harm"]) for r in lines],
            groups=harm.groups + ["lines-harm" if r["harm"] else "lines-safe" for r in lines],
        ),
        HARM_GROUPS,
    )
    shifted = HarmModel(**{**fitted.__dict__, "offset": fitted.offset + HARM_SHIFT})
    return DistilledHeads(
        heads=heads,
        to_meaning=(mapping[:-1].astype(np.float32), mapping[-1].astype(np.float32)),
        harm=shifted,
        distilled_from=weights_digest(art_dir / WEIGHTS),
    )


def main(art_dir: Path = DEFAULT_DIR) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from classifiers.settings import ClassifierSettings
    from classifiers.transformer import TransformerClassifier

    teacher = TransformerClassifier(ClassifierSettings(languages=["en"], threads=2), art_dir)
    splits = load_splits(SHIPPED_DATA_DIR)
    harm = training_examples(SHIPPED_DATA_DIR)
    complaints = splits.train["complaints"]
    general = random.Random(1).sample([e.text for e in splits.train["sentiment"]], SENTIMENT_SAMPLE)
    english = harm.texts + [e.text for e in complaints] + general
    lines = read_lines()
    log.info("the English model reads %d texts", len(english))
    taught = teacher.infer(english)
    encoder = E5Encoder(threads=2)
    log.info("e5 reads %d texts and %d written lines", len(english), len(lines))
    e5 = encoder.encode(english, 32)
    e5_lines = encoder.encode([r["text"] for r in lines], 32)

    result = fit(Taught(taught.balanced, taught.embeddings, e5), harm, complaints, lines, e5_lines, art_dir)
    result.save(art_dir / HEADS_FILE)
    print(f"wrote {art_dir / HEADS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
