"""The heads, found here: every module of this folder that defines HEAD is one, in dependency order."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from bot.core.errors import ModelError
from classifiers.heads.base import Head, TrainedHead


@cache
def head_classes() -> tuple[type[Head], ...]:
    """Every head, each after the heads it reads (`after`), otherwise by name."""
    found: dict[str, type[Head]] = {}
    for module in pkgutil.iter_modules(__path__):
        head = getattr(importlib.import_module(f"{__name__}.{module.name}"), "HEAD", None)
        if head is None:
            continue
        if issubclass(head, TrainedHead) and head.label != head.name:
            raise ModelError(f"trained head {head.name} must be labelled under its name, not {head.label!r}")
        found[head.name] = head
    ordered: list[type[Head]] = []
    while len(ordered) < len(found):
        done = {h.name for h in ordered}
        ready = sorted(n for n, h in found.items() if n not in done and set(h.after) <= done)
        if not ready:
            waiting = {n: h.after for n, h in found.items() if n not in done}
            raise ModelError(f"classifier heads wait on missing or circular heads: {waiting}")
        ordered.append(found[ready[0]])
    return tuple(ordered)


def trained_heads() -> tuple[type[TrainedHead], ...]:
    """The heads with a linear layer on the encoder, in order."""
    return tuple(h for h in head_classes() if issubclass(h, TrainedHead))


def labelled_heads() -> tuple[type[Head], ...]:
    """The heads whose labels a labelled line can carry (what evaluate checks), in order."""
    return tuple(h for h in head_classes() if h.label is not None)
