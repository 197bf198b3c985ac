"""Fine-tuned weights shipped as an int8 difference from the packaged base encoder."""

from __future__ import annotations

import torch
from torch import nn


def int8_delta(base: dict[str, torch.Tensor], tuned: nn.Module) -> dict[str, torch.Tensor]:
    """Per-row int8 (tuned - base) for every 2-D weight that changed; other changed tensors in full."""
    out: dict[str, torch.Tensor] = {}
    for name, value in tuned.state_dict().items():
        original = base.get(name)
        if original is None or torch.equal(original, value):
            continue
        diff = (value - original).float()
        if diff.dim() == 2:
            scale = diff.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127.0
            out[f"{name}.q"] = torch.round(diff / scale).to(torch.int8).contiguous()
            out[f"{name}.scale"] = scale.to(torch.float32).contiguous()
        else:
            out[f"{name}.full"] = value.detach().clone().float().contiguous()
    return out


def apply_delta(model: nn.Module, tensors: dict[str, torch.Tensor]) -> int:
    """Add the int8 differences to `model`'s weights and copy the full tensors; return how many changed."""
    state = model.state_dict()
    changed = 0
    with torch.no_grad():
        for key, value in tensors.items():
            name, _, kind = key.rpartition(".")
            if kind == "q":
                state[name].add_(value.float() * tensors[f"{name}.scale"])
            elif kind == "full":
                state[name].copy_(value)
            else:
                continue
            changed += 1
    return changed
