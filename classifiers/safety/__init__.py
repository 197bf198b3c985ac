"""A learned harm signal: is a person at risk, or just hurt? Brand-agnostic, over meaning embeddings.

A logistic regression over the meaning embeddings, fitted on three kinds of text:
- `harm.txt` and `safe.txt` beside this module: short posts and descriptions written for Earshot in
  many industries (not the development set), the harm and the alarming-sounding but harmless;
- real tweets as the ordinary traffic a page must not fire on: the training split of
  `complaints.jsonl` and a fixed sample of the training split of `sentiment.jsonl` (held-out
  splits are never read here, so `earshot evaluate --false-pages` counts on tweets it never saw);
  `reviewed.jsonl` marks the few of them a person read as real harm (or as too unclear to use);
- pages marked "false alarm" in the feed, which `earshot train` writes beside the weights
  (`false-alarms.jsonl`) as ordinary posts.

Embedding ~5,500 texts takes about 20 s, so the fit is stored beside the weights (`harm.json`)
under the digest of the weights and of these files; a stale or missing one is refitted at load,
with a WARNING, and stored when the folder is writable (`earshot train` does it on purpose).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.core.errors import ModelError
from classifiers.heads.base import Embed

HERE = Path(__file__).resolve().parent
HARM_FILE = "harm.json"
FALSE_ALARMS = "false-alarms.jsonl"
# Chosen on held-out real tweets and the development sets (docs/classifier.md, "Harm model"): the written harm
# lines, the written safe lines and the real tweets weigh 1 : 0.3 : 0.7 in all, whatever their counts, so the
# thousands of tweets teach what ordinary traffic looks like without drowning the written lines.
STRENGTH = 1.0
WEIGHTS = {"harm": 1.0, "safe": 0.3, "real": 0.7}
SENTIMENT_SAMPLE = 3000  # general tweets drawn (fixed seed) from the sentiment training split
LINE_FILES = ("harm.txt", "safe.txt", "reviewed.jsonl")

log = logging.getLogger(__name__)


def read_lines(path: Path) -> list[str]:
    """Non-empty lines of a text file, less the # comments."""
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def reviewed() -> dict[str, bool | None]:
    """Real tweets a person read: text -> harm (True), ordinary (False) or too unclear to learn from (None)."""
    rows = (json.loads(line) for line in read_lines(HERE / "reviewed.jsonl"))
    return {row["text"]: row["harm"] for row in rows}


@dataclass(frozen=True)
class HarmExamples:
    """Texts, their harm labels (1 = a person at risk or hurt) and the group each comes from (WEIGHTS)."""

    texts: list[str]
    labels: list[int]
    groups: list[str]

    def weights(self) -> np.ndarray:
        """Each row's weight: its group's share of WEIGHTS, split evenly over the group's rows."""
        counts = {g: self.groups.count(g) for g in set(self.groups)}
        rows = np.array([WEIGHTS[g] / counts[g] for g in self.groups])
        return rows / rows.mean()


def false_alarms(art_dir: Path) -> list[str]:
    """The texts of the feed's false alarms stored beside the weights (none when there is no file)."""
    path = art_dir / FALSE_ALARMS
    if not path.is_file():
        return []
    return [json.loads(line)["text"] for line in read_lines(path)]


def write_false_alarms(art_dir: Path, texts: Sequence[str]) -> None:
    """Store the feed's false alarms beside the weights, for the harm model's next fit."""
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    (art_dir / FALSE_ALARMS).write_text("".join(json.dumps({"text": t}) + "\n" for t in unique), encoding="utf-8")


def training_examples(data_dir: Path, alarms: Sequence[str] = ()) -> HarmExamples:
    """The written lines, the real tweets of the training splits (reviewed ones as read) and the false alarms."""
    from classifiers.data import load_splits

    harm, safe = read_lines(HERE / "harm.txt"), read_lines(HERE / "safe.txt")
    texts, labels = harm + safe, [1] * len(harm) + [0] * len(safe)
    groups = ["harm"] * len(harm) + ["safe"] * len(safe)
    splits = load_splits(data_dir)
    general = [e.text for e in splits.train.get("sentiment", [])]
    sample = random.Random(0).sample(general, min(SENTIMENT_SAMPLE, len(general)))
    read = reviewed()
    for text in [e.text for e in splits.train.get("complaints", [])] + sample + list(alarms):
        verdict = read.get(text, False)
        if verdict is not None and text.strip():
            texts.append(text)
            labels.append(int(verdict))
            groups.append("real")
    return HarmExamples(texts=texts, labels=labels, groups=groups)


def lines_digest(art_dir: Path) -> str:
    """The sha256 prefix of the lines the fit reads: the files beside this module and the false alarms."""
    digest = hashlib.sha256()
    for name in LINE_FILES:
        digest.update((HERE / name).read_bytes())
    digest.update("\n".join(false_alarms(art_dir)).encode())
    return digest.hexdigest()[:10]


class HarmModel:
    """P(a person is at risk or hurt) for normalised embeddings."""

    def __init__(self, coef: np.ndarray, intercept: float) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

    @classmethod
    def fit(cls, embed: Embed, examples: HarmExamples) -> HarmModel:
        """Fit on `examples`, weighted by group."""
        labels = np.array(examples.labels)
        if labels.min(initial=1) == labels.max(initial=0):
            raise ModelError("the harm model needs posts of both kinds to learn from")
        vectors = embed(examples.texts)
        model = LogisticRegression(C=STRENGTH, max_iter=5000).fit(vectors, labels, sample_weight=examples.weights())
        return cls(model.coef_[0], float(model.intercept_[0]))

    @classmethod
    def load(cls, embed: Embed, art_dir: Path, weights: str, data_dir: Path) -> HarmModel:
        """The stored fit when made from these weights and lines; else a fresh fit (logged, stored if it can be)."""
        path = art_dir / HARM_FILE
        key = {"weights": weights, "lines": lines_digest(art_dir)}
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored["fitted_on"] == key:
                return cls(np.array(stored["coef"]), stored["intercept"])
            why = f"{path} was fitted on other weights or lines ({stored['fitted_on']}, now {key})"
        except FileNotFoundError:
            why = f"{path} is missing"
        except (ValueError, KeyError, TypeError) as err:
            why = f"{path} is unreadable ({err})"
        log.warning("harm model: %s; fitting it now (about 20 s)", why)
        examples = training_examples(data_dir, false_alarms(art_dir))
        model = cls.fit(embed, examples)
        try:
            model.save(art_dir, key, examples)
        except OSError as err:
            log.warning("harm model: kept in memory only, %s is not writable (%s)", art_dir, err)
        return model

    def save(self, art_dir: Path, key: dict[str, str], examples: HarmExamples) -> None:
        """Write the fit beside the weights, keyed by what it was fitted on."""
        stored = {
            "fitted_on": key,
            "examples": {"harm": sum(examples.labels), "ordinary": len(examples.labels) - sum(examples.labels)},
            "strength": STRENGTH,
            "group_weights": WEIGHTS,
            "intercept": self.intercept,
            "coef": [round(float(v), 8) for v in self.coef],
        }
        (art_dir / HARM_FILE).write_text(json.dumps(stored) + "\n", encoding="utf-8")

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """One probability per row."""
        if len(embeddings) == 0:
            return np.zeros(0)
        logits = np.asarray(embeddings, dtype=np.float64) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-logits))
