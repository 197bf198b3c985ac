"""Config of one routing rule (`routing.rules[]`): `when` conditions and `then` actions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.core.labels import Sentiment, Urgency
from bot.core.section import Section

AuthorList = Literal["vip", "press", "verified"]
Priority = Literal["low", "normal", "high", "urgent"]


class Conditions(Section):
    """Every key given must hold (AND); a list matches when any item does (OR). Empty matches all."""

    complaint: bool | None = None
    min_complaint_score: float | None = Field(default=None, ge=0.0, le=1.0)
    topics: list[str] | None = None  # any of these among the post's topics
    urgency: list[Urgency] | None = None
    min_urgency: Urgency | None = None
    sentiment: list[Sentiment] | None = None
    min_severity: int | None = Field(default=None, ge=0, le=4)
    max_severity: int | None = Field(default=None, ge=0, le=4)
    min_reach: int | None = Field(default=None, ge=0)  # estimated audience now
    min_projected_reach: int | None = Field(default=None, ge=0)
    min_velocity: float | None = Field(default=None, ge=0)  # interactions per hour
    min_visibility: float | None = Field(default=None, ge=0)  # log10(1 + projected reach)
    viral: bool | None = None
    source: list[str] | None = None  # source names; bot.app.config checks them against connectors.registry
    kind: list[Literal["post", "reply", "comment", "quote"]] | None = None
    language: list[str] | None = None
    author: list[AuthorList] | None = None  # on any of these lists
    keywords: list[str] | None = None  # any, case-insensitive, whole words; trailing * = any ending
    mentions: list[str] | None = None  # any of these handles is @mentioned (without '@')
    needs_review: bool | None = None
    any: list[Conditions] | None = None  # at least one of these condition sets holds

    @model_validator(mode="after")
    def _non_empty_lists(self) -> Conditions:
        for name in (
            "topics",
            "urgency",
            "sentiment",
            "source",
            "kind",
            "language",
            "author",
            "keywords",
            "mentions",
            "any",
        ):
            if getattr(self, name) == []:
                raise ValueError(f"{name}: must not be empty (leave it out to match everything)")
        return self


class TicketAction(Section):
    """`then.ticket:` — open a ticket in `queue` with `priority`."""

    queue: str = Field(default="social", min_length=1)
    priority: Priority = "normal"


class Actions(Section):
    """`then:` — what a matching rule does; `suppress` excludes every other action."""

    ticket: TicketAction | None = None
    alert: str | None = Field(default=None, min_length=1)  # the responder tier
    digest: bool = False
    suppress: bool = False

    @model_validator(mode="after")
    def _suppress_alone(self) -> Actions:
        if self.suppress and (self.ticket or self.alert or self.digest):
            raise ValueError("suppress cannot be combined with ticket, alert or digest")
        return self


class RuleSettings(Section):
    """One rule: the first rule whose `when` holds decides the post."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    description: str = ""
    when: Conditions = Conditions()
    then: Actions
