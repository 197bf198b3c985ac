"""The respond stage: responders' replies become responses of the posts they answer.

A public reply from someone who speaks for the brand (`brand.responders`) is linked to the
post it answers (X `referenced_tweets` replied_to, else the conversation's root; Reddit
`parent_id`, else the submission), late if the reply came first; with
`routing.alerts.public_reply_acknowledges` it acknowledges that post's open alerts, so nobody
is paged about a complaint the brand already answered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from bot.core.clock import utcnow
from bot.store import Store

log = logging.getLogger(__name__)


class ResponseStage:
    """Records, links and (optionally) lets public replies acknowledge alerts; idempotent."""

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
        """Responses recorded, linked and alerts acknowledged in this pass."""
        if not any(self.responders.values()):
            return 0
        with self.store.transaction(now=self.clock()) as tx:
            recorded = tx.record_public_replies(self.responders)
            linked = tx.link_responses(self.responders)
            acked = 0
            if self.acknowledges:
                for alert_id, responder in tx.answered_open_alerts():
                    found = tx.acknowledge_alert(alert_id, f"@{responder} (public reply)")
                    acked += bool(found and found[1])
        if recorded or linked or acked:
            log.info("responses", extra={"recorded": recorded, "linked": linked, "alerts_acked": acked})
        return recorded + linked + acked
