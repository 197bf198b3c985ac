"""The route stage: decides every classified post and enqueues its tickets and alerts, exactly once.

For each post, ONE transaction writes the decision, the incident membership, the ticket and
alert rows (through the outbox) and the post's move to `routed`; a crash before the commit
leaves the post `classified` and the rerun redoes it, and idempotency keys make a rerun after
the commit add nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.config import Config
from bot.delivery import Outbox
from bot.routing import messages
from bot.routing.assess import Assessment, assess, tier_rank
from bot.routing.incidents import Incidents, Match
from bot.store.routing_tables import IncidentPostRow, IncidentRow, RouteDecisionRow
from bot.routing.terms import brand_words
from bot.core.actions import Decision
from bot.store import Store, Transaction
from bot.store.store import StoredPost
from bot.core.clock import utcnow
from bot.store.tables import STAGE_CLASSIFIED, STAGE_ROUTED, EngagementSnapshotRow, PostRow

log = logging.getLogger(__name__)


def as_decision(row: RouteDecisionRow) -> Decision:
    """The typed value of a stored route decision."""
    return Decision(post_id=row.post_id, rule=row.rule, reasons=tuple(row.reasons), ticket_queue=row.ticket_queue,
                    ticket_priority=row.ticket_priority, alert_tier=row.alert_tier,  # type: ignore[arg-type]
                    digest=row.digest, suppressed=row.suppressed, incident_id=row.incident_id)


class RouteStage:
    """`route`: classified posts → decision, incident, ticket and alert rows → `routed`."""

    name = "route"

    def __init__(self, config: Config, store: Store, *, outbox: Outbox | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.store = store
        self.interval_seconds = config.pipeline.route_interval_seconds
        self.outbox = outbox or Outbox(tickets=config.routing.tickets, alerts=config.routing.alerts, clock=clock)
        self.incidents = Incidents(config.routing.incidents, brand_words(config.brand.name, config.brand.handles))
        self.clock = clock

    def run_once(self) -> int:
        """Route a batch of classified posts, then review routed posts whose engagement grew; returns how many."""
        routed = 0
        for stored in self.store.pending(STAGE_CLASSIFIED, self.config.pipeline.batch_size):
            try:
                with self.store.session() as session:
                    self.route(session, stored)
                routed += 1
            except Exception:  # rolled back: the post stays `classified` and is retried next tick
                log.exception("could not route post %s", stored.id, extra={"post_id": stored.id})
        return routed + self.review_once()

    def review_once(self) -> int:
        """Re-check routed posts that have newer engagement snapshots; a post that grew can escalate."""
        with self.store.session() as session:
            ids = session.exec(
                select(RouteDecisionRow.post_id).join(EngagementSnapshotRow,
                                                      col(EngagementSnapshotRow.post_id) == RouteDecisionRow.post_id)
                .where(EngagementSnapshotRow.taken_at > func.coalesce(RouteDecisionRow.reviewed_at,
                                                                      RouteDecisionRow.decided_at))
                .distinct().limit(self.config.pipeline.batch_size)).all()
        for post_id in ids:
            stored = self.store.post(post_id)
            try:
                with self.store.session() as session:
                    self.review(session, stored)  # type: ignore[arg-type]
            except Exception:  # keep the decision as it was; look again only after newer engagement
                log.exception("could not review post %s", post_id, extra={"post_id": post_id})
                with self.store.session() as session:
                    decision = session.get(RouteDecisionRow, post_id)
                    if decision is not None:
                        decision.reviewed_at = self.clock()
                        session.add(decision)
        return len(ids)

    def review(self, session: Session, stored: StoredPost) -> None:
        """Re-assess a routed post on its newest engagement; enqueue only what it newly calls for."""
        decision = session.get(RouteDecisionRow, stored.id)
        found = assess(session, self.config, stored.id, stored.post)
        if decision is None or found is None:
            return
        now, verdict = self.clock(), found.verdict
        latest = session.exec(select(func.max(EngagementSnapshotRow.taken_at))
                              .where(EngagementSnapshotRow.post_id == stored.id)).one()
        decision.reviewed_at = max(now, latest) if latest else now
        decision.visibility = asdict(found.visibility)
        session.add(decision)
        incident = session.get(IncidentRow, decision.incident_id) if decision.incident_id else None
        if incident is not None:
            self._grow(session, incident, stored.id, found.visibility.projected_reach)
        upgrade = (not verdict.guarded and verdict.rule != decision.rule
                   and (bool(verdict.ticket and decision.ticket_id is None)
                        or (verdict.alert is not None and (decision.alert_tier is None or tier_rank(
                            self.config, verdict.alert) > tier_rank(self.config, decision.alert_tier)))))
        reasons: list[str] = []
        if upgrade:
            reasons += [f"review at {now:%Y-%m-%d %H:%M}: rule '{verdict.rule}' now holds", *verdict.reasons]
            if incident is None:
                incident, match = self._incident(session, found, now)
                if incident is not None:
                    reasons.append(f"joined incident #{incident.id}: {match.reason}" if match
                                   else f"opened incident #{incident.id}")
                    decision.incident_id = incident.id
            if incident is not None and decision.ticket_id is None:
                self._ticket(session, found, incident, decision, reasons)
            if verdict.alert:
                self._alert(session, found, incident, decision, reasons, now,
                            key=f"{messages.alert_key(stored.id)}:{verdict.alert}")
            decision.rule = verdict.rule
            decision.alert_tier = verdict.alert or decision.alert_tier
        if incident is not None:
            self._escalate(session, found, incident, reasons, now)
        if reasons:
            decision.reasons = [*decision.reasons, *reasons]

    def _grow(self, session: Session, incident: IncidentRow, post_id: int, reach: int) -> None:
        """Raise a member's reach (and so its incident's) to its newest projection."""
        member = session.get(IncidentPostRow, post_id)
        if member is not None and reach > member.reach:
            incident.total_reach += reach - member.reach
            member.reach = reach
            session.add(member)
            session.add(incident)

    def route(self, session: Session, stored: StoredPost) -> Decision | None:
        """Decide one post and write everything it causes into `session` (the caller commits)."""
        row = session.get(PostRow, stored.id)
        if row is None or row.stage != STAGE_CLASSIFIED:
            return None  # routed by an earlier run: nothing to redo
        now = self.clock()
        existing = session.get(RouteDecisionRow, stored.id)
        if existing is not None:  # decided before (a stage reset by hand): keep it, enqueue nothing
            row.stage, row.stage_at = STAGE_ROUTED, now
            session.add(row)
            return as_decision(existing)
        found = assess(session, self.config, stored.id, stored.post)
        if found is None:
            return None
        verdict = found.verdict
        reasons = list(verdict.reasons)
        incident, match = self._incident(session, found, now)
        if match is not None:
            reasons.append(f"joined incident #{incident.id}: {match.reason}")  # type: ignore[union-attr]
        elif incident is not None:
            reasons.append(f"opened incident #{incident.id}")
        decision = RouteDecisionRow(
            post_id=stored.id, rule=verdict.rule, ticket_queue=verdict.ticket.queue if verdict.ticket else None,
            ticket_priority=verdict.ticket.priority if verdict.ticket else None, alert_tier=verdict.alert,
            digest=verdict.digest, suppressed=verdict.suppressed, incident_id=incident.id if incident else None,
            visibility=asdict(found.visibility), decided_at=now)
        if incident is not None and not verdict.guarded:
            self._ticket(session, found, incident, decision, reasons)
        if verdict.alert and not verdict.guarded:
            self._alert(session, found, incident, decision, reasons, now)
        if incident is not None:
            self._escalate(session, found, incident, reasons, now)
        decision.reasons = reasons
        session.add(decision)
        row.stage, row.stage_at = STAGE_ROUTED, now
        session.add(row)
        return as_decision(decision)

    # --- steps ------------------------------------------------------------------------

    def _incident(self, session: Session, found: Assessment, now: datetime) -> tuple[IncidentRow | None, Match | None]:
        """The incident the post joins or opens, if it is one worth grouping."""
        verdict, labels = found.verdict, found.labels
        if verdict.rule in ("guard:deleted", "guard:brand-own-post"):
            return None, None
        match = self.incidents.find(session, found.post, labels)
        acts = bool(verdict.ticket or verdict.alert)
        grievance = (labels.complaint or labels.sentiment == "negative") and not verdict.suppressed
        if match is not None and (acts or grievance or match.how in ("repost", "thread")):
            self.incidents.add(session, match.incident, found.post_id, found.post, labels,
                               found.visibility.projected_reach, how=match.how, similarity=match.similarity, now=now)
            return match.incident, match
        if acts and not verdict.guarded:
            return self.incidents.open(session, found.post_id, found.post, labels,
                                       found.visibility.projected_reach, now), None
        return None, None

    def _ticket(self, session: Session, found: Assessment, incident: IncidentRow, decision: RouteDecisionRow,
                reasons: list[str]) -> None:
        """Open the incident's one ticket, or add this post to it as a follow-up."""
        verdict = found.verdict
        if verdict.suppressed or (incident.ticket_id is None and verdict.ticket is None):
            return
        queue = verdict.ticket.queue if verdict.ticket else "social"
        priority = verdict.ticket.priority if verdict.ticket else "normal"
        thread_ref = str(incident.ticket_id) if incident.ticket_id is not None else None
        request = messages.ticket_request(post_id=found.post_id, post=found.post, labels=found.labels,
                                          verdict=verdict, visibility=found.visibility, queue=queue,
                                          priority=priority, incident=incident, thread_ref=thread_ref)
        ticket_id = self.outbox.enqueue_ticket(Transaction(session), post_id=found.post_id, request=request)
        decision.ticket_id = ticket_id
        if thread_ref is None:
            incident.ticket_id = ticket_id
            session.add(incident)
            decision.ticket_action = "opened"
            reasons.append(f"opened ticket #{ticket_id} ({queue}, {priority})")
        else:
            decision.ticket_action = "follow-up"
            reasons.append(f"added to ticket #{ticket_id} of incident #{incident.id} instead of a new ticket")

    def _alert(self, session: Session, found: Assessment, incident: IncidentRow | None, decision: RouteDecisionRow,
               reasons: list[str], now: datetime, key: str | None = None) -> None:
        """Alert the rule's tier, unless the incident already alerted that tier or a higher one."""
        tier = found.verdict.alert
        assert tier is not None
        if incident is not None and any(tier_rank(self.config, t) >= tier_rank(self.config, tier)
                                        for t in incident.alert_tiers):
            reasons.append(f"no new alert: incident #{incident.id} already alerted {', '.join(incident.alert_tiers)}")
            return
        message = messages.alert_message(
            key=key or messages.alert_key(found.post_id), tier=tier, post=found.post, labels=found.labels,
            rule=found.verdict.rule or "", reasons=tuple(reasons), visibility=found.visibility, incident=incident,
            feed_base_url=self.config.routing.feed_base_url, now=now)
        decision.alert_id = self.outbox.enqueue_alert(Transaction(session, now=now), post_id=found.post_id,
                                                      message=message)
        reasons.append(f"alerted tier '{tier}' (alert #{decision.alert_id})")
        if incident is not None:
            incident.alert_tiers = [*incident.alert_tiers, tier]
            session.add(incident)

    def _escalate(self, session: Session, found: Assessment, incident: IncidentRow, reasons: list[str],
                  now: datetime) -> None:
        """Alert the tiers the incident has grown into, once each, skipping tiers already outranked."""
        for tier in self.incidents.due_tiers(incident):
            if any(tier_rank(self.config, t) >= tier_rank(self.config, tier) for t in incident.alert_tiers):
                continue
            why = (f"incident #{incident.id} grew to {incident.post_count} posts on {', '.join(incident.sources)}, "
                   f"reach {incident.total_reach:,}")
            message = messages.alert_message(
                key=messages.incident_alert_key(incident.id, tier), tier=tier, post=found.post,  # type: ignore[arg-type]
                labels=found.labels, rule="incident-escalation", reasons=(why,), visibility=found.visibility,
                incident=incident, feed_base_url=self.config.routing.feed_base_url, now=now,
                title=f"Incident #{incident.id} escalated to {tier}: {incident.title}")
            alert_id = self.outbox.enqueue_alert(Transaction(session, now=now), post_id=found.post_id, message=message)
            reasons.append(f"{why}: escalated to tier '{tier}' (alert #{alert_id})")
            incident.alert_tiers = [*incident.alert_tiers, tier]
            session.add(incident)
