"""Replays recorded HTTP responses (R vcr cassettes, vcrpy cassettes) to requests and httpx clients.

Responses are matched on the request path only (the libraries add default query parameters);
a path served several times cycles through its recorded responses. A response built by a test
(a 429, a second page) is added with `add` and says so where it is added.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
import yaml
from requests.adapters import BaseAdapter

DROP = {"content-encoding", "transfer-encoding", "content-length"}  # bodies are stored decoded


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """One response: status, headers, body text."""

    status: int
    headers: dict[str, str]
    body: str


def r_vcr(path: Path) -> list[tuple[str, Recorded]]:
    """(request URI, response) of an R vcr cassette (`http_interactions`)."""
    cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        (
            i["request"]["uri"],
            Recorded(
                status=int(
                    i["response"]["status"]
                    if not isinstance(i["response"]["status"], dict)
                    else i["response"]["status"]["status_code"]
                ),
                headers={
                    k.lower(): str(v) for k, v in (i["response"].get("headers") or {}).items() if k.lower() not in DROP
                },
                body=i["response"]["body"]["string"],
            ),
        )
        for i in cassette["http_interactions"]
    ]


def vcrpy(path: Path) -> list[tuple[str, Recorded]]:
    """(request URI, response) of a vcrpy cassette, YAML or JSON."""
    text = path.read_text(encoding="utf-8")
    cassette = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    found = []
    for i in cassette["interactions"]:
        headers = {k.lower(): (v[0] if isinstance(v, list) else str(v)) for k, v in i["response"]["headers"].items()}
        body = i["response"]["body"]["string"]
        found.append(
            (
                i["request"]["uri"],
                Recorded(
                    status=int(i["response"]["status"]["code"]),
                    headers={k: v for k, v in headers.items() if k not in DROP},
                    body=body.decode() if isinstance(body, bytes) else body,
                ),
            )
        )
    return found


@dataclass
class Server:
    """Recorded responses by path; every request seen, in order."""

    routes: dict[str, list[Recorded]] = field(default_factory=lambda: defaultdict(list))
    served: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: list[str] = field(default_factory=list)

    def load(
        self, interactions: list[tuple[str, Recorded]], path_part: str = "", *, as_path: str | None = None
    ) -> Server:
        for uri, response in interactions:
            if path_part in uri:
                self.routes[as_path or urlsplit(uri).path.rstrip("/")].append(response)
        return self

    def add(self, path: str, status: int, body: Any, headers: dict[str, str] | None = None) -> Server:
        text = body if isinstance(body, str) else json.dumps(body)
        self.routes[path.rstrip("/")].append(Recorded(status=status, headers=headers or {}, body=text))
        return self

    def answer(self, url: str) -> Recorded:
        self.requests.append(url)
        path = urlsplit(url).path.rstrip("/")
        options = self.routes.get(path)
        if not options:
            return Recorded(
                status=404, headers={"content-type": "application/json"}, body='{"error":"Record not found"}'
            )
        response = options[min(self.served[path], len(options) - 1)]
        self.served[path] += 1
        return response

    def requests_to(self, path_part: str) -> list[str]:
        return [u for u in self.requests if path_part in u]


class RequestsReplay(BaseAdapter):
    """A requests adapter answering from a Server."""

    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        recorded = self.server.answer(request.url or "")
        response = requests.Response()
        response.status_code, response.url, response.request = recorded.status, request.url or "", request
        response.headers.update({"content-type": "application/json; charset=utf-8", **recorded.headers})
        response._content = recorded.body.encode()
        response.reason = "OK" if recorded.status < 400 else "Error"
        return response

    def close(self) -> None:
        pass


def requests_session(server: Server, base: str) -> requests.Session:
    """A session whose requests to `base` are answered from `server`."""
    session = requests.Session()
    session.mount(base.rstrip("/") + "/", RequestsReplay(server))
    return session


def httpx_transport(server: Server) -> httpx.MockTransport:
    """An httpx transport answering from `server`."""

    def handle(request: httpx.Request) -> httpx.Response:
        recorded = server.answer(str(request.url))
        headers = {"content-type": "application/json; charset=utf-8", **recorded.headers}
        return httpx.Response(recorded.status, headers=headers, content=recorded.body.encode())

    return httpx.MockTransport(handle)


class Loopback:
    """A Server on 127.0.0.1 (a thread): `api_base` settings point the real clients at it."""

    def __init__(self, server: Server) -> None:
        self.server = server
        replay = server

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self._answer()

            def _answer(self) -> None:
                recorded = replay.answer(f"http://{self.headers.get('host')}{self.path}")
                body = recorded.body.encode()
                self.send_response(recorded.status)
                for name, value in {"content-type": "application/json; charset=utf-8", **recorded.headers}.items():
                    if name.lower() not in ("link", "date", "server"):  # http.server sends its own date
                        self.send_header(name, value)
                if "link" in recorded.headers:  # recorded links name the real host: point them here
                    self.send_header("link", _relink(recorded.headers["link"], self.headers.get("host") or ""))
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> Loopback:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _relink(link: str, host: str) -> str:
    return re.sub(r"<https?://[^/>]+", f"<http://{host}", link)
