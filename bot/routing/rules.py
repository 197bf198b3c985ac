"""Evaluates the routing rules for one post: guards, the safety override, then the rules in order.

Every verdict names the rule that decided it and one reason per condition that held, so
`earshot route --explain` and the alert text can say why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.core.labels import URGENCY_ORDER, Labels, Urgency
from bot.core.posts import Post
from bot.routing.rule_settings import Conditions, TicketAction
from bot.routing.settings import RoutingSettings
from bot.routing.visibility import Visibility

GUARD_DELETED = "guard:deleted"
GUARD_BRAND = "guard:brand-own-post"
GUARD_REPOST = "guard:repost"
SAFETY_RULE = "safety-override"


@dataclass(frozen=True, kw_only=True)
class Facts:
    """What the rules look at for one post."""

    post: Post
    labels: Labels
    visibility: Visibility
    author_lists: frozenset[str] = frozenset()  # vip, press, verified


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The rule that decided a post, why, and what it asked for."""

    rule: str | None
    reasons: tuple[str, ...]
    ticket: TicketAction | None = None
    alert: str | None = None
    digest: bool = False
    suppressed: bool = False
    guarded: bool = False  # a guard stopped it: never a ticket or an alert


def author_lists(post: Post, settings: RoutingSettings) -> frozenset[str]:
    """The author lists `post`'s author is on (verified comes from the post)."""
    handle = (post.author_handle or "").lower()
    found = {
        name
        for name, handles in (("vip", settings.author_lists.vips), ("press", settings.author_lists.press))
        if handle and handle in {h.lower().lstrip("@") for h in handles}
    }
    return frozenset(found | ({"verified"} if post.author_verified else set()))


def is_brand_post(post: Post, brand_handles: list[str]) -> bool:
    """True when the brand's own account wrote `post`."""
    return (post.author_handle or "").lower() in {h.lower().lstrip("@") for h in brand_handles}


def evaluate(facts: Facts, settings: RoutingSettings, brand_handles: list[str]) -> Verdict:
    """Guards first, then the safety override, then the first configured rule that holds."""
    post, labels = facts.post, facts.labels
    if post.is_deleted:
        return Verdict(rule=GUARD_DELETED, reasons=("the post was deleted",), suppressed=True, guarded=True)
    if is_brand_post(post, brand_handles):
        return Verdict(
            rule=GUARD_BRAND,
            reasons=(f"@{post.author_handle} is one of the brand's own accounts",),
            suppressed=True,
            guarded=True,
        )
    if post.kind == "repost":
        return Verdict(
            rule=GUARD_REPOST,
            reasons=(f"a repost of {post.parent_id}: counted with the original",),
            suppressed=True,
            guarded=True,
        )
    safety = settings.safety
    if safety.enabled and _rank(labels.urgency) >= _rank(safety.urgency):
        why = ", ".join(labels.urgency_reasons) or "no reason given"
        return Verdict(
            rule=SAFETY_RULE,
            reasons=(
                f"urgency {labels.urgency} ({why}) alerts tier '{safety.tier}' whatever the reach",
                f"author reach {post.author_reach or 0:,}; {facts.visibility.describe()}",
            ),
            ticket=TicketAction(queue=safety.ticket_queue, priority=safety.ticket_priority),
            alert=safety.tier,
        )
    for rule in settings.rules:
        reasons = match(rule.when, facts)
        if reasons is not None:
            then = rule.then
            return Verdict(
                rule=rule.name,
                reasons=tuple(reasons) or ("matches every post",),
                ticket=then.ticket,
                alert=then.alert,
                digest=then.digest,
                suppressed=then.suppress,
            )
    return Verdict(rule=None, reasons=("no rule matched",))


def match(when: Conditions, facts: Facts) -> list[str] | None:
    """One reason per condition when all of `when` holds; None as soon as one does not."""
    reasons: list[str] = []
    for name, check in _CHECKS:
        expected = getattr(when, name)
        if expected is None:
            continue
        reason = check(expected, facts)
        if reason is None:
            return None
        reasons.append(reason)
    return reasons


def _rank(urgency: Urgency) -> int:
    return URGENCY_ORDER.index(urgency)


def _if(ok: bool, reason: str) -> str | None:
    return reason if ok else None


@lru_cache(maxsize=512)
def _keyword(word: str) -> re.Pattern[str]:
    body = re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.I)


def _keywords(words: list[str], facts: Facts) -> str | None:
    hits = [w for w in words if _keyword(w).search(facts.post.text)]
    return f"keyword {', '.join(repr(w) for w in hits)} in the text" if hits else None


def _mentions(handles: list[str], facts: Facts) -> str | None:
    hits = [h for h in handles if _keyword("@" + h.lstrip("@")).search(facts.post.text)]
    return f"mentions {', '.join('@' + h.lstrip('@') for h in hits)}" if hits else None


def _topics(names: list[str], facts: Facts) -> str | None:
    hits = [f"{t.name} ({t.score:.2f})" for t in facts.labels.topics if t.name in names]
    return f"topic {', '.join(hits)}" if hits else None


def _any(options: list[Conditions], facts: Facts) -> str | None:
    for option in options:
        reasons = match(option, facts)
        if reasons is not None:
            return "any of: " + ("; ".join(reasons) or "an empty condition")
    return None


def _vis(facts: Facts) -> Visibility:
    return facts.visibility


_Check = Callable[[object, Facts], "str | None"]
_CHECKS: list[tuple[str, _Check]] = [
    (
        "complaint",
        lambda v, f: _if(
            f.labels.complaint == v, f"{'a' if v else 'not a'} complaint (p={f.labels.complaint_score:.2f})"
        ),
    ),
    (
        "min_complaint_score",
        lambda v, f: _if(
            f.labels.complaint_score >= v,  # type: ignore[operator]
            f"complaint score {f.labels.complaint_score:.2f} ≥ {v}",
        ),
    ),
    ("topics", _topics),  # type: ignore[list-item]
    ("urgency", lambda v, f: _if(f.labels.urgency in v, f"urgency {f.labels.urgency}")),  # type: ignore[operator]
    (
        "min_urgency",
        lambda v, f: _if(
            _rank(f.labels.urgency) >= _rank(v),  # type: ignore[arg-type]
            f"urgency {f.labels.urgency} ≥ {v}",
        ),
    ),
    (
        "sentiment",
        lambda v, f: _if(
            f.labels.sentiment in v,  # type: ignore[operator]
            f"sentiment {f.labels.sentiment} ({f.labels.sentiment_score:.2f})",
        ),
    ),
    ("min_severity", lambda v, f: _if(f.labels.severity >= v, f"severity {f.labels.severity} ≥ {v}")),  # type: ignore[operator]
    ("max_severity", lambda v, f: _if(f.labels.severity <= v, f"severity {f.labels.severity} ≤ {v}")),  # type: ignore[operator]
    ("min_reach", lambda v, f: _if(_vis(f).reach >= v, f"reach {_vis(f).reach:,} ≥ {v:,}")),  # type: ignore[operator]
    (
        "min_projected_reach",
        lambda v, f: _if(
            _vis(f).projected_reach >= v,  # type: ignore[operator]
            f"projected reach {_vis(f).projected_reach:,} ≥ {v:,}",
        ),
    ),
    (
        "min_velocity",
        lambda v, f: _if(
            _vis(f).velocity >= v,  # type: ignore[operator]
            f"velocity {_vis(f).velocity:,.0f} interactions/h ≥ {v:,}",
        ),
    ),
    ("min_visibility", lambda v, f: _if(_vis(f).score >= v, f"visibility {_vis(f).score:.2f} ≥ {v}")),  # type: ignore[operator]
    (
        "viral",
        lambda v, f: _if(
            _vis(f).viral == v, f"{'' if v else 'not '}viral: projected reach {_vis(f).projected_reach:,}"
        ),
    ),
    ("source", lambda v, f: _if(f.post.source in v, f"source {f.post.source}")),  # type: ignore[operator]
    ("kind", lambda v, f: _if(f.post.kind in v, f"kind {f.post.kind}")),  # type: ignore[operator]
    (
        "language",
        lambda v, f: _if(
            (f.labels.language or f.post.language) in v,  # type: ignore[operator]
            f"language {f.labels.language or f.post.language}",
        ),
    ),
    (
        "author",
        lambda v, f: _if(
            bool(f.author_lists & set(v)),  # type: ignore[call-overload]
            f"author @{f.post.author_handle} is {', '.join(sorted(f.author_lists & set(v)))}",  # type: ignore[call-overload]
        ),
    ),
    ("keywords", _keywords),  # type: ignore[list-item]
    ("mentions", _mentions),  # type: ignore[list-item]
    ("needs_review", lambda v, f: _if(f.labels.needs_review == v, "needs review" if v else "labels confident")),
    ("any", _any),  # type: ignore[list-item]
]
