"""Renders a Digest as HTML (Jinja2, inline styles for mail clients) and as plain text, with its subject."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.core.durations import human_duration
from bot.core.escape import template_value
from bot.digest.model import Digest


def environment(timezone: str, source_names: dict[str, str] | None = None) -> Environment:
    env = Environment(
        loader=PackageLoader("bot.digest", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=template_value,  # no bidi overrides, control characters or escape sequences
    )
    zone = ZoneInfo(timezone)
    env.filters["reach"] = reach
    env.filters["duration"] = lambda s: human_duration(s) if s is not None else "—"
    env.filters["when"] = lambda t: t.astimezone(zone).strftime("%a %d %b %H:%M")
    env.filters["source"] = lambda s: (source_names or {}).get(s, s)
    env.filters["plural"] = lambda n, word: f"{n:,} {word}{'' if n == 1 else 's'}"
    return env


def reach(value: float) -> str:
    """1234567 -> '1.2M', 45300 -> '45k', 812 -> '812'."""
    if value >= 1e6:
        return f"{value / 1e6:.1f}M"
    if value >= 1e4:
        return f"{value / 1e3:.0f}k"
    if value >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:,.0f}"


def period(digest: Digest) -> str:
    """'Tue 01 Dec 07:00 – Wed 02 Dec 07:00 (Europe/Paris)'."""
    zone = ZoneInfo(digest.timezone)
    return f"{_local(digest.start, zone)} – {_local(digest.end, zone)} ({digest.timezone})"


def subject(digest: Digest) -> str:
    """The e-mail subject: the brand, the period's end, and the headline."""
    when = digest.end.astimezone(ZoneInfo(digest.timezone)).strftime("%d %b %H:%M")
    if digest.empty:
        return f"{digest.brand} digest, {when}: no complaint went viral"
    first = digest.items[0]
    unanswered = digest.viral - digest.viral_answered
    tail = f", {unanswered} viral without a public reply" if unanswered else ""
    title = first.title if len(first.title) <= 70 else first.title[:69].rsplit(" ", 1)[0] + "…"
    return f"{digest.brand} digest, {when}: {title}{tail}"


def render_html(digest: Digest, images: dict[str, str]) -> str:
    """The HTML page; `images` maps a chart's id to its src (`cid:volume`, or a data: URI for a file)."""
    template = environment(digest.timezone, digest.source_names).get_template("digest.html.j2")
    return template.render(d=digest, period=period(digest), images=images, title=subject(digest))


def render_text(digest: Digest) -> str:
    """The plain-text part: everything the HTML says, without the charts."""
    template = environment(digest.timezone, digest.source_names).get_template("digest.txt.j2")
    return template.render(d=digest, period=period(digest)).strip() + "\n"


def short_form(digest: Digest, link: str | None) -> tuple[str, str]:
    """(title, body) for the alert channels: the headline and the top three, with a link to the full digest."""
    lines = [f"{period(digest)}"]
    if digest.shadow_line:
        lines.append(digest.shadow_line)
    if digest.empty:
        lines.append(f"No complaint went viral between {period(digest)}.")
    for item in digest.items[:3]:
        reply = (
            f"public reply after {human_duration(item.time_to_reply)}"
            if item.time_to_reply is not None
            else "no public reply yet"
        )
        lines.append(f"#{item.rank} {item.title} — {item.posts} posts, reach {reach(item.projected_reach)}; {reply}")
    lines.append(f"{digest.complaints.now} complaints ({digest.complaints.change} vs the period before)")
    if link:
        lines.append(f"Full digest: {link}")
    return subject(digest), "\n".join(lines)


def _local(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%a %d %b %H:%M")
