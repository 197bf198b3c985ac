"""The shipped transformer classifier on clear examples, its CLI shapes and its failure modes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.app.config import load_config
from bot.core.errors import ModelError
from classifiers import load_classifier
from classifiers.artifacts import DEFAULT_DIR, MANIFEST, WEIGHTS
from classifiers.baseline import Baseline
from classifiers.data import Example, Splits
from classifiers.evaluate import classify_texts, evaluate, post_from_text
from classifiers.runtime import GRAPH
from classifiers.settings import ClassifierSettings, TopicSettings
from classifiers.transformer import TOKENS_PER_PASS, TransformerClassifier, length_groups

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[2]
KIDS = (
    "Put the kids in the rear of my in-laws' car & went for a 20 min drive. Air was set as cold as "
    "possible, but the kids were dehydrated & drenched in sweat after the drive. No air circulation "
    "back there. Love the car, but that's dangerous"
)


@pytest.fixture(scope="session")
def settings() -> ClassifierSettings:
    return load_config(REPO / "config.yaml").classifier


@pytest.fixture(scope="session")
def classifier(settings):
    return load_classifier(settings)


def test_kids_overheating_is_a_critical_safety_complaint(classifier):
    labels = classifier.classify([post_from_text(KIDS)])[0]
    assert labels.complaint
    assert labels.topic_names[0] == "safety"
    assert labels.urgency == "critical"
    assert labels.language == "en"


@pytest.mark.parametrize(
    ("text", "complaint", "sentiment"),
    [
        (
            "@AuroraMotors worst service ever, my car has been in the shop for 3 weeks and nobody calls me back",
            True,
            "negative",
        ),
        ("I love my new car, thank you so much for the amazing delivery experience!", False, "positive"),
        ("@AuroraMotors you charged me twice and still haven't refunded me. Unacceptable.", True, "negative"),
    ],
)
def test_clear_examples(classifier, text, complaint, sentiment):
    labels = classifier.classify([post_from_text(text)])[0]
    assert labels.complaint is complaint
    assert labels.sentiment == sentiment


def test_an_emoji_carries_its_sentiment(classifier):
    # MiniLM's vocabulary has no emoji; as [UNK] every one of these read positive.
    subjects = ("my order", "the new app layout", "today's delivery", "the latest firmware", "my new headphones")
    subjects += ("this morning's train",)
    upset = [f"@brand {s} {e}" for s, e in zip(subjects, ("😠", "🤢", "😩", "👎👎", "💩", "😞"), strict=True)]
    pleased = [f"@brand {s} {e}" for s, e in zip(subjects, ("😁", "🤩", "🥳", "👌", "😍", "🙌"), strict=True)]
    upset_labels = classifier.classify([post_from_text(t, i) for i, t in enumerate(upset)])
    pleased_labels = classifier.classify([post_from_text(t, i) for i, t in enumerate(pleased)])
    assert sum(labels.sentiment == "negative" for labels in upset_labels) >= 5
    assert sum(labels.sentiment == "positive" for labels in pleased_labels) >= 3  # the others neutral
    assert all(labels.sentiment != "positive" for labels in upset_labels)
    assert all(labels.sentiment != "negative" for labels in pleased_labels)


def test_topics_follow_the_taxonomy(classifier):
    texts = [
        "My supercharger session stopped at 30% and the charge port is stuck",
        "Why was I charged $300 extra on my invoice? I want a refund",
        "After the software update the touchscreen keeps freezing and the app logs me out",
    ]
    tops = [labels.topic_names[0] for labels in classifier.classify([post_from_text(t) for t in texts])]
    assert tops == ["charging", "billing and charges", "software"]


def test_labels_invariants_and_order(classifier):
    # mixed lengths, so the encoder's shortest-first batching must put each label back in place
    # (A bare "ok" sits at the edge of `other`: its topic fit moves 0.32-0.39 around the 0.35 cut
    # with the posts it is padded with under int8, so it cannot anchor this test.)
    texts = [
        "good morning everyone",
        "a much longer post about how the delivery of my car was delayed for weeks again",
        "thanks!",
        "My supercharger session stopped at 30% and the charge port is stuck",
        "Why was I charged $300 extra on my invoice? I want a refund",
    ]
    expected = [
        ("other", False),
        ("delivery", True),
        ("other", False),
        ("charging", True),
        ("billing and charges", True),
    ]
    labels = classifier.classify([post_from_text(t, i) for i, t in enumerate(texts)])
    assert [(item.topic_names[0], item.complaint) for item in labels] == expected
    backwards = classifier.classify([post_from_text(t, i) for i, t in enumerate(reversed(texts))])
    assert [(item.topic_names[0], item.complaint) for item in backwards] == expected[::-1]
    for item in labels:
        assert item.model_version == classifier.version
        assert len(item.embedding) == 384
        assert abs(sum(v * v for v in item.embedding) - 1.0) < 1e-2
        assert (item.severity == 0) is (not item.complaint)
    assert classifier.classify([]) == []


def test_same_post_same_labels_in_any_batch(classifier):
    text = "my car won't charge at home"
    alone = classifier.classify([post_from_text(text)])[0]
    together = classifier.classify([post_from_text("hi"), post_from_text(text), post_from_text("x" * 300)])[1]
    assert alone.complaint == together.complaint
    # int8 activations are scaled per batch, so scores move a little with the company a post keeps
    assert abs(alone.complaint_score - together.complaint_score) < 0.02


def test_passes_group_like_lengths_within_the_token_budget():
    lengths = sorted([5] * 300 + [30] * 40 + [64] * 30)
    groups = length_groups(lengths, most=128)
    assert [i for g in groups for i in g] == list(range(len(lengths)))  # every text once, in order
    assert all(len(g) <= 128 and len(g) * lengths[g[-1]] <= TOKENS_PER_PASS for g in groups)
    assert length_groups([], most=32) == []
    assert length_groups([500], most=32) == [range(1)]  # a text longer than the budget still gets its pass


def test_passes_split_where_padding_costs_more_than_a_pass():
    # one pass would pad twenty short texts to 40 tokens; two passes cost less
    assert length_groups([5] * 20 + [40], most=32) == [range(20), range(20, 21)]
    # a few tokens of padding are cheaper than another pass
    assert length_groups([10, 11, 12, 13], most=32) == [range(4)]
    assert [len(g) for g in length_groups([8] * 10, most=4)] in ([2, 4, 4], [4, 2, 4], [4, 4, 2])


def test_new_topic_needs_no_retraining(settings):
    extra = TopicSettings(
        name="insurance",
        description="Car insurance premiums, policies and claims.",
        examples=[
            "My insurance premium doubled because of your repair costs",
            "The insurer won't cover the claim for my car",
        ],
    )
    classifier = TransformerClassifier(settings.model_copy(update={"topics": [*settings.topics, extra]}))
    labels = classifier.classify([post_from_text("Insurance company says my premium goes up 50% for this car")])[0]
    assert labels.topic_names[0] == "insurance"


def test_classify_json_has_every_head_and_no_embedding(classifier):
    row = classify_texts(classifier, ["the app is broken again"])[0]
    for key in (
        "complaint",
        "complaint_score",
        "sentiment",
        "sentiment_score",
        "severity",
        "severity_score",
        "urgency",
        "urgency_reasons",
        "topics",
        "language",
        "needs_review",
        "model_version",
    ):
        assert key in row
    assert "embedding" not in row
    json.dumps(row)


def test_evaluate_reports_each_head_beside_the_baseline(classifier, tmp_path):
    rows = [
        {"text": "worst company ever, broken car and no refund", "complaint": True, "sentiment": "negative"},
        {"text": "love this car so much", "complaint": False, "sentiment": "positive"},
        {"text": "the delivery is late again, terrible", "complaint": True, "sentiment": "negative"},
        {"text": "going to the beach today", "complaint": False, "sentiment": "neutral"},
    ]
    data = tmp_path / "tiny.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows))
    examples = [
        Example(text=r["text"], labels={"complaint": r["complaint"], "sentiment": r["sentiment"], "severity": 0})
        for r in rows
    ] * 3
    baseline = Baseline.train(Splits(train={"complaints": examples}, test={"complaints": []}))
    report = evaluate(classifier, data, baseline=baseline)
    assert set(report["complaint"]) == {"n", "accuracy", "macro_f1"}
    assert set(report["sentiment"]) == {"n", "accuracy", "macro_f1", "macro_recall"}
    assert set(report["baseline"]["sentiment"]) == {"n", "accuracy", "macro_f1", "macro_recall"}
    assert report["complaint"]["n"] == 4 and "severity" not in report


def _copy_artifacts(tmp_path: Path) -> Path:
    target = tmp_path / "artifacts"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def test_missing_artifact_is_a_clear_model_error(settings, tmp_path):
    target = _copy_artifacts(tmp_path)
    (target / WEIGHTS).unlink()
    with pytest.raises(ModelError, match="missing"):
        TransformerClassifier(settings, target)


@pytest.mark.parametrize("name", [WEIGHTS, MANIFEST, GRAPH])
def test_corrupt_artifact_is_a_clear_model_error(settings, tmp_path, name):
    target = _copy_artifacts(tmp_path)
    (target / name).write_bytes(b"\x00garbage")
    with pytest.raises(ModelError, match="corrupt"):
        TransformerClassifier(settings, target)


def test_a_missing_graph_is_rebuilt_from_the_weights_with_the_same_labels(settings, classifier, tmp_path, caplog):
    target = _copy_artifacts(tmp_path)
    (target / GRAPH).unlink()
    with caplog.at_level("WARNING", logger="classifiers.runtime"):
        rebuilt = TransformerClassifier(settings, target)
    assert any("building the int8 graph in memory" in r.getMessage() for r in caplog.records)
    assert not (target / GRAPH).exists()  # nothing written into a model directory at load
    texts = [KIDS, "going to the beach today", "@AuroraMotors you charged me twice"]
    shipped, again = classifier.infer(texts), rebuilt.infer(texts)
    for name, probs in shipped.probs.items():
        assert abs(probs - again.probs[name]).max() < 1e-5, name


def test_the_int8_graph_sums_exactly_whatever_the_cpu():
    """Without VNNI onnxruntime's u8*s8 kernel saturates pair sums at 16 bits, so scores (and the calibration
    and judgement tests) depended on the CPU; `session.x64quantprecision` makes every x86-64 CPU sum exactly."""
    from classifiers.runtime import GraphRunner

    runner = GraphRunner(DEFAULT_DIR / GRAPH, threads=1)
    assert runner.session.get_session_options().get_session_config_entry("session.x64quantprecision") == "1"


def test_the_shipped_graph_stays_true_to_the_fp32_model(settings, classifier):
    """The graph is the fp32 weights quantised: a stale or broken export would drift far from them."""
    lines = (REPO / "data/labelled/complaints.jsonl").read_text(encoding="utf-8").splitlines()[:200]
    texts = [json.loads(line)["text"] for line in lines]
    fp32 = TransformerClassifier(settings.model_copy(update={"quantize": False}))
    graph, torch_model = classifier.infer(texts), fp32.infer(texts)
    cosine = (graph.embeddings * torch_model.embeddings).sum(axis=1)
    assert float(cosine.mean()) >= 0.98 and float(cosine.min()) >= 0.9, (cosine.mean(), cosine.min())
    moved = abs(graph.probs["complaint"][:, 1] - torch_model.probs["complaint"][:, 1])
    assert float(sorted(moved)[int(0.95 * len(moved))]) < 0.1, sorted(moved)[-10:]


def test_the_shipped_grades_and_sentiments_are_calibrated_as_a_user_reads_them(classifier, settings):
    """On held-out tweets, a label's score is about how often that label is right.

    In sample (these rows fitted the calibration), so it guards against shipping a miscalibrated model.
    The bar is on the weights (fp32, under 0.05); the int8 graph the product runs is held under 0.06
    (sentiment 0.031 fp32 and 0.0509 int8 on a Xeon with VNNI). The graph's int8 sums are exact on every
    x86-64 CPU (`session.x64quantprecision`, see docs/testing.md), so that figure is every CPU's.
    """
    from classifiers.artifacts import read_manifest
    from classifiers.calibration import confidence_error
    from classifiers.data import load_splits
    from classifiers.transformer import TransformerClassifier

    assert {name for name, s in read_manifest(DEFAULT_DIR).scalings.items() if s.bias} == {"severity", "sentiment"}
    held_out = load_splits(REPO / "data" / "labelled").test
    fp32 = TransformerClassifier(settings.model_copy(update={"quantize": False}))
    for head, file in (("severity", "complaints"), ("sentiment", "sentiment")):
        examples = held_out[file][::3] if file == "sentiment" else held_out[file]  # held out class by class: stride
        error = {}
        for name, model in (("fp32", fp32), ("int8", classifier)):
            labels = model.classify([post_from_text(e.text, i) for i, e in enumerate(examples)])
            score = [getattr(label, f"{head}_score") for label in labels]
            right = [getattr(label, head) == e.label(head) for label, e in zip(labels, examples, strict=True)]
            error[name] = confidence_error(np.array(score), np.array(right))
        assert error["fp32"] < 0.05 and error["int8"] < 0.06, (head, error)
