"""Posts in other languages: routed to the multilingual encoder, judged with heads distilled from the English model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.core.errors import ModelError
from classifiers.artifacts import DEFAULT_DIR
from classifiers.evaluate import post_from_text
from classifiers.multilingual.build import CACHE_DIR, GRAPH, STAMP, is_built
from classifiers.multilingual.encoder import E5Encoder
from classifiers.multilingual.heads import HEADS_FILE, DistilledHeads
from classifiers.safety import HANDLES
from classifiers.settings import ClassifierSettings

pytestmark = pytest.mark.model

needs_encoder = pytest.mark.skipif(not is_built(), reason="the multilingual encoder is not built (make install)")


def test_languages_default_routes_the_large_european_languages_and_not_english():
    settings = ClassifierSettings()
    assert settings.languages[0] == "en"
    assert {"es", "pt", "fr", "de", "it"} <= set(settings.multilingual)
    assert "en" not in settings.multilingual
    assert ClassifierSettings(languages=["en"]).multilingual == ()


@pytest.mark.parametrize(("codes", "message"), [(["en", "xx"], "unknown language 'xx'"), (["en", "es", "es"], "twice")])
def test_languages_must_be_known_codes_listed_once(codes, message):
    with pytest.raises(ValidationError, match=message):
        ClassifierSettings(languages=codes)


def test_missing_multilingual_heads_name_the_file_and_how_to_refit(tmp_path):
    with pytest.raises(ModelError, match=rf"{HEADS_FILE}.*classifiers.multilingual.distil"):
        DistilledHeads.load(tmp_path / HEADS_FILE)


def test_missing_or_corrupt_encoder_names_the_file_and_how_to_rebuild(tmp_path):
    with pytest.raises(ModelError, match=rf"{GRAPH}.*make install"):
        E5Encoder(threads=1, folder=tmp_path)
    if not is_built():
        pytest.skip("the multilingual encoder is not built (make install)")
    for name in ("tokenizer.json", "tokenizer_config.json", "config.json", STAMP):
        shutil.copy(CACHE_DIR / name, tmp_path / name)
    (tmp_path / GRAPH).write_bytes(b"not a graph")
    with pytest.raises(ModelError, match=rf"corrupt: .*{GRAPH}.*make install"):
        E5Encoder(threads=1, folder=tmp_path)


@pytest.fixture(scope="module")
def classifier():
    from classifiers.transformer import TransformerClassifier

    return TransformerClassifier(ClassifierSettings(), DEFAULT_DIR)


@needs_encoder
def test_spanish_and_italian_safety_posts_are_critical_and_benign_ones_are_not(classifier):
    posts = [
        "La batería del patinete eléctrico se ha hinchado y está echando humo en el salón, mi hijo dormía al lado",
        "Il seggiolino auto si è sganciato in autostrada con mia figlia dentro, per fortuna non si è fatta male",
        "¿Abrís la tienda del centro el sábado por la tarde?",
        "Grazie mille per il rimborso veloce, servizio impeccabile",
    ]
    labels = classifier.classify([post_from_text(t, i) for i, t in enumerate(posts)])
    assert [label.language for label in labels] == ["es", "it", "es", "it"]
    assert [label.urgency for label in labels[:2]] == ["critical", "critical"]
    assert all(label.urgency in ("low", "medium") for label in labels[2:])  # no page, no escalation
    assert not labels[3].complaint  # thanks


@needs_encoder
def test_english_posts_never_take_the_multilingual_path(classifier, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an English post reached the multilingual encoder")

    monkeypatch.setattr(classifier.multilingual, "read", refuse)
    texts = ["@help my charger melted and burned the carpet", "What time do you open on Sunday?"]
    labels = classifier.classify([post_from_text(t, i) for i, t in enumerate(texts)])
    assert [label.language for label in labels] == ["en", "en"]
    assert classifier.routed(["en", "es", "ja", "xx"]) == [1, 2]


def test_written_lines_are_labelled_and_in_the_languages_they_claim():
    rows = [
        json.loads(line)
        for line in (Path(__file__).resolve().parents[2] / "classifiers/multilingual/lines.jsonl")
        .read_text()
        .splitlines()
    ]
    assert {r["lang"] for r in rows} == {"es", "pt", "fr", "de", "it", "nl", "pl"}
    assert all(r["complaint"] for r in rows if r["harm"])
    assert all(r["sentiment"] in ("negative", "neutral", "positive") for r in rows)


def test_each_translation_carries_its_english_original_and_what_teaches_it():
    from classifiers.multilingual.distil import read_translations

    rows = read_translations()
    assert {r["lang"] for r in rows} == {"es", "pt", "fr", "de", "it", "nl", "pl"}
    assert all(r["text"].strip() and r["en"].strip() for r in rows)
    assert all(("harm" in r) == (r["kind"] in ("harm", "safe")) for r in rows)
    assert all(("complaint" in r) == (r["kind"] == "tweet") for r in rows)
    assert all(r["harm"] == (r["kind"] == "harm") for r in rows if "harm" in r)
    # a written line also appears as a tweet to a brand ("@help ..."), as the English harm lines do
    restyled = [r for r in rows if r["kind"] == "harm" and r["text"].startswith("@") and not r["en"].startswith("@")]
    assert restyled and all(r["text"].split()[0] in HANDLES for r in restyled)


def test_weights_without_distilled_heads_read_every_post_in_english(tmp_path, caplog):
    from classifiers.transformer import load_multilingual

    with caplog.at_level("WARNING", logger="classifiers.transformer"):
        assert load_multilingual(tmp_path, ClassifierSettings()) is None
    assert any(HEADS_FILE in r.getMessage() and "English model" in r.getMessage() for r in caplog.records)
