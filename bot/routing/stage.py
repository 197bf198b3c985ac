"""The route stage: decides every classified post and enqueues its tickets and alerts, exactly once.

For each batch of posts, ONE transaction writes the decision, the incident membership, the ticket and
alert rows (through the outbox) and the post's move to `routed`; a crash before the commit
leaves the posts `classified` and the rerun redoes them, and idempotency keys make a rerun after
the commit add nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import datetime

from bot.core.actions import Decision, Incident
from bot.core.clock import utcnow
from bot.core.errors import DatabaseUnavailable
from bot.core.posts import Post
from bot.core.stage import Stage
from bot.delivery import Outbox
from bot.routing.actions import Actions, noted
from bot.routing.answers.suggest import Suggester
from bot.routing.assess import Assessment, assess, tier_rank
from bot.routing.incidents import Incidents, Match
from bot.routing.settings import RoutingSettings
from bot.routing.terms import brand_words
from bot.store import Store, StoredPost, Transaction
from bot.store.stages import ROUTING_LOCK, STAGE_CLASSIFIED, STAGE_ROUTED

log = logging.getLogger(__name__)
NO_INCIDENT_RULES = ("guard:deleted", "guard:brand-own-post")
ROUTE_BATCH = 64  # posts per routing transaction: few commits, yet a page waits for at most this many


class RouteStage(Stage):
    """`route`: classified posts → decision, incident, ticket and alert rows → `routed`."""

    name = "route"

    def __init__(
        self,
        store: Store,
        routing: RoutingSettings,
        *,
        brand_name: str,
        brand_handles: Sequence[str],
        batch_size: int,
        interval_seconds: int,
        outbox: Outbox | None = None,
        answers: Suggester | None = None,
        clock: Callable[[], datetime] = utcnow,
        shadow: bool = False,
    ) -> None:
        self.store, self.routing, self.clock = store, routing, clock
        self.shadow = outbox.shadow if outbox is not None else shadow  # record what would be sent, send nothing
        self.answers = answers  # suggested answers (answers:), None when switched off
        self.brand_handles = tuple(brand_handles)
        self.batch_size, self.interval_seconds = batch_size, interval_seconds
        self.incidents = Incidents(routing.incidents, brand_words(brand_name, brand_handles))
        self.actions = Actions(
            routing,
            outbox or Outbox(tickets=routing.tickets, alerts=routing.alerts, clock=clock, shadow=shadow),
            self.incidents,
        )

    def run_once(self) -> int:
        """Route a batch of classified posts, then review routed posts whose engagement grew; returns how many."""
        return self.route_batch() + self.review_once()

    def route_batch(self) -> int:
        """Route up to a batch of classified posts in ONE transaction; if one fails, each on its own.

        The batch is claimed `FOR UPDATE SKIP LOCKED` and routed under the routing advisory lock, so
        processes sharing one PostgreSQL never route a post twice nor open two incidents for one problem.
        """
        try:
            with self.store.transaction(now=self.clock()) as tx:
                tx.locks.hold(ROUTING_LOCK)
                claimed = tx.posts.claim(STAGE_CLASSIFIED, min(self.batch_size, ROUTE_BATCH))
                tx.routing.prefetch([stored.id for stored in claimed])
                if claimed and self.answers is not None:
                    self.answers.prepare(tx)
                for stored in claimed:
                    self.route(tx, stored)
            return len(claimed)
        except DatabaseUnavailable:
            raise  # the database, not a post: the daemon's guard backs off
        except Exception:  # rolled back: route one post per transaction, so one bad post holds back no other
            log.debug("batch routing failed; routing one post at a time", exc_info=True)
        routed = 0
        for stored in self.store.pending(STAGE_CLASSIFIED, self.batch_size):
            try:
                with self.store.transaction(now=self.clock()) as tx:
                    tx.locks.hold(ROUTING_LOCK)
                    if self.answers is not None:
                        self.answers.prepare(tx)
                    self.route(tx, stored)
                routed += 1
            except DatabaseUnavailable:
                raise  # the database, not this post: the daemon's guard backs off (bot/app/guard.py)
            except Exception:  # rolled back: the post stays `classified` and is retried next tick
                log.exception("could not route post %s", stored.id, extra={"post_id": stored.id})
        return routed

    def review_once(self) -> int:
        """Re-check routed posts flagged with newer engagement snapshots; a post that grew can escalate."""
        with self.store.transaction() as tx:
            ids = tx.posts.to_review(self.batch_size)
        for post_id in ids:
            stored = self.store.post(post_id)
            try:
                with self.store.transaction(now=self.clock()) as tx:
                    tx.locks.hold(ROUTING_LOCK)
                    if post_id in tx.posts.to_review_of([post_id]) and stored is not None:
                        self.review(tx, stored)
                    tx.routing.mark_reviewed(post_id)
            except DatabaseUnavailable:
                raise
            except Exception:  # keep the decision as it was; look again only after newer engagement
                log.exception("could not review post %s", post_id, extra={"post_id": post_id})
                with self.store.transaction() as tx:
                    tx.routing.mark_reviewed(post_id, self.clock())
        return len(ids)

    def route(self, tx: Transaction, stored: StoredPost) -> Decision | None:
        """Decide one post and write everything it causes into `tx` (the caller commits)."""
        if tx.posts.stage_of(stored.id) != STAGE_CLASSIFIED:
            return None  # routed by an earlier run: nothing to redo
        existing = tx.routing.decision(stored.id)
        if existing is not None:  # decided before (a stage reset by hand): keep it, enqueue nothing
            tx.posts.set_stage(stored.id, STAGE_ROUTED)
            return existing
        found = self._assess(tx, stored.id, stored.post)
        if found is None:
            return None
        verdict, now = found.verdict, tx.now
        if self.answers is not None and (verdict.ticket or verdict.alert) and not verdict.guarded:
            suggested = self.answers.suggest(tx, stored.id, found.post, found.labels)
            found = replace(found, answered_before=suggested.one_line())
        decision = Decision(
            post_id=stored.id,
            rule=verdict.rule,
            reasons=tuple(verdict.reasons),
            ticket_queue=verdict.ticket.queue if verdict.ticket else None,
            ticket_priority=verdict.ticket.priority if verdict.ticket else None,
            alert_tier=verdict.alert,
            digest=verdict.digest,
            suppressed=verdict.suppressed,
            visibility=asdict(found.visibility),
            decided_at=now,
        )
        incident, match = self._incident(tx, found)
        if match is not None:
            decision = noted(decision, f"joined incident #{match.incident.id}: {match.reason}")
        elif incident is not None:
            decision = noted(decision, f"opened incident #{incident.id}")
        decision = replace(decision, incident_id=incident.id if incident else None)
        if incident is not None and not verdict.guarded:
            incident, decision = self.actions.ticket(tx, found, incident, decision)
        if verdict.alert and not verdict.guarded:
            incident, decision = self.actions.alert(tx, found, incident, decision, verdict.alert)
        if incident is not None:
            _, decision = self.actions.escalate(tx, found, incident, decision)
        tx.routing.save_decision(decision)
        tx.posts.set_stage(stored.id, STAGE_ROUTED)
        _log_decision(stored, decision, critical=found.labels.urgency == "critical", shadow=self.shadow)
        return decision

    def review(self, tx: Transaction, stored: StoredPost) -> None:
        """Re-assess a routed post on its newest engagement; enqueue only what it newly calls for."""
        decision = tx.routing.decision(stored.id)
        found = self._assess(tx, stored.id, stored.post)
        if decision is None or found is None:
            return
        now, verdict = tx.now, found.verdict
        latest = tx.posts.newest_snapshot_at(stored.id)
        draft = replace(decision, reviewed_at=max(now, latest) if latest else now, visibility=asdict(found.visibility))
        before = len(draft.reasons)
        incident = tx.incidents.get(decision.incident_id) if decision.incident_id else None
        if incident is not None:
            incident = tx.incidents.grow_member(incident.id, stored.id, found.visibility.projected_reach)
        upgrade = (
            not verdict.guarded
            and verdict.rule != decision.rule
            and (
                bool(verdict.ticket and decision.ticket_id is None)
                or (
                    verdict.alert is not None
                    and (
                        decision.alert_tier is None
                        or tier_rank(self.routing, verdict.alert) > tier_rank(self.routing, decision.alert_tier)
                    )
                )
            )
        )
        if (
            upgrade
            and not self.shadow
            and tx.routing.made_in_shadow(alert_id=decision.alert_id, ticket_id=decision.ticket_id)
        ):
            upgrade = False  # leaving shadow mode never sends its backlog, not even when a post grows later
            note = f"review: rule '{verdict.rule}' now holds; nothing sent, the post was decided in shadow mode"
            if note not in draft.reasons:
                draft = noted(draft, note)
        if upgrade:
            draft = noted(draft, f"review at {now:%Y-%m-%d %H:%M}: rule '{verdict.rule}' now holds", *verdict.reasons)
            if self.answers is not None:  # the answers known at the last batch: a review reads no new ones
                found = replace(
                    found, answered_before=self.answers.suggest(tx, stored.id, stored.post, found.labels).one_line()
                )
            if incident is None:
                incident, match = self._incident(tx, found)
                if incident is not None:
                    joined = f"joined incident #{incident.id}: {match.reason}" if match else None
                    draft = noted(draft, joined or f"opened incident #{incident.id}", incident_id=incident.id)
            if incident is not None and decision.ticket_id is None:
                incident, draft = self.actions.ticket(tx, found, incident, draft)
            if verdict.alert:
                incident, draft = self.actions.alert(tx, found, incident, draft, verdict.alert, review=True)
            draft = replace(draft, rule=verdict.rule, alert_tier=verdict.alert or decision.alert_tier)
        if incident is not None:
            _, draft = self.actions.escalate(tx, found, incident, draft)
        tx.routing.save_decision(draft)
        if len(draft.reasons) > before:
            log.info(
                "review of post %s: %s", stored.id, "; ".join(draft.reasons[before:]), extra={"post_id": stored.id}
            )

    # --- steps ------------------------------------------------------------------------

    def _assess(self, tx: Transaction, post_id: int, post: Post) -> Assessment | None:
        return assess(tx, self.routing, self.brand_handles, post_id, post)

    def _incident(self, tx: Transaction, found: Assessment) -> tuple[Incident | None, Match | None]:
        """The incident the post joins or opens, if it is one worth grouping."""
        verdict, labels = found.verdict, found.labels
        if verdict.rule in NO_INCIDENT_RULES:
            return None, None
        match = self.incidents.find(tx, found.post, labels)
        acts = bool(verdict.ticket or verdict.alert)
        grievance = (labels.complaint or labels.sentiment == "negative") and not verdict.suppressed
        reach = found.visibility.projected_reach
        if match is not None and (acts or grievance or match.how in ("repost", "thread")):
            incident = self.incidents.add(
                tx, match.incident, found.post_id, found.post, labels, reach, how=match.how, similarity=match.similarity
            )
            return incident, replace(match, incident=incident)
        if acts and not verdict.guarded:
            return self.incidents.open(tx, found.post_id, found.post, labels, reach), None
        return None, None


def _log_decision(stored: StoredPost, decision: Decision, *, critical: bool, shadow: bool = False) -> None:
    """Say what routing did: tickets opened, alerts raised (per tier), and every critical page."""
    mode = "shadow mode, would have " if shadow else ""
    if decision.ticket_action == "opened":
        log.info(
            "%sopened ticket #%s (%s/%s) for post %s",
            mode,
            decision.ticket_id,
            decision.ticket_queue,
            decision.ticket_priority,
            stored.id,
            extra={"post_id": stored.id, "ticket_id": decision.ticket_id},
        )
    if decision.alert_id is not None:
        log.log(
            logging.WARNING if critical else logging.INFO,
            "%s%salert #%s to tier %s for post %s: %s",
            mode,
            "CRITICAL " if critical else "",
            decision.alert_id,
            decision.alert_tier,
            stored.id,
            stored.post.url,
            extra={
                "post_id": stored.id,
                "alert_id": decision.alert_id,
                "tier": decision.alert_tier,
                "rule": decision.rule,
            },
        )
