"""Makes digests: compose, chart, render, keep every one in the store, and deliver it (e-mail, alert channels).

A scheduled digest is claimed first (one row per schedule and period, see `tx.digests.claim`):
it is built and sent by one process only, and a sent one is never sent again, across restarts.
A send that fails keeps the claim and is retried after RETRY, until the period is LATE.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core.clock import utcnow
from bot.core.errors import SinkError
from bot.core.stage import Stage
from bot.delivery.channels.base import AlertChannel, Notice
from bot.digest.charts import charts
from bot.digest.compose import compose
from bot.digest.mail import build_message, content_id, send
from bot.digest.model import Digest
from bot.digest.redaction import redact_digest
from bot.digest.render import render_html, render_text, short_form, subject
from bot.digest.schedule import latest_period
from bot.digest.settings import DigestSettings
from bot.store import Store

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=15)  # a claim held longer than this by a process that died is taken over
RETRY = timedelta(minutes=5)
LATE = timedelta(hours=6)  # a scheduled digest this late is skipped (the daemon was down)


@dataclass(frozen=True, kw_only=True)
class Built:
    """A rendered digest: its subject, text, HTML for mail (cid: charts) and for a file (inline charts)."""

    digest: Digest
    subject: str
    text: str
    html_mail: str
    html_file: str
    images: dict[str, bytes]
    key: str


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What one run did."""

    digest_id: int
    built: Built
    sent_to: int  # recipients the mail went to (0: not sent)


class DigestService(Stage):
    """Builds, keeps and delivers digests for one brand."""

    def __init__(
        self,
        store: Store,
        settings: DigestSettings,
        *,
        brand: str,
        own_handles: Sequence[str] = (),
        feed_base_url: str = "",
        channels: Sequence[AlertChannel] = (),
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utcnow,
        interval_seconds: int | None = None,
        source_names: Mapping[str, str] | None = None,
        redact_short_form: bool = False,
    ) -> None:
        """`redact_short_form`: mask the short form even when `digest.redact` is off (`routing.alerts.redact`:
        it goes through the alert channels)."""
        self.store, self.settings = store, settings
        self.brand, self.own_handles, self.feed_base_url = brand, tuple(own_handles), feed_base_url.rstrip("/")
        self.channels = list(channels)
        self.password = (env or {}).get(settings.smtp.password_env, "")
        self.clock = clock
        self.name = "digest"
        self.interval_seconds = interval_seconds or settings.check_interval_seconds
        self.source_names = dict(source_names or {})  # source -> display name, declared by each source package
        self.redact_short_form = redact_short_form

    def build(self, start: datetime, end: datetime, *, timezone: str | None = None, key: str = "0") -> Built:
        digest = compose(
            self.store,
            start,
            end,
            brand=self.brand,
            own_handles=self.own_handles,
            feed_base_url=self.feed_base_url,
            top=self.settings.top,
            timezone=timezone or self.settings.timezone,
        )
        digest = replace(digest, source_names=self.source_names)
        if self.settings.redact:
            digest = redact_digest(digest)
        images = charts(digest)
        inline = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in images.items()}
        return Built(
            digest=digest,
            subject=subject(digest),
            text=render_text(digest),
            html_mail=render_html(digest, {name: f"cid:{content_id(name, key)}" for name in images}),
            html_file=render_html(digest, inline),
            images=images,
            key=key,
        )

    def run(self, start: datetime, end: datetime, *, send_mail: bool = False) -> Outcome:
        """A digest made by hand (`earshot digest`): kept, and sent when asked."""
        now = self.clock()
        with self.store.transaction(now=now) as tx:
            digest_id = tx.digests.claim(f"manual {now.isoformat()}", start, end, lease_until=now + LEASE)
        assert digest_id is not None, "a manual digest's schedule name is unique"
        return self._deliver(digest_id, start, end, timezone=None, send_mail=send_mail, retry=False)

    def run_once(self) -> int:
        """Build and send every scheduled digest that is due and not claimed yet; returns how many were sent."""
        now, sent = self.clock(), 0
        for schedule in self.settings.schedules:
            period = latest_period(schedule, now)
            if now - period.end > LATE:
                continue
            with self.store.transaction(now=now) as tx:
                digest_id = tx.digests.claim(schedule.name, period.start, period.end, lease_until=now + LEASE)
            if digest_id is None:
                continue
            try:
                self._deliver(
                    digest_id, period.start, period.end, timezone=schedule.timezone, send_mail=True, retry=True
                )
            except SinkError:
                continue  # logged; the claim is retried after RETRY
            sent += 1
        return sent

    def _deliver(
        self, digest_id: int, start: datetime, end: datetime, *, timezone: str | None, send_mail: bool, retry: bool
    ) -> Outcome:
        built = self.build(start, end, timezone=timezone, key=str(digest_id))
        summary = {
            "items": [{"rank": i.rank, "title": i.title, "incident_id": i.incident_id} for i in built.digest.items],
            "complaints": built.digest.complaints.now,
            "viral": built.digest.viral,
            "viral_answered": built.digest.viral_answered,
            "answered_before": built.digest.reuse.suggested if built.digest.reuse else 0,
        }
        mailing = send_mail and bool(self.settings.recipients)
        with self.store.transaction() as tx:
            tx.digests.keep(
                digest_id,
                subject=built.subject,
                text=built.text,
                html=built.html_file,
                summary=summary,
                status="claimed" if mailing else "kept",
            )
        if not mailing:
            return Outcome(digest_id=digest_id, built=built, sent_to=0)
        try:
            self._mail(built)
        except SinkError as err:
            log.warning("digest %d not sent: %s", digest_id, err, extra={"digest_id": digest_id})
            with self.store.transaction() as tx:
                if retry:  # a scheduled digest: another attempt after RETRY
                    tx.digests.mark(digest_id, status="claimed", error=str(err), retry_at=self.clock() + RETRY)
                else:
                    tx.digests.mark(digest_id, status="failed", error=str(err))
            raise
        with self.store.transaction() as tx:
            tx.digests.mark(digest_id, status="sent")
        self._announce(digest_id, built)
        log.info("digest sent", extra={"digest_id": digest_id, "recipients": len(self.settings.recipients)})
        return Outcome(digest_id=digest_id, built=built, sent_to=len(self.settings.recipients))

    def _mail(self, built: Built) -> None:
        message = build_message(
            sender=self.settings.sender,
            recipients=self.settings.recipients,
            subject=built.subject,
            text=built.text,
            html=built.html_mail,
            images=built.images,
            key=built.key,
        )
        send(self.settings.smtp, self.password, message)

    def _announce(self, digest_id: int, built: Built) -> None:
        """The short form through the alert channels of `digest.alert_tiers`; a failure is logged only."""
        link = f"{self.feed_base_url}/digests/{digest_id}" if self.feed_base_url else None
        digest = built.digest
        if self.redact_short_form and not self.settings.redact:
            digest = redact_digest(digest)
        title, body = short_form(digest, link)
        for channel in self.channels:
            notice = Notice(
                title=title,
                body=body,
                severity="info",
                idempotency_key=f"digest:{digest_id}:{channel.channel_id}",
                url=link,
            )
            delivery = channel.send(notice)
            if not delivery.ok:
                log.warning("digest %d: short form not delivered: %s", digest_id, delivery.error)
