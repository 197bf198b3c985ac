"""Two ASGI layers every response passes: who the client really is, and the browser's security headers.

`ForwardedFor` believes `X-Forwarded-For` / `X-Forwarded-Proto` only from a peer listed in
`web.trusted_proxies` (none by default, not even loopback), so a client cannot pick its own
address for the login throttle and the audit log. `SecurityHeaders` adds a Content Security
Policy and friends to every answer, errors included, and HSTS when served over https.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Network = IPv4Network | IPv6Network

# Pages load their script, style, icon and charts from this origin only; nothing may frame them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")


class ForwardedFor:
    """Sets the request's client address and scheme from a trusted proxy's headers, else leaves them."""

    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app, self.trusted = app, tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted and self._is_trusted(_peer(scope)):
            headers = _headers(scope)
            client = self._client(headers.get("x-forwarded-for", ""), _peer(scope))
            scope = dict(scope, client=(client, 0))
            proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
        await self.app(scope, receive, send)

    def _client(self, forwarded: str, peer: str) -> str:
        """The nearest address in the chain that is not a trusted proxy (they append on the right)."""
        client = peer
        for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
            if not _is_address(hop):
                break  # a proxy we trust would not append this: stop at the last address we believe
            client = hop
            if not self._is_trusted(hop):
                break
        return client

    def _is_trusted(self, address: str) -> bool:
        try:
            found = ip_address(address)
        except ValueError:
            return False
        return any(found in network for network in self.trusted)


class SecurityHeaders:
    """Adds the security headers to every response; a route's own CSP (the digest) is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _secured(list(message.get("headers", [])), scope.get("scheme") == "https")
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            if not started:  # answer the unexpected error here (the server logs it), with the headers too
                headers = _secured([(b"content-type", b"text/plain; charset=utf-8")], scope.get("scheme") == "https")
                await send({"type": "http.response.start", "status": 500, "headers": headers})
                await send({"type": "http.response.body", "body": b"Internal Server Error"})
            raise


def _secured(headers: list[tuple[bytes, bytes]], https: bool) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _value in headers}
    wanted = [(b"content-security-policy", CSP.encode()), *HEADERS, *([HSTS] if https else [])]
    return headers + [(name, value) for name, value in wanted if name not in present]


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name; a repeated header's values joined with commas."""
    found: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        found[name] = f"{found[name]}, {value}" if name in found else value
    return found


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True
