"""The tuned adapters on e5's top layers: how they are trained (on a tiny encoder), stored and built in."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from bot.core.errors import ModelError
from classifiers.encoder import mean_pool
from classifiers.lora import adapter_state, add_adapters
from classifiers.multilingual import build, tune
from classifiers.multilingual.weights import read_adapters


@pytest.fixture
def tiny() -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=50, hidden_size=384, num_hidden_layers=3, num_attention_heads=4, intermediate_size=64
    )
    return BertModel(config, add_pooling_layer=False).eval()


def test_the_top_layers_over_stored_lower_states_give_the_whole_encoders_embedding(tiny):
    ids = [[0, 5, 9, 2], [0, 7, 2], [0, 11, 12, 13, 14, 2]]
    states = tune.lower_states(tiny, ids, start=2)
    assert [len(s) for s in states] == [4, 3, 6]  # unpadded, each its own length
    hidden, mask = tune.stacked(states, [0, 1, 2])
    with torch.no_grad():
        split = tune.Upper(tiny, start=2).embed(hidden, mask)
        padded, whole_mask = tune.padded(ids)
        whole = tiny(input_ids=padded, attention_mask=whole_mask).last_hidden_state
        expected = torch.nn.functional.normalize(mean_pool(whole, whole_mask), dim=-1)
    assert torch.allclose(split, expected, atol=2e-3)  # the lower states are kept in fp16


def test_batches_hold_every_text_once_and_texts_of_like_length_together():
    rng = random.Random(0)
    lengths = [rng.randint(3, 90) for _ in range(5000)]
    cut = tune.batches(lengths, random.Random(1))
    assert sorted(i for batch in cut for i in batch) == list(range(5000))
    spread = np.median([max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in cut])
    assert spread < 10  # of lengths spread over 87


def test_adapters_written_by_the_tuner_merge_into_the_plain_encoder(tiny, tmp_path):
    ids, mask = tune.padded([[0, 5, 9, 2], [0, 7, 2]])
    adapted = BertModel(tiny.config, add_pooling_layer=False).eval()
    adapted.load_state_dict(tiny.state_dict())
    add_adapters(adapted.encoder.layer[2], rank=4, alpha=8.0)
    with torch.no_grad():
        for name, parameter in adapted.named_parameters():
            if "lora_b" in name:
                parameter.normal_()
        expected = adapted(input_ids=ids, attention_mask=mask).last_hidden_state
    stored = tmp_path / "adapters.npz"
    np.savez_compressed(stored, **{k: v.numpy() for k, v in adapter_state(adapted).items()})
    state = read_adapters(stored)
    assert all(key.startswith("encoder.layer.2.") for key in state)
    build.merge_adapters(tiny, state)
    with torch.no_grad():
        assert torch.allclose(tiny(input_ids=ids, attention_mask=mask).last_hidden_state, expected, atol=1e-4)


def test_a_built_encoder_is_stale_once_its_adapters_change(tmp_path, monkeypatch):
    adapters = tmp_path / "adapters.npz"
    np.savez_compressed(adapters, a=np.zeros(3))
    monkeypatch.setattr(build, "ADAPTERS", adapters)
    before = build.stamp()
    (tmp_path / build.STAMP).write_text(json.dumps(before), encoding="utf-8")
    assert build.is_built(tmp_path)
    np.savez_compressed(adapters, a=np.ones(3))
    assert build.stamp()["adapters"] != before["adapters"]
    assert not build.is_built(tmp_path)


def test_corrupt_adapters_name_the_file_and_how_to_rebuild(tmp_path):
    broken = tmp_path / "adapters.npz"
    broken.write_bytes(b"not an archive")
    with pytest.raises(ModelError, match=r"adapters corrupt: .*adapters.npz.*make install"):
        read_adapters(broken)


def test_head_targets_mix_a_tweets_own_complaint_label_and_take_written_lines_labels():
    from classifiers.heads.complaint import ComplaintHead
    from classifiers.multilingual.distil import LINE_WEIGHT, head_targets

    teacher = np.array([[0.8, 0.2], [0.3, 0.7]])
    lines = [{"text": "x", "complaint": True}, {"text": "y", "harm": False}]
    targets, weights = head_targets(ComplaintHead, teacher, np.array([1, -1]), np.array([1.0, 0.1]), lines)
    assert targets[0] == pytest.approx([0.4, 0.6])  # half the teacher's view, half the tweet's own label
    assert targets[1] == pytest.approx([0.3, 0.7])  # no label: the teacher alone
    assert targets[2] == pytest.approx([0.0, 1.0]) and weights.tolist() == [1.0, 0.1, LINE_WEIGHT, 0.0]


@pytest.mark.model
@pytest.mark.skipif(not build.is_built(), reason="the multilingual encoder is not built (make install)")
def test_a_build_from_the_pinned_wheels_and_adapters_reads_as_the_installed_encoder(tmp_path):
    from classifiers.multilingual.encoder import E5Encoder

    folder = build.build(tmp_path / "e5")
    assert build.is_built(folder) and json.loads((folder / build.STAMP).read_text())["adapters"]
    texts = ["@TrenCosta 40 min parados sin aire", "the charger melted on my nightstand", "Danke!"]
    rebuilt, installed = E5Encoder(1, folder).encode(texts, 8), E5Encoder(1).encode(texts, 8)
    assert np.allclose((rebuilt * installed).sum(axis=1), 1.0, atol=1e-4)


def test_cached_arrays_are_computed_once_per_key(tmp_path):
    from classifiers.multilingual.distil import cached

    calls = []

    def compute() -> dict[str, np.ndarray]:
        calls.append(1)
        return {"e5": np.arange(3.0)}

    first = cached(tmp_path, "e5", ["built", ["a text"]], compute)
    again = cached(tmp_path, "e5", ["built", ["a text"]], compute)
    assert len(calls) == 1 and np.array_equal(first["e5"], again["e5"])
    cached(tmp_path, "e5", ["rebuilt", ["a text"]], compute)  # another encoder: computed again
    cached(None, "e5", ["built", ["a text"]], compute)  # no cache folder: always computed
    assert len(calls) == 3


@pytest.mark.slow  # reads every shipped training file (about 9 s)
def test_the_corpus_lines_up_every_taught_row_with_its_original_truth_weight_and_harm_verdict():
    from classifiers.multilingual.distil import TRANSLATION_WEIGHT, corpus

    texts = corpus()
    taught = len(texts.taught)
    assert taught == len(texts.originals) == len(texts.truth) == len(texts.weight)
    assert texts.taught[: len(texts.english)] == texts.originals[: len(texts.english)]
    translated = texts.weight[len(texts.english) :]
    assert len(translated) and (translated == TRANSLATION_WEIGHT).all()
    assert len(texts.harm.texts) == len(texts.harm_rows) and texts.harm_rows.max() < taught
    assert [texts.taught[i] for i in texts.harm_rows] == texts.harm.texts  # each verdict on its own row
    assert set(np.unique(texts.truth)) == {-1, 0, 1} and texts.lines


def test_training_the_adapters_lowers_the_loss_and_touches_only_the_top_layers(tiny):
    from classifiers.heads import trained_heads
    from classifiers.multilingual.distil import Corpus
    from classifiers.safety import HarmExamples

    english = ["the charger melted", "thanks, all good", "where is my refund", "lovely day"]
    texts = Corpus(
        english=english,
        translations=[{"kind": "tweet", "en": "where is my refund", "text": "¿dónde está mi reembolso?"}],
        lines=[{"text": "el cargador se quemó", "harm": True, "complaint": True, "sentiment": "negative"}],
        truth=np.array([1, 0, 1, -1, -1]),
        weight=np.array([1.0, 1.0, 1.0, 1.0, 0.1]),
        harm=HarmExamples(texts=english[:2], labels=[1, 0], groups=["harm", "safe"]),
        harm_rows=np.array([0, 1]),
    )
    rng = np.random.default_rng(0)
    balanced = {h.name: rng.dirichlet(np.ones(len(h.classes)), size=5) for h in trained_heads()}
    meaning = rng.normal(size=(5, 384))
    targets = tune.Targets(texts, balanced, meaning / np.linalg.norm(meaning, axis=1, keepdims=True))
    assert targets.harm.tolist() == [1, 0, 0, 0, 0, 1] and targets.harm_weight.tolist() == [1, 1, 0, 0, 0, 1]
    assert targets.meaning_weight.tolist() == [1, 1, 1, 1, 1, 0]  # a written line has no original to land on
    ids = [[0, 5 + i, 9, 2] for i in range(6)]
    before = {k: v.clone() for k, v in tiny.state_dict().items()}
    losses = tune.train(tiny, 2, tune.lower_states(tiny, ids, 2), targets, epochs=15, seed=0)
    assert losses[-1] < 0.7 * losses[0]  # soft targets keep some loss; 7.3 -> 4.1 here
    state = adapter_state(tiny)
    assert state and all(key.startswith("encoder.layer.2.") for key in state)
    after = tiny.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k in after)  # the base weights stay as they were
