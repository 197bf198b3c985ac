"""What the English model's heads and meaning embedding look like from e5: linear maps distilled on the same texts.

`multilingual.npz` beside the weights holds, for each trained head, a linear layer on the e5 embedding whose
softmax reproduces the English model's class-balanced probabilities (its calibration's class bias is then added as
for the English head), and a linear map from e5 embeddings into the meaning-embedding space, so that topics,
relevance, the harm model and incident grouping read one space whatever the language. The fit is keyed by the
digest of the weights it was distilled from (`python -m classifiers.multilingual.distil` writes it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from bot.core.errors import ModelError
from classifiers.calibration import Scaling, softmax
from classifiers.safety import HarmModel

HEADS_FILE = "multilingual.npz"
REFIT = "run `python -m classifiers.multilingual.distil` to refit it"


@dataclass(frozen=True, kw_only=True)
class Read:
    """What the multilingual path found for its posts, one row each."""

    probs: dict[str, np.ndarray]  # trained head -> calibrated probabilities
    balanced: dict[str, np.ndarray]  # the same before the class bias
    embeddings: np.ndarray  # normalised, in the meaning-embedding space
    harm: np.ndarray  # P(a person at risk or hurt), on the English harm model's scale


@dataclass(frozen=True, kw_only=True)
class DistilledHeads:
    """Linear layers on the normalised e5 embedding: one per trained head, one into the meaning space."""

    heads: dict[str, tuple[np.ndarray, np.ndarray]]  # head -> (weights [384, classes], bias [classes])
    to_meaning: tuple[np.ndarray, np.ndarray]  # ([384, 384], [384])
    harm: HarmModel  # the harm model over mapped embeddings: the English lines and tweets, translations, lines.jsonl
    distilled_from: str  # the sha256 prefix of the English weights whose outputs it reproduces

    @classmethod
    def load(cls, path: Path) -> DistilledHeads:
        """The stored fit; ModelError naming the file when it is missing or unreadable."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                names = [str(n) for n in stored["heads"]]
                return cls(
                    heads={n: (stored[f"{n}.weight"], stored[f"{n}.bias"]) for n in names},
                    to_meaning=(stored["meaning.weight"], stored["meaning.bias"]),
                    harm=HarmModel(
                        vectors=stored["harm.vectors"],
                        dual=stored["harm.dual"],
                        **{k: float(stored[f"harm.{k}"]) for k in ("intercept", "gamma", "slope", "offset")},
                    ),
                    distilled_from=str(stored["distilled_from"]),
                )
        except FileNotFoundError as err:
            raise ModelError(f"multilingual heads missing: {path}; {REFIT}") from err
        except (ValueError, KeyError, OSError) as err:
            raise ModelError(f"multilingual heads corrupt: {path}: {err}; {REFIT}") from err

    def save(self, path: Path) -> None:
        """Write the fit (a few hundred KB)."""
        arrays: dict[str, np.ndarray] = {
            f"{n}.{part}": v for n, (w, b) in self.heads.items() for part, v in (("weight", w), ("bias", b))
        }
        arrays |= {"meaning.weight": self.to_meaning[0], "meaning.bias": self.to_meaning[1]}
        arrays |= {f"harm.{k}": np.asarray(v) for k, v in asdict(self.harm).items()}
        arrays |= {"heads": np.array(list(self.heads)), "distilled_from": np.array(self.distilled_from)}
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds loosely

    def logits(self, e5: np.ndarray) -> dict[str, np.ndarray]:
        """Per head, log-probabilities before any class bias (what the English head's logits / temperature are)."""
        return {name: e5 @ weight + bias for name, (weight, bias) in self.heads.items()}

    def read(self, e5: np.ndarray, scalings: dict[str, Scaling]) -> Read:
        """Calibrated and class-balanced probabilities per head, meaning embeddings and P(harm)."""
        probs, balanced = {}, {}
        for name, scores in self.logits(e5).items():
            balanced[name] = softmax(scores)
            shift = scalings[name].bias if name in scalings else ()
            probs[name] = softmax(scores, 1.0, shift) if shift else balanced[name]
        meaning = mapped(e5, self.to_meaning)
        return Read(probs=probs, balanced=balanced, embeddings=meaning, harm=self.harm.score(meaning))


def mapped(e5: np.ndarray, to_meaning: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """e5 embeddings placed in the meaning-embedding space, normalised."""
    weight, offset = to_meaning
    meaning = e5 @ weight + offset
    return meaning / np.maximum(np.linalg.norm(meaning, axis=1, keepdims=True), 1e-9)
