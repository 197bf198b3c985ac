"""`earshot digest`: the executive digest of a period — printed, written as HTML, sent, or listed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, load, span, when
from bot.core.clock import utcnow
from bot.core.errors import ConfigError, EarshotError
from bot.store import Store


def digest(
    since: Annotated[
        str | None, typer.Option("--since", help="The period ending now: 24h, 90m, 7d, 2w (default 24h).")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Period start: 2026-12-01 or 2026-12-01T07:00 (digest.timezone).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Period end (default now), like --from.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the HTML digest (charts inline) here.")] = None,
    send: Annotated[bool, typer.Option("--send", help="E-mail it to digest.recipients over digest.smtp.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the digests kept, newest first.")] = False,
    show: Annotated[int | None, typer.Option("--show", help="Print a kept digest (its id from --list).")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Make the executive digest of a period: the top incidents and viral complaints, their size, whether
    the brand answered; volumes, responses and SLA breaches. Every digest is kept (`--list`)."""
    settings = load(config)
    store = Store.open(settings.database_url)
    try:
        if list_ or show is not None:
            _kept(store, show)
            return
        zone = ZoneInfo(settings.digest.timezone)
        period = _period(since, start, end, zone, utcnow())
        from bot.app.daemon import build_digest_service

        service = build_digest_service(settings, store)
        if send and not settings.digest.recipients:
            raise ConfigError(f"{config}: digest.recipients: set at least one address to --send to")
        outcome = service.run(*period, send_mail=send)
    finally:
        store.engine.dispose()
    built = outcome.built
    if out is not None:
        try:
            out.write_text(built.html_file, encoding="utf-8")
        except OSError as err:
            raise EarshotError(f"cannot write {out}: {err.strerror or err}") from err
        echo(f"digest #{outcome.digest_id} written to {out}: {built.subject}")
    if send:
        echo(f"digest #{outcome.digest_id} sent to {outcome.sent_to} recipient(s): {built.subject}")
    if out is None and not send:
        echo(built.text, nl=False)


def _kept(store: Store, show: int | None) -> None:
    with store.transaction() as tx:
        if show is not None:
            found = tx.digests.get(show)
            if found is None:
                raise EarshotError(f"no digest {show} (see `earshot digest --list`)")
            echo(found.text, nl=False)
            return
        kept = tx.digests.recent(limit=50)
    if not kept:
        echo("no digests yet")
    for d in kept:
        schedule = "manual" if d.schedule.startswith("manual") else d.schedule
        echo(
            f"#{d.id:<4} {schedule:<10} {when(d.period_start)} → {when(d.period_end)}  {d.status:<7} "
            f"sent {when(d.sent_at)}  {d.subject}"
        )


def _period(
    since: str | None, start: str | None, end: str | None, zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime]:
    if since and (start or end):
        raise EarshotError("give --since, or --from/--to, not both")
    if start is None:
        if end is not None:
            raise EarshotError("--to needs --from")
        return now - span(since or "24h", "--since"), now
    first, last = _moment(start, "--from", zone), _moment(end, "--to", zone) if end else now
    if last <= first:
        raise EarshotError(f"--to ({last:%Y-%m-%d %H:%M} UTC) must be after --from ({first:%Y-%m-%d %H:%M} UTC)")
    return first, last


def _moment(text: str, option: str, zone: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as err:
        raise EarshotError(f"{option} '{text}': give a date like 2026-12-01 or 2026-12-01T07:00") from err
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
