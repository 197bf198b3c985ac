"""The shipped classifier's judgement on brands and industries its config was not written for."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.app.config import load_config
from classifiers import load_classifier
from classifiers.evaluate import evaluate, post_from_text
from classifiers.judged import frozen_embed, topic_baselines
from classifiers.settings import ClassifierSettings, TopicSettings
from classifiers.taxonomy import check_taxonomy, read_taxonomy

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "judgement"


@pytest.fixture(scope="module")
def bank() -> ClassifierSettings:
    settings = load_config(REPO / "config.yaml").classifier
    return settings.model_copy(update={"topics": read_taxonomy(FIXTURES / "banking-dev-taxonomy.json")})


@pytest.fixture(scope="module")
def classifier(bank):
    return load_classifier(bank)


def _lines(name: str) -> list[str]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_a_person_at_risk_is_critical_in_any_industry_and_slang_is_not(classifier, bank):
    """The trained weights catch 70% of the people at risk; the int8 graph the product runs loses at most one.

    Int8 activations are rounded by the CPU's own kernels (AVX2 or VNNI), which moves P(harm) by about
    0.01: enough to decide a post sitting at 0.49 (12 of 16 in fp32 and on the machine that measured
    it first, 11 on an AVX2-only EPYC, 3 December). The bar is on the weights; the graph is held to them.
    """
    from classifiers.transformer import TransformerClassifier

    rows = [json.loads(line) for line in _lines("urgency-check.jsonl")]
    slang = ["this burger is fire", "Killer deals on laptops this week only", "That new album is the bomb"]
    posts = [post_from_text(r["text"], i) for i, r in enumerate(rows)]
    fp32 = TransformerClassifier(bank.model_copy(update={"quantize": False}))
    at_risk = sum(r["critical"] for r in rows)
    caught = {}
    for name, model in (("int8", classifier), ("fp32", fp32)):
        labels = model.classify(posts)
        caught[name] = sum(lab.urgency == "critical" for lab, r in zip(labels, rows, strict=True) if r["critical"])
        false = sum(lab.urgency == "critical" for lab, r in zip(labels, rows, strict=True) if not r["critical"])
        assert false <= 1, name
    assert caught["fp32"] >= 0.7 * at_risk and caught["int8"] >= caught["fp32"] - 1, caught
    for lab in classifier.classify([post_from_text(t) for t in slang]):
        assert lab.urgency != "critical"


def test_one_encoder_pass_serves_the_heads_and_keeps_the_frozen_encoders_sense_of_meaning(classifier, monkeypatch):
    rows = [json.loads(line) for line in _lines("urgency-check.jsonl")]
    texts = [r["text"] for r in rows] + _lines("offtopic.txt")[:20]
    encoded: list[int] = []  # texts per encoder pass (passes group texts of like length)
    run = classifier.run

    def counted(ids, mask):
        encoded.append(len(ids))
        return run(ids, mask)

    monkeypatch.setattr(classifier, "run", counted)
    labels = classifier.classify([post_from_text(t, i) for i, t in enumerate(texts[:30])])
    assert sum(encoded) == len(labels) == 30  # each text through the encoder once: heads and embedding together
    cosine = (classifier.embed(texts) * frozen_embed(texts)).sum(axis=1)
    assert cosine.mean() >= 0.95 and cosine.min() >= 0.85, (cosine.mean(), cosine.min())


def test_harm_model_names_itself_when_it_decides(classifier):
    [labels] = classifier.classify([post_from_text("@ToyCo my toddler swallowed a magnet from the building set")])
    assert labels.urgency == "critical" and labels.safety_score >= 0.5
    assert any(reason.startswith("harm model") for reason in labels.urgency_reasons)


def test_bank_topics_beat_the_frozen_encoder_and_off_topic_posts_are_other(classifier, bank):
    rows = [json.loads(line) for line in _lines("banking-dev.jsonl")]
    texts, truth = [r["text"] for r in rows], [r["topic"] for r in rows]
    product = [lab.topic_names[0] for lab in classifier.classify([post_from_text(t) for t in texts])]
    frozen = topic_baselines(bank.topics, texts)["frozen-minilm-prototype"]
    accuracy = np.mean([p == t for p, t in zip(product, truth, strict=True)])
    assert accuracy >= np.mean([p == t for p, t in zip(frozen, truth, strict=True)])
    off = classifier.classify([post_from_text(t) for t in _lines("offtopic.txt")])
    assert np.mean([lab.topic_names == ("other",) for lab in off]) >= 0.8


def test_incident_embeddings_separate_different_problems(classifier):
    texts = [
        "@SkyLark lost my suitcase on the flight to Rome",
        "@SkyLark my bag never arrived in Rome, lost luggage again",
        "@SkyLark charged me a $200 change fee for moving my flight",
    ]
    a, b, c = (np.array(lab.embedding) for lab in classifier.classify([post_from_text(t) for t in texts]))
    assert a @ b > 0.5 > a @ c


def test_evaluate_reports_topics_and_critical_beside_their_baselines(classifier, bank, tmp_path):
    data = tmp_path / "labelled.jsonl"
    data.write_text(
        "\n".join(
            [
                json.dumps({"text": "Where can I find an ATM that takes my card?", "topic": "ATM access"}),
                json.dumps({"text": "How do I change my PIN?", "topic": "change PIN"}),
                json.dumps({"text": "@Pharma you gave me the wrong pills and I took them", "critical": True}),
                json.dumps({"text": "@Pharma the app is slow", "critical": False}),
            ]
        )
    )
    report = evaluate(classifier, data, settings=bank)
    assert report["topic"]["n"] == 2 and report["critical"]["n"] == 2
    assert report["topic"]["confusion"]["ATM access"] == {"ATM access": 1}
    assert set(report["topic_baselines"]) == {"tfidf-prototype", "frozen-minilm-prototype"}
    assert set(report["critical_baselines"]) == {"tfidf-logreg", "frozen-minilm-logreg", "keyword-signals-only"}


def test_topics_check_finds_overlap_confusable_examples_and_thin_topics(classifier):
    topics = [
        TopicSettings(name="refunds", description="Getting money back", examples=["I want my money back", "refund me"]),
        TopicSettings(
            name="money back",
            description="Getting a refund",
            examples=["give me a refund", "I want my money back now", "refund please"],
        ),
        TopicSettings(name="delivery", examples=["my parcel is late", "where is my order", "I want my money back"]),
    ]
    messages = [f"{f.topic}: {f.message}" for f in check_taxonomy(topics, classifier.embed)]
    assert any(m.startswith("refunds: only 2 examples") for m in messages)
    assert any("overlaps 'money back'" in m for m in messages)
    assert any(m.startswith("delivery: example 'I want my money back' is nearer") for m in messages)


def test_the_shipped_taxonomy_reads_the_same_from_the_config_file():
    assert read_taxonomy(REPO / "config.yaml") == load_config(REPO / "config.yaml").classifier.topics


def test_topics_check_command_lists_findings_and_fails(tmp_path):
    from typer.testing import CliRunner

    from bot.cli.main import app

    taxonomy = tmp_path / "topics.yaml"
    taxonomy.write_text("- name: refunds\n  examples: [refund me]\n- name: delivery\n  examples: [late parcel]\n")
    result = CliRunner().invoke(
        app, ["topics", "check", "--topics", str(taxonomy), "--config", str(REPO / "config.yaml")]
    )
    assert result.exit_code == 1
    assert "refunds: only 1 examples (give at least 3)" in result.output
    assert "2 topics, 2 findings" in result.output
