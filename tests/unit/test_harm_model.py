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
    """Texts about harm point one way, the rest the other (a stand-in encoder for the fit's plumbing)."""
    rows = np.array([[1.0, 0.0] if "fire" in t else [0.0, 1.0] for t in texts])
    return rows


def _refuse(texts: list[str]) -> np.ndarray:
    raise AssertionError("the stored fit should have been used")


def test_a_false_alarm_from_the_feed_becomes_an_ordinary_post_for_the_harm_model():
    found = corrected_examples([("false_alarm", "critical", "my beer was flat"), ("not_complaint", "", "hi")])
    assert [e.text for e in found[FALSE_ALARMS]] == ["my beer was flat"]
    assert [e.text for e in found["complaints"]] == ["hi"]


def test_the_stored_fit_is_used_while_weights_and_lines_match_and_refitted_when_they_change(tmp_path: Path, caplog):
    examples = HarmExamples(texts=["fire", "fire!", "hello", "hi"], labels=[1, 1, 0, 0], groups=["real"] * 4)
    fitted = HarmModel.fit(_embed, examples)
    key = {"weights": "w1", "lines": lines_digest(tmp_path)}
    fitted.save(tmp_path, key, examples)
    loaded = HarmModel.load(_refuse, tmp_path, "w1", tmp_path)
    assert np.allclose(loaded.score(np.eye(2)), fitted.score(np.eye(2)))
    assert loaded.score(np.array([[1.0, 0.0]]))[0] > 0.5 > loaded.score(np.array([[0.0, 1.0]]))[0]

    write_false_alarms(tmp_path, ["the fries were missing"])  # a false alarm changes what the fit learns from
    assert lines_digest(tmp_path) != key["lines"]
    with pytest.raises(AssertionError, match="stored fit"):
        HarmModel.load(_refuse, tmp_path, "w1", SHIPPED_DATA_DIR)
    assert "fitted on other weights or lines" in caplog.text


def test_the_shipped_fit_belongs_to_the_shipped_weights_and_lines():
    stored = json.loads((DEFAULT_DIR / HARM_FILE).read_text(encoding="utf-8"))
    assert stored["fitted_on"] == {"weights": weights_digest(DEFAULT_DIR / WEIGHTS), "lines": lines_digest(DEFAULT_DIR)}
    assert stored["examples"]["ordinary"] > 10 * stored["examples"]["harm"] > 1000  # real tweets teach ordinary


def test_false_pages_per_thousand_carry_a_wilson_interval():
    figure = per_thousand(3, 552)
    assert figure["per_1000"] == 5.43 and figure["ci95_per_1000"][0] < 5.43 < figure["ci95_per_1000"][1]
    assert per_thousand(0, 2500)["ci95_per_1000"] == [0.0, 1.53]
    assert per_thousand(0, 0)["per_1000"] is None
