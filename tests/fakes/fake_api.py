"""A loopback fake of X API v2 and Reddit's API, serving recorded payloads in pages, with faults.

127.0.0.1 only, an ephemeral port, a threaded http.server; at most `max_requests` are
served (then 503), so a runaway client cannot loop forever. Faults are queued per path
prefix: a status (429 with or without reset headers, 5xx, 401) or a truncated body.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

X_TOKEN = "fake-bearer"
REDDIT_ID, REDDIT_SECRET, REDDIT_TOKEN = "fake-id", "fake-secret", "fake-access-token"


@dataclass
class Fault:
    """Answer the next `times` requests whose path starts with `path` with `status` (or a cut body)."""

    path: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    truncate: bool = False  # serve the real 200 response cut in half


@dataclass
class FakeData:
    """What the fake serves: X tweets and users, Reddit things and karma."""

    search: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    brand: dict[str, str] = field(default_factory=lambda: {"id": "783214", "username": "AuroraMotors"})
    reddit_new: list[dict[str, Any]] = field(default_factory=list)
    reddit_comments: list[dict[str, Any]] = field(default_factory=list)
    reddit_search: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)  # the brand account's own tweets
    reddit_user: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "<name>/comments" -> things


class FakeAPI:
    """Serves `data` like the real APIs: newest first, paginated, since_id honoured on X."""

    def __init__(
        self,
        data: FakeData,
        *,
        page_size: int = 20,
        max_requests: int = 2000,
        repeat_items: bool = True,
        honour_since: bool = True,
    ) -> None:
        self.data = data
        self.page_size = page_size
        self.max_requests = max_requests
        self.repeat_items = repeat_items
        self.honour_since = honour_since  # False: since_id is ignored, everything is served again
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.reject: set[str] = set()  # "x" and/or "reddit": answer 401 to every request
        self.prefix = ""  # a gateway's path prefix, stripped before routing ("" serves at the root)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> FakeAPI:
        handler = type("Handler", (_Handler,), {"api": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, path_prefix: str) -> int:
        """Requests served so far whose path starts with `path_prefix`."""
        return sum(1 for _, path, _ in self.requests if path.startswith(path_prefix))

    # --- routing ------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append((method, path, query))
            if len(self.requests) > self.max_requests:
                return 503, {}, b'{"error": "fake request bound reached"}'
            fault = next((f for f in self.faults if path.startswith(f.path) and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
        source = "x" if path.startswith("/2/") else "reddit"
        if source in self.reject:
            return 401, {}, b'{"title": "Unauthorized", "status": 401, "error": 401}'
        if fault is not None and not fault.truncate:
            return fault.status, fault.headers, json.dumps({"title": "injected", "status": fault.status}).encode()
        status, payload = self._route(method, path.rstrip("/") or "/", query, headers, body)
        raw = json.dumps(payload).encode()
        if fault is not None:
            raw = raw[: len(raw) // 2]
        return status, _limit_headers(source), raw

    def _route(self, method: str, path: str, q: dict[str, list[str]], headers: Any, body: bytes) -> tuple[int, Any]:
        auth = headers.get("Authorization") or ""
        if path == "/api/v1/access_token":
            expected = "Basic " + base64.b64encode(f"{REDDIT_ID}:{REDDIT_SECRET}".encode()).decode()
            if method != "POST" or auth != expected:
                return 401, {"message": "Unauthorized", "error": 401}
            return 200, {"access_token": REDDIT_TOKEN, "token_type": "bearer", "expires_in": 3600, "scope": "*"}
        if path.startswith("/2/"):
            if auth != f"Bearer {X_TOKEN}":
                return 401, {"title": "Unauthorized", "status": 401}
            return self._x(path, q)
        if auth.lower() != f"bearer {REDDIT_TOKEN}":
            return 401, {"message": "Unauthorized", "error": 401}
        return self._reddit(path, q)

    def _x(self, path: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        parts = path.split("/")
        brand = self.data.brand
        if path == "/2/tweets/search/recent":
            query = _one(q, "query") or ""
            tweets = [t for t in self.data.search if _matches(t, query, self.data.users)]
            return 200, self._x_page(tweets, q, "next_token")
        if len(parts) == 5 and parts[2] == "users" and parts[4] == "mentions":
            tweets = self.data.mentions if parts[3] == brand["id"] else []
            return 200, self._x_page(tweets, q, "pagination_token")
        if len(parts) == 5 and parts[2] == "users" and parts[4] == "tweets":
            tweets = self.data.timeline if parts[3] == brand["id"] else []
            return 200, self._x_page(tweets, q, "pagination_token")
        if path.startswith("/2/users/by/username/"):
            name = parts[-1]
            if name.lower() == brand["username"].lower():
                return 200, {"data": dict(brand)}
            return 200, {"errors": [{"title": "Not Found Error", "resource_type": "user", "value": name}]}
        if path == "/2/users/by":
            names = (_one(q, "usernames") or "").split(",")
            return 200, {"data": [dict(brand) for n in names if n.lower() == brand["username"].lower()]}
        if path == "/2/tweets":
            ids = (_one(q, "ids") or "").split(",")
            pool = {t["id"]: t for t in self.data.search + self.data.mentions}
            found = [pool[i] for i in ids if i in pool]
            errors = [
                {
                    "value": i,
                    "resource_id": i,
                    "resource_type": "tweet",
                    "title": "Not Found Error",
                    "detail": f"Could not find tweet with ids: [{i}].",
                }
                for i in ids
                if i not in pool
            ]
            return 200, {"data": found, "includes": {"users": self._authors(found)}, "errors": errors}
        return 404, {"title": "Not Found Error", "status": 404}

    def _x_page(self, tweets: list[dict[str, Any]], q: dict[str, list[str]], token_param: str) -> dict[str, Any]:
        since = int(_one(q, "since_id") or 0) if self.honour_since else 0
        ordered = sorted((t for t in tweets if int(t["id"]) > since), key=lambda t: int(t["id"]), reverse=True)
        size = min(int(_one(q, "max_results") or 10), self.page_size)
        start = int((_one(q, token_param) or "o0")[1:])
        page = ordered[start : start + size]
        if self.repeat_items and start > 0:
            page = [ordered[start - 1], *page]  # the API re-sends an item across pages
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if start + size < len(ordered):
            meta["next_token"] = f"o{start + size}"
        return {"data": page, "includes": {"users": self._authors(page)}, "meta": meta} if page else {"meta": meta}

    def _authors(self, tweets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        wanted = {t.get("author_id") for t in tweets}
        return [u for u in self.data.users if u.get("id") in wanted]

    def _reddit(self, path: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        parts = path.split("/")
        if len(parts) == 4 and parts[1] == "r" and parts[3] in ("new", "comments"):
            return 200, self._listing(self.data.reddit_new if parts[3] == "new" else self.data.reddit_comments, q)
        if path == "/search":
            return 200, self._listing(self.data.reddit_search, q)
        if len(parts) == 4 and parts[1] == "user" and parts[3] in ("comments", "submitted"):
            return 200, self._listing(self.data.reddit_user.get(f"{parts[2]}/{parts[3]}", []), q)
        if path == "/api/info":
            names = set((_one(q, "id") or "").split(","))
            pool = self.data.reddit_new + self.data.reddit_comments + self.data.reddit_search
            return 200, _listing_body([c for c in pool if c["data"].get("name") in names], None)
        if len(parts) == 4 and parts[1] == "user" and parts[3] == "about":
            name = parts[2]
            if name in ("[deleted]", "None"):
                return 404, {"message": "Not Found", "error": 404}
            karma = zlib.crc32(name.encode()) % 50_000
            return 200, {
                "kind": "t2",
                "data": {
                    "name": name,
                    "link_karma": karma,
                    "comment_karma": karma // 2,
                    "total_karma": karma + karma // 2,
                },
            }
        return 404, {"message": "Not Found", "error": 404}

    def _listing(self, things: list[dict[str, Any]], q: dict[str, list[str]]) -> dict[str, Any]:
        ordered = sorted(things, key=lambda c: (float(c["data"]["created_utc"]), c["data"]["name"]), reverse=True)
        names = [c["data"]["name"] for c in ordered]
        after = _one(q, "after")
        start = names.index(after) + 1 if after in names else 0
        size = min(int(_one(q, "limit") or 25), self.page_size)
        page = ordered[start : start + size]
        if self.repeat_items and start > 0:
            page = [ordered[start - 1], *page]
        more = start + size < len(ordered)
        return _listing_body(page, page[-1]["data"]["name"] if more and page else None)


class _Handler(BaseHTTPRequestHandler):
    api: FakeAPI
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body in one write: no delayed-ACK stall per request

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = split.path
        if self.api.prefix:
            path = path.removeprefix(self.api.prefix) if path.startswith(self.api.prefix + "/") else "/not-found"
        status, headers, raw = self.api.handle(method, path, parse_qs(split.query), self.headers, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *_args: Any) -> None:
        pass


def _one(q: dict[str, list[str]], name: str) -> str | None:
    values = q.get(name)
    return values[0] if values else None


def _matches(tweet: dict[str, Any], query: str, users: list[dict[str, Any]]) -> bool:
    """The two operators Earshot adds: -is:retweet and -from:handle."""
    refs = {r.get("type") for r in tweet.get("referenced_tweets") or []}
    if "-is:retweet" in query and "retweeted" in refs:
        return False
    author = next((u.get("username", "") for u in users if u.get("id") == tweet.get("author_id")), "")
    return f"-from:{author}".lower() not in query.lower() or not author


def _listing_body(children: list[dict[str, Any]], after: str | None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {"after": after, "before": None, "dist": len(children), "modhash": "", "children": children},
    }


def _limit_headers(source: str) -> dict[str, str]:
    if source == "x":
        return {
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "400",
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }
    return {"x-ratelimit-remaining": "500.0", "x-ratelimit-used": "100", "x-ratelimit-reset": "300"}
