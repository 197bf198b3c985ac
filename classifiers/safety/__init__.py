"""A learned harm signal: is a person at risk, or just hurt? Brand-agnostic, over meaning embeddings.

A support-vector machine (RBF kernel) over the meaning embeddings, with a Platt sigmoid fitted on
its cross-validated scores, learnt from three kinds of text:
- `harm.txt` and `safe.txt` beside this module: short posts and descriptions written for Earshot in
  many industries (not the development set), the harm and the alarming-sounding but harmless; each
  also as a tweet to a brand ("@help the charger melted..."), so that how a line is written (a plain
  sentence, or a tweet) is not what tells harm from ordinary traffic;
- real tweets as the ordinary traffic a page must not fire on: the training split of
  `complaints.jsonl` and a fixed sample of the training split of `sentiment.jsonl` (held-out
  splits are never read here, so `earshot evaluate --false-pages` counts on tweets it never saw);
  `reviewed.jsonl` marks the few of them a person read as real harm (or as too unclear to use);
- pages marked "false alarm" in the feed, which `earshot train` writes beside the weights
  (`false-alarms.jsonl`) as ordinary posts.

Embedding ~6,000 texts and fitting take about 40 s, so the fit is stored beside the weights
(`harm.npz`) under the digest of the weights and of these files; a stale or missing one is refitted
at load, with a WARNING, and stored when the folder is writable (`earshot train` does it on purpose).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import SVC

from bot.core.errors import ModelError
from classifiers.heads.base import Embed

HERE = Path(__file__).resolve().parent
HARM_FILE = "harm.npz"
FALSE_ALARMS = "false-alarms.jsonl"
# Chosen on held-out real tweets and the development sets (docs/classifier.md, "False pages"): the written harm
# lines, the written safe lines and the real tweets weigh 1 : 0.3 : 0.7 in all, whatever their counts, so the
# thousands of tweets teach what ordinary traffic looks like without drowning the written lines.
STRENGTH = 1.0  # the SVM's C
WEIGHTS = {"harm": 1.0, "safe": 0.3, "real": 0.7}
HANDLES = ("@help", "@support", "@brand", "@cares", "@service", "@team")  # written lines restyled as tweets
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

    def weights(self, shares: dict[str, float] = WEIGHTS) -> np.ndarray:
        """Each row's weight: its group's share (WEIGHTS), split evenly over the group's rows."""
        counts = {g: self.groups.count(g) for g in set(self.groups)}
        rows = np.array([shares[g] / counts[g] for g in self.groups])
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


def as_tweets(lines: list[str]) -> list[str]:
    """Each written line as written and as a tweet to a brand: "@help the charger melted ..."."""
    tweets = [f"{HANDLES[i % len(HANDLES)]} {line[:1].lower()}{line[1:]}" for i, line in enumerate(lines)]
    return lines + [t for t, line in zip(tweets, lines, strict=True) if not line.startswith("@")]


def training_examples(data_dir: Path, alarms: Sequence[str] = ()) -> HarmExamples:
    """The written lines, the real tweets of the training splits (reviewed ones as read) and the false alarms."""
    from classifiers.data import load_splits

    harm, safe = (as_tweets(read_lines(HERE / name)) for name in ("harm.txt", "safe.txt"))
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


@dataclass(frozen=True)
class HarmModel:
    """P(a person is at risk or hurt) for normalised embeddings: an RBF-kernel SVM and its Platt sigmoid."""

    vectors: np.ndarray  # the support vectors
    dual: np.ndarray  # their dual coefficients
    intercept: float
    gamma: float
    slope: float  # Platt: P = sigmoid(slope x decision + offset)
    offset: float

    @classmethod
    def fit(cls, embed: Embed, examples: HarmExamples) -> HarmModel:
        """Fit on `examples`, weighted by group; the sigmoid on five-fold out-of-fold decisions."""
        if set(examples.labels) != {0, 1}:
            raise ModelError("the harm model needs posts of both kinds to learn from")
        return cls.fit_vectors(embed(examples.texts), examples)

    @classmethod
    def fit_vectors(cls, vectors: np.ndarray, examples: HarmExamples, shares: dict[str, float] = WEIGHTS) -> HarmModel:
        """Fit on the embeddings of `examples`' texts, each group weighing its share."""
        labels, weights = np.array(examples.labels), examples.weights(shares)
        svm = SVC(C=STRENGTH, kernel="rbf", gamma="scale").fit(vectors, labels, sample_weight=weights)
        held = cross_val_predict(
            SVC(C=STRENGTH, kernel="rbf", gamma="scale"),
            vectors,
            labels,
            cv=StratifiedKFold(5),
            method="decision_function",
            params={"sample_weight": weights},
        )
        platt = LogisticRegression(C=1e4).fit(held[:, None], labels, sample_weight=weights)
        return cls(
            vectors=svm.support_vectors_.astype(np.float32),
            dual=svm.dual_coef_[0].astype(np.float64),
            intercept=float(svm.intercept_[0]),
            gamma=float(svm._gamma),
            slope=float(platt.coef_[0][0]),
            offset=float(platt.intercept_[0]),
        )

    @classmethod
    def load(cls, embed: Embed, art_dir: Path, weights: str, data_dir: Path) -> HarmModel:
        """The stored fit when made from these weights and lines; else a fresh fit (logged, stored if it can be)."""
        path = art_dir / HARM_FILE
        key = f"weights {weights}, lines {lines_digest(art_dir)}"
        try:
            with np.load(path, allow_pickle=False) as stored:
                if str(stored["fitted_on"]) == key:
                    return cls(
                        vectors=stored["vectors"],
                        dual=stored["dual"],
                        **{name: float(stored[name]) for name in ("intercept", "gamma", "slope", "offset")},
                    )
                why = f"{path} was fitted on other weights or lines ({stored['fitted_on']}, now {key})"
        except FileNotFoundError:
            why = f"{path} is missing"
        except (ValueError, KeyError, OSError) as err:
            why = f"{path} is unreadable ({err})"
        log.warning("harm model: %s; fitting it now (about 40 s)", why)
        model = cls.fit(embed, training_examples(data_dir, false_alarms(art_dir)))
        try:
            model.save(art_dir, key)
        except OSError as err:
            log.warning("harm model: kept in memory only, %s is not writable (%s)", art_dir, err)
        return model

    def save(self, art_dir: Path, key: str) -> None:
        """Write the fit beside the weights, keyed by what it was fitted on."""
        np.savez_compressed(art_dir / HARM_FILE, fitted_on=np.array(key), **asdict(self))

    def decision(self, embeddings: np.ndarray) -> np.ndarray:
        """The SVM's signed distance for each row."""
        rows = np.asarray(embeddings, dtype=np.float32)
        squared = (rows**2).sum(1)[:, None] + (self.vectors**2).sum(1)[None, :] - 2 * rows @ self.vectors.T
        return np.exp(-self.gamma * np.maximum(squared, 0.0)).astype(np.float64) @ self.dual + self.intercept

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """One probability per row."""
        if len(embeddings) == 0:
            return np.zeros(0)
        return 1.0 / (1.0 + np.exp(-(self.slope * self.decision(embeddings) + self.offset)))
