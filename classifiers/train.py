"""`earshot train`: multi-task fine-tuning of MiniLM, then calibration, then the artifacts."""

from __future__ import annotations

import copy
import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bot.core.progress import Progress
from classifiers import artifacts
from classifiers.calibration import Scaling, expected_calibration_error, fit_scaling, softmax
from classifiers.data import FALSE_ALARMS, Example, Splits, labelled_files, load_splits, normalise_text
from classifiers.delta import int8_delta
from classifiers.encoder import MultiTaskModel, load_base_encoder, load_tokenizer, mean_pool
from classifiers.heads import trained_heads
from classifiers.heads.base import TrainedHead
from classifiers.lora import adapter_state, add_adapters
from classifiers.metrics import head_metrics
from classifiers.settings import ClassifierSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class TrainOptions:
    """Hyper-parameters of `earshot train`; the defaults reproduce the shipped model."""

    seed: int = 42
    method: str = "full"  # "full": every encoder layer, shipped as an int8 delta; "lora": adapters only
    epochs: int = 3  # how often each labelled file is used per epoch is the file's (heads/<name>.py)
    batch_size: int = 32
    max_length: int = 64
    lora_rank: int = 16
    lora_alpha: float = 32.0
    lr_encoder: float = 5e-5  # 8e-4 suits "lora"
    lr_heads: float = 1e-3
    distill: float = 10.0  # weight of (1 - cosine) between the meaning embedding and the frozen encoder's
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
        chunk = sorted(items[start : start + window], key=lambda e: len(e.text))
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    return batches


def _class_weights(labels: list[int], n: int) -> torch.Tensor:
    counts = np.bincount(labels, minlength=n).astype(np.float64)
    weights = counts.sum() / (n * np.maximum(counts, 1))
    return torch.tensor(weights, dtype=torch.float32)


def _heads_by_file() -> list[type[TrainedHead]]:
    """The trained heads grouped by the labelled file they learn from (the order losses are summed in)."""
    files = [spec.name for spec in labelled_files()]
    return sorted(trained_heads(), key=lambda head: files.index(head.data.name))


def _targets(head: type[TrainedHead], examples: list[Example]) -> tuple[list[int], list[int]]:
    """(rows that carry the head's label, their logit indices)."""
    rows = [i for i, e in enumerate(examples) if e.label(head.name) is not None]
    return rows, [head.target(examples[i].label(head.name)) for i in rows]


def _loss(head: type[TrainedHead], splits: Splits) -> nn.CrossEntropyLoss:
    if not head.balanced:
        return nn.CrossEntropyLoss()
    _, labels = _targets(head, splits.train[head.data.name])
    return nn.CrossEntropyLoss(weight=_class_weights(labels, len(head.classes)))


class Trainer:
    """Owns the model, the tokenizer and the optimiser for one training run."""

    def __init__(self, options: TrainOptions) -> None:
        self.options = options
        self.tokenizer = load_tokenizer()
        encoder = load_base_encoder()
        self.teacher = copy.deepcopy(encoder).eval().requires_grad_(False)  # the meaning embedding is distilled from it
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
        encoded = self.tokenizer(
            [normalise_text(t) for t in texts],
            padding=True,
            truncation=True,
            max_length=self.options.max_length,
            return_tensors="pt",
        )
        return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}

    def fit(self, splits: Splits) -> None:
        """Train every head on interleaved batches, each batch from one labelled file."""
        o, rng = self.options, random.Random(self.options.seed)
        heads = _heads_by_file()
        losses = {head.name: _loss(head, splits) for head in heads}
        files = sorted(labelled_files(), key=lambda spec: spec.sample is None)  # sampled files draw first
        plan = []
        for _ in range(o.epochs):
            epoch: list[list[Example]] = []
            for spec in files:
                examples = splits.train[spec.name]
                for _ in range(spec.passes):
                    chosen = examples if spec.sample is None else rng.sample(examples, min(spec.sample, len(examples)))
                    epoch += _batches(chosen, o.batch_size, rng)
            rng.shuffle(epoch)
            plan.append(epoch)
        steps = sum(len(e) for e in plan)
        top = [*self.model.heads.parameters(), *self.model.embedding.parameters()]
        adapters = [
            p for n, p in self.model.named_parameters() if p.requires_grad and not n.startswith(("heads", "embedding"))
        ]
        optimiser = torch.optim.AdamW(
            [{"params": adapters, "lr": o.lr_encoder}, {"params": top, "lr": o.lr_heads}], weight_decay=0.01
        )
        warmup = max(1, steps // 16)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
        )
        self.model.train()
        step, started = 0, time.monotonic()
        bar = Progress(steps, "training")
        for epoch in plan:
            for batch in epoch:
                tokens = self.tokens([e.text for e in batch])
                embedded, logits = self.model(**tokens)
                loss = o.distill * self._distance(tokens, embedded)
                for head in heads:
                    keep, targets = _targets(head, batch)
                    if keep:
                        target = torch.tensor(targets)
                        loss = loss + head.loss_weight * losses[head.name](logits[head.name][keep], target)
                loss.backward()
                nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                optimiser.zero_grad()
                step += 1
                bar.advance()
                if step % 20 == 0 or step == steps:
                    log.debug("step %d/%d loss %.3f %.0fs", step, steps, loss.item(), time.monotonic() - started)
        bar.close()

    def _distance(self, tokens: dict[str, torch.Tensor], embedded: torch.Tensor) -> torch.Tensor:
        """Mean (1 - cosine) between the model's meaning embeddings and the frozen encoder's."""
        with torch.no_grad():
            target = mean_pool(self.teacher(**tokens).last_hidden_state, tokens["attention_mask"])
        return (1 - nn.functional.cosine_similarity(embedded, target, dim=1)).mean()

    @torch.no_grad()
    def logits(self, texts: list[str]) -> tuple[dict[str, np.ndarray], float]:
        """Logits of every head for `texts`, in order, and the embeddings' mean cosine to the frozen encoder's."""
        self.model.eval()
        out: dict[str, list[np.ndarray]] = {name: [] for name in self.model.heads}
        distance = 0.0
        for start in range(0, len(texts), 128):
            tokens = self.tokens(texts[start : start + 128])
            embedded, logits = self.model(**tokens)
            distance += self._distance(tokens, embedded).item() * len(embedded)
            for name, values in logits.items():
                out[name].append(values.numpy())
        return {name: np.concatenate(values) for name, values in out.items()}, 1 - distance / max(len(texts), 1)


def _calibrate(logits: np.ndarray, labels: np.ndarray, *, bias: bool) -> tuple[Scaling, dict[str, object]]:
    """Fit the Scaling on every held-out row; report ECE before/after, cross-fitted.

    The ECE after scaling is measured out of sample: a Scaling fitted on the even rows scales the
    odd rows and one fitted on the odd rows the even ones, and ECE is taken over all of them (one
    half alone, a few hundred rows in 15 bins, moves by a point or two with the halving).
    """
    halves = (slice(0, None, 2), slice(1, None, 2))
    crossed = np.zeros(logits.shape, dtype=np.float64)
    for fit, check in (halves, halves[::-1]):
        crossed[check] = fit_scaling(logits[fit], labels[fit], bias=bias).probs(logits[check])
    scaling = fit_scaling(logits, labels, bias=bias)
    return scaling, {
        "temperature": round(scaling.temperature, 4),
        **({"bias": list(scaling.bias)} if scaling.bias else {}),
        "ece_before": round(expected_calibration_error(softmax(logits), labels), 4),
        "ece_after": round(expected_calibration_error(crossed, labels), 4),
    }


def refit_harm(art_dir: Path, alarms: list[str], threads: int) -> None:
    """Store the feed's false alarms beside the weights and fit the harm model with them (harm.npz)."""
    from classifiers.safety import HARM_FILE, write_false_alarms
    from classifiers.transformer import TransformerClassifier

    write_false_alarms(art_dir, alarms)
    (art_dir / HARM_FILE).unlink(missing_ok=True)
    TransformerClassifier(ClassifierSettings(model_dir=str(art_dir), threads=threads))  # the safety head fits, stores
    log.info("harm model fitted beside the weights, with %d false alarms from the feed", len(alarms))


def train(
    data_dir: Path, out_dir: Path, options: TrainOptions = TrainOptions(), extra: dict[str, list[Example]] | None = None
) -> dict:
    """Train, calibrate and write the artifacts; return the held-out report. `extra`: see load_splits."""
    torch.set_num_threads(options.threads)
    _seed_everything(options.seed)
    splits = load_splits(data_dir, extra)
    trainer = Trainer(options)
    started = time.monotonic()
    trainer.fit(splits)
    minutes = (time.monotonic() - started) / 60
    logits, cosines = {}, {}
    for name, examples in splits.test.items():
        logits[name], cosines[f"embedding_cosine_on_{name}_heldout"] = trainer.logits([e.text for e in examples])
    scalings, report = {}, {"train_minutes": round(minutes, 1), "options": options.__dict__}
    report |= {key: round(value, 4) for key, value in cosines.items()}
    for head in _heads_by_file():
        rows, labels = _targets(head, splits.test[head.data.name])
        own = logits[head.data.name][head.name][rows]
        scalings[head.name], report[f"{head.name}_calibration"] = _calibrate(own, np.array(labels), bias=head.balanced)
        report[f"{head.name}_heldout"] = head_metrics(labels, own.argmax(1).tolist(), recall=head.recall)
    for head in _heads_by_file():  # a head on the held-out part of the other files that carry its label
        for name, examples in splits.test.items():
            rows, labels = _targets(head, examples)
            if name != head.data.name and rows:
                report[f"{head.name}_on_{name}_heldout"] = head_metrics(
                    labels, logits[name][head.name][rows].argmax(1).tolist(), recall=head.recall
                )
    artifacts.save(out_dir, trainer.model, trainer.encoder_tensors(), scalings, options, report)
    refit_harm(out_dir, [e.text for e in (extra or {}).get(FALSE_ALARMS, [])], options.threads)
    log.info("report %s", json.dumps(report))
    return report
