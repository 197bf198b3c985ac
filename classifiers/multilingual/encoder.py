"""The multilingual path: e5 tokens -> int8 graph -> distilled heads and the shared meaning embedding."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.core.errors import ModelError
from classifiers.calibration import Scaling
from classifiers.data import normalise_text
from classifiers.multilingual.build import CACHE_DIR, is_built
from classifiers.multilingual.graph import GRAPH, PREFIX, E5Runner
from classifiers.multilingual.heads import HEADS_FILE, DistilledHeads, Read
from classifiers.passes import in_passes

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

log = logging.getLogger(__name__)
MAX_LENGTH = 96  # e5's pieces are shorter than MiniLM's for most languages: 96 holds what 64 does there
REBUILD = "run `make install` (or `python -m classifiers.multilingual.build`) to rebuild it"


class E5Encoder:
    """multilingual-e5-small as built by `make install`: texts -> normalised sentence embeddings."""

    def __init__(self, threads: int, folder: Path = CACHE_DIR) -> None:
        if not is_built(folder):
            raise ModelError(f"multilingual encoder missing or stale: {folder / GRAPH}; {REBUILD}")
        self.tokenizer = e5_tokenizer(folder / "tokenizer.json")
        self.run = E5Runner(folder / GRAPH, threads)
        log.info("multilingual encoder loaded from %s", folder)

    def encode(self, texts: Sequence[str], most: int) -> np.ndarray:
        """Normalised e5 embeddings ("query: " prefix, mean pooling), in passes of like length."""

        def pad(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
            encoded = self.tokenizer.pad({"input_ids": rows}, return_tensors="np")
            return encoded["input_ids"], encoded["attention_mask"]

        return in_passes(pieces(self.tokenizer, texts), most, pad, self.run)[0]


def e5_tokenizer(path: Path) -> PreTrainedTokenizerFast:
    """XLM-R's tokenizer from its tokenizer.json; ModelError naming the file when it is corrupt."""
    from transformers import PreTrainedTokenizerFast

    try:
        return PreTrainedTokenizerFast(
            tokenizer_file=str(path),
            bos_token="<s>",
            eos_token="</s>",
            unk_token="<unk>",
            pad_token="<pad>",  # XLM-R's: id 1, what the graph was traced with
        )
    except Exception as err:  # tokenizers raises its own exception for a corrupt file
        raise ModelError(f"multilingual tokenizer corrupt: {path}: {err}; {REBUILD}") from err


def pieces(tokenizer: PreTrainedTokenizerFast, texts: Sequence[str]) -> list[list[int]]:
    """Each text's token ids as e5 reads it: normalised, after the "query: " prefix, at most MAX_LENGTH."""
    cleaned = [PREFIX + (normalise_text(t) or ".") for t in texts]
    return tokenizer(cleaned, truncation=True, max_length=MAX_LENGTH)["input_ids"]


class MultilingualEncoder:
    """Reads posts in other languages into what the English heads read: probabilities and meaning embeddings."""

    def __init__(self, art_dir: Path, digest: str, threads: int, folder: Path = CACHE_DIR) -> None:
        self.heads = DistilledHeads.load(art_dir / HEADS_FILE)
        if self.heads.distilled_from != digest:
            log.warning(
                "%s was distilled from other weights (%s, not %s): run `python -m classifiers.multilingual.distil`",
                art_dir / HEADS_FILE,
                self.heads.distilled_from,
                digest,
            )
        self.encoder = E5Encoder(threads, folder)

    def read(self, texts: Sequence[str], scalings: dict[str, Scaling], most: int) -> Read:
        """Calibrated and balanced probabilities per trained head, meaning embeddings and P(harm)."""
        return self.heads.read(self.encoder.encode(texts, most), scalings)
