"""Config section for routing (`routing:` in config.yaml)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.core.labels import Urgency
from bot.core.section import Section
from bot.delivery import AlertSettings, TicketSettings
from bot.routing.rule_settings import RuleSettings


class VisibilitySettings(Section):
    """`routing.visibility:` — how reach, engagement and velocity become a projected audience."""

    repost_audience: float = Field(default=100.0, ge=0)  # people one repost or quote adds
    like_audience: float = Field(default=5.0, ge=0)  # people one like (Reddit: upvote) adds
    reply_audience: float = Field(default=10.0, ge=0)  # people one reply (Reddit: comment) adds
    velocity_window_hours: float = Field(default=2.0, gt=0)  # velocity over the snapshots this recent
    horizon_hours: float = Field(default=3.0, ge=0)  # how far ahead the reach is projected
    viral_reach: int = Field(default=250_000, gt=0)  # projected reach at which a post is viral


class EscalationStep(Section):
    """One step of `routing.incidents.escalation`: when an incident this big alerts `tier`."""

    tier: str = Field(min_length=1)
    min_posts: int | None = Field(default=None, gt=0)
    min_sources: int | None = Field(default=None, gt=0)  # distinct platforms (x, reddit)
    min_reach: int | None = Field(default=None, gt=0)  # summed projected reach of the members

    @model_validator(mode="after")
    def _has_threshold(self) -> EscalationStep:
        if self.min_posts is None and self.min_sources is None and self.min_reach is None:
            raise ValueError("an escalation step needs min_posts, min_sources or min_reach")
        return self


class IncidentSettings(Section):
    """`routing.incidents:` — grouping posts about the same problem, and escalating as it grows."""

    similarity: float = Field(default=0.45, ge=0.0, le=1.0)  # cosine of embeddings to join
    cross_topic_similarity: float = Field(default=0.55, ge=0.0, le=1.0)  # when the topics differ
    min_shared_terms: int = Field(default=4, ge=0)  # distinctive words in common (see terms.py)
    window_hours: float = Field(default=48.0, gt=0)  # since the incident's last post
    min_topic_score: float = Field(default=0.2, ge=0.0, le=1.0)  # topics below this do not count
    # A responder's acknowledgement of an incident holds back its later critical posts this long
    # (0: never); resolving or snoozing holds back nothing (bot/routing/silence.py). At most a week.
    ack_silences_for_minutes: int = Field(default=60, ge=0, le=7 * 24 * 60)
    escalation: list[EscalationStep] = Field(default_factory=list)


class AuthorListSettings(Section):
    """`routing.author_lists:` — handles (without '@', any case) that rules can single out."""

    vips: list[str] = Field(default_factory=list)
    press: list[str] = Field(default_factory=list)


class SafetySettings(Section):
    """`routing.safety:` — the override: this urgency alerts `tier` whatever the reach or rules."""

    enabled: bool = True
    urgency: Urgency = "critical"
    tier: str = "on-call"
    ticket_queue: str = "safety"
    ticket_priority: Literal["low", "normal", "high", "urgent"] = "urgent"


class RoutingSettings(Section):
    """`routing:` — rules, incidents, ticket sinks and alert channels."""

    feed_base_url: str = "http://127.0.0.1:8080"  # alerts link to <feed_base_url>/alerts/<id>
    visibility: VisibilitySettings = VisibilitySettings()
    incidents: IncidentSettings = IncidentSettings()
    author_lists: AuthorListSettings = AuthorListSettings()
    safety: SafetySettings = SafetySettings()
    rules: list[RuleSettings] = Field(default_factory=list)
    tickets: TicketSettings = TicketSettings()
    alerts: AlertSettings = AlertSettings()

    @model_validator(mode="after")
    def _rules_and_tiers(self) -> RoutingSettings:
        seen: set[str] = set()
        tiers = set(self.alerts.tiers)
        for index, rule in enumerate(self.rules):
            if rule.name in seen:
                raise ValueError(f"rules[{index}].name: '{rule.name}' is used by an earlier rule")
            seen.add(rule.name)
            if rule.then.alert is not None and rule.then.alert not in tiers:
                raise ValueError(f"rules[{index}].then.alert: no tier '{rule.then.alert}' in routing.alerts.tiers")
        if self.safety.enabled and self.safety.tier not in tiers:
            raise ValueError(f"safety.tier: no tier '{self.safety.tier}' in routing.alerts.tiers")
        for index, step in enumerate(self.incidents.escalation):
            if step.tier not in tiers:
                raise ValueError(f"incidents.escalation[{index}].tier: no tier '{step.tier}' in routing.alerts.tiers")
        return self
