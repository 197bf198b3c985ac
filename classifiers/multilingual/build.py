"""Build the multilingual encoder folder from the pinned wheels: `python -m classifiers.multilingual.build`."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from bot.core.errors import ModelError  # noqa: E402
from classifiers.lora import merge_adapters  # noqa: E402
from classifiers.multilingual.graph import GRAPH, export_int8  # noqa: E402
from classifiers.multilingual.weights import ADAPTERS, Q4_FILE, TOKENIZER_FILE, file_digest, read_adapters, read_q4  # noqa: E402

if TYPE_CHECKING:
    from transformers import BertModel

log = logging.getLogger(__name__)
CACHE_DIR = Path(sys.prefix) / "share" / "earshot" / "multilingual-e5-small"  # in the venv, beside the wheels
STAMP = "built-from.json"


def stamp() -> dict[str, str]:
    """What a built folder must have been built from."""
    found = {"weights": Q4_FILE.sha256, "tokenizer": TOKENIZER_FILE.sha256}
    return found | ({"adapters": file_digest(ADAPTERS)} if ADAPTERS.is_file() else {})


def is_built(folder: Path = CACHE_DIR) -> bool:
    """The folder holds a model built from the pinned files."""
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8")) == stamp()
    except (OSError, ValueError):
        return False


def base_model() -> BertModel:
    """The pinned Q4_0 weights dequantised into an fp32 BertModel, as published (no adapters)."""
    import torch
    from transformers import BertConfig, BertModel

    weights = Q4_FILE.locate()
    header, tensors = read_q4(weights)
    config = BertConfig(
        vocab_size=int(header["vocab"]),
        hidden_size=int(header["hidden"]),
        num_hidden_layers=int(header["layers"]),
        num_attention_heads=int(header["heads"]),
        intermediate_size=int(header["ffn"]),
        max_position_embeddings=int(header["positions"]),
        type_vocab_size=int(header["types"]),
        layer_norm_eps=float(header["eps"]),
        hidden_act="gelu",
    )
    model = BertModel(config, add_pooling_layer=False)
    state = {name: torch.from_numpy(values) for name, values in tensors.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ModelError(f"multilingual weights corrupt: {weights}: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model.eval()


def build(folder: Path = CACHE_DIR) -> Path:
    """Dequantise the pinned weights, add the tuned adapters, and write the int8 graph with the real tokenizer."""
    tokenizer = TOKENIZER_FILE.locate()
    model = base_model()
    if ADAPTERS.is_file():
        merge_adapters(model, read_adapters(ADAPTERS))
    log.info("building the multilingual encoder into %s", folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        partial = Path(tmp) / "model"
        partial.mkdir()
        model.config.to_json_file(str(partial / "config.json"))
        shutil.copy(tokenizer, partial / "tokenizer.json")
        (partial / "tokenizer_config.json").write_text(
            json.dumps({"tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": 512}), encoding="utf-8"
        )
        export_int8(model, partial / GRAPH)
        (partial / STAMP).write_text(json.dumps(stamp()), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        partial.rename(folder)
    return folder


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        folder = CACHE_DIR if is_built() else build()
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"multilingual encoder ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
