"""What a head is: one label of a post, read from the encoder's pass, trained or ruled."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from classifiers.heads.found import Found

if TYPE_CHECKING:
    from bot.core.labels import Labels
    from classifiers.settings import ClassifierSettings

Embed = Callable[[list[str]], np.ndarray]  # texts -> L2-normalised rows of the same encoder


@dataclass(frozen=True, kw_only=True)
class LabelledFile:
    """A file of data/labelled/ and how much of it is held out (stratified by one head's label)."""

    name: str  # data/labelled/<name>.jsonl
    stratify: str  # the label whose classes the held-out part keeps in proportion
    held_out: float | int  # a fraction of the file, or a count of lines (at most half the file)
    passes: int = 1  # times the training split is seen per epoch
    sample: int | None = None  # else: a fresh sample of this many training lines per epoch

    def held_out_fraction(self, lines: int) -> float:
        """The share of `lines` to hold out."""
        if isinstance(self.held_out, float):
            return self.held_out
        return min(self.held_out / max(lines, 1), 0.5)


@dataclass
class Batch:
    """One classify call as the heads see it: inputs, and what the heads found so far per post."""

    texts: list[str]
    probs: dict[str, np.ndarray]  # trained head -> calibrated probabilities, one row per post
    # The same before the class bias of its calibration: a class-weighted head's view with every class equally
    # likely, which its decision takes (macro figures); the calibrated probabilities give its confidence.
    balanced: dict[str, np.ndarray]
    embeddings: np.ndarray  # the meaning embeddings (distilled from the frozen encoder), L2-normalised, one per post
    languages: list[str] = field(default_factory=list)  # each post's language, when detected before the encoder ran
    harm: np.ndarray | None = None  # P(harm) the multilingual path found for its posts (NaN for the others)
    found: list[Found] = field(default_factory=list)  # per post: the heads' results merged so far

    def __post_init__(self) -> None:
        self.found.extend(Found() for _ in range(len(self.texts) - len(self.found)))

    def merge(self, results: Sequence[Found]) -> None:
        """Take one head's results (one per post, in order) on top of what earlier heads found."""
        self.found = [before.merged(result) for before, result in zip(self.found, results, strict=True)]


class Head(ABC):
    """One label of a post. A module of classifiers/heads/ defines one and names it HEAD."""

    name: ClassVar[str]
    after: ClassVar[tuple[str, ...]] = ()  # heads whose results this one reads
    label: ClassVar[str | None] = None  # its key in labelled JSON lines, if evaluate can check it

    def __init__(self, settings: ClassifierSettings, embed: Embed) -> None:  # noqa: B027 - most heads need nothing
        """Build what the head needs from its section (compiled rules, prototypes)."""

    @abstractmethod
    def read(self, batch: Batch) -> list[Found]:
        """This head's fields for every post of the batch, in order (earlier heads' are in `batch.found`)."""

    @classmethod
    def parse(cls, value: object, where: str) -> object:
        """The label of a labelled line, checked; `where` names the line for errors."""
        return value

    @classmethod
    def predicted(cls, labels: Labels) -> object:
        """The value of `labels` that compares with this head's labelled value (heads with a `label`)."""
        raise NotImplementedError(f"{cls.__name__} has a label but does not say which field predicts it")


class TrainedHead(Head):
    """A linear layer on the pooled vector, trained on `data` and calibrated on its held-out part."""

    classes: ClassVar[tuple[Any, ...]]  # label values in logit order
    data: ClassVar[LabelledFile]  # the file that trains and calibrates it
    loss_weight: ClassVar[float] = 1.0
    balanced: ClassVar[bool] = False  # class-weighted loss (weights from `data`'s training split)
    recall: ClassVar[bool] = False  # also report macro-recall

    @classmethod
    def target(cls, value: object) -> int:
        """The logit index of a label."""
        return cls.classes.index(value)
