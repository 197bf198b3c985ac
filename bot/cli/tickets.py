"""`earshot tickets`: the built-in ticket queue, with each ticket's post."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from bot.cli.shared import DEFAULT_CONFIG, ConfigOption, echo, echo_json, open_store, when
from bot.core.errors import EarshotError
from bot.store import TICKET_STATUSES


def tickets(
    status: Annotated[
        str | None, typer.Option("--status", help="Only tickets in this status: " + ", ".join(TICKET_STATUSES) + ".")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per ticket.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """List tickets, newest first: id, queue, priority, status, first response due, the post id and its link."""
    if status is not None and status not in TICKET_STATUSES:
        raise EarshotError(f"--status {status!r}: must be one of {', '.join(TICKET_STATUSES)}")
    store = open_store(config)
    with store.transaction() as tx:
        rows = tx.listings.tickets(status=status, limit=limit)
    store.engine.dispose()
    if as_json:
        for ticket in rows:
            echo_json(asdict(ticket))
        return
    if not rows:
        echo("no tickets" + (f" with status {status}" if status else ""))
        return
    echo(f"{'id':<6} {'queue':<12} {'priority':<8} {'status':<8} {'first response due':<20} {'post':<6} link")
    for ticket in rows:
        post = str(ticket.post_id) if ticket.post_id is not None else "-"
        echo(
            f"{ticket.id:<6} {ticket.queue:<12} {ticket.priority:<8} {ticket.status:<8} "
            f"{when(ticket.first_response_due):<20} {post:<6} {ticket.post_url or '-'}"
            + ("  [shadow: would have gone to the sinks]" if ticket.shadow else "")
        )
