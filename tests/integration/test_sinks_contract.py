"""One contract for every ticket sink and alert channel, against loopback servers shaped like the real ones.

Every sink: success, a permanent rejection, an outage, a timeout, a retry after an outage, a
retry after a lost reply, and a repeat of the same idempotency key. Sinks that dedup must end
with exactly one remote object; Slack and email cannot dedup and may repeat (at-least-once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import apprise.plugins.pagerduty as pagerduty_plugin
import apprise.plugins.slack as slack_plugin
import pytest

from bot.core.actions import Delivery, TicketRequest
from bot.delivery.channels.apprise_channel import Channel as AppriseChannel
from bot.delivery.channels.base import Notice
from bot.delivery.sinks import jira, webhook, zendesk
from tests.fakes.sinks import WEBHOOK_SECRET, FakeServices, fake_services
from tests.fakes.sinks_smtp import SmtpInbox, smtp_server

TIMEOUT = 0.3
SLACK_URL = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"


@dataclass(frozen=True)
class Loopback:
    http: FakeServices
    smtp: SmtpInbox


@dataclass(frozen=True)
class Case:
    """How to reach one sink, how to count what it created, and what it promises."""

    name: str
    make: Callable[[Loopback], Callable[[str], Delivery]]  # -> send(idempotency_key)
    created: Callable[[Loopback], int]
    secret: str  # must never show in repr()
    make_repr: Callable[[Loopback], str]
    dedups: bool = True
    rejection_is_permanent: bool = True  # apprise's email plugin reports no SMTP code
    smtp: bool = False


def _request(key: str) -> TicketRequest:
    return TicketRequest(
        idempotency_key=key,
        queue="social",
        priority="high",
        subject="Charged $30,000 for a recall",
        body="They charged me for a recall repair",
        post_url="https://x.com/a/status/1",
        author_handle="a",
        requester_reach=40,
    )


def _notice(key: str) -> Notice:
    return Notice(
        title="[executive] Charged for a recall",
        body=f"text\nRef: {key}",
        severity="failure",
        idempotency_key=key,
        url="https://x.com/a/status/1",
    )


def _zendesk(lb: Loopback) -> zendesk.Sink:
    return zendesk.Sink(
        "zendesk",
        zendesk.Settings(enabled=True, url=lb.http.url, email="agent@example.com"),
        token="zd-token-123",
        timeout_seconds=TIMEOUT,
    )


def _jira(lb: Loopback) -> jira.Sink:
    return jira.Sink(
        "jira",
        jira.Settings(enabled=True, url=lb.http.url, project="SOC", email="bot@example.com"),
        token="jira-token-123",
        timeout_seconds=TIMEOUT,
    )


def _webhook(lb: Loopback) -> webhook.Sink:
    return webhook.Sink(
        "webhook",
        webhook.Settings(enabled=True, url=lb.http.url + "/hook"),
        secret=WEBHOOK_SECRET,
        timeout_seconds=TIMEOUT,
    )


def _channel(url: Callable[[Loopback], str]) -> Callable[[Loopback], AppriseChannel]:
    return lambda lb: AppriseChannel(url(lb), timeout_seconds=TIMEOUT)


def _json_url(lb: Loopback) -> str:
    return f"json://earshot:pw-9876@127.0.0.1:{lb.http.server_address[1]}/alerts"


def _mail_url(lb: Loopback) -> str:
    return f"mailto://127.0.0.1:{lb.smtp.port}?from=earshot@example.com&to=oncall@example.com&mode=insecure"


CASES = [
    Case(
        "zendesk",
        lambda lb: lambda k: _zendesk(lb).open(_request(k)),
        lambda lb: len(lb.http.received.tickets),
        "zd-token-123",
        lambda lb: repr(_zendesk(lb)),
    ),
    Case(
        "jira",
        lambda lb: lambda k: _jira(lb).open(_request(k)),
        lambda lb: len(lb.http.received.issues),
        "jira-token-123",
        lambda lb: repr(_jira(lb)),
    ),
    Case(
        "webhook",
        lambda lb: lambda k: _webhook(lb).open(_request(k)),
        lambda lb: len(lb.http.received.webhook),
        WEBHOOK_SECRET,
        lambda lb: repr(_webhook(lb)),
    ),
    Case(
        "slack",
        lambda lb: lambda k: _channel(lambda _: SLACK_URL)(lb).send(_notice(k)),
        lambda lb: len(lb.http.received.slack),
        "TIiajkdnlazkcOXrIdevi7",
        lambda lb: repr(_channel(lambda _: SLACK_URL)(lb)),
        dedups=False,
    ),
    Case(
        "pagerduty",
        lambda lb: lambda k: _channel(lambda _: "pagerduty://intkey42@apikey42")(lb).send(_notice(k)),
        lambda lb: len(lb.http.received.pagerduty),
        "apikey42",
        lambda lb: repr(_channel(lambda _: "pagerduty://intkey42@apikey42")(lb)),
    ),
    Case(
        "json-webhook",
        lambda lb: lambda k: _channel(_json_url)(lb).send(_notice(k)),
        lambda lb: len(lb.http.received.json_alerts),
        "pw-9876",
        lambda lb: repr(_channel(_json_url)(lb)),
    ),
    Case(
        "email",
        lambda lb: lambda k: _channel(_mail_url)(lb).send(_notice(k)),
        lambda lb: len(lb.smtp.messages),
        "oncall@example.com",
        lambda lb: repr(_channel(_mail_url)(lb)),
        dedups=False,
        rejection_is_permanent=False,
        smtp=True,
    ),
]


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    with fake_services(hold_seconds=1.0) as http, smtp_server(hold_seconds=1.0) as smtp:
        yield Loopback(http, smtp)


@pytest.fixture
def lb(loopback: Loopback, monkeypatch: pytest.MonkeyPatch) -> Loopback:
    """A clean loopback, with apprise's fixed Slack and PagerDuty hosts pointed at it."""
    loopback.http.received.__init__()  # type: ignore[misc]
    loopback.http.script.clear()
    loopback.smtp.messages.clear()
    loopback.smtp.script.clear()
    monkeypatch.setattr(slack_plugin.NotifySlack, "webhook_url", loopback.http.url + "/services")
    for region in list(pagerduty_plugin.PAGERDUTY_API_LOOKUP):
        monkeypatch.setitem(pagerduty_plugin.PAGERDUTY_API_LOOKUP, region, loopback.http.url + "/v2/enqueue")
    return loopback


def _script(lb: Loopback, case: Case, *faults: Any) -> None:
    smtp_codes = {422: "550 5.7.1 rejected", 503: "451 4.3.0 try again later"}
    if case.smtp:
        lb.smtp.script.extend(smtp_codes.get(f, f) for f in faults)  # type: ignore[arg-type]
    else:
        lb.http.script.extend(faults)


def _key(case: Case, suffix: str) -> str:
    return f"post:{case.name}:{suffix}:{datetime.now(UTC).timestamp()}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
class TestSinkContract:
    def test_success_creates_one_remote_object(self, case: Case, lb: Loopback) -> None:
        result = case.make(lb)(_key(case, "ok"))
        assert result.ok and result.error is None
        assert case.created(lb) == 1

    def test_rejection_fails_without_creating(self, case: Case, lb: Loopback) -> None:
        _script(lb, case, 422)
        result = case.make(lb)(_key(case, "rejected"))
        assert not result.ok and result.error
        assert result.retryable is not case.rejection_is_permanent
        assert case.created(lb) == 0

    def test_outage_is_retryable_and_a_retry_creates_exactly_one(self, case: Case, lb: Loopback) -> None:
        send, key = case.make(lb), _key(case, "outage")
        _script(lb, case, 503)
        first = send(key)
        assert not first.ok and first.retryable
        assert send(key).ok
        assert case.created(lb) == 1

    def test_timeout_is_retryable_and_bounded(self, case: Case, lb: Loopback) -> None:
        _script(lb, case, "timeout")
        started = time.monotonic()
        result = case.make(lb)(_key(case, "timeout"))
        assert not result.ok and result.retryable
        assert time.monotonic() - started < TIMEOUT * 4 + 1.0
        assert case.created(lb) == 0

    def test_retry_after_a_lost_reply_never_opens_a_second(self, case: Case, lb: Loopback) -> None:
        send, key = case.make(lb), _key(case, "lost")
        _script(lb, case, "lost")
        assert not send(key).ok
        assert send(key).ok
        assert case.created(lb) == 1 if case.dedups else case.created(lb) >= 1

    def test_repeated_idempotency_key_is_harmless(self, case: Case, lb: Loopback) -> None:
        send, key = case.make(lb), _key(case, "again")
        assert send(key).ok and send(key).ok
        assert case.created(lb) == (1 if case.dedups else 2)

    def test_repr_masks_secrets(self, case: Case, lb: Loopback) -> None:
        assert case.secret not in case.make_repr(lb)


TICKET_SINKS: dict[str, tuple[Callable[[Loopback], Any], Callable[[Loopback, str], list[str]]]] = {
    "zendesk": (_zendesk, lambda lb, ref: lb.http.received.zendesk_comments.get(ref, [])[1:]),
    "jira": (_jira, lambda lb, ref: lb.http.received.jira_comments.get(ref, [])),
    "webhook": (
        _webhook,
        lambda lb, ref: [b["comment"]["body"] for b in lb.http.received.webhook.values() if b.get("ticket_ref") == ref],
    ),
}


@pytest.mark.parametrize("name", list(TICKET_SINKS))
def test_follow_up_comment_lands_once_on_the_opened_ticket(name: str, lb: Loopback) -> None:
    make, comments = TICKET_SINKS[name]
    sink = make(lb)
    opened = sink.open(_request(f"{name}:open"))
    assert opened.ok and opened.ref
    follow_up = TicketRequest(**{**_request(f"{name}:comment").__dict__, "body": "still waiting"})
    lb.http.script.append("lost")
    assert not sink.comment(opened.ref, follow_up).ok
    assert sink.comment(opened.ref, follow_up).ok
    assert [c.split("\n")[0] for c in comments(lb, opened.ref)] == ["still waiting"]


def test_webhook_signed_with_the_wrong_secret_is_refused_for_good(lb: Loopback) -> None:
    sink = webhook.Sink(
        "webhook",
        webhook.Settings(enabled=True, url=lb.http.url + "/hook"),
        secret="not-the-secret",
        timeout_seconds=TIMEOUT,
    )
    result = sink.open(_request("wrong-secret"))
    assert not result.ok and not result.retryable and "401" in (result.error or "")
    assert lb.http.received.bad_signatures == 1 and lb.http.received.webhook == {}
