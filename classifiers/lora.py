"""Low-rank adapters for the encoder's Linear layers, merged into the weights for inference."""

from __future__ import annotations

import math

import torch
from torch import nn

TARGETS: tuple[str, ...] = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


class LoRALinear(nn.Module):
    """A frozen Linear plus a trainable low-rank update scale * B @ A."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale


def _targets(model: nn.Module) -> list[str]:
    return [name for name, module in model.named_modules() if isinstance(module, nn.Linear) and name.endswith(TARGETS)]


def _set(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, module)


def add_adapters(model: nn.Module, rank: int, alpha: float) -> None:
    """Wrap every targeted Linear of `model` in a LoRALinear (in place)."""
    for name in _targets(model):
        linear = model.get_submodule(name)
        assert isinstance(linear, nn.Linear)
        _set(model, name, LoRALinear(linear, rank, alpha))


def adapter_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The adapter matrices (with their scale folded into B), keyed by the Linear's name."""
    state = {}
    for name, module in model.named_modules():
        if isinstance(module, LoRALinear):
            state[f"{name}.lora_a"] = module.lora_a.detach().clone()
            state[f"{name}.lora_b"] = (module.lora_b.detach() * module.scale).clone()
    return state


def merge_adapters(model: nn.Module, state: dict[str, torch.Tensor]) -> int:
    """Add B @ A into each plain Linear's weight; return how many Linears changed."""
    merged = 0
    with torch.no_grad():
        for key, a in state.items():
            if not key.endswith(".lora_a"):
                continue
            name = key[: -len(".lora_a")]
            linear = model.get_submodule(name)
            assert isinstance(linear, nn.Linear)
            linear.weight += state[f"{name}.lora_b"] @ a
            merged += 1
    return merged
