"""The respond stage: responders' replies become responses of the posts they answer.

A public reply from someone who speaks for the brand (`brand.responders`) is linked to the
post it answers (X `referenced_tweets` replied_to, else the conversation's root; Reddit
`parent_id`, else the submission), late if the reply came first. The first reply is kept on each
alert of that post (the message shows it if it is still unsent, the feed and `route --explain`
always); with `routing.alerts.public_reply_acknowledges` it also acknowledges the post's open
alerts, so nobody is paged about a complaint the brand already answered. Never an alert of the
safety override, nor of a tier with `public_reply_acknowledges: false`: "please DM us" is not the
danger handled, and such a page escalates until a person acknowledges it.

An alert raised after the reply was linked gets it when it is stored (`Outbox.enqueue_alert`), so
which of the two stages runs first changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bot.core.clock import utcnow
from bot.core.stage import Stage
from bot.store import Store

log = logging.getLogger(__name__)


class ResponseStage(Stage):
    """Records and links public replies, keeps them on alerts, and (optionally) lets them acknowledge; idempotent."""

    name = "respond"

    def __init__(
        self,
        store: Store,
        responders: Mapping[str, Sequence[str]],
        *,
        acknowledges: bool = True,
        interval_seconds: int = 5,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.responders = {source: tuple(handles) for source, handles in responders.items()}
        self.acknowledges = acknowledges
        self.interval_seconds = interval_seconds
        self.clock = clock

    def run_once(self) -> int:
        """Responses recorded, linked, and alerts that got a reply or were acknowledged, in this pass."""
        if not any(self.responders.values()):
            return 0
        with self.store.transaction(now=self.clock()) as tx:
            recorded = tx.responses.record(self.responders)
            linked = tx.responses.link(self.responders)
            answered = tx.responses.answered_alerts(unacked=self.acknowledges)
            acked = sum(tx.alerts.note_public_reply(a, reply, acknowledges=self.acknowledges) for a, reply in answered)
        if recorded or linked or answered:
            log.info(
                "responses",
                extra={"recorded": recorded, "linked": linked, "alerts_answered": len(answered), "alerts_acked": acked},
            )
        return recorded + linked + len(answered)
