"""Writing and reading the shipped artifacts: encoder changes (int8 delta or LoRA), heads, calibration."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from bot.core.errors import ModelError
from classifiers.calibration import Scaling
from classifiers.delta import apply_delta
from classifiers.encoder import MultiTaskModel, load_base_encoder
from classifiers.heads import trained_heads
from classifiers.lora import merge_adapters
from classifiers.runtime import Runner, TorchRunner, int8_runner, write_graph

DEFAULT_DIR = Path(__file__).resolve().parent / "artifacts"
WEIGHTS = "weights.safetensors"
MANIFEST = "model.json"


def save(
    out_dir: Path,
    model: MultiTaskModel,
    encoder_tensors: dict[str, torch.Tensor],
    scalings: dict[str, Scaling],
    options: object,
    report: dict,
) -> None:
    """Write the weights that differ from the base encoder, a manifest and the int8 graph beside them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.contiguous() for k, v in encoder_tensors.items()}
    for name, value in model.heads.state_dict().items():
        tensors[f"head.{name}"] = value.detach().clone().contiguous()
    for name, value in model.embedding.state_dict().items():
        tensors[f"embedding.{name}"] = value.detach().clone().contiguous()
    save_file(tensors, str(out_dir / WEIGHTS))
    digest = weights_digest(out_dir / WEIGHTS)
    method = getattr(options, "method", "lora")
    manifest = {
        "version": f"minilm-l6-{method}-{digest}",
        "sha256_prefix": digest,
        "max_length": getattr(options, "max_length", 64),
        "temperatures": {name: scaling.temperature for name, scaling in scalings.items()},
        "biases": {name: list(scaling.bias) for name, scaling in scalings.items() if scaling.bias},
        "options": getattr(options, "__dict__", {}),
        "report": report,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    shipped, _ = load_model(out_dir)  # the graph is exported from the weights as shipped, not as trained
    write_graph(shipped, digest, out_dir)


def weights_digest(path: Path) -> str:
    """The sha256 prefix that names the weights: in the version, and in the int8 graph made from them."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def _strip(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """What model.json says about the weights."""

    version: str
    max_length: int
    scalings: dict[str, Scaling]  # trained head -> its calibration


def _scaling(raw: dict, head: str, classes: int) -> Scaling:
    """A head's calibration from model.json: its temperature, and its class bias if it has one."""
    bias = tuple(float(b) for b in raw.get("biases", {}).get(head, ()))
    if bias and len(bias) != classes:
        raise ValueError(f"{head} has {classes} classes but {len(bias)} biases")
    return Scaling(float(raw["temperatures"][head]), bias)


def read_manifest(art_dir: Path) -> Manifest:
    """Read model.json, raising ModelError when it is missing or malformed."""
    path = art_dir / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(
            version=str(raw["version"]),
            max_length=int(raw["max_length"]),
            scalings={h.name: _scaling(raw, h.name, len(h.classes)) for h in trained_heads()},
        )
    except FileNotFoundError as err:
        raise ModelError(f"classifier artifact missing: {path} (run `earshot train`)") from err
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ModelError(f"classifier artifact corrupt: {path}: {err}") from err


def load_model(art_dir: Path = DEFAULT_DIR) -> tuple[MultiTaskModel, Manifest]:
    """The base encoder with the adapters merged in and the trained heads, in eval mode."""
    manifest = read_manifest(art_dir)
    path = art_dir / WEIGHTS
    if not path.is_file():
        raise ModelError(f"classifier artifact missing: {path} (run `earshot train`)")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise ModelError(f"classifier artifact corrupt: {path}: {err}") from err
    model = MultiTaskModel(load_base_encoder())
    try:
        changed = merge_adapters(model.encoder, _strip(tensors, "adapter."))
        norms = _strip(tensors, "norm.")
        model.encoder.load_state_dict(norms, strict=False)
        changed += apply_delta(model.encoder, _strip(tensors, "delta."))
        model.heads.load_state_dict(_strip(tensors, "head."))
        model.embedding.load_state_dict(_strip(tensors, "embedding."))
    except (RuntimeError, KeyError, AttributeError) as err:
        raise ModelError(f"classifier artifact corrupt: {path}: {err}") from err
    if changed == 0:
        raise ModelError(f"classifier artifact corrupt: {path}: no encoder weights found")
    return model.eval(), manifest


def load_runner(art_dir: Path, *, quantize: bool, threads: int) -> tuple[Runner, Manifest]:
    """How the product runs the shipped model: the int8 graph, or the torch model in fp32.

    The graph must come from the weights beside it (their sha256 prefix is in its metadata); one
    missing or stale (hand-copied weights, a corrupt file) is rebuilt in memory from the weights.
    """
    manifest = read_manifest(art_dir)
    path = art_dir / WEIGHTS
    try:
        digest = weights_digest(path)
    except FileNotFoundError as err:
        raise ModelError(f"classifier artifact missing: {path} (run `earshot train`)") from err
    except OSError as err:
        raise ModelError(f"classifier artifact unreadable: {path}: {err}") from err
    if not quantize:
        return TorchRunner(load_model(art_dir)[0]), manifest
    return int8_runner(art_dir, digest, threads, lambda: load_model(art_dir)[0]), manifest
