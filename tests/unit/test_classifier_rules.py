"""The classifier's model-free parts: labels, calibration, urgency rule, topics, language."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.labels import Labels, TopicScore
from classifiers.calibration import Scaling, expected_calibration_error, fit_temperature, softmax
from classifiers.data import Example, normalise_text, stratified_split
from classifiers.heads.language import LanguageDetector
from classifiers.heads.topics import TopicIndex
from classifiers.heads.urgency import RiskSignal, decide_urgency
from classifiers.settings import ClassifierSettings, RiskSignalSettings, TopicSettings

KIDS = (
    "Put the kids in the rear of my in-laws' car & went for a 20 min drive. Air was set as cold as "
    "possible, but the kids were dehydrated & drenched in sweat after the drive. No air circulation "
    "back there. Love the car, but that's dangerous"
)
VEHICLE = RiskSignalSettings(name="vehicle safety", keywords=["caught fire", "airbag*"], topic="safety")
SIGNALS = tuple(RiskSignal.from_settings(s) for s in [*ClassifierSettings().risk_signals, VEHICLE])


def _labels(**changes) -> Labels:
    values = dict(
        complaint=True,
        complaint_score=0.9,
        sentiment="negative",
        sentiment_score=0.8,
        severity=2,
        severity_score=0.7,
        urgency="medium",
    )
    return Labels(**(values | changes))


@pytest.mark.parametrize(
    "changes", [{"complaint_score": 1.2}, {"sentiment_score": -0.1}, {"severity": 5}, {"urgency": "urgent"}]
)
def test_labels_reject_impossible_values(changes):
    with pytest.raises(ValueError):
        _labels(**changes)


def test_topic_score_must_be_a_probability():
    with pytest.raises(ValueError):
        TopicScore(name="safety", score=1.5)


def test_temperature_scaling_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 2000)
    noisy = np.where(rng.random(2000) < 0.7, labels, 1 - labels)  # 70% right...
    logits = np.stack([(noisy == 0) * 6.0, (noisy == 1) * 6.0], axis=1)  # ...but ~100% sure
    temperature = fit_temperature(logits, labels)
    assert temperature > 2
    before = expected_calibration_error(softmax(logits), labels)
    after = expected_calibration_error(softmax(logits, temperature), labels)
    assert after < before / 3


def test_training_reports_calibration_out_of_sample_and_ships_a_temperature_fitted_on_every_row():
    from classifiers.train import _calibrate

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 600)
    noisy = np.where(rng.random(600) < 0.6, labels, rng.integers(0, 3, 600))
    logits = np.eye(3)[noisy] * 5.0 + rng.normal(0, 0.5, (600, 3))  # 73% right, ~97% sure
    scaling, report = _calibrate(logits, labels, bias=False)
    assert scaling == Scaling(fit_temperature(logits, labels))
    assert report["ece_after"] < report["ece_before"] / 3
    # Out of sample: each half is scaled by the other half's temperature, so the figure is not the
    # in-sample ECE of the shipped temperature.
    in_sample = expected_calibration_error(scaling.probs(logits), labels)
    assert report["ece_after"] != round(in_sample, 4)


def test_a_class_bias_calibrates_a_class_weighted_head_where_a_temperature_cannot():
    from classifiers.train import _calibrate

    # Posts x ~ N(1.5 * onehot(label), 1): the true log-odds are 1.5 x plus the log priors. A head
    # trained class-weighted learns 1.5 x alone, as if the classes were equally likely, and says the
    # rare class (a tenth of the rows) far too often.
    rng = np.random.default_rng(2)
    labels = rng.choice(3, 3000, p=[0.6, 0.3, 0.1])
    weighted = 1.5 * (np.eye(3)[labels] * 1.5 + rng.normal(0, 1.0, (3000, 3)))
    temperature_only, plain = _calibrate(weighted, labels, bias=False)
    scaling, report = _calibrate(weighted, labels, bias=True)
    assert report["ece_after"] < plain["ece_after"] / 2
    assert report["ece_after"] < 0.03
    assert scaling.bias[0] > scaling.bias[1] > scaling.bias[2]  # the bias puts the priors back
    assert sum(scaling.bias) == pytest.approx(0, abs=1e-5)
    assert not temperature_only.bias


def test_softmax_rows_sum_to_one():
    assert np.allclose(softmax(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])).sum(axis=1), 1.0)


def _urgency(text="", complaint=False, severity=0, sentiment="neutral", sentiment_score=0.7, harm=0.0, signals=SIGNALS):
    return decide_urgency(
        text=text,
        complaint=complaint,
        severity=severity,
        sentiment=sentiment,
        sentiment_score=sentiment_score,
        signals=signals,
        harm=harm,
    )


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (dict(text="nice car"), "low"),
        (dict(text="my order is late", complaint=True, severity=1), "medium"),
        (dict(text="my order is late", complaint=True, severity=2, sentiment="negative"), "high"),
        (dict(text="you lied to me", complaint=True, severity=4), "high"),
        (dict(text=KIDS, complaint=True, severity=1, sentiment="positive", harm=0.8), "critical"),
        (dict(text="Is it normal that my kids get so hot in the back seat? Thanks!", harm=0.6), "critical"),
        (dict(text="the strap feels a bit flimsy", complaint=True, severity=1, harm=0.12), "high"),
        (dict(text="this burger is fire", sentiment="positive", sentiment_score=0.9, harm=0.7), "low"),
        (dict(text="I'm talking to a lawyer about this", complaint=True, severity=2), "high"),
        (dict(text="Was my personal data leaked?"), "critical"),
        (dict(text="The car caught fire in the garage", complaint=True, severity=1), "critical"),
        (dict(text="Love it, our kids think it's so hot!", sentiment="positive", sentiment_score=0.95), "low"),
        (dict(text="the app keeps crashing", complaint=True, severity=1), "medium"),
    ],
)
def test_urgency_rule(case, expected):
    assert _urgency(**case).level == expected


def test_harm_model_names_itself_as_reason_and_adds_the_safety_topic():
    verdict = _urgency(text=KIDS, complaint=False, sentiment="neutral", harm=0.9)
    assert verdict.level == "critical"
    assert "safety" in verdict.signal_topics
    assert any(reason.startswith("harm model 0.90") for reason in verdict.reasons)


def test_brand_signal_adds_to_the_model_and_an_override_lowers_it():
    added = _urgency(text="my airbag light is on", complaint=True, severity=1, harm=0.1)
    assert added.level == "critical" and any("vehicle safety" in r for r in added.reasons)
    show = RiskSignal.from_settings(
        RiskSignalSettings(name="fireworks show", level="medium", keywords=["fireworks"], override=True)
    )
    lowered = _urgency(text="the fireworks were loud", complaint=True, severity=1, harm=0.7, signals=(show,))
    assert lowered.level == "medium" and any("(override)" in r for r in lowered.reasons)


def _bag_of_words(texts: list[str]) -> np.ndarray:
    vocab = [
        "car",
        "charge",
        "charging",
        "charger",
        "bill",
        "refund",
        "app",
        "update",
        "fire",
        "insurance",
        "premium",
        "policy",
    ]
    rows = np.array([[t.lower().count(w) for w in vocab] for t in texts], dtype=float) + 1e-3
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_new_topic_in_config_needs_no_retraining():
    topics = [
        TopicSettings(name="billing", examples=["refund my bill"]),
        TopicSettings(name="charging", examples=["charger charging charge"]),
    ]
    post = _bag_of_words(["my insurance premium went up, policy renewal"])
    before = TopicIndex(topics, _bag_of_words)
    after = TopicIndex(
        topics + [TopicSettings(name="insurance", description="insurance premium policy")], _bag_of_words
    )
    assert "insurance" not in before.names
    assert after.pick(after.score(post)[0], 0.25, 3)[0].name == "insurance"


def test_topics_are_multi_label_best_first():
    index = TopicIndex(
        [
            TopicSettings(name="billing", examples=["refund bill"]),
            TopicSettings(name="software", examples=["app update"]),
            TopicSettings(name="charging", examples=["charger"]),
        ],
        _bag_of_words,
    )
    picked = index.pick(index.score(_bag_of_words(["refund bill for the app update"]))[0], 0.25, 3)
    assert {t.name for t in picked} == {"billing", "software"}
    assert picked[0].score >= picked[1].score


def test_forced_topic_is_added():
    index = TopicIndex(
        [TopicSettings(name="other", examples=["car"]), TopicSettings(name="safety", examples=["fire"])], _bag_of_words
    )
    picked = index.pick(index.score(_bag_of_words(["car car"]))[0], 0.9, 3, forced=["safety"])
    assert "safety" in [t.name for t in picked]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("@united I need help. But your customer service people are so uncooperative.", "en"),
        ("lol ok", "en"),
        ("Mein Auto ist kaputt und niemand von euch hilft mir", "de"),
    ],
)
def test_language_detection_defaults_short_text_to_english(text, language):
    assert LanguageDetector().detect(text) == language


def test_normalise_text_undoes_escapes_and_links():
    assert normalise_text("a\\u002c b http://t.co/x  c") == "a, b http c"


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("new update 😡😡", "new update enraged face enraged face"),
        ("ok 👍🏽", "ok thumbs up medium skin tone"),
        ("❤️ it", "red heart it"),
        ("escaped \\ud83d\\ude21 pair", "escaped enraged face pair"),
        ("a lone \\ud83d half", "a lone \ufffd half"),  # the tokenizer raised TypeError on a lone surrogate
        ("café :) fine", "café :) fine"),
    ],
)
def test_normalise_text_spells_emoji_out_for_the_encoder(text, normalised):
    assert normalise_text(text) == normalised


def test_stratified_split_keeps_class_shares():
    examples = [Example(text=str(i), labels={"complaint": i % 4 == 0}) for i in range(100)]
    rest, held = stratified_split(examples, "complaint", 0.2)
    assert len(held) == 20 and sum(bool(e.label("complaint")) for e in held) == 5
    assert not {e.text for e in rest} & {e.text for e in held}


def test_importing_the_encoder_turns_hub_access_off():
    import os

    import classifiers.encoder  # noqa: F401

    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


def test_labelled_lines_accept_string_booleans_and_capitalised_sentiment(tmp_path):
    from classifiers.data import read_jsonl

    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "a", "complaint": "true", "sentiment": "Negative"}\n\n{"text": "b"}\n')
    first, second = read_jsonl(path)
    assert first.label("complaint") is True and first.label("sentiment") == "negative"
    assert second.labels == {}


def test_praise_that_mentions_an_accident_is_not_critical():
    verdict = _urgency(
        text="HUGE props! After a total loss of my car in an accident they took care of everything",
        sentiment="positive",
        sentiment_score=0.77,
        harm=0.6,
    )
    assert verdict.level == "low"
    assert "ignored: clearly positive" in verdict.reasons[0]


def test_heads_are_found_in_their_folder_each_after_what_it_reads():
    from classifiers.heads import head_classes, labelled_heads, trained_heads

    names = [head.name for head in head_classes()]
    assert set(names) == {"complaint", "safety", "sentiment", "severity", "urgency", "topics", "language"}
    for position, head in enumerate(head_classes()):
        assert set(head.after) <= set(names[:position]), head.name
    assert [head.name for head in trained_heads()] == ["complaint", "sentiment", "severity"]
    assert [head.label for head in labelled_heads()] == ["complaint", "sentiment", "severity", "critical", "topic"]


def test_review_heads_must_be_trained_heads():
    from bot.core.errors import ConfigError
    from classifiers import load_classifier, problems

    settings = ClassifierSettings(review_heads=["urgency"])  # the section alone imports no head
    message = "classifier.review_heads: unknown head 'urgency'; trained heads: complaint, sentiment, severity"
    assert problems(settings) == [message]
    with pytest.raises(ConfigError, match=message):
        load_classifier(settings)  # refused before any model loads
    assert problems(ClassifierSettings(review_heads=["severity", "complaint"])) == []


def test_complaint_is_the_complaint_head_alone_whatever_the_class_weighted_severity_head_says():
    from classifiers.heads.base import Batch
    from classifiers.heads.complaint import ComplaintHead

    # the severity head, trained class-weighted, puts little mass on grade 0 even for a non-complaint
    probs = {"complaint": np.array([[0.7, 0.3], [0.2, 0.8]]), "severity": np.array([[0.1, 0.3, 0.2, 0.2, 0.2]] * 2)}
    batch = Batch(texts=["nice weather", "refund me"], probs=probs, balanced=probs, embeddings=np.zeros((2, 384)))
    found = ComplaintHead(ClassifierSettings(), lambda texts: np.zeros((len(texts), 384))).read(batch)
    assert [f.complaint for f in found] == [False, True]
    assert [f.complaint_score for f in found] == pytest.approx([0.3, 0.8])
    assert [f.confidence["complaint"] for f in found] == pytest.approx([0.7, 0.8])


def test_class_weighted_heads_decide_class_balanced_and_report_the_calibrated_probability():
    from classifiers.heads.base import Batch
    from classifiers.heads.found import Found
    from classifiers.heads.sentiment import SentimentHead
    from classifiers.heads.severity import SeverityHead

    # calibration's class bias makes "neutral" and grade 1 the most probable; the balanced view decides
    probs = {"sentiment": np.array([[0.3, 0.5, 0.2]]), "severity": np.array([[0.2, 0.4, 0.1, 0.2, 0.1]])}
    balanced = {"sentiment": np.array([[0.5, 0.3, 0.2]]), "severity": np.array([[0.1, 0.2, 0.1, 0.5, 0.1]])}
    batch = Batch(texts=["late again"], probs=probs, balanced=balanced, embeddings=np.zeros((1, 384)))
    batch.merge([Found(complaint=True, complaint_score=0.8)])
    settings, embed = ClassifierSettings(), lambda texts: np.zeros((len(texts), 384))
    batch.merge(SentimentHead(settings, embed).read(batch))
    batch.merge(SeverityHead(settings, embed).read(batch))
    found = batch.found[0]
    assert (found.sentiment, found.sentiment_score) == ("negative", pytest.approx(0.3))
    assert (found.severity, found.severity_score) == (3, pytest.approx(0.2 / 0.8))
    assert found.complaint and set(found.confidence) == {"sentiment", "severity"}


def test_heads_results_merge_into_labels_in_one_place_with_scores_rounded_and_review_from_confidence():
    from bot.core.errors import ModelError
    from classifiers.heads.found import Found

    found = Found(complaint=True, complaint_score=0.81234567, confidence={"complaint": 0.55})
    found = found.merged(Found(sentiment="negative", sentiment_score=1.0000001, confidence={"sentiment": 0.9}))
    found = found.merged(Found(severity=2, severity_score=0.5, urgency="high", urgency_reasons=("severity",)))
    labels = found.labels(review_heads=("complaint",), review_threshold=0.6, model_version="v", embedding=(0.5,))
    assert labels == Labels(
        complaint=True, complaint_score=0.812346, sentiment="negative", sentiment_score=1.0, severity=2,
        severity_score=0.5, urgency="high", urgency_reasons=("severity",), needs_review=True, model_version="v",
        embedding=(0.5,),
    )  # fmt: skip
    unread = Found(complaint=False, complaint_score=0.1, sentiment="neutral", sentiment_score=0.5, severity=0)
    with pytest.raises(ModelError, match="no head read severity_score"):
        unread.labels(review_heads=(), review_threshold=0.6, model_version="", embedding=())
