"""A loopback SMTP server (aiosmtpd) that counts messages and plays scripted replies."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


class SmtpInbox:
    """aiosmtpd handler: keeps accepted messages; `script` holds replies or `"timeout"`/`"lost"` faults."""

    def __init__(self, hold_seconds: float = 1.0) -> None:
        self.messages: list[bytes] = []
        self.script: list[str] = []
        self.hold_seconds = hold_seconds
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        fault = self.script.pop(0) if self.script else None
        if fault == "timeout":
            await asyncio.sleep(self.hold_seconds)  # server side only: the client gives up first
            return "451 4.4.2 too late"
        if fault == "lost":
            self.messages.append(envelope.content)
            return "451 4.3.0 accepted but the reply is lost"
        if fault:
            return fault
        self.messages.append(envelope.content)
        return "250 OK"

    def keys(self) -> set[str]:
        """The `Ref:` lines of the accepted messages (the idempotency keys)."""
        found = set()
        for message in self.messages:
            for line in message.decode("utf-8", "replace").splitlines():
                if line.startswith("Ref: "):
                    found.add(line[5:].strip())
        return found


@contextmanager
def smtp_server(hold_seconds: float = 1.0) -> Iterator[SmtpInbox]:
    """Run an SMTP server on 127.0.0.1 (a free ephemeral port) for the block."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    inbox = SmtpInbox(hold_seconds)
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
