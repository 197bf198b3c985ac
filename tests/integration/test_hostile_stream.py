"""A hostile stream through `earshot run --once`: every output shows the posts without active content.

tests/fixtures/hostile/stream.jsonl holds one tweet and one Reddit post whose text, handle, display
name and permalink carry script and HTML (an `<h1>`, a password form, a tracking pixel), Slack and
Discord mentions and a disguised link, terminal escape sequences (window title, clipboard, OSC 8 link,
erase screen), bidi overrides and isolates, CR/LF, and personal data (phone numbers, split and
obfuscated e-mails, a card number, an IBAN, a VIN). They reach the alert e-mail (a loopback aiosmtpd),
a Slack incoming webhook and a signed ticket webhook (a loopback HTTP server), the feed's pages, the
digest (HTML file, e-mail and its short form to the executive tier) and the terminal (`earshot alerts
--table`, `earshot route --explain`). Everything outbound is redacted; the feed and the terminal, which
only responders read, show the words but nothing that acts.
"""

from __future__ import annotations

import email
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import apprise.plugins.slack as slack_plugin
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import classifiers
from bot.cli.main import app
from bot.delivery.channels import stub as stub_channel
from bot.store import Store
from bot.web.app import create_app
from bot.web.auth import hash_password
from classifiers.stub import StubClassifier
from tests.conftest import REPO
from tests.fakes.sinks import WEBHOOK_SECRET, FakeServices, fake_services
from tests.fakes.sinks_smtp import SmtpInbox, smtp_server

pytestmark = pytest.mark.slow  # `earshot run --once`, a Slack and an SMTP loopback: about 20 s

STREAM = REPO / "tests" / "fixtures" / "hostile"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
TWEET = "x:2123691040568525999"
ACTIVE = [  # the stranger's markup (the pages' own tags are not in this list)
    "<script>alert",
    "<h1>ALL CLEAR",
    "<form action=https://evil",
    "<input name=password",
    "<img src=https://evil",
    "<!channel>",
    "<!here>",
    "<@U024BE7LH>",
    "<https://evil.example|",
    "@evil.example",
]
CONTROLS = ["\x1b", "\x07", "\x9b", "\r", "\u202e", "\u202c", "\u2066", "\u2069", "PWNED-TITLE", "cm0gLXJmIH4="]
MENTIONS = ["@everyone"]  # pings in chat; plain words in a page or a mail
PII = [
    "555/123/4567",
    "123-4567",
    "5551234567",
    "jo@example.com",
    "jo\u200b@example.com",
    "name(at)example",
    "4111 1111 1111 1111",
    "DE89 3704",
    "1HGCM82633A004352",
]


@dataclass
class Run:
    log: str  # what `earshot run --once` wrote on stderr
    config: Path
    store: Store
    http: FakeServices
    smtp: SmtpInbox


def no_active_content(text: str, where: str, *, chat: bool = False) -> None:
    for token in ACTIVE + CONTROLS + (MENTIONS if chat else []):
        assert token not in text, f"{where} carries {token!r}"


def no_personal_data(text: str, where: str) -> None:
    for token in PII:
        assert token not in text, f"{where} carries {token!r}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("hostile")
    patch = pytest.MonkeyPatch()
    with fake_services(hold_seconds=1.0) as http, smtp_server(hold_seconds=1.0) as smtp:
        mail = f"mailto://127.0.0.1:{smtp.port}?from=earshot@example.com&to=oncall@example.com&mode=insecure"
        document = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
        document["database"] = {"url": f"sqlite:///{tmp / 'earshot.db'}"}
        document["connectors"]["replay"]["path"] = str(STREAM)
        tiers = document["routing"]["alerts"]["tiers"]
        tiers["on-call"]["urls"] = [SLACK, mail, "stub://on-call"]
        tiers["executive"]["urls"] = [SLACK, "stub://executive"]
        document["routing"]["tickets"]["sinks"]["webhook"] = {
            "enabled": True,
            "url": f"{http.url}/hook",
            "redact": True,
        }
        document["digest"] |= {
            "recipients": ["ceo@example.com"],
            "smtp": {"host": "127.0.0.1", "port": smtp.port, "tls": "none"},
            "schedules": [],
        }
        config = tmp / "config.yaml"
        config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        patch.delenv("EARSHOT_DATABASE_URL", raising=False)
        patch.setenv("EARSHOT_WEBHOOK_SECRET", WEBHOOK_SECRET)
        patch.setattr(classifiers, "load_classifier", lambda settings, **_: StubClassifier(), raising=False)
        patch.setattr(slack_plugin.NotifySlack, "webhook_url", http.url + "/services")
        stub_channel.SENT.clear()
        result = CliRunner().invoke(app, ["run", "--once", "--config", str(config)])
        assert result.exit_code == 0, result.output
        try:
            yield Run(
                log=result.stderr,
                config=config,
                store=Store.open(f"sqlite:///{tmp / 'earshot.db'}"),
                http=http,
                smtp=smtp,
            )
        finally:
            patch.undo()


def cli(run: Run, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--config", str(run.config)])
    assert result.exit_code == 0, result.output
    return result.stdout


def mails(inbox: SmtpInbox) -> list[EmailMessage]:
    parsed = [email.message_from_bytes(raw, policy=default) for raw in inbox.messages]
    return [m for m in parsed if isinstance(m, EmailMessage)]


def test_both_hostile_posts_are_stored_and_paged(hostile: Run) -> None:
    pages = [n for n in stub_channel.SENT["on-call"] if "overheated" in n.body.lower()]
    assert len(pages) == 2, [n.title for n in stub_channel.SENT["on-call"]]


def test_the_slack_webhook_gets_escaped_text_without_mentions_links_or_personal_data(hostile: Run) -> None:
    assert hostile.http.received.slack
    for body in hostile.http.received.slack:
        text = json.dumps(body, ensure_ascii=False)
        no_active_content(text, "the Slack message", chat=True)
        no_personal_data(text, "the Slack message")
        assert body.get("mrkdwn") is False or "mrkdwn" not in body
        assert "&lt;script&gt;" in text or "＜" in text  # shown as written, not dropped


def test_the_alert_mail_is_plain_text_with_personal_data_masked(hostile: Run) -> None:
    alerts = [m for m in mails(hostile.smtp) if "digest" not in str(m["Subject"])]
    assert alerts
    for message in alerts:
        types = {part.get_content_type() for part in message.walk() if not part.is_multipart()}
        assert types == {"text/plain"}, types
        text = ""
        for part in message.walk():
            if not part.is_multipart():
                text += part.get_content().replace("\r\n", "\n")  # SMTP's own line ends
        for token in CONTROLS:  # text/plain: markup is shown as written, so only controls could act
            assert token not in text + str(message["Subject"]), f"the alert e-mail carries {token!r}"
        assert "<h1>ALL CLEAR" in text  # as written, in a part no mail client renders as HTML
        no_personal_data(text + str(message["Subject"]), "the alert e-mail")
        assert "[card]" in text and "[iban]" in text and "[phone]" in text and "[email]" in text


def test_the_ticket_webhook_with_redact_gets_no_personal_data(hostile: Run) -> None:
    assert hostile.http.received.webhook and not hostile.http.received.bad_signatures
    for body in hostile.http.received.webhook.values():
        ticket = body.get("ticket") or body.get("comment")
        no_personal_data(json.dumps(ticket, ensure_ascii=False), "the webhook ticket")


def test_the_feed_shows_the_words_and_nothing_that_acts(hostile: Run) -> None:
    with hostile.store.transaction() as tx:
        tx.users.add("rory", "responder", hash_password("correct horse battery"))
        alert_ids = [a.id for a in tx.listings.alerts(unacked=False, limit=10)]
    client = TestClient(create_app(hostile.store), follow_redirects=False)
    login = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', login.text)
    assert csrf
    form = {"username": "rory", "password": "correct horse battery", "csrf_token": csrf.group(1), "next": "/"}
    assert client.post("/login", data=form).status_code == 303
    for path in ["/", *(f"/alerts/{i}" for i in alert_ids)]:
        page = client.get(path)
        assert page.status_code == 200, path
        no_active_content(page.text.replace("<script src=", "<scr-ok src="), f"the feed page {path}")
        assert "&lt;script&gt;" in page.text and "gpj.exe" in page.text
        assert 'href="https://www.reddit.com/comments/h0st1le"' in page.text or path != "/"


def test_the_digest_file_mail_and_short_form_are_inert_and_redacted(hostile: Run, tmp_path: Path) -> None:
    out = tmp_path / "digest.html"
    cli(hostile, "digest", "--since", "24h", "--out", str(out))
    html = out.read_text(encoding="utf-8")
    no_active_content(html, "the digest file")
    no_personal_data(html, "the digest file")
    before, slack_before = len(hostile.smtp.messages), len(hostile.http.received.slack)
    stub_channel.SENT.pop("executive", None)
    cli(hostile, "digest", "--since", "24h", "--send")
    for part in mails(hostile.smtp)[before].walk():
        text = part.get_content().replace("\r\n", "\n") if part.get_content_maintype() == "text" else ""
        if part.get_content_type() == "text/html":
            no_active_content(text, "the digest mail's HTML")
        if text:
            for token in CONTROLS:
                assert token not in text, f"the digest mail's {part.get_content_type()} carries {token!r}"
            no_personal_data(text, f"the digest mail's {part.get_content_type()}")
    short = stub_channel.SENT["executive"]
    assert short and "overheated" in short[-1].body.lower()
    no_personal_data(short[-1].title + short[-1].body, "the digest's short form")
    in_slack = hostile.http.received.slack[slack_before:]
    assert in_slack, "the short form never reached the executive tier's Slack"
    no_active_content(json.dumps(in_slack, ensure_ascii=False), "the digest's short form in Slack", chat=True)
    no_personal_data(json.dumps(in_slack, ensure_ascii=False), "the digest's short form in Slack")


def test_the_log_lines_stay_one_line_each_without_controls(hostile: Run) -> None:
    for token in CONTROLS:
        assert token not in hostile.log, f"the log carries {token!r}"
    assert not [line for line in hostile.log.splitlines() if line.startswith("INFO forged")]


def test_the_terminal_gets_no_escape_sequence_or_bidi_override(hostile: Run) -> None:
    table = cli(hostile, "alerts", "--table")
    lines = cli(hostile, "alerts")
    explained = cli(hostile, "route", "--explain", TWEET)
    tickets = cli(hostile, "tickets")
    for name, text in (("alerts --table", table), ("alerts", lines), ("route --explain", explained)):
        for token in CONTROLS:
            assert token not in text, f"`earshot {name}` prints {token!r}"
    assert "overheated" in table.lower() and "gpj.exe" in explained
    assert "\x1b" not in tickets and "\u202e" not in tickets
    assert all(json.loads(line) for line in lines.splitlines())
