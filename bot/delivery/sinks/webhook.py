"""Ticket sink: a generic HTTPS webhook, JSON body signed with HMAC-SHA256.

Each POST carries `X-Earshot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
keyed with the secret from the environment, and `Idempotency-Key`; the receiver checks the
signature (`verify`) and rejects a timestamp older than TOLERANCE_SECONDS, so a captured request
cannot be replayed later, and treats a repeated key as the same ticket. A JSON reply with `id`
(or `ref`) becomes the ticket's external ref.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import requests

from bot.core.actions import Delivery, TicketRequest
from bot.core.errors import SinkError
from bot.delivery.sinks.base import (
    SinkPlugin,
    SinkSettings,
    TicketSink,
    http_failure,
    request_to_json,
    secret_from_env,
    status_delivery,
)

TOLERANCE_SECONDS = 300  # a receiver rejects signatures older (or newer) than this


def signature(secret: bytes, body: bytes, timestamp: int) -> str:
    """The `X-Earshot-Signature` value: `t=<timestamp>,v1=<HMAC-SHA256 of "<t>.<body>">`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    header: str, body: bytes, secret: bytes, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> bool:
    """Whether `header` signs `body` with `secret` within `tolerance` seconds of `now` (for receivers and tests)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), f"t={timestamp},v1={fields.get('v1', '')}")


class Settings(SinkSettings):
    """`routing.tickets.sinks.webhook:` — where to POST, and which env var holds the signing secret."""

    url: str = ""
    secret_env: str = "EARSHOT_WEBHOOK_SECRET"


class Sink(TicketSink):
    """POSTs `ticket.open` and `ticket.comment` events to one URL."""

    def __init__(
        self, name: str, settings: SinkSettings, *, timeout_seconds: float = 10.0, secret: str | None = None
    ) -> None:
        super().__init__(name, settings, timeout_seconds=timeout_seconds)
        assert isinstance(settings, Settings)
        if not settings.url:
            raise SinkError(f"routing.tickets.sinks.{name}.url: required when the sink is enabled")
        secret = secret_from_env(name, settings.secret_env, secret)
        self._secret = secret.encode("utf-8")
        self.url = settings.url
        self._http = requests.Session()

    def open(self, request: TicketRequest) -> Delivery:
        return self._post({"event": "ticket.open", "ticket": request_to_json(request)}, request.idempotency_key)

    def comment(self, ref: str, request: TicketRequest) -> Delivery:
        body = {"event": "ticket.comment", "ticket_ref": ref, "comment": request_to_json(request)}
        return self._post(body, request.idempotency_key)

    def sign(self, body: bytes, timestamp: int | None = None) -> str:
        """The signature header value for a raw body, sent now (or at `timestamp`)."""
        return signature(self._secret, body, int(time.time()) if timestamp is None else timestamp)

    def _post(self, document: dict[str, Any], key: str) -> Delivery:
        body = json.dumps({**document, "idempotency_key": key}, sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Earshot-Signature": self.sign(body),
            "User-Agent": "earshot",
        }
        try:
            response = self._http.post(self.url, data=body, headers=headers, timeout=self.timeout_seconds)
        except requests.RequestException as err:
            return http_failure(err, self.timeout_seconds)
        ref = None
        if response.ok:
            try:
                reply = response.json()
                ref = str(reply.get("id") or reply.get("ref") or "") or None
            except (ValueError, AttributeError):
                ref = None
        return status_delivery(response.status_code, response.text, ref=ref or key)

    def __repr__(self) -> str:
        return f"webhook.Sink(name={self.name!r}, url={self.url!r}, secret=***)"


SINK = SinkPlugin(Settings, Sink)
