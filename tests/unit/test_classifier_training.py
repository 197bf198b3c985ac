"""`earshot train` end to end on a few dozen posts, and the LoRA adapters it can ship instead."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from typer.testing import CliRunner

from bot.app.config import load_config
from bot.cli.main import app
from classifiers.artifacts import MANIFEST, WEIGHTS, read_manifest
from classifiers.evaluate import post_from_text
from classifiers.heads import trained_heads
from classifiers.lora import LoRALinear, adapter_state, add_adapters, merge_adapters
from classifiers.runtime import GRAPH
from classifiers.train import TrainOptions, train
from classifiers.transformer import TransformerClassifier

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "data" / "labelled"


def _first(path: Path, key: str, per_class: int) -> list[str]:
    """The first `per_class` lines of each class of `key`: a tiny, balanced labelled file."""
    taken: dict[object, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        value = json.loads(line)[key]
        if len(taken.setdefault(value, [])) < per_class:
            taken[value].append(line)
    return [line for lines in taken.values() for line in lines]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config beside data/labelled/ holding 40 complaint tweets and 30 sentiment tweets."""
    root = tmp_path_factory.mktemp("tiny")
    data = root / "data" / "labelled"
    data.mkdir(parents=True)
    (data / "complaints.jsonl").write_text("\n".join(_first(SHIPPED / "complaints.jsonl", "complaint", 20)) + "\n")
    (data / "sentiment.jsonl").write_text("\n".join(_first(SHIPPED / "sentiment.jsonl", "sentiment", 10)) + "\n")
    shutil.copy(REPO / "config.yaml", root / "config.yaml")
    return root


def test_earshot_train_writes_artifacts_that_load_and_classify(tiny_data: Path, tmp_path: Path, caplog) -> None:
    out = tmp_path / "artifacts"
    result = CliRunner().invoke(
        app, ["train", "--config", str(tiny_data / "config.yaml"), "--out", str(out), "--epochs", "1"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["report"]
    assert json.dumps(report) in result.output  # the command prints the report model.json keeps
    assert report["complaint_heldout"]["n"] == 8  # a stratified 20% of the 40 complaint tweets
    assert report["sentiment_heldout"]["n"] == 15  # at most half of a file is held out
    assert "macro_recall" in report["sentiment_on_complaints_heldout"]
    assert (out / WEIGHTS).is_file() and (out / MANIFEST).is_file() and (out / GRAPH).is_file()
    manifest = read_manifest(out)
    assert set(manifest.scalings) == {head.name for head in trained_heads()}
    balanced = {head.name for head in trained_heads() if head.balanced}
    assert {name for name, scaling in manifest.scalings.items() if scaling.bias} == balanced  # only they get a bias
    assert manifest.version.startswith("minilm-l6-full-")
    with np.load(out / "harm.npz", allow_pickle=False) as harm:  # the harm model, fitted on these weights
        assert str(harm["fitted_on"]).startswith(f"weights {manifest.version.removeprefix('minilm-l6-full-')},")

    settings = load_config(tiny_data / "config.yaml").classifier
    with caplog.at_level("WARNING", logger="classifiers.runtime"):
        classifier = TransformerClassifier(settings, out)
    assert not [r for r in caplog.records if r.name == "classifiers.runtime"]  # train wrote the graph that loads
    texts = ["the app is broken again and nobody answers", "love the car", "my kids were sweating in the back"]
    labels = classifier.classify([post_from_text(t, i) for i, t in enumerate(texts)])
    assert [label.model_version for label in labels] == [classifier.version] * 3
    assert classifier.version == manifest.version + "-int8"
    assert labels[2].urgency == "critical"  # the risk rule holds whatever the tiny model learnt
    assert all(len(label.embedding) == 384 for label in labels)


def test_lora_training_ships_adapters_that_load(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "lora"
    options = TrainOptions(method="lora", epochs=1, lr_encoder=8e-4, lora_rank=4, lora_alpha=8.0)
    report = train(tiny_data / "data" / "labelled", out, options)
    assert report["options"]["method"] == "lora"
    assert read_manifest(out).version.startswith("minilm-l6-lora-")
    settings = load_config(tiny_data / "config.yaml").classifier.model_copy(update={"quantize": False})
    labels = TransformerClassifier(settings, out).classify([post_from_text("where is my refund")])
    assert len(labels) == 1


class _Block(nn.Module):
    """The names of one BERT layer that adapters look for, plus one they must leave alone."""

    def __init__(self) -> None:
        super().__init__()
        self.query, self.key, self.value = nn.Linear(8, 8), nn.Linear(8, 8), nn.Linear(8, 8)
        self.intermediate = nn.Module()
        self.intermediate.dense = nn.Linear(8, 16)
        self.output = nn.Module()
        self.output.dense = nn.Linear(16, 8)
        self.pooler = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mixed = self.query(x) + self.key(x) + self.value(x)
        return self.pooler(self.output.dense(torch.relu(self.intermediate.dense(mixed))))


def _trained_adapters(seed: int = 0) -> tuple[_Block, _Block]:
    """(an untouched block, a copy with adapters whose B is no longer zero)."""
    torch.manual_seed(seed)
    base = _Block()
    adapted = _Block()
    adapted.load_state_dict(base.state_dict())
    add_adapters(adapted, rank=2, alpha=4.0)
    with torch.no_grad():
        for module in adapted.modules():
            if isinstance(module, LoRALinear):
                module.lora_b.normal_()
    return base, adapted


def test_adapters_wrap_only_the_targeted_linears() -> None:
    block = _Block()
    add_adapters(block, rank=2, alpha=4.0)
    wrapped = sorted(name for name, module in block.named_modules() if isinstance(module, LoRALinear))
    assert wrapped == ["intermediate.dense", "key", "output.dense", "query", "value"]
    assert isinstance(block.pooler, nn.Linear)


def test_a_fresh_adapter_changes_nothing() -> None:
    torch.manual_seed(1)
    linear = nn.Linear(8, 4)
    x = torch.randn(3, 8)
    adapter = LoRALinear(linear, rank=2, alpha=4.0)
    assert adapter.scale == 2.0
    assert torch.equal(adapter(x), linear(x))


def test_merged_adapters_give_the_adapted_output() -> None:
    base, adapted = _trained_adapters()
    x = torch.randn(5, 8)
    state = adapter_state(adapted)
    assert len(state) == 10  # lora_a and the scaled lora_b of five Linears
    assert merge_adapters(base, state | {"pooler.weight": torch.zeros(8, 8)}) == 5  # other keys are ignored
    assert torch.allclose(base(x), adapted(x), atol=1e-5)


def test_merging_without_the_scale_would_be_wrong() -> None:
    base, adapted = _trained_adapters()
    x = torch.randn(5, 8)
    unscaled = {
        f"{name}.lora_{part}": getattr(module, f"lora_{part}").detach()
        for name, module in adapted.named_modules()
        if isinstance(module, LoRALinear)
        for part in "ab"
    }
    merge_adapters(base, unscaled)
    assert not torch.allclose(base(x), adapted(x), atol=1e-3)  # adapter_state folds the scale into B
