"""The base every config section derives from: strict, frozen, unknown keys rejected, numbers bounded."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

# No setting of Earshot means anything beyond this; a bigger number is a typo (1e20) that would
# otherwise pass validation and overflow at run time (a SQL LIMIT, a timedelta, a socket timeout).
MAX_SETTING = 10**12


class Section(BaseModel):
    """A block of config.yaml. Unknown keys are errors, values are immutable, numbers finite and bounded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _bounded_number(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_SETTING:
            raise ValueError(f"{value:g} is out of range (at most {MAX_SETTING:g})")
        return value
