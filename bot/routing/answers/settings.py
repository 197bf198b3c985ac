"""`answers:` — which past answers are suggested for a new complaint, and how."""

from __future__ import annotations

from pydantic import Field, model_validator

from bot.core.section import Section


class PlaybookEntrySettings(Section):
    """One written answer for a known issue: a title, the answer, and questions it answers."""

    title: str = Field(min_length=1, max_length=200)
    answer: str = Field(min_length=1, max_length=4000)
    examples: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _examples_written(self) -> PlaybookEntrySettings:
        for index, example in enumerate(self.examples):
            if not example.strip():
                raise ValueError(f"examples[{index}]: must not be empty")
        return self


class AnswerSettings(Section):
    """`answers:` — suggested answers for alerted and ticketed complaints (docs/answers.md)."""

    enabled: bool = True
    # cosine of meaning embeddings at which a past answer is suggested (measured in docs/answers.md)
    threshold: float = Field(default=0.65, ge=0.0, le=1.0)
    max_age_days: float = Field(default=180.0, gt=0)  # a reply older than this is stale: never suggested
    max_suggestions: int = Field(default=3, ge=1, le=20)
    quiet_after_hours: float = Field(default=48.0, gt=0)  # no word from the customer this long: "quiet"
    helpful_boost: float = Field(default=0.05, ge=0.0, le=1.0)  # per "this helped" on a similar complaint
    not_relevant_penalty: float = Field(default=0.10, ge=0.0, le=1.0)  # per "not relevant" on a similar one
    gap_similarity: float = Field(default=0.65, ge=0.0, le=1.0)  # complaints this close form one gap cluster
    playbook: str | None = None  # a YAML or JSON file of entries (relative to the config file)
    entries: list[PlaybookEntrySettings] = Field(default_factory=list)  # or written here, inline
