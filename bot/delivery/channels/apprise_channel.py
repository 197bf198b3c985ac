"""Alert channel for any apprise URL: Slack, Teams, email, PagerDuty, Telegram, JSON webhooks, ….

Apprise reports only success or failure, so the HTTP status is read from apprise's own log
line (`error=NNN`) to tell a permanent 4xx from a retryable failure. Where the service can
dedup, the idempotency key rides along: PagerDuty gets it as `dedup_key`, json/form/xml
webhooks as an `Idempotency-Key` header. Other services (Slack, email, Teams, …) cannot
dedup: a crash between their send and our commit re-sends once (at-least-once).

A notice is plain text and goes to apprise as such (`body_format=TEXT`): apprise escapes it for each
service's own format (HTML-escaped or a text/plain part for e-mail, `&amp;`/`&lt;`/`&gt;` for Slack,
CommonMark escapes for Teams and Discord), so a post's `<h1>`, form or tracking image never renders
and a `<https://evil.example|label>` stays text. Mentions (`@everyone`, `<!channel>`, `<@U…>`) are
defanged for every service that is not e-mail or a JSON/form/XML webhook.
"""

from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import quote, urlsplit

import apprise

from bot.core.actions import Delivery
from bot.core.escape import defang_mentions
from bot.core.retry import retryable_status
from bot.delivery.channels.base import ANY, AlertChannel, Notice

_TYPES = {"info": apprise.NotifyType.INFO, "warning": apprise.NotifyType.WARNING, "failure": apprise.NotifyType.FAILURE}
_HEADER_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}
_DEDUP_SCHEMES = {"pagerduty"}
_NOT_CHAT = _HEADER_SCHEMES | {"mailto", "mailtos"}  # no mentions to defang
_STATUS = re.compile(r"error=(\d{3})")


class Channel(AlertChannel):
    """One apprise URL; a fresh apprise object per send, so nothing leaks between alerts."""

    schemes = ANY  # every scheme no other channel module claims: apprise knows Slack, Teams, mailto, …

    def __init__(self, url: str, *, timeout_seconds: float = 10.0) -> None:
        super().__init__(url, timeout_seconds=timeout_seconds)
        self.scheme = urlsplit(url).scheme.lower()
        self.dedups = self.scheme in _HEADER_SCHEMES | _DEDUP_SCHEMES

    def send(self, notice: Notice) -> Delivery:
        notifier = apprise.Apprise()
        if not notifier.add(self._url_for(notice.idempotency_key)):
            return Delivery(ok=False, error=f"apprise cannot use {self!r}", retryable=False)
        try:
            with apprise.LogCapture(level=logging.WARNING) as captured:
                ok = notifier.notify(
                    body=self._text(notice.body),
                    title=self._text(notice.title),
                    notify_type=_TYPES[notice.severity],
                    body_format=apprise.NotifyFormat.TEXT,
                )
            log_text = captured.getvalue()
        except Exception as err:  # noqa: BLE001 - a channel reports, it never raises
            return Delivery(ok=False, error=f"{type(err).__name__}: {err}")
        if ok:
            return Delivery(ok=True, ref=notice.idempotency_key)
        return _failure(log_text)

    def _text(self, text: str) -> str:
        return text if self.scheme in _NOT_CHAT else defang_mentions(text)

    def _url_for(self, key: str) -> str:
        """The configured URL plus timeouts and, where the service dedups, the idempotency key."""
        extra = [f"cto={self.timeout_seconds:g}", f"rto={self.timeout_seconds:g}"]
        if self.scheme in _HEADER_SCHEMES:
            extra.append(f"+Idempotency-Key={quote(key, safe='')}")
        if self.scheme in _DEDUP_SCHEMES:
            extra.append(f"dedup={hashlib.sha256(key.encode('utf-8')).hexdigest()}")
        return self.url + ("&" if "?" in self.url else "?") + "&".join(extra)


def _failure(log_text: str) -> Delivery:
    """A failed Delivery, permanent when apprise logged a 4xx other than 408/409/425/429."""
    lines = [line.split(" - ", 2)[-1] for line in log_text.strip().splitlines()]
    error = (lines[-1] if lines else "apprise reported failure")[:300]
    match = _STATUS.search(log_text)
    status = int(match.group(1)) if match else None
    retryable = status is None or retryable_status(status)
    return Delivery(ok=False, error=error, retryable=retryable)


CHANNEL = Channel
