"""Accuracy, macro-F1 and macro-recall, as `earshot evaluate` prints them."""

from __future__ import annotations

from sklearn.metrics import accuracy_score, f1_score, recall_score


def head_metrics(truth: list, predicted: list, *, recall: bool = False) -> dict[str, float | int]:
    """n, accuracy and macro-F1 (plus macro-recall if asked: sentiment), rounded to 4 places."""
    labels = sorted(set(truth) | set(predicted), key=str)
    figures: dict[str, float | int] = {
        "n": len(truth),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4) if truth else 0.0,
        "macro_f1": round(float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4)
        if truth
        else 0.0,
    }
    if recall:
        figures["macro_recall"] = (
            round(
                float(
                    recall_score(truth, predicted, labels=sorted(set(truth), key=str), average="macro", zero_division=0)
                ),
                4,
            )
            if truth
            else 0.0
        )
    return figures
