"""The digest by e-mail to a loopback SMTP server (aiosmtpd), parsed back with `email`; scheduled sends go once."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default

import pytest

from bot.core.errors import SinkError
from bot.delivery.channels import stub as stub_channel
from bot.delivery.channels.stub import Channel as StubChannel
from bot.digest import DigestSettings
from bot.digest.service import RETRY, DigestService
from bot.store import Store
from tests.fakes.sinks_smtp import SmtpInbox, smtp_server
from tests.unit.digest_support import END, START, fill

PARIS_MORNING = datetime(2026, 11, 21, 6, 5, tzinfo=UTC)  # 07:05 in Paris, the day after the fixed scenario


def settings(port: int, **extra: object) -> DigestSettings:
    return DigestSettings.model_validate(
        {
            "recipients": ["ceo@example.com", "comms@example.com"],
            "sender": "earshot@example.com",
            "smtp": {"host": "127.0.0.1", "port": port, "tls": "none"},
            "schedules": [{"name": "daily", "every": "day", "at": "07:00", "timezone": "Europe/Paris"}],
            **extra,
        }
    )


def service(store: Store, port: int, now: datetime, **extra: object) -> DigestService:
    return DigestService(
        store,
        settings(port, **extra),
        brand="Aurora Motors",
        own_handles=("AuroraMotors", "AuroraSupport"),
        feed_base_url="http://feed.example",
        channels=[StubChannel("stub://executive")],
        clock=lambda: now,
    )


@pytest.fixture
def filled(sqlite_store: Store) -> Store:
    fill(sqlite_store)
    stub_channel.SENT.clear()
    return sqlite_store


def parsed(inbox: SmtpInbox, index: int = 0) -> EmailMessage:
    message = email.message_from_bytes(inbox.messages[index], policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_digest_arrives_as_multipart_alternative_with_inline_charts(filled: Store) -> None:
    with smtp_server() as inbox:
        outcome = service(filled, inbox.port, END).run(START, END, send_mail=True)
    assert outcome.sent_to == 2 and len(inbox.messages) == 1
    message = parsed(inbox)
    assert message.get_content_type() == "multipart/alternative"
    assert message["To"] == "ceo@example.com, comms@example.com" and "recall repair" in message["Subject"]
    text, related = message.get_payload()  # type: ignore[misc]
    assert text.get_content_type() == "text/plain" and related.get_content_type() == "multipart/related"
    html_part, *images = related.get_payload()
    html = html_part.get_content()
    assert html_part.get_content_type() == "text/html" and {i.get_content_type() for i in images} == {"image/png"}
    for image in images:
        assert image["Content-Disposition"].startswith("inline")
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html
        assert image.get_content().startswith(b"\x89PNG")
    assert len(images) == 2
    first = outcome.built.digest.items[0]
    assert (
        f'href="{first.representative.url}"' in html
        and f'href="http://feed.example/incidents/{first.incident_id}"' in html
    )
    assert "no public reply yet" in text.get_content() and "no public reply yet" in html
    [notice] = stub_channel.SENT["executive"]  # the short form through the alert channel
    assert notice.url == f"http://feed.example/digests/{outcome.digest_id}" and "#1" in notice.body


def test_a_scheduled_digest_is_sent_once_across_a_restart_and_a_second_process(filled: Store) -> None:
    with smtp_server() as inbox:
        assert service(filled, inbox.port, PARIS_MORNING).run_once() == 1
        assert service(filled, inbox.port, PARIS_MORNING + timedelta(minutes=1)).run_once() == 0  # restarted
        assert service(filled, inbox.port, PARIS_MORNING + timedelta(hours=2)).run_once() == 0  # another process
    assert len(inbox.messages) == 1
    with filled.transaction() as tx:
        [kept] = tx.digests.recent()
    assert (kept.schedule, kept.status, kept.period_end) == ("daily", "sent", datetime(2026, 11, 21, 6, 0, tzinfo=UTC))
    assert kept.sent_at is not None and "No complaint went viral" not in kept.text


def test_a_claim_held_by_a_live_process_is_left_alone(filled: Store) -> None:
    with filled.transaction(now=PARIS_MORNING) as tx:
        held = tx.digests.claim(
            "daily",
            PARIS_MORNING - timedelta(days=1, minutes=5),
            PARIS_MORNING - timedelta(minutes=5),
            lease_until=PARIS_MORNING + timedelta(minutes=15),
        )
    assert held is not None
    with smtp_server() as inbox:
        assert service(filled, inbox.port, PARIS_MORNING).run_once() == 0
    assert inbox.messages == []


def test_a_failed_send_is_retried_later_and_still_goes_once(filled: Store) -> None:
    with smtp_server() as inbox:
        inbox.script.append("554 5.3.0 mailbox unavailable")
        assert service(filled, inbox.port, PARIS_MORNING).run_once() == 0
        assert service(filled, inbox.port, PARIS_MORNING + timedelta(minutes=1)).run_once() == 0  # not yet
        assert service(filled, inbox.port, PARIS_MORNING + RETRY + timedelta(minutes=1)).run_once() == 1
        assert service(filled, inbox.port, PARIS_MORNING + RETRY + timedelta(minutes=2)).run_once() == 0
    assert len(inbox.messages) == 1


def test_a_manual_send_to_a_server_that_is_down_is_one_clear_error(filled: Store) -> None:
    with smtp_server() as inbox:
        port = inbox.port
    with pytest.raises(SinkError, match=re.escape(f"127.0.0.1:{port}")):
        service(filled, port, END).run(START, END, send_mail=True)
    with filled.transaction() as tx:
        [kept] = tx.digests.recent()
    assert kept.status == "failed" and kept.text  # kept all the same, readable with --show


def test_two_processes_claiming_the_same_period_at_once_get_it_once(store_url: str) -> None:
    """Two stores (two processes) race to claim one (schedule, period): exactly one wins."""
    import threading

    first, second = Store.open(store_url), Store.open(store_url)
    start, end = PARIS_MORNING - timedelta(days=1), PARIS_MORNING
    results: list[int | None] = []
    try:
        with first.transaction(now=PARIS_MORNING) as tx:
            results.append(tx.digests.claim("daily", start, end, lease_until=end + timedelta(minutes=15)))

            def other() -> None:
                with second.transaction(now=PARIS_MORNING) as other_tx:
                    results.append(other_tx.digests.claim("daily", start, end, lease_until=end + timedelta(minutes=15)))

            racer = threading.Thread(target=other)
            racer.start()
            racer.join(timeout=0.5)  # it waits on the first claim's row, which is not committed yet
        racer.join(timeout=30)
    finally:
        first.engine.dispose()
        second.engine.dispose()
    assert results[0] is not None and results[1:] == [None]


def test_the_short_form_is_redacted_when_alerts_are_though_the_digest_is_not(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit import digest_support

    monkeypatch.setattr(digest_support, "RECALL", "jo@example.com 555/123/4567: " + digest_support.RECALL)
    fill(sqlite_store)
    stub_channel.SENT.clear()
    with smtp_server() as inbox:
        DigestService(
            sqlite_store,
            settings(inbox.port, redact=False),
            brand="Aurora Motors",
            feed_base_url="http://feed.example",
            channels=[StubChannel("stub://executive")],
            clock=lambda: END,
            redact_short_form=True,  # routing.alerts.redact: the short form goes through the alert channels
        ).run(START, END, send_mail=True)
        assert "555/123/4567" in parsed(inbox).get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    short = stub_channel.SENT["executive"][-1]
    assert "555/123/4567" not in short.title + short.body and "jo@example.com" not in short.title + short.body
    assert "[phone]" in short.title + short.body


def test_the_digest_is_redacted_by_default(sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.unit import digest_support

    monkeypatch.setattr(digest_support, "RECALL", "jo@example.com 555/123/4567: " + digest_support.RECALL)
    fill(sqlite_store)
    with smtp_server() as inbox:
        built = service(sqlite_store, inbox.port, END).run(START, END, send_mail=True).built
        mail = parsed(inbox)
    for text in (built.text, built.html_file, built.subject, mail.as_string()):
        assert "555/123/4567" not in text and "jo@example.com" not in text
    assert "[phone]" in built.text and "[email]" in built.text
