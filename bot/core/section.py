"""The base every config section derives from: strict, frozen, unknown keys rejected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A block of config.yaml. Unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
