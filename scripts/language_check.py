"""Per-language figures of the product's classifier on posts labelled complaint, critical and sentiment.

    python scripts/language_check.py                                   # data/multilingual/valid.jsonl
    python scripts/language_check.py ../shared/data/multilingual/posts-dev.jsonl --misses es de

`data/multilingual/valid.jsonl` (320 posts in es, pt, fr, de, it, nl, pl and sv, written here for this check)
chose the multilingual fit's weights; the shared development posts only check the result. About 15 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import f1_score

from bot.app.config import load_config
from classifiers import load_classifier
from classifiers.evaluate import post_from_text

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=ROOT / "data/multilingual/valid.jsonl")
    parser.add_argument("--misses", nargs="*", default=[], help="list the wrong calls in these languages")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.open(encoding="utf-8") if line.strip()]
    classifier = load_classifier(load_config(ROOT / "config.yaml").classifier)
    labels = []
    for start in range(0, len(rows), 32):
        batch = rows[start : start + 32]
        labels += classifier.classify([post_from_text(r["text"], start + i) for i, r in enumerate(batch)])
    by_language = defaultdict(list)
    for row, label in zip(rows, labels, strict=True):
        by_language[row["lang"]].append((row, label))
    print("language  critical caught  false critical  complaint macro-F1  sentiment accuracy")
    for language, pairs in sorted(by_language.items()):
        calls = [(row["critical"], label.urgency == "critical") for row, label in pairs]
        caught, at_risk = sum(p for t, p in calls if t), sum(t for t, _ in calls)
        false, others = sum(p for t, p in calls if not t), sum(not t for t, _ in calls)
        f1 = f1_score([r["complaint"] for r, _ in pairs], [lab.complaint for _, lab in pairs], average="macro")
        sentiment = sum(r["sentiment"] == lab.sentiment for r, lab in pairs) / len(pairs)
        print(f"{language:<9} {caught:>2} of {at_risk:<10} {false:>2} of {others:<10} {f1:>8.3f} {sentiment:>18.2f}")
    for row, label in zip(rows, labels, strict=True):
        wrong = row["critical"] != (label.urgency == "critical") or row["complaint"] != label.complaint
        if row["lang"] in args.misses and wrong:
            print(
                row["lang"],
                f"critical {row['critical']}, complaint {row['complaint']} ->",
                label.urgency,
                f"complaint {label.complaint}, harm {label.safety_score:.3f}:",
                row["text"][:100],
            )


if __name__ == "__main__":
    main()
