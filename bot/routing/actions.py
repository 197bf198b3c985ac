"""What a decision causes: the incident's one ticket, the rule's alert, and the incident's escalations."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.core.actions import Decision, Incident
from bot.core.labels import URGENCY_ORDER
from bot.delivery import Outbox
from bot.routing import messages
from bot.routing.assess import Assessment, tier_rank
from bot.routing.incidents import Incidents
from bot.routing.settings import RoutingSettings
from bot.routing.silence import Hold, hold
from bot.store import Transaction

log = logging.getLogger(__name__)


def noted(decision: Decision, *reasons: str, **changes: Any) -> Decision:
    """`decision` with `reasons` added and `changes` made (a new value: a `Decision` is frozen)."""
    return replace(decision, reasons=(*decision.reasons, *reasons), **changes)


class Actions:
    """Enqueues through the outbox what a decision calls for, and notes it on the incident."""

    def __init__(self, routing: RoutingSettings, outbox: Outbox, incidents: Incidents) -> None:
        self.routing, self.outbox, self.incidents = routing, outbox, incidents

    def ticket(
        self, tx: Transaction, found: Assessment, incident: Incident, decision: Decision
    ) -> tuple[Incident, Decision]:
        """Open the incident's one ticket, or add this post to it as a follow-up."""
        verdict = found.verdict
        if verdict.suppressed or (incident.ticket_id is None and verdict.ticket is None):
            return incident, decision
        queue = verdict.ticket.queue if verdict.ticket else "social"
        priority = verdict.ticket.priority if verdict.ticket else "normal"
        thread_ref = str(incident.ticket_id) if incident.ticket_id is not None else None
        request = messages.ticket_request(
            post_id=found.post_id,
            post=found.post,
            labels=found.labels,
            verdict=verdict,
            visibility=found.visibility,
            queue=queue,
            priority=priority,
            incident=incident,
            thread_ref=thread_ref,
        )
        ticket_id = self.outbox.enqueue_ticket(tx, post_id=found.post_id, request=request)
        if thread_ref is None:
            why = f"opened ticket #{ticket_id} ({queue}, {priority})"
            decision = noted(decision, why, ticket_id=ticket_id, ticket_action="opened")
            return tx.incidents.set_ticket(incident.id, ticket_id), decision
        why = f"added to ticket #{ticket_id} of incident #{incident.id} instead of a new ticket"
        return incident, noted(decision, why, ticket_id=ticket_id, ticket_action="follow-up")

    def alert(
        self,
        tx: Transaction,
        found: Assessment,
        incident: Incident | None,
        decision: Decision,
        tier: str,
        *,
        review: bool = False,
    ) -> tuple[Incident | None, Decision]:
        """Alert `tier`, unless an alert of the incident at that tier or a higher one holds it back (silence.py)."""
        if incident is not None and self._outranked(incident, tier):
            verdict = self._hold(tx, found, incident, tier)
            decision = noted(decision, verdict.reason)
            if verdict.held:
                return incident, decision
        key = messages.alert_key(found.post_id) + (f":{tier}" if review else "")
        message = messages.alert_message(
            key=key,
            tier=tier,
            post=found.post,
            labels=found.labels,
            rule=found.verdict.rule or "",
            reasons=decision.reasons,
            visibility=found.visibility,
            incident=incident,
            feed_base_url=self.routing.feed_base_url,
            now=tx.now,
            answered_before=found.answered_before,
        )
        alert_id = self.outbox.enqueue_alert(tx, post_id=found.post_id, message=message)
        decision = noted(decision, f"alerted tier '{tier}' (alert #{alert_id})", alert_id=alert_id)
        return (tx.incidents.note_alerted(incident.id, tier) if incident is not None else None), decision

    def escalate(
        self, tx: Transaction, found: Assessment, incident: Incident, decision: Decision
    ) -> tuple[Incident, Decision]:
        """Alert the tiers the incident has grown into, once each, skipping tiers already outranked."""
        for tier in self.incidents.due_tiers(incident):
            if self._outranked(incident, tier):
                continue
            why = (
                f"incident #{incident.id} grew to {incident.post_count} posts on {', '.join(incident.sources)}, "
                f"reach {incident.total_reach:,}"
            )
            message = messages.alert_message(
                key=messages.incident_alert_key(incident.id, tier),
                tier=tier,
                post=found.post,
                labels=found.labels,
                rule="incident-escalation",
                reasons=(why,),
                visibility=found.visibility,
                incident=incident,
                feed_base_url=self.routing.feed_base_url,
                now=tx.now,
                answered_before=found.answered_before,
                title=f"Incident #{incident.id} escalated to {tier}: {incident.title}",
            )
            alert_id = self.outbox.enqueue_alert(tx, post_id=found.post_id, message=message)
            decision = noted(decision, f"{why}: escalated to tier '{tier}' (alert #{alert_id})")
            log.info(
                "incident #%s escalated to tier %s (alert #%s): %s",
                incident.id,
                tier,
                alert_id,
                why,
                extra={"incident_id": incident.id, "alert_id": alert_id, "tier": tier},
            )
            incident = tx.incidents.note_alerted(incident.id, tier)
        return incident, decision

    def _hold(self, tx: Transaction, found: Assessment, incident: Incident, tier: str) -> Hold:
        rank = tier_rank(self.routing, tier)
        return hold(
            incident,
            tx.incidents.alerts(incident.id),
            found.post,
            outranks=lambda t: tier_rank(self.routing, t) >= rank,
            critical=URGENCY_ORDER.index(found.labels.urgency) >= URGENCY_ORDER.index(self.routing.safety.urgency),
            now=tx.now,
            ack_window=timedelta(minutes=self.routing.incidents.ack_silences_for_minutes),
        )

    def _outranked(self, incident: Incident, tier: str) -> bool:
        rank = tier_rank(self.routing, tier)
        return any(tier_rank(self.routing, t) >= rank for t in incident.alert_tiers)
