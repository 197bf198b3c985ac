"""In-memory alert channel (`stub://NAME`) for tests and the demo; `?path=FILE` also appends JSON lines."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.core.actions import Delivery
from bot.delivery.channels.base import AlertChannel, Notice

SENT: dict[str, list[Notice]] = {}  # channel name -> notices, readable by tests
CALLS: dict[str, int] = {}  # channel name -> every send attempted, repeats and scripted failures included


class Channel(AlertChannel):
    """Records notices by name, once per idempotency key, and counts every send; `fail_next` scripts failures."""

    schemes = frozenset({"stub"})
    dedups = True

    def __init__(self, url: str, *, timeout_seconds: float = 10.0) -> None:
        super().__init__(url, timeout_seconds=timeout_seconds)
        parts = urlsplit(url)
        self.name = (parts.netloc + parts.path).rstrip("/") or "stub"
        path = parse_qs(parts.query).get("path")
        self.path = Path(path[0]) if path else None
        self.fail_next: list[Delivery] = []

    @property
    def sent(self) -> list[Notice]:
        return SENT.setdefault(self.name, [])

    @property
    def calls(self) -> int:
        return CALLS.get(self.name, 0)

    def send(self, notice: Notice) -> Delivery:
        CALLS[self.name] = self.calls + 1
        if self.fail_next:
            return self.fail_next.pop(0)
        if all(n.idempotency_key != notice.idempotency_key for n in self.sent):
            self.sent.append(notice)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(
                        json.dumps(
                            {
                                "channel": self.name,
                                "title": notice.title,
                                "body": notice.body,
                                "severity": notice.severity,
                                "key": notice.idempotency_key,
                            }
                        )
                        + "\n"
                    )
        return Delivery(ok=True, ref=notice.idempotency_key)


CHANNEL = Channel
