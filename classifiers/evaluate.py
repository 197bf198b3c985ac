"""`earshot evaluate`: the classifier and the TF-IDF baseline on a labelled JSON Lines file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from bot.core.posts import Post
from classifiers.base import Classifier
from bot.core.labels import Labels
from classifiers.baseline import BASELINE_VERSION, Baseline
from classifiers.data import DEFAULT_DATA_DIR, Example, load_splits, read_jsonl
from classifiers.metrics import head_metrics

HEAD_OF_LABELS: dict[str, Callable[[Labels], object]] = {
    "complaint": lambda labels: labels.complaint,
    "sentiment": lambda labels: labels.sentiment,
    "severity": lambda labels: labels.severity,
    "topic": lambda labels: labels.topics[0].name if labels.topics else None,
}
_EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)


def post_from_text(text: str, index: int = 0) -> Post:
    """A minimal Post carrying `text`, for the CLI and evaluation."""
    return Post(source="x", native_id=f"cli-{index}", author_handle=None, author_reach=None, text=text,
                url="", created_at=_EPOCH, fetched_at=_EPOCH)


def _truth(example: Example, head: str) -> object:
    return getattr(example, head)


def evaluate(classifier: Classifier, data: Path, data_dir: Path = DEFAULT_DATA_DIR,
             baseline: Baseline | None = None) -> dict:
    """Per head present in `data`: n, accuracy, macro-F1 (+ macro-recall for sentiment), and the baseline's."""
    examples = [e for e in read_jsonl(data) if e.text.strip()]
    labels = classifier.classify([post_from_text(e.text, i) for i, e in enumerate(examples)])
    baseline = baseline or Baseline.train(load_splits(data_dir))
    report: dict = {"model_version": classifier.version, "data": str(data)}
    base_report: dict = {"model_version": BASELINE_VERSION}
    for head, read in HEAD_OF_LABELS.items():
        rows = [i for i, e in enumerate(examples) if _truth(e, head) is not None]
        if not rows:
            continue
        truth = [_truth(examples[i], head) for i in rows]
        report[head] = head_metrics(head, truth, [read(labels[i]) for i in rows])
        if head in baseline.models:
            base_report[head] = head_metrics(head, truth, baseline.predict(head, [examples[i].text for i in rows]))
    report["baseline"] = base_report
    return report


def labels_as_json(labels: Labels, text: str) -> dict:
    """Everything `earshot classify` prints for one post (no embedding)."""
    return {
        "text": text,
        "complaint": labels.complaint, "complaint_score": round(labels.complaint_score, 4),
        "sentiment": labels.sentiment, "sentiment_score": round(labels.sentiment_score, 4),
        "severity": labels.severity, "severity_score": round(labels.severity_score, 4),
        "urgency": labels.urgency, "urgency_reasons": list(labels.urgency_reasons),
        "topics": [{"name": t.name, "score": round(t.score, 4)} for t in labels.topics],
        "language": labels.language, "needs_review": labels.needs_review,
        "model_version": labels.model_version,
    }


def classify_texts(classifier: Classifier, texts: Sequence[str]) -> list[dict]:
    """Classify raw texts and return the JSON-ready objects."""
    posts = [post_from_text(t, i) for i, t in enumerate(texts)]
    return [labels_as_json(l, t) for l, t in zip(classifier.classify(posts), texts)]
