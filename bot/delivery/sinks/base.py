"""The ticket sink interface: open a ticket or comment on one, and report a Delivery, never raise."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any

import requests

from bot.core.actions import Delivery, TicketRequest
from bot.core.errors import SinkError
from bot.core.retry import retryable_status
from bot.core.section import Section


class SinkSettings(Section):
    """What every ticket sink's settings have; each plugin's `Settings` extends it."""

    plugin: str = ""  # module under bot/delivery/sinks; empty means the entry's name
    enabled: bool = False
    redact: bool = False  # mask personal data in the ticket's subject, body, author and link before sending


class TicketSink(ABC):
    """One external ticket system; `open` must not create a second ticket for a repeated key."""

    dedups: bool = True  # every real sink dedups on the request's idempotency key

    def __init__(self, name: str, settings: SinkSettings, *, timeout_seconds: float = 10.0) -> None:
        self.name = name
        self.settings = settings
        self.timeout_seconds = timeout_seconds

    @abstractmethod
    def open(self, request: TicketRequest) -> Delivery:
        """Create the ticket (or find the one this key already created); `ref` is its remote id."""

    @abstractmethod
    def comment(self, ref: str, request: TicketRequest) -> Delivery:
        """Add the request's body as a comment on remote ticket `ref`."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, secret=***)"


@dataclass(frozen=True)
class SinkPlugin:
    """What a sink module declares as `SINK`: its config section and its sink class."""

    settings: type[SinkSettings]
    sink: type[TicketSink]


def request_to_json(request: TicketRequest) -> dict[str, Any]:
    """A TicketRequest as JSON, as a sink sends it (the outbox's own JSON is `bot.core.payloads`)."""
    return asdict(request)


def status_delivery(status: int, text: str, *, ref: str | None = None) -> Delivery:
    """A Delivery for an HTTP status: 2xx ok, 408/409/425/429 and 5xx retryable, other 4xx not."""
    if 200 <= status < 300:
        return Delivery(ok=True, ref=ref)
    retryable = retryable_status(status)
    return Delivery(ok=False, error=f"HTTP {status}: {text[:200]}", retryable=retryable)


def http_failure(err: requests.RequestException, timeout_seconds: float) -> Delivery:
    """A requests exception as a Delivery: a timeout, an HTTP status, or a connection error."""
    if isinstance(err, requests.Timeout):
        return Delivery(ok=False, error=f"timed out after {timeout_seconds:g}s")
    response = getattr(err, "response", None)
    if response is not None:
        return status_delivery(response.status_code, response.text)
    return Delivery(ok=False, error=f"{type(err).__name__}: {err}")


def secret_from_env(sink: str, variable: str, given: str | None) -> str:
    """The sink's secret: `given` (tests) or the environment variable; SinkError when neither."""
    secret = given if given is not None else os.environ.get(variable)
    if not secret:
        raise SinkError(f"routing.tickets.sinks.{sink}: environment variable {variable} is not set")
    return secret
