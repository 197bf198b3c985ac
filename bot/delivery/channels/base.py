"""The alert channel interface: a transport that sends one rendered notice and reports a Delivery.

A channel module declares `CHANNEL`: its `AlertChannel` class, whose `schemes` are the URL schemes it
handles (or `ANY`).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from bot.core.actions import Delivery
from bot.core.escape import displayable, one_line

Severity = Literal["info", "warning", "failure"]
ANY: frozenset[str] = frozenset({"*"})  # `schemes = ANY`: the channel takes every scheme no other claims


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One rendered alert (or summary) ready for a channel: title, body, and its idempotency key.

    Title and body are plain text; each channel escapes them for its service (see apprise_channel).
    """

    title: str
    body: str
    severity: Severity
    idempotency_key: str
    url: str | None = None  # the post, or the feed for a summary

    def __post_init__(self) -> None:
        """Plain text only: no control characters, escape sequences or bidi overrides; a one-line title."""
        object.__setattr__(self, "title", one_line(self.title))
        object.__setattr__(self, "body", displayable(self.body))
        if self.url is not None:
            object.__setattr__(self, "url", one_line(self.url))


class AlertChannel(ABC):
    """Sends notices to one destination; never raises for remote failure."""

    schemes: ClassVar[frozenset[str]]  # the URL schemes it handles, or ANY
    dedups: bool = False  # True when the remote drops a repeated idempotency key

    def __init__(self, url: str, *, timeout_seconds: float = 10.0) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self.channel_id = channel_id(url)

    @abstractmethod
    def send(self, notice: Notice) -> Delivery:
        """Deliver one notice; report failure in the Delivery instead of raising."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({mask_url(self.url)})"


def channel_id(url: str) -> str:
    """A stable id for a channel URL that reveals no secret: `scheme:` + a short hash of the URL."""
    scheme = urlsplit(url).scheme or "url"
    if scheme == "stub":
        parts = urlsplit(url)
        return "stub:" + ((parts.netloc + parts.path).rstrip("/") or "stub")
    return f"{scheme}:{hashlib.sha256(url.encode('utf-8')).hexdigest()[:12]}"


def mask_url(url: str) -> str:
    """The URL's scheme only: apprise URLs carry tokens in the host, path, user and query alike."""
    scheme = urlsplit(url).scheme
    return f"{scheme}://***" if scheme else "***"
