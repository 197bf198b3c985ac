"""The heads, found here: every module of this folder that defines HEAD is one (`bot.core.plugins.discover`), in
dependency order."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache

from bot.core.errors import ModelError
from bot.core.plugins import discover
from classifiers.heads.base import Head, TrainedHead


@cache
def head_classes() -> tuple[type[Head], ...]:
    """Every head, each after the heads it reads (`after`), otherwise by name."""
    found: dict[str, type[Head]] = {}
    for head in discover(sys.modules[__name__], "HEAD").values():
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


def review_problems(review_heads: Sequence[str]) -> list[str]:
    """`classifier.review_heads` names only trained heads: checked where the classifier is built (and by
    `earshot check-config`), not in the config section, which would import every head and its libraries."""
    known = [h.name for h in trained_heads()]
    unknown = [n for n in review_heads if n not in known]
    if unknown:
        return [f"classifier.review_heads: unknown head {unknown[0]!r}; trained heads: {', '.join(known)}"]
    return []
