"""The harm model's fit: stored beside the weights, refitted when what it learns from changes, false alarms in."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from classifiers.artifacts import DEFAULT_DIR, WEIGHTS, weights_digest
from classifiers.data import FALSE_ALARMS, SHIPPED_DATA_DIR, corrected_examples
from classifiers.pages import per_thousand
from classifiers.safety import HARM_FILE, HarmExamples, HarmModel, lines_digest, write_false_alarms


def _embed(texts: list[str]) -> np.ndarray:
    """Texts about fire point one way, the rest the other, with a little spread (a stand-in encoder)."""
    rows = np.array([[1.0, 0.1 * (i % 3)] if "fire" in t else [0.1 * (i % 3), 1.0] for i, t in enumerate(texts)])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _refuse(texts: list[str]) -> np.ndarray:
    raise AssertionError("the stored fit should have been used")


def test_a_false_alarm_from_the_feed_becomes_an_ordinary_post_for_the_harm_model():
    found = corrected_examples([("false_alarm", "critical", "my beer was flat"), ("not_complaint", "", "hi")])
    assert [e.text for e in found[FALSE_ALARMS]] == ["my beer was flat"]
    assert [e.text for e in found["complaints"]] == ["hi"]


def test_the_stored_fit_is_used_while_weights_and_lines_match_and_refitted_when_they_change(tmp_path: Path, caplog):
    texts = [f"fire {i}" for i in range(10)] + [f"hello {i}" for i in range(10)]
    examples = HarmExamples(texts=texts, labels=[1] * 10 + [0] * 10, groups=["real"] * 20)
    fitted = HarmModel.fit(_embed, examples)
    key = f"weights w1, lines {lines_digest(tmp_path)}"
    fitted.save(tmp_path, key)
    loaded = HarmModel.load(_refuse, tmp_path, "w1", tmp_path)
    probe = _embed(["fire", "hello"])
    assert np.allclose(loaded.score(probe), fitted.score(probe))
    assert loaded.score(probe)[0] > 0.5 > loaded.score(probe)[1]

    write_false_alarms(tmp_path, ["the fries were missing"])  # a false alarm changes what the fit learns from
    assert lines_digest(tmp_path) not in key
    with pytest.raises(AssertionError, match="stored fit"):
        HarmModel.load(_refuse, tmp_path, "w1", SHIPPED_DATA_DIR)
    assert "fitted on other weights or lines" in caplog.text


def test_the_kernel_scores_match_the_fitted_machine():
    from sklearn.svm import SVC

    rows = _embed([f"fire {i}" for i in range(6)] + [f"calm {i}" for i in range(6)])
    machine = SVC(kernel="rbf", gamma="scale").fit(rows, [1] * 6 + [0] * 6)
    model = HarmModel(
        vectors=machine.support_vectors_.astype(np.float32),
        dual=machine.dual_coef_[0],
        intercept=float(machine.intercept_[0]),
        gamma=float(machine._gamma),
        slope=1.0,
        offset=0.0,
    )
    assert np.allclose(model.decision(rows), machine.decision_function(rows), atol=1e-5)


def test_the_shipped_fit_belongs_to_the_shipped_weights_and_lines():
    with np.load(DEFAULT_DIR / HARM_FILE, allow_pickle=False) as stored:
        fitted_on = str(stored["fitted_on"])
    assert fitted_on == f"weights {weights_digest(DEFAULT_DIR / WEIGHTS)}, lines {lines_digest(DEFAULT_DIR)}"


def test_false_pages_per_thousand_carry_a_wilson_interval():
    figure = per_thousand(3, 552)
    assert figure["per_1000"] == 5.43 and figure["ci95_per_1000"][0] < 5.43 < figure["ci95_per_1000"][1]
    assert per_thousand(0, 2500)["ci95_per_1000"] == [0.0, 1.53]
    assert per_thousand(0, 0)["per_1000"] is None


def test_false_pages_are_counted_apart_for_brand_tweets_tweets_to_people_and_general_tweets(tmp_path: Path):
    from classifiers.pages import held_out_texts

    complaints = [
        {"text": f"@brand{i} my order is late", "complaint": True, "severity": 1, "domain": "retail"} for i in range(10)
    ] + [
        {"text": f"@friend{i} see you later", "complaint": False, "severity": 0, "domain": "random_reply"}
        for i in range(10)
    ]
    general = [{"text": f"nice weather {i}", "sentiment": "neutral"} for i in range(20)]
    for name, rows in (("complaints", complaints), ("sentiment", general)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    sets = held_out_texts(tmp_path)
    assert list(sets) == ["brand tweets", "replies and tweets to people", "general tweets"]
    assert sets["brand tweets"] and all(t.startswith("@brand") for t in sets["brand tweets"])
    assert sets["replies and tweets to people"] and all(
        t.startswith("@friend") for t in sets["replies and tweets to people"]
    )
    assert sets["general tweets"] and all(t.startswith("nice weather") for t in sets["general tweets"])


def test_evaluate_takes_a_labelled_file_or_the_false_pages_not_both():
    from typer.testing import CliRunner

    from bot.cli.main import app

    for args in ([], ["--data", "x.jsonl", "--false-pages"]):
        result = CliRunner().invoke(app, ["evaluate", *args])
        assert result.exit_code != 0 and "--false-pages" in result.output, result.output
