"""Loopback HTTP servers shaped like the ticket and alert services Earshot sends to.

One threaded server on 127.0.0.1 (ephemeral port) answers Zendesk, Jira, a signed webhook,
Slack incoming webhooks, PagerDuty Events v2 and a JSON webhook. `script` queues faults for
the next write requests: an HTTP status, `"timeout"` (hold the reply past the client's
timeout), `"lost"` (do the work, then answer 500: the reply a crash or network loss eats), or
`"hang"` (do the work, set `hung`, then hold the reply: the moment to SIGKILL a sender).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.delivery.sinks.webhook import verify

WEBHOOK_SECRET = "s3cret-for-tests"


@dataclass
class Received:
    """What the fake services hold: created objects by service, and every request seen."""

    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)  # zendesk id -> ticket
    zendesk_comments: dict[str, list[str]] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # jira key -> fields
    jira_comments: dict[str, list[str]] = field(default_factory=dict)
    webhook: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> body
    slack: list[dict[str, Any]] = field(default_factory=list)
    pagerduty: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # dedup_key -> events
    json_alerts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # Idempotency-Key -> bodies
    requests: list[tuple[str, str]] = field(default_factory=list)
    bad_signatures: int = 0
    idempotency: dict[str, str] = field(default_factory=dict)  # zendesk Idempotency-Key -> ticket id


class FakeServices(ThreadingHTTPServer):
    """The server; handlers run in daemon threads and never hold a reply longer than `hold_seconds`."""

    daemon_threads = True

    def __init__(self, hold_seconds: float = 2.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received = Received()
        self.script: list[int | str] = []
        self.hold_seconds = hold_seconds
        self.release = threading.Event()
        self.hung = threading.Event()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def next_fault(self) -> int | str | None:
        with self.lock:
            return self.script.pop(0) if self.script else None


@contextmanager
def fake_services(hold_seconds: float = 2.0) -> Iterator[FakeServices]:
    """Run FakeServices on a background thread for the duration of the block."""
    server = FakeServices(hold_seconds)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: FakeServices
    timeout = 5

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        with self.server.lock:
            self.server.received.requests.append((method, parts.path))
        fault = self.server.next_fault() if method != "GET" else None
        if isinstance(fault, int):
            return self._reply(fault, {"error": f"scripted {fault}"})
        if fault == "timeout":
            self.server.release.wait(self.server.hold_seconds)
            return self._reply(503, {"error": "too late"})
        with self.server.lock:
            status, body = _route(
                self.server.received, method, parts.path, parse_qs(parts.query), raw, dict(self.headers.items())
            )
        if fault == "lost":
            return self._reply(500, {"error": "reply lost"})
        if fault == "hang":
            self.server.hung.set()
            self.server.release.wait(self.server.hold_seconds)
        self._reply(status, body)

    def _reply(self, status: int, body: Any) -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(body, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer


def _route(
    got: Received, method: str, path: str, query: dict[str, list[str]], raw: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    """The fake services' endpoints; returns (status, body)."""
    body = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else {}
    if path == "/api/v2/tickets.json":
        return _zendesk_tickets(got, method, query, body, headers)
    if match := re.fullmatch(r"/api/v2/tickets/(\d+)/comments\.json", path):
        comments = got.zendesk_comments.get(match.group(1), [])
        return 200, {
            "comments": [{"id": i + 1, "body": c, "public": False} for i, c in enumerate(comments)],
            "next_page": None,
            "previous_page": None,
            "count": len(comments),
        }
    if match := re.fullmatch(r"/api/v2/tickets/(\d+)\.json", path):
        ticket_id = match.group(1)
        if ticket_id not in got.tickets:
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        comment = body.get("ticket", {}).get("comment", {}).get("body", "")
        got.zendesk_comments.setdefault(ticket_id, []).append(comment)
        return 200, {"ticket": got.tickets[ticket_id], "audit": {"id": 1, "ticket_id": int(ticket_id), "events": []}}
    if path == "/rest/api/2/field":
        return 200, [{"id": "summary", "name": "Summary", "custom": False}, {"id": "labels", "name": "Labels"}]
    if path == "/rest/api/2/search":
        label = re.search(r'labels = "([^"]+)"', query.get("jql", [""])[0])
        found = [
            {"id": str(i), "key": k, "fields": {}}
            for i, (k, f) in enumerate(got.issues.items())
            if label and label.group(1) in f.get("labels", [])
        ]
        return 200, {"startAt": 0, "maxResults": 1, "total": len(found), "issues": found[:1]}
    if path == "/rest/api/2/issue" and method == "POST":
        key = f"SOC-{len(got.issues) + 1}"
        got.issues[key] = body.get("fields", {})
        return 201, {"id": str(10000 + len(got.issues)), "key": key, "self": f"/rest/api/2/issue/{key}"}
    if match := re.fullmatch(r"/rest/api/2/issue/([A-Z]+-\d+)/comment", path):
        key = match.group(1)
        if key not in got.issues:
            return 404, {"errorMessages": ["Issue does not exist"], "errors": {}}
        if method == "POST":
            got.jira_comments.setdefault(key, []).append(body.get("body", ""))
            return 201, {"id": str(len(got.jira_comments[key])), "body": body.get("body", "")}
        comments = got.jira_comments.get(key, [])
        return 200, {
            "startAt": 0,
            "maxResults": 50,
            "total": len(comments),
            "comments": [{"id": str(i + 1), "body": c} for i, c in enumerate(comments)],
        }
    if path == "/hook":
        if not verify(headers.get("X-Earshot-Signature", ""), raw, WEBHOOK_SECRET.encode()):
            got.bad_signatures += 1
            return 401, {"error": "bad signature"}
        key = headers.get("Idempotency-Key", "")
        if key not in got.webhook:
            got.webhook[key] = body
        return 200, {"id": f"WH-{list(got.webhook).index(key) + 1}"}
    if path.startswith("/services/"):
        got.slack.append(body)
        return 200, "ok"
    if path == "/v2/enqueue":
        got.pagerduty.setdefault(body.get("dedup_key", ""), []).append(body)
        return 202, {"status": "success", "message": "Event processed", "dedup_key": body.get("dedup_key")}
    if path == "/alerts":
        got.json_alerts.setdefault(headers.get("Idempotency-Key", ""), []).append(body)
        return 200, {"ok": True}
    return 404, {"error": f"no route {method} {path}"}


def _zendesk_tickets(
    got: Received, method: str, query: dict[str, list[str]], body: dict[str, Any], headers: dict[str, str]
) -> tuple[int, Any]:
    if method == "GET":
        external_id = query.get("external_id", [None])[0]
        found = [t for t in got.tickets.values() if t.get("external_id") == external_id]
        return 200, {"tickets": found, "next_page": None, "previous_page": None, "count": len(found)}
    key = headers.get("Idempotency-Key")
    if key and key in got.idempotency:
        ticket = got.tickets[got.idempotency[key]]
    else:
        ticket_id = str(len(got.tickets) + 1)
        fields = body.get("ticket", {})
        ticket = {
            "id": int(ticket_id),
            "subject": fields.get("subject"),
            "external_id": fields.get("external_id"),
            "priority": fields.get("priority"),
            "tags": fields.get("tags", []),
            "status": "new",
        }
        got.tickets[ticket_id] = ticket
        got.zendesk_comments[ticket_id] = [fields.get("comment", {}).get("body", "")]
        if key:
            got.idempotency[key] = ticket_id
    return 201, {"ticket": ticket, "audit": {"id": 1, "ticket_id": ticket["id"], "events": []}}
