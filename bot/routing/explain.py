"""`earshot route --explain`: the decision for one post, the rule that fired, and every reason."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.actions import Decision
from bot.core.answers import Suggestions
from bot.core.durations import human_duration
from bot.core.errors import EarshotError
from bot.core.labels import Labels
from bot.routing.assess import assess
from bot.routing.messages import label_summary
from bot.routing.settings import RoutingSettings
from bot.routing.visibility import Visibility
from bot.store import ResponseTimes, Store, StoredPost, Transaction


class UnknownPost(EarshotError):
    """No stored post answers to the reference given."""


def find(store: Store, ref: str) -> StoredPost:
    """The post a reference names: a row id, `x:<tweet id>` or `reddit:<fullname>`."""
    ref = ref.strip()
    source, sep, native = ref.partition(":")
    found = store.post(int(ref)) if ref.isdigit() else store.find_post(source, native) if sep else None
    if found is None:
        raise UnknownPost(f"no stored post '{ref}' (give a post id, x:<tweet id> or reddit:<fullname>)")
    return found


def explain(store: Store, routing: RoutingSettings, brand_handles: Sequence[str], ref: str) -> str:
    """The explanation of one post's route decision, as printable lines."""
    stored = find(store, ref)
    post = stored.post
    with store.transaction() as tx:
        decision = tx.routing.decision(stored.id)
        lines = [
            f"post {stored.id} ({post.source}:{post.native_id}, {post.kind}) by @{post.author_handle or '?'} "
            f"({post.author_reach or 0:,} reach) — stage {tx.posts.stage_of(stored.id) or '?'}",
            f"  {post.url}",
            "  " + " ".join(post.text.split()),
        ]
        found = assess(tx, routing, brand_handles, stored.id, post)
        if found is None:
            return "\n".join([*lines, "not classified yet: no decision"])
        lines.append("labels: " + "; ".join(f"{k} {v}" for k, v in label_summary(found.labels).items()))
        lines.append(_relevance(found.labels))
        if not found.labels.about_brand:
            return "\n".join([*lines, "never routed: the post is not about the brand (stored and labelled only)"])
        if decision is None:
            verdict = found.verdict
            lines += [
                "not routed yet; the rules would decide now: "
                + _actions(
                    verdict.rule,
                    verdict.ticket.queue if verdict.ticket else None,
                    verdict.ticket.priority if verdict.ticket else None,
                    verdict.alert,
                    verdict.digest,
                    verdict.suppressed,
                ),
                "visibility: " + found.visibility.describe(),
                "why:",
                *[f"  - {r}" for r in verdict.reasons],
            ]
            return "\n".join(lines)
        lines += [
            "visibility: " + Visibility(**decision.visibility).describe() if decision.visibility else "visibility: -",
            "decision: "
            + _actions(
                decision.rule,
                decision.ticket_queue,
                decision.ticket_priority,
                decision.alert_tier,
                decision.digest,
                decision.suppressed,
            ),
            f"decided at {decision.decided_at.isoformat() if decision.decided_at else '?'}",
            "why:",
            *[f"  - {r}" for r in decision.reasons],
            *_records(tx, decision),
            "responses: " + describe_responses(tx.responses.times([stored.id], post.created_at)),
            *describe_suggestions(tx.suggestions.of(stored.id), acted=bool(decision.ticket_id or decision.alert_id)),
            *_incident(tx, decision.incident_id),
        ]
        return "\n".join(lines)


def describe_suggestions(suggestions: Suggestions, *, acted: bool) -> list[str]:
    """The answers suggested in the routing pass, best first, each with why (nothing is posted by Earshot)."""
    if not suggestions.items:
        return [
            "suggested answers: none above the threshold" if acted else "suggested answers: none (no ticket or alert)"
        ]
    lines = [f"suggested answers ({suggestions.heading}):"]
    for n, s in enumerate(suggestions.items, 1):
        lines.append(f'  {n}. answer #{s.answer_id} ({s.kind}): "{" ".join(s.text.split())}"')
        lines.append(f"     why: {s.why()}")
    return lines


def describe_responses(times: ResponseTimes) -> str:
    """Time to first acknowledgement and to first public reply, in words."""
    ack = times.time_to_ack
    reply = times.time_to_reply
    parts = [f"first acknowledged after {human_duration(ack)}" if ack is not None else "not acknowledged yet"]
    if reply is not None:
        parts.append(f"first public reply after {human_duration(reply)} by @{times.replied_by} ({times.reply_url})")
    else:
        parts.append("no public reply yet")
    return "; ".join(parts)


def _relevance(labels: Labels) -> str:
    why = f" ({labels.relevance})" if labels.relevance else ""
    return ("about the brand: yes" if labels.about_brand else "about the brand: NO") + why


def _actions(
    rule: str | None, queue: str | None, priority: str | None, tier: str | None, digest: bool, suppressed: bool
) -> str:
    acts = [f"ticket {queue}/{priority}"] if queue else []
    acts += [f"alert {tier}"] if tier else []
    acts += ["digest"] if digest else []
    acts += ["suppress"] if suppressed else []
    return f"rule '{rule}' → " + (", ".join(acts) or "nothing") if rule else "no rule matched → nothing"


def _records(tx: Transaction, decision: Decision) -> list[str]:
    lines = []
    if decision.ticket_id is not None:
        state = tx.tickets.brief(decision.ticket_id) or "missing"
        lines.append(f"ticket #{decision.ticket_id} ({decision.ticket_action}; {state})")
    return lines + tx.alerts.briefs(decision.post_id)


def _incident(tx: Transaction, incident_id: int | None) -> list[str]:
    incident = tx.incidents.get(incident_id) if incident_id is not None else None
    if incident is None:
        return ["incident: none"]
    lines = [
        f"incident #{incident.id} ({incident.status}): {incident.post_count} posts on "
        f"{', '.join(incident.sources)}, total reach {incident.total_reach:,}, topics "
        f"{', '.join(incident.topics) or '-'}, tiers alerted {', '.join(incident.alert_tiers) or '-'}, "
        f"ticket {('#' + str(incident.ticket_id)) if incident.ticket_id else '-'}",
    ]
    members = tx.incidents.timeline(incident.id)
    if members:
        times = tx.responses.times([m.post_id for m in members], members[0].post_created_at, incident_id=incident.id)
        lines.append("incident responses: " + describe_responses(times))
    lines.append("timeline:")
    for member in members:
        sim = f", cosine {member.similarity:.2f}" if member.similarity is not None else ""
        lines.append(
            f"  {member.post_created_at:%Y-%m-%d %H:%M} {member.source} "
            f"@{member.author_handle or '?'} post {member.post_id} ({member.how}{sim}, "
            f"reach {member.reach:,})"
        )
    return lines
