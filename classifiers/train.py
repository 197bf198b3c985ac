"""`earshot train`: multi-task fine-tuning of MiniLM, then calibration, then the artifacts."""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from classifiers import artifacts
from classifiers.calibration import expected_calibration_error, fit_temperature, softmax
from classifiers.data import SENTIMENTS, Example, Splits, load_splits, normalise_text
from classifiers.encoder import MultiTaskModel, load_base_encoder, load_tokenizer
from classifiers.delta import int8_delta
from classifiers.lora import add_adapters, adapter_state
from classifiers.metrics import head_metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class TrainOptions:
    """Hyper-parameters of `earshot train`; the defaults reproduce the shipped model."""

    seed: int = 42
    method: str = "full"  # "full": every encoder layer, shipped as an int8 delta; "lora": adapters only
    epochs: int = 3
    complaint_passes: int = 2  # passes over the complaint data per epoch (it is small and matters most)
    batch_size: int = 32
    max_length: int = 64
    lora_rank: int = 16
    lora_alpha: float = 32.0
    lr_encoder: float = 5e-5  # 8e-4 suits "lora"
    lr_heads: float = 1e-3
    sentiment_per_epoch: int = 6000
    threads: int = 2


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _batches(examples: list[Example], size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffle, then sort within windows of 8 batches by length so padding stays short."""
    items = examples[:]
    rng.shuffle(items)
    window = size * 8
    batches = []
    for start in range(0, len(items), window):
        chunk = sorted(items[start:start + window], key=lambda e: len(e.text))
        batches += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    return batches


def _class_weights(labels: list[int], n: int) -> torch.Tensor:
    counts = np.bincount(labels, minlength=n).astype(np.float64)
    weights = counts.sum() / (n * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)


class Trainer:
    """Owns the model, the tokenizer and the optimiser for one training run."""

    def __init__(self, options: TrainOptions) -> None:
        self.options = options
        self.tokenizer = load_tokenizer()
        encoder = load_base_encoder()
        self.base_state = {k: v.detach().clone() for k, v in encoder.state_dict().items()}
        for name, parameter in encoder.named_parameters():
            parameter.requires_grad = options.method == "full" and name.startswith("encoder.")
        if options.method == "lora":
            add_adapters(encoder, options.lora_rank, options.lora_alpha)
            for name, parameter in encoder.named_parameters():
                parameter.requires_grad = "lora_" in name or "LayerNorm" in name
        self.model = MultiTaskModel(encoder)

    def encoder_tensors(self) -> dict[str, torch.Tensor]:
        """What to ship for the encoder: LoRA matrices and LayerNorms, or the int8 delta."""
        if self.options.method == "lora":
            tensors = {f"adapter.{k}": v for k, v in adapter_state(self.model.encoder).items()}
            for name, value in self.model.encoder.state_dict().items():
                if "LayerNorm" in name:
                    tensors[f"norm.{name}"] = value.detach().clone()
            return tensors
        return {f"delta.{k}": v for k, v in int8_delta(self.base_state, self.model.encoder).items()}

    def tokens(self, texts: list[str]) -> dict[str, torch.Tensor]:
        """Tokenise with dynamic padding."""
        encoded = self.tokenizer([normalise_text(t) for t in texts], padding=True, truncation=True,
                                 max_length=self.options.max_length, return_tensors="pt")
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}

    def fit(self, splits: Splits) -> None:
        """Train every head on interleaved complaint and sentiment batches."""
        o, rng = self.options, random.Random(self.options.seed)
        sentiment_weights = _class_weights(
            [SENTIMENTS.index(e.sentiment) for e in splits.sentiment_train], 3)
        losses = {"complaint": nn.CrossEntropyLoss(), "severity": nn.CrossEntropyLoss(),
                  "sentiment": nn.CrossEntropyLoss(weight=sentiment_weights)}
        plan = []
        for _ in range(o.epochs):
            sentiment = rng.sample(splits.sentiment_train, o.sentiment_per_epoch)
            epoch = _batches(sentiment, o.batch_size, rng)
            for _ in range(o.complaint_passes):
                epoch += _batches(splits.complaints_train, o.batch_size, rng)
            rng.shuffle(epoch)
            plan.append(epoch)
        steps = sum(len(e) for e in plan)
        adapters = [p for n, p in self.model.named_parameters() if p.requires_grad and not n.startswith("heads")]
        optimiser = torch.optim.AdamW([
            {"params": adapters, "lr": o.lr_encoder},
            {"params": self.model.heads.parameters(), "lr": o.lr_heads}], weight_decay=0.01)
        warmup = max(1, steps // 16)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup))))
        self.model.train()
        step, started = 0, time.monotonic()
        for epoch in plan:
            for batch in epoch:
                _, logits = self.model(**self.tokens([e.text for e in batch]))
                loss = torch.zeros(())
                for head, weight in (("complaint", 1.0), ("severity", 0.5), ("sentiment", 1.0)):
                    keep = [i for i, e in enumerate(batch) if getattr(e, head) is not None]
                    if keep:
                        target = torch.tensor([_target(head, batch[i]) for i in keep])
                        loss = loss + weight * losses[head](logits[head][keep], target)
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                step += 1
                if step % 20 == 0 or step == steps:
                    log.info("step %d/%d loss %.3f %.0fs", step, steps, loss.item(), time.monotonic() - started)

    @torch.no_grad()
    def logits(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Logits of every head for `texts`, in order."""
        self.model.eval()
        out: dict[str, list[np.ndarray]] = {name: [] for name in self.model.heads}
        for start in range(0, len(texts), 128):
            _, logits = self.model(**self.tokens(texts[start:start + 128]))
            for name, values in logits.items():
                out[name].append(values.numpy())
        return {name: np.concatenate(values) for name, values in out.items()}


def _target(head: str, example: Example) -> int:
    value = getattr(example, head)
    return SENTIMENTS.index(value) if head == "sentiment" else int(value)


def _calibrate(logits: np.ndarray, labels: np.ndarray) -> tuple[float, dict[str, float]]:
    """Fit the temperature on even rows, report ECE before/after on odd rows."""
    fit, check = slice(0, None, 2), slice(1, None, 2)
    temperature = fit_temperature(logits[fit], labels[fit])
    return temperature, {
        "temperature": round(temperature, 4),
        "ece_before": round(expected_calibration_error(softmax(logits[check]), labels[check]), 4),
        "ece_after": round(expected_calibration_error(softmax(logits[check], temperature), labels[check]), 4),
    }


def train(data_dir: Path, out_dir: Path, options: TrainOptions = TrainOptions()) -> dict:
    """Train, calibrate and write the artifacts; return the held-out report."""
    torch.set_num_threads(options.threads)
    _seed_everything(options.seed)
    splits = load_splits(data_dir)
    trainer = Trainer(options)
    started = time.monotonic()
    trainer.fit(splits)
    minutes = (time.monotonic() - started) / 60
    c_texts = [e.text for e in splits.complaints_test]
    s_texts = [e.text for e in splits.sentiment_test]
    c_logits, s_logits = trainer.logits(c_texts), trainer.logits(s_texts)
    temperatures, report = {}, {"train_minutes": round(minutes, 1), "options": options.__dict__}
    for head, logits, examples in (("complaint", c_logits["complaint"], splits.complaints_test),
                                   ("severity", c_logits["severity"], splits.complaints_test),
                                   ("sentiment", s_logits["sentiment"], splits.sentiment_test)):
        labels = np.array([_target(head, e) for e in examples])
        temperatures[head], report[f"{head}_calibration"] = _calibrate(logits, labels)
        report[f"{head}_heldout"] = head_metrics(head, labels.tolist(), logits.argmax(1).tolist())
    c_sent = np.array([_target("sentiment", e) for e in splits.complaints_test])
    report["sentiment_on_complaints_heldout"] = head_metrics(
        "sentiment", c_sent.tolist(), c_logits["sentiment"].argmax(1).tolist())
    artifacts.save(out_dir, trainer.model, trainer.encoder_tensors(), temperatures, options, report)
    log.info("report %s", json.dumps(report))
    return report
