"""How the product runs the model: an int8 ONNX graph under onnxruntime, or the torch model in fp32.

`earshot train` exports the fine-tuned model once as `encoder-int8.onnx` (weights int8 per output
channel, activations quantised per call). onnxruntime fuses attention and layer norms and runs it
about 1.5x as fast as torch's dynamic int8 on these CPUs, and closer to fp32 (median cosine 0.993
against 0.979; docs/classifier.md, "Speed").
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bot.core.errors import ModelError
from classifiers.encoder import MultiTaskModel

log = logging.getLogger(__name__)

GRAPH = "encoder-int8.onnx"
DIGEST_KEY = "earshot_weights"  # the graph's metadata: the sha256 prefix of the weights it was exported from

# (input_ids, attention_mask) -> (meaning embeddings, not normalised; logits per trained head)
Runner = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, dict[str, np.ndarray]]]


class TorchRunner:
    """The torch model in fp32: the reference the graph is checked against (`quantize: false`)."""

    def __init__(self, model: MultiTaskModel) -> None:
        self.model = model.eval()

    @torch.inference_mode()
    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        embedded, logits = self.model(torch.from_numpy(ids), torch.from_numpy(mask))
        return embedded.numpy(), {name: values.numpy() for name, values in logits.items()}


class GraphRunner:
    """The int8 graph in an onnxruntime session with `threads` intra-op threads."""

    def __init__(self, graph: Path | bytes, threads: int) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_mem_pattern = False  # it keeps a plan per input shape; passes come in many shapes
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle threads leave the core
        # Exact int8 products on every x86-64 CPU: without VNNI (AVX2, AVX-512F) onnxruntime's u8*s8 kernel
        # sums pairs in saturating 16 bits, so the graph's numbers would depend on the CPU; this switches those
        # CPUs to its u8*u8 kernel (exact, like VNNI's). A no-op on VNNI and AMX (docs/testing.md).
        options.add_session_config_entry("session.x64quantprecision", "1")
        options.log_severity_level = 3  # errors only: its warnings are about graph fusions
        source, name = (str(graph), graph) if isinstance(graph, Path) else (graph, GRAPH)
        try:
            self.session = onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own classes for a corrupt or foreign graph
            raise ModelError(f"classifier artifact corrupt: {name}: {err}") from err
        self.outputs = [output.name for output in self.session.get_outputs()]
        self.digest = self.session.get_modelmeta().custom_metadata_map.get(DIGEST_KEY, "")

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        feed = {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)}
        try:
            values = dict(zip(self.outputs, self.session.run(None, feed), strict=True))
        except Exception as err:
            raise RuntimeError(f"onnxruntime: {err}") from err
        return values.pop("embedding"), values


class _Flat(nn.Module):
    """MultiTaskModel with its outputs as a tuple, as the ONNX exporter needs them."""

    def __init__(self, model: MultiTaskModel) -> None:
        super().__init__()
        self.model = model
        self.names = list(model.heads)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, ...]:
        embedded, logits = self.model(ids, mask)
        return (embedded, *(logits[name] for name in self.names))


def export_int8(model: MultiTaskModel, digest: str) -> bytes:
    """The model as an int8 ONNX graph tagged with `digest` (about 23 MB, about 10 s on 2 cores)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    flat = _Flat(model).eval()
    ids = torch.tensor([[101, 2026, 2482, 2003, 102, 0], [101, 7592, 102, 0, 0, 0]])  # padded, so masking is traced
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on traced control flow
        plain, quantized = Path(tmp) / "fp32.onnx", Path(tmp) / "int8.onnx"
        with torch.inference_mode(False), torch.no_grad():
            torch.onnx.export(
                flat,
                (ids, (ids > 0).long()),
                str(plain),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding", *flat.names],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        logging.disable(logging.WARNING)  # the quantiser logs a pre-processing tip on the root logger
        try:
            quantize_dynamic(plain, quantized, weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.disable(logging.NOTSET)
        graph = onnx.load(str(quantized))
    onnx.helper.set_model_props(graph, {DIGEST_KEY: digest})
    return graph.SerializeToString()


def write_graph(model: MultiTaskModel, digest: str, art_dir: Path) -> Path:
    """Export the int8 graph beside the weights, atomically."""
    path = art_dir / GRAPH
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(export_int8(model, digest))
    os.replace(partial, path)
    return path


def int8_runner(art_dir: Path, digest: str, threads: int, model: Callable[[], MultiTaskModel]) -> GraphRunner:
    """The shipped graph; if it is missing or was exported from other weights, one built now from `model()`."""
    path = art_dir / GRAPH
    if path.is_file():
        runner = GraphRunner(path, threads)
        if runner.digest == digest:
            return runner
        log.warning("%s comes from other weights (%s, not %s): rebuilding it in memory", path, runner.digest, digest)
    else:
        log.warning("%s is missing: building the int8 graph in memory (`earshot train` writes it)", path)
    return GraphRunner(export_int8(model(), digest), threads)
