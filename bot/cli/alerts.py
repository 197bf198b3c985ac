"""`earshot alerts` (the feed, with each alert's post); `ack`, `resolve`, `snooze`, `false-alarm` ALERT_ID --by NAME."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, echo_json, open_store, span, when
from bot.core.clock import utcnow
from bot.core.errors import EarshotError

AlertId = Annotated[int, typer.Argument(help="The alert's id, as shown in the alert and the feed.")]


def alerts(
    unacked: Annotated[bool, typer.Option("--unacked", help="Only alerts nobody acknowledged.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 20,
    as_json: Annotated[
        bool, typer.Option("--json/--table", help="One JSON object per line (default), or a table.")
    ] = True,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Print the alert feed, newest first: tier, status, rule, title, the post id and its link, the brand's reply."""
    store = open_store(config)
    with store.transaction() as tx:
        feed = tx.listings.alerts(unacked=unacked, limit=limit)
    store.engine.dispose()
    if as_json:
        for alert in feed:
            echo_json(asdict(alert))
        return
    if not feed:
        echo("no alerts")
    for alert in feed:
        acked = f"acked by {alert.acked_by}" if alert.acked_by else "not acked"
        shadow = "[shadow: would have sent] " if alert.shadow else ""
        echo(
            f"#{alert.id:<5} {when(alert.created_at)}  {alert.current_tier:<10} {alert.status:<8} "
            f"{acked}  rule {alert.rule or '-'}  {shadow}{alert.title or ''}"
        )
        echo(f"{'':<7}post {alert.post_id if alert.post_id is not None else '-'}  {alert.post_url or ''}")
        if alert.reply is not None:
            echo(f"{'':<7}public reply {alert.reply.describe(limit=100)}")


def ack(
    alert_id: AlertId,
    by: Annotated[str, typer.Option("--by", help="Who acknowledges it.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Acknowledge an alert: its escalation stops and its unsent messages are cancelled."""
    from bot.delivery import acknowledge

    alert = acknowledge(open_store(config), alert_id, by)
    if alert is None:
        raise EarshotError(f"no alert {alert_id}")
    echo(f"alert {alert_id} acknowledged by {alert.acked_by} at {alert.acked_at:%Y-%m-%d %H:%M:%S} UTC")


def resolve(
    alert_id: AlertId,
    by: Annotated[str, typer.Option("--by", help="Who resolves it.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Resolve an alert (acknowledging it too, if nobody had): nothing unsent of it goes out."""
    from bot.delivery import resolve as resolve_alert

    alert = resolve_alert(open_store(config), alert_id, by)
    if alert is None:
        raise EarshotError(f"no alert {alert_id}")
    echo(f"alert {alert_id} resolved by {alert.resolved_by} at {alert.resolved_at:%Y-%m-%d %H:%M:%S} UTC")


def snooze(
    alert_id: AlertId,
    by: Annotated[str, typer.Option("--by", help="Who snoozes it.")],
    for_: Annotated[str, typer.Option("--for", help="How long: 30m, 2h, 1d.")] = "1h",
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Silence an unacknowledged alert for a while; then it escalates unless someone acknowledged it."""
    from bot.delivery import snooze as snooze_alert

    until = utcnow() + span(for_, "--for")
    alert = snooze_alert(open_store(config), alert_id, by, until=until)
    if alert is None:
        raise EarshotError(f"no alert {alert_id}")
    if alert.snoozed_until != until:
        state = f"resolved by {alert.resolved_by}" if alert.resolved_by else f"acknowledged by {alert.acked_by}"
        raise EarshotError(f"alert {alert_id} is already {state}: nothing to snooze")
    echo(f"alert {alert_id} snoozed by {alert.snoozed_by} until {until:%Y-%m-%d %H:%M} UTC")


def false_alarm(
    alert_id: AlertId,
    by: Annotated[str, typer.Option("--by", help="Who marks it.")],
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Mark a page a false alarm: the alert is resolved and its post kept as a correction for `earshot train`."""
    from bot.web.actions import BadRequest, NotFound
    from bot.web.actions import false_alarm as mark

    try:
        echo(mark(open_store(config), alert_id, by))
    except (BadRequest, NotFound) as err:
        raise EarshotError(str(err)) from err
