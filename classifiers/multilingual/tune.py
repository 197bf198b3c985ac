"""Tune e5's top layers to read posts as the English model does: `python -m classifiers.multilingual.tune`.

Low-rank adapters on multilingual-e5's top LAYERS layers learn from the texts the distilled heads learn from
(`distil.corpus()`): for each English text and each translation, what the English model says of the English
text (its class-balanced probabilities per head and its meaning embedding), for the written lines their labels,
and for both the harm verdicts. A translation so learns to land where its original is, and to be judged as it is.
The layers below stay as published, so their output is computed once. Writes `adapters.npz` (about 1 MB), which
`make install` merges into the weights before the int8 graph is made; then refit the heads
(`python -m classifiers.multilingual.distil`). About 20 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import BertModel

from classifiers.artifacts import DEFAULT_DIR
from classifiers.encoder import mean_pool
from classifiers.heads import trained_heads
from classifiers.lora import adapter_state, add_adapters
from classifiers.multilingual.build import base_model
from classifiers.multilingual.distil import Corpus, corpus, head_targets, teacher_view
from classifiers.multilingual.encoder import e5_tokenizer, pieces
from classifiers.multilingual.weights import ADAPTERS, TOKENIZER_FILE

log = logging.getLogger(__name__)
LAYERS = 4  # the top layers that get adapters (of 12)
RANK, ALPHA = 8, 16.0
EPOCHS = 2
BATCH = 32
RATE = 3e-4  # AdamW's learning rate for the adapters; the training heads take ten times it
MEANING_WEIGHT = 5.0  # 1 - cosine is small beside a cross-entropy
SCALE = 20.0  # the training heads read the normalised embedding times this (a unit vector's parts are ~0.05)
SEED = 1


class Targets:
    """What each text should give: soft targets and a weight per head, the meaning embedding, the harm verdict."""

    def __init__(self, texts: Corpus, balanced: dict[str, np.ndarray], meaning: np.ndarray) -> None:
        taught, written = len(texts.taught), len(texts.lines)
        self.soft, self.weight = {}, {}
        for head in trained_heads():
            soft, weight = head_targets(head, balanced[head.name], texts.truth, texts.weight, texts.lines)
            self.soft[head.name], self.weight[head.name] = soft.astype(np.float32), weight.astype(np.float32)
        self.meaning = np.concatenate([meaning, np.zeros((written, meaning.shape[1]))]).astype(np.float32)
        self.meaning_weight = np.r_[np.ones(taught), np.zeros(written)].astype(np.float32)
        self.harm = np.zeros(taught + written, dtype=np.float32)
        self.harm_weight = np.zeros(taught + written, dtype=np.float32)
        self.harm[texts.harm_rows] = texts.harm.labels
        self.harm_weight[texts.harm_rows] = 1.0
        self.harm[taught:] = [float(r["harm"]) for r in texts.lines]
        self.harm_weight[taught:] = 1.0


class Upper(nn.Module):
    """The top layers (with adapters) over stored lower states, pooled and normalised as e5 does, and the training
    heads on that embedding."""

    def __init__(self, model: BertModel, start: int) -> None:
        super().__init__()
        self.model = model
        self.layers = model.encoder.layer[start:]
        self.heads = nn.ModuleDict({h.name: nn.Linear(384, len(h.classes)) for h in trained_heads()})
        self.meaning = nn.Linear(384, 384)
        self.harm = nn.Linear(384, 1)

    def embed(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = through(self.model, self.layers, hidden, mask)
        return nn.functional.normalize(mean_pool(hidden, mask), dim=-1)


def through(model: BertModel, layers: nn.ModuleList, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Token states run through `layers` of `model`, padding masked as the whole model masks it."""
    extended, _ = model._create_attention_masks(
        attention_mask=mask,
        encoder_attention_mask=None,
        embedding_output=hidden,
        encoder_hidden_states=None,
        cache=None,
        position_ids=None,
    )
    for layer in layers:
        hidden = layer(hidden, attention_mask=extended)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden
    return hidden


def lower_states(model: BertModel, ids: list[list[int]], start: int) -> list[np.ndarray]:
    """Each text's token states after the first `start` layers (fp16, unpadded), computed once."""
    states: list[np.ndarray] = [np.zeros(0)] * len(ids)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    began = time.monotonic()
    with torch.no_grad():
        for at in range(0, len(order), 64):
            rows = order[at : at + 64]
            ids_t, mask = padded([ids[i] for i in rows])
            hidden = through(model, model.encoder.layer[:start], model.embeddings(input_ids=ids_t), mask)
            for j, i in enumerate(rows):
                states[i] = hidden[j, : len(ids[i])].numpy().astype(np.float16)
    log.info("lower layers read %d texts in %.0f s", len(ids), time.monotonic() - began)
    return states


def padded(rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids padded with XLM-R's pad id (1), and the mask."""
    width = max(len(r) for r in rows)
    ids = torch.ones((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def stacked(states: list[np.ndarray], rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """The rows' lower states padded into one tensor, and their mask."""
    width = max(len(states[i]) for i in rows)
    hidden = np.zeros((len(rows), width, states[rows[0]].shape[1]), dtype=np.float32)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for j, i in enumerate(rows):
        hidden[j, : len(states[i])] = states[i]
        mask[j, : len(states[i])] = 1
    return torch.from_numpy(hidden), torch.from_numpy(mask)


def batches(lengths: list[int], rng: random.Random) -> list[list[int]]:
    """Shuffled batches of like length: shuffle, sort within runs of 50 batches, cut, shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    cut = []
    for at in range(0, len(order), BATCH * 50):
        run = sorted(order[at : at + BATCH * 50], key=lambda i: lengths[i])
        cut += [run[k : k + BATCH] for k in range(0, len(run), BATCH)]
    rng.shuffle(cut)
    return cut


def loss(upper: Upper, targets: Targets, states: list[np.ndarray], rows: list[int]) -> torch.Tensor:
    """The batch's weighted cross-entropy per head, meaning distance and harm cross-entropy."""
    hidden, mask = stacked(states, rows)
    embedded = upper.embed(hidden, mask)
    total = torch.zeros(())
    for name, head in upper.heads.items():
        logp = nn.functional.log_softmax(head(embedded * SCALE), dim=-1)
        soft = torch.from_numpy(targets.soft[name][rows])
        total = total + (torch.from_numpy(targets.weight[name][rows]) * -(soft * logp).sum(-1)).mean()
    meaning = nn.functional.cosine_similarity(upper.meaning(embedded), torch.from_numpy(targets.meaning[rows]))
    total = total + MEANING_WEIGHT * (torch.from_numpy(targets.meaning_weight[rows]) * (1 - meaning)).mean()
    harm = nn.functional.binary_cross_entropy_with_logits(
        upper.harm(embedded * SCALE)[:, 0], torch.from_numpy(targets.harm[rows]), reduction="none"
    )
    return total + (torch.from_numpy(targets.harm_weight[rows]) * harm).mean()


def train(
    model: BertModel, start: int, states: list[np.ndarray], targets: Targets, epochs: int, seed: int
) -> list[float]:
    """Add adapters to `model`'s layers from `start` and train them (with the training heads) on the stored lower
    states; the mean loss of each epoch."""
    for layer in model.encoder.layer[start:]:
        add_adapters(layer, RANK, ALPHA)
    for name, parameter in model.named_parameters():
        parameter.requires_grad = "lora_" in name
    upper = Upper(model, start)
    adapters = [p for n, p in upper.named_parameters() if "lora_" in n]
    others = [p for n, p in upper.named_parameters() if "lora_" not in n and p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": adapters, "lr": RATE}, {"params": others, "lr": RATE * 10}])
    rng = random.Random(seed)
    lengths = [len(s) for s in states]
    plan = [(epoch, b) for epoch in range(epochs) for b in batches(lengths, rng)]
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, (len(plan) - step) / len(plan) * 2))
    upper.train()
    began, totals, counts = time.monotonic(), [0.0] * epochs, [0] * epochs
    for step, (epoch, rows) in enumerate(plan, 1):
        value = loss(upper, targets, states, rows)
        optimiser.zero_grad()
        value.backward()
        optimiser.step()
        schedule.step()
        totals[epoch] += value.item()
        counts[epoch] += 1
        if step % 100 == 0:
            log.info(
                "step %d of %d, epoch %d's loss so far %.4f, %.0f s",
                step,
                len(plan),
                epoch + 1,
                totals[epoch] / counts[epoch],
                time.monotonic() - began,
            )
    return [total / max(count, 1) for total, count in zip(totals, counts, strict=True)]


def main(argv: list[str] | None = None, art_dir: Path = DEFAULT_DIR) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="a folder to keep the English model's outputs in between runs")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=ADAPTERS)
    parser.add_argument("--seed", type=int, default=SEED, help="the adapters' start and the batches' order")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    texts = corpus()
    balanced, meaning = teacher_view(texts.originals, art_dir, args.cache)
    targets = Targets(texts, balanced, meaning)
    ids = pieces(e5_tokenizer(TOKENIZER_FILE.locate()), texts.taught + [r["text"] for r in texts.lines])
    model = base_model()
    start = model.config.num_hidden_layers - LAYERS
    train(model, start, lower_states(model, ids, start), targets, args.epochs, args.seed)
    state = {name: value.numpy().astype(np.float32) for name, value in adapter_state(model).items()}
    np.savez_compressed(args.out, **state)  # type: ignore[arg-type]  # numpy's stub types **kwds loosely
    print(f"wrote {args.out}: adapters on {len(state) // 2} linears of the top {LAYERS} layers")
    print("now rebuild the encoder (`make install`) and refit the heads (`python -m classifiers.multilingual.distil`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
