"""Config section for the classifier (`classifier:` in config.yaml)."""

from __future__ import annotations

from pydantic import Field

from bot.settings_base import Section


class TopicSettings(Section):
    """One topic of the brand's taxonomy."""

    name: str = Field(min_length=1)
    description: str = ""
    examples: list[str] = Field(default_factory=list)


class ClassifierSettings(Section):
    """`classifier:` — the model and what to do with its labels."""

    batch_size: int = Field(default=64, gt=0)
    review_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    other_languages: str = Field(default="tag", pattern="^(tag|skip)$")
    topics: list[TopicSettings] = Field(default_factory=list)
