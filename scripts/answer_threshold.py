"""Measure `answers.threshold`: cosines of the shipped meaning embedding on paraphrase pairs against unrelated pairs.

Paraphrase pairs (tests/fixtures/answers/paraphrases.jsonl): real complaints from data/labelled/complaints.jsonl, each
with the same question written again by hand in other words. Unrelated pairs: each original against the other
pairs' paraphrases, and random pairs of distinct complaints (any domain, and the same domain) from complaints.jsonl.

    python scripts/answer_threshold.py          # about a minute on 2 cores
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from classifiers import load_classifier
from classifiers.settings import ClassifierSettings

ROOT = Path(__file__).resolve().parent.parent
SEED, RANDOM_PAIRS = 13, 3000


def main() -> None:
    pairs = [json.loads(line) for line in (ROOT / "tests/fixtures/answers/paraphrases.jsonl").open()]
    rows = [json.loads(line) for line in (ROOT / "data/labelled/complaints.jsonl").open()]
    taken = {p["original"] for p in pairs}
    complaints = [r for r in rows if r["complaint"] and r["text"] not in taken]
    rng = random.Random(SEED)
    embed = load_classifier(ClassifierSettings()).embed  # type: ignore[attr-defined]
    originals = embed([p["original"] for p in pairs])
    paraphrases = embed([p["paraphrase"] for p in pairs])
    cos = originals @ paraphrases.T  # normalised embeddings
    same = np.diag(cos)
    cross = cos[~np.eye(len(pairs), dtype=bool)]
    any_pairs = [tuple(rng.sample(range(len(complaints)), 2)) for _ in range(RANDOM_PAIRS)]
    by_domain: dict[str, list[int]] = {}
    for i, r in enumerate(complaints):
        by_domain.setdefault(r["domain"], []).append(i)
    domains = [d for d, ids in by_domain.items() if len(ids) > 1]
    same_domain = [tuple(rng.sample(by_domain[rng.choice(domains)], 2)) for _ in range(RANDOM_PAIRS)]
    vectors = embed([r["text"] for r in complaints])
    random_cos = np.array([vectors[a] @ vectors[b] for a, b in any_pairs])
    domain_cos = np.array([vectors[a] @ vectors[b] for a, b in same_domain])
    top1 = float(np.mean(np.argmax(cos, axis=0) == np.arange(len(pairs))))
    print(f"paraphrase pairs: {len(pairs)}; the right original is the closest for {top1:.0%} of the paraphrases")
    _describe("paraphrase", same)
    _describe("unrelated (original vs other paraphrases)", cross)
    _describe("unrelated (random complaints)", random_cos)
    _describe("unrelated (random complaints, same domain)", domain_cos)
    print("threshold  paraphrases found  unrelated matched (cross / random / same domain)")
    for t in np.arange(0.40, 0.91, 0.05):
        print(
            f"  {t:.2f}      {np.mean(same >= t):6.1%}            "
            f"{np.mean(cross >= t):6.2%} / {np.mean(random_cos >= t):6.2%} / {np.mean(domain_cos >= t):6.2%}"
        )


def _describe(name: str, values: np.ndarray) -> None:
    q = np.percentile(values, [0, 10, 50, 90, 99, 99.9, 100])
    print(f"{name:<44} n={len(values):>5}  min {q[0]:.2f}  p10 {q[1]:.2f}  median {q[2]:.2f}  "
          f"p90 {q[3]:.2f}  p99 {q[4]:.2f}  p99.9 {q[5]:.2f}  max {q[6]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
