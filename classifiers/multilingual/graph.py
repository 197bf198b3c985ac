"""The multilingual encoder as it runs: an int8 ONNX graph (mean pooling and normalisation inside) under onnxruntime."""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bot.core.errors import ModelError
from classifiers.encoder import mean_pool

GRAPH = "encoder-int8.onnx"
PREFIX = "query: "  # e5's convention for text to be classified or compared (not retrieved)


class Pooled(nn.Module):
    """A BertModel whose output is the L2-normalised mean of its token vectors (e5's sentence embedding)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        return nn.functional.normalize(mean_pool(hidden, mask), dim=-1)


def export_int8(encoder: nn.Module, path: Path) -> None:
    """Write `encoder` as an int8 graph (weights and the embedding table int8 per channel; about 120 MB)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    pooled = Pooled(encoder).eval()
    ids = torch.tensor([[0, 41, 1294, 12, 2, 1], [0, 41, 2, 1, 1, 1]])  # padded, so masking is traced
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = Path(tmp) / "fp32.onnx"
        with torch.no_grad():
            torch.onnx.export(
                pooled,
                (ids, (ids != 1).long()),
                str(plain),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(plain, path, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)


class E5Runner:
    """The int8 graph in an onnxruntime session: token ids and mask -> normalised e5 embeddings."""

    def __init__(self, path: Path, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_mem_pattern = False
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime's own classes for a missing, corrupt or foreign graph
            raise ModelError(
                f"multilingual encoder corrupt: {path}: {err}; run `make install` "
                "(or `python -m classifiers.multilingual.build`) to rebuild it"
            ) from err

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)}
        try:
            return self.session.run(None, feed)[0]
        except Exception as err:
            raise RuntimeError(f"onnxruntime: {err}") from err
