"""Ticket sink: Zendesk Support through zenpy.

The idempotency key is the ticket's `external_id`: before creating, the sink looks the key up
(`GET /api/v2/tickets.json?external_id=`), and the create itself carries an `Idempotency-Key`
header, so a retry finds the ticket the first try made instead of opening a second one.
`url` may point anywhere (a loopback test server): `http://127.0.0.1:8080` works.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from bot.core.actions import Delivery, TicketRequest
from bot.core.errors import SinkError
from bot.delivery.sinks.base import SinkPlugin, SinkSettings, TicketSink, http_failure, secret_from_env, status_delivery

_PRIORITIES = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}


class Settings(SinkSettings):
    """`routing.tickets.sinks.zendesk:` — account URL (or subdomain), agent email, token env var."""

    url: str = ""  # https://acme.zendesk.com; empty means https://<subdomain>.zendesk.com
    subdomain: str = ""
    email: str = ""
    token_env: str = "ZENDESK_API_TOKEN"
    group_ids: dict[str, int] = {}  # queue name -> Zendesk group id


class Sink(TicketSink):
    """Opens Zendesk tickets and adds private comments to them."""

    def __init__(
        self, name: str, settings: SinkSettings, *, timeout_seconds: float = 10.0, token: str | None = None
    ) -> None:
        super().__init__(name, settings, timeout_seconds=timeout_seconds)
        assert isinstance(settings, Settings)
        url = settings.url or (f"https://{settings.subdomain}.zendesk.com" if settings.subdomain else "")
        parts = urlsplit(url)
        if not parts.hostname or "." not in parts.netloc or not settings.email:
            raise SinkError(f"routing.tickets.sinks.{name}: needs url (or subdomain) and email")
        token = secret_from_env(name, settings.token_env, token)
        self.url = url
        self._scheme, self._netloc = parts.scheme or "https", parts.netloc
        self._email, self._token = settings.email, token
        self._client: Any = None

    def open(self, request: TicketRequest) -> Delivery:
        return self._guard(lambda: self._open(request))

    def comment(self, ref: str, request: TicketRequest) -> Delivery:
        return self._guard(lambda: self._comment(ref, request))

    def _open(self, request: TicketRequest) -> Delivery:
        from zenpy.lib.api_objects import Comment, Ticket

        client = self._zenpy()
        for found in client.tickets(external_id=request.idempotency_key):
            return Delivery(ok=True, ref=str(found.id))
        settings = self.settings
        assert isinstance(settings, Settings)
        ticket = Ticket(
            subject=request.subject,
            external_id=request.idempotency_key,
            priority=_PRIORITIES[request.priority],
            tags=_tags(request),
            comment=Comment(body=f"{request.body}\n\n{request.post_url}", public=False),
        )
        if request.queue in settings.group_ids:
            ticket.group_id = settings.group_ids[request.queue]
        client.tickets.session.headers["Idempotency-Key"] = request.idempotency_key
        try:
            audit = client.tickets.create(ticket)
        finally:
            client.tickets.session.headers.pop("Idempotency-Key", None)
        return Delivery(ok=True, ref=str(audit.ticket.id))

    def _comment(self, ref: str, request: TicketRequest) -> Delivery:
        from zenpy.lib.api_objects import Comment, Ticket

        client = self._zenpy()
        marker = _marker(request.idempotency_key)
        for existing in client.tickets.comments(ticket=int(ref)):
            if marker in (existing.body or ""):
                return Delivery(ok=True, ref=ref)
        ticket = Ticket(id=int(ref))
        ticket.comment = Comment(body=f"{request.body}\n\n{request.post_url}\n{marker}", public=False)
        client.tickets.update(ticket)
        return Delivery(ok=True, ref=ref)

    def _zenpy(self) -> Any:
        """The zenpy client, made once, pointed at the configured scheme and host."""
        if self._client is None:
            from zenpy import Zenpy
            from zenpy.lib.api import BaseApi

            subdomain, domain = self._netloc.split(".", 1)
            self._client = Zenpy(
                subdomain=subdomain,
                domain=domain,
                email=self._email,
                token=self._token,
                timeout=self.timeout_seconds,
                ratelimit_budget=self.timeout_seconds,
                disable_cache=True,
            )
            for api in vars(self._client).values():
                if isinstance(api, BaseApi):
                    api.protocol = self._scheme
        return self._client

    def _guard(self, call: Callable[[], Delivery]) -> Delivery:
        """Run a zenpy call, turning its exceptions into a Delivery."""
        from zenpy.lib.exception import APIException, ZenpyException

        try:
            return call()
        except requests.RequestException as err:
            return http_failure(err, self.timeout_seconds)
        except (APIException, ZenpyException) as err:
            response = getattr(err, "response", None)
            if response is not None:
                return status_delivery(response.status_code, response.text)
            return Delivery(ok=False, error=f"zendesk: {err}")

    def __repr__(self) -> str:
        return f"zendesk.Sink(name={self.name!r}, url={self.url!r}, email={self._email!r}, token=***)"


def _tags(request: TicketRequest) -> list[str]:
    tags = ["earshot", f"queue_{request.queue}".replace(" ", "_")]
    if request.incident_id is not None:
        tags.append(f"incident_{request.incident_id}")
    return tags


def _marker(key: str) -> str:
    return f"[earshot:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}]"


SINK = SinkPlugin(Settings, Sink)
