"""The digest as an e-mail: multipart/alternative (text, then HTML with its charts inline as CID parts), over SMTP."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate

from bot.core.errors import SinkError
from bot.digest.settings import SmtpSettings


def content_id(name: str, key: str) -> str:
    """The Content-ID of a chart (without the angle brackets): unique per digest."""
    return f"{name}.{key}@earshot"


def build_message(
    *,
    sender: str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str,
    images: Mapping[str, bytes],
    key: str,
) -> EmailMessage:
    """The e-mail; `html` references each image as `cid:<content_id(name, key)>`; `key` makes the Message-ID,
    so a digest sent again after a crash carries the same id and mail clients show it once."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<digest.{key}@earshot>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    for name, png in images.items():
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=f"<{content_id(name, key)}>",
            filename=f"{name}.png",
            disposition="inline",
        )
    return message


def send(settings: SmtpSettings, password: str, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; SinkError (one line) when it cannot."""
    where = f"{settings.host}:{settings.port}"
    try:
        smtp: smtplib.SMTP
        if settings.tls == "ssl":
            smtp = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with smtp:
            if settings.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, password)
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as err:
        raise SinkError(f"digest: the SMTP server at {where} did not take the mail: {_one_line(err)}") from err
    if refused:
        raise SinkError(f"digest: the SMTP server at {where} refused {', '.join(sorted(refused))}")


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__
