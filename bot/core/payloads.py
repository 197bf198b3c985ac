"""What one outbox row asks to be sent, as typed values, and the JSON each is stored as.

A ticket row carries a `TicketSend` (open a ticket at a sink, or comment on it); an alert row an
`AlertSend` (one alert, at one escalation level) or a `SummarySend` (the one message standing in
for a channel's alerts held over its hourly cap). The stored JSON keeps the shape it always had.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from bot.core.actions import TicketRequest

TICKET, ALERT = "ticket", "alert"  # outbox row kinds
TicketOp = Literal["open", "comment"]


@dataclass(frozen=True, kw_only=True)
class TicketSend:
    """Open ticket `ticket_id` at the row's sink, or add comment `event_id` to it."""

    op: TicketOp
    ticket_id: int
    request: TicketRequest
    event_id: int | None = None  # the ticket_event row a comment comes from

    kind = TICKET

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"op": self.op, "ticket_id": self.ticket_id, "request": asdict(self.request)}
        if self.event_id is not None:
            data["event_id"] = self.event_id
        return data


@dataclass(frozen=True, kw_only=True)
class AlertSend:
    """Send alert `alert_id` to the row's channel as tier `tier` at escalation `level`."""

    alert_id: int
    tier: str
    level: int

    kind = ALERT

    def to_json(self) -> dict[str, Any]:
        return {"alert_id": self.alert_id, "tier": self.tier, "level": self.level}


@dataclass(frozen=True, kw_only=True)
class SummarySend:
    """One message naming the alerts a channel's hourly cap held back in `window`."""

    titles: tuple[str, ...]
    alert_ids: tuple[int, ...]
    window: str  # the hour, in words ("2026-01-01 10:00–11:00 UTC")

    kind = ALERT

    def to_json(self) -> dict[str, Any]:
        return {"summary": True, "titles": list(self.titles), "alert_ids": list(self.alert_ids), "window": self.window}


OutboxPayload = TicketSend | AlertSend | SummarySend


def payload_from_json(kind: str, data: dict[str, Any]) -> OutboxPayload:
    """The payload an outbox row of `kind` stored; ValueError names what is missing or wrong."""
    try:
        if kind == TICKET:
            op = data["op"]
            if op not in ("open", "comment"):
                raise ValueError(f"unknown ticket operation {op!r}")
            event = data.get("event_id")
            return TicketSend(
                op=op,
                ticket_id=int(data["ticket_id"]),
                request=TicketRequest(**data["request"]),
                event_id=None if event is None else int(event),
            )
        if kind == ALERT:
            if data.get("summary"):
                return SummarySend(
                    titles=tuple(str(t) for t in data["titles"]),
                    alert_ids=tuple(int(i) for i in data.get("alert_ids") or ()),
                    window=str(data["window"]),
                )
            return AlertSend(alert_id=int(data["alert_id"]), tier=str(data["tier"]), level=int(data["level"]))
    except (KeyError, TypeError) as err:
        raise ValueError(f"{kind} outbox payload is malformed: {err!r}") from err
    raise ValueError(f"unknown outbox row kind {kind!r}")
