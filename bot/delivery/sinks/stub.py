"""In-memory ticket sink for tests and the demo: remembers tickets and dedups on the key."""

from __future__ import annotations

from bot.core.actions import Delivery, TicketRequest
from bot.delivery.sinks.base import SinkPlugin, SinkSettings, TicketSink


class Settings(SinkSettings):
    """`routing.tickets.sinks.stub:` — nothing to configure."""


class Sink(TicketSink):
    """Keeps opened tickets and comments in memory; `fail_next` scripts failures for tests."""

    def __init__(self, name: str = "stub", settings: SinkSettings | None = None, **kwargs: float) -> None:
        super().__init__(name, settings or Settings(enabled=True), **kwargs)
        self.tickets: dict[str, TicketRequest] = {}  # ref -> request
        self.by_key: dict[str, str] = {}  # idempotency key -> ref
        self.comments: list[tuple[str, TicketRequest]] = []
        self.calls = 0
        self.fail_next: list[Delivery] = []

    def open(self, request: TicketRequest) -> Delivery:
        self.calls += 1
        if self.fail_next:
            return self.fail_next.pop(0)
        ref = self.by_key.get(request.idempotency_key)
        if ref is None:
            ref = f"STUB-{len(self.tickets) + 1}"
            self.tickets[ref] = request
            self.by_key[request.idempotency_key] = ref
        return Delivery(ok=True, ref=ref)

    def comment(self, ref: str, request: TicketRequest) -> Delivery:
        self.calls += 1
        if self.fail_next:
            return self.fail_next.pop(0)
        if ref not in self.tickets:
            return Delivery(ok=False, error=f"no ticket {ref}", retryable=False)
        if not any(r.idempotency_key == request.idempotency_key for _, r in self.comments):
            self.comments.append((ref, request))
        return Delivery(ok=True, ref=f"{ref}#c{len(self.comments)}")


SINK = SinkPlugin(Settings, Sink)
