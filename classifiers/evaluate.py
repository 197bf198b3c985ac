"""`earshot evaluate`: the classifier and the TF-IDF baseline on a labelled JSON Lines file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.core.labels import Labels
from bot.core.posts import Post
from bot.core.progress import Progress
from classifiers.base import Classifier
from classifiers.baseline import BASELINE_VERSION, Baseline
from classifiers.data import DEFAULT_DATA_DIR, load_splits, read_jsonl
from classifiers.heads import labelled_heads
from classifiers.heads.base import TrainedHead
from classifiers.judged import baseline_report, confusion
from classifiers.metrics import head_metrics
from classifiers.pages import critical_rows, held_out_texts, per_thousand
from classifiers.settings import ClassifierSettings

_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def post_from_text(text: str, index: int = 0) -> Post:
    """A minimal Post carrying `text`, for the CLI and evaluation."""
    return Post(
        source="x",
        native_id=f"cli-{index}",
        author_handle=None,
        author_reach=None,
        text=text,
        url="",
        created_at=_EPOCH,
        fetched_at=_EPOCH,
    )


def evaluate(
    classifier: Classifier,
    data: Path,
    data_dir: Path = DEFAULT_DATA_DIR,
    baseline: Baseline | None = None,
    settings: ClassifierSettings | None = None,
) -> dict:
    """Per label present in `data`: n, accuracy, macro-F1 (+ macro-recall for sentiment), and the baselines'.

    `topic` and `critical` also get a confusion table, beside the TF-IDF and frozen-encoder baselines
    (judged.py) on the same taxonomy (`settings.topics`) and risk signals.
    """
    examples = [e for e in read_jsonl(data) if e.text.strip()]
    labels = _classify_with_progress(classifier, [post_from_text(e.text, i) for i, e in enumerate(examples)])
    report: dict = {"model_version": classifier.version, "data": str(data)}
    base_report: dict = {"model_version": BASELINE_VERSION}
    for head in labelled_heads():
        key = str(head.label)
        rows = [i for i, e in enumerate(examples) if e.label(key) is not None]
        if not rows:
            continue
        truth = [examples[i].label(key) for i in rows]
        predicted = [head.predicted(labels[i]) for i in rows]
        recall = issubclass(head, TrainedHead) and head.recall
        report[key] = head_metrics(truth, predicted, recall=recall)
        if key == "critical":  # what a responder feels: pages on ordinary posts, and the people at risk caught
            pairs = [(bool(t), bool(p)) for t, p in zip(truth, predicted, strict=True)]
            report[key]["false_pages"] = per_thousand(sum(p for t, p in pairs if not t), sum(not t for t, _ in pairs))
            report[key]["caught"] = per_thousand(sum(p for t, p in pairs if t), sum(t for t, _ in pairs))
        if issubclass(head, TrainedHead):
            baseline = baseline or Baseline.train(load_splits(data_dir))
            if key in baseline.models:
                texts = [examples[i].text for i in rows]
                base_report[key] = head_metrics(truth, baseline.predict(key, texts), recall=recall)
        elif settings is not None:
            report[key]["confusion"] = confusion(truth, predicted)
            report[f"{key}_baselines"] = baseline_report(key, settings, [examples[i].text for i in rows], truth)
    report["baseline"] = base_report
    return report


def false_pages(classifier: Classifier, data_dir: Path = DEFAULT_DATA_DIR) -> dict:
    """Critical posts per 1,000 held-out real tweets (brand and general), each critical post listed."""
    report: dict = {"model_version": classifier.version}
    for name, texts in held_out_texts(data_dir).items():
        labels = _classify_with_progress(classifier, [post_from_text(t, i) for i, t in enumerate(texts)])
        flagged = critical_rows(labels, texts)
        report[name] = per_thousand(len(flagged), len(texts)) | {"posts": flagged}
    return report


def _classify_with_progress(classifier: Classifier, posts: list[Post], chunk: int = 64) -> list[Labels]:
    """`classifier.classify(posts)` in chunks, with a progress bar (or log lines when not on a terminal)."""
    labels: list[Labels] = []
    with Progress(len(posts), "evaluating") as bar:
        for start in range(0, len(posts), chunk):
            labels += classifier.classify(posts[start : start + chunk])
            bar.advance(len(posts[start : start + chunk]))
    return labels


def labels_as_json(labels: Labels, text: str) -> dict:
    """Everything `earshot classify` prints for one post (no embedding)."""
    return {
        "text": text,
        "complaint": labels.complaint,
        "complaint_score": round(labels.complaint_score, 4),
        "sentiment": labels.sentiment,
        "sentiment_score": round(labels.sentiment_score, 4),
        "severity": labels.severity,
        "severity_score": round(labels.severity_score, 4),
        "urgency": labels.urgency,
        "urgency_reasons": list(labels.urgency_reasons),
        "safety_score": round(labels.safety_score, 4),
        "about_brand": labels.about_brand,
        "relevance": labels.relevance,
        "topics": [{"name": t.name, "score": round(t.score, 4)} for t in labels.topics],
        "language": labels.language,
        "needs_review": labels.needs_review,
        "model_version": labels.model_version,
    }


def classify_texts(classifier: Classifier, texts: Sequence[str]) -> list[dict]:
    """Classify raw texts and return the JSON-ready objects."""
    posts = [post_from_text(t, i) for i, t in enumerate(texts)]
    return [labels_as_json(labels, text) for labels, text in zip(classifier.classify(posts), texts, strict=True)]
