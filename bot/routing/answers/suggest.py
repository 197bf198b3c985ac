"""Suggested answers in the routing pass: answer memory brought up to date, then each acted-on complaint matched.

Each routing batch first records and links the responders' replies already stored (so an answer
given earlier in the same pass is known), keeps them as answers, updates their outcomes, and embeds
playbook entries that are new or changed (one encoder call for all of them, kept in the store).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.answers import Answer, Suggestions
from bot.core.errors import EarshotError
from bot.core.labels import URGENCY_ORDER, Labels, Urgency
from bot.core.posts import Post
from bot.delivery.redact import redact
from bot.routing.answers.match import AnswerIndex, rank
from bot.routing.answers.playbook import PlaybookEntry
from bot.routing.answers.settings import AnswerSettings
from bot.store import FeedbackNote, Transaction

log = logging.getLogger(__name__)
OUTCOMES_EVERY = timedelta(minutes=1)  # outcomes are worked out again at most this often per process
Embed = Callable[[list[str]], Any]  # texts -> an (n, d) array of meaning embeddings (the classifier's `embed`)


class Suggester:
    """Keeps answer memory current and suggests known answers for complaints that get a ticket or an alert."""

    def __init__(
        self,
        settings: AnswerSettings,
        *,
        responders: Mapping[str, Sequence[str]],
        playbook: Sequence[PlaybookEntry] = (),
        embed: Embed | None = None,
        safety_urgency: Urgency = "critical",
    ) -> None:
        self.settings, self.playbook, self.embed = settings, tuple(playbook), embed
        self.responders = {source: tuple(handles) for source, handles in responders.items()}
        self.safety_urgency = safety_urgency
        self._synced = False
        self._embed_failed: str | None = None  # why the playbook could not be embedded, said once until it works
        self._outcomes_at: datetime | None = None
        self._vectors: dict[int, Answer] = {}  # the answers read with their vectors, kept across passes
        self._index = AnswerIndex([])
        self._feedback: list[FeedbackNote] = []

    def prepare(self, tx: Transaction) -> None:
        """Bring answer memory up to date within `tx`, before its posts are routed."""
        if not self._synced:
            tx.answers.sync_playbook(self.playbook)
            self._synced = True
        if any(self.responders.values()):
            tx.responses.record(self.responders)
            tx.responses.link(self.responders)
        tx.answers.remember_replies()
        if self._outcomes_at is None or tx.now - self._outcomes_at >= OUTCOMES_EVERY:
            max_age = timedelta(days=self.settings.max_age_days)
            tx.answers.update_outcomes(timedelta(hours=self.settings.quiet_after_hours), since=tx.now - max_age)
            self._outcomes_at = tx.now
        self._embed_playbook(tx)
        answers = []
        for answer in tx.answers.active(cached={i: a.version for i, a in self._vectors.items()}):
            if answer.vectors:
                self._vectors[answer.id] = answer
            answers.append(replace(answer, vectors=self._vectors[answer.id].vectors))
        self._index = AnswerIndex(answers)
        self._feedback = tx.suggestions.feedback_on()

    def suggest(self, tx: Transaction, post_id: int, post: Post, labels: Labels) -> Suggestions:
        """The known answers closest to this complaint, kept for the feed, the API and `route --explain`."""
        safety = URGENCY_ORDER.index(labels.urgency) >= URGENCY_ORDER.index(self.safety_urgency)
        found = rank(
            self._index,
            self._feedback,
            post_id=post_id,
            embedding=labels.embedding,
            written_at=post.created_at,
            now=tx.now,
            safety_case=safety,
            settings=self.settings,
            redact=redact,
        )
        if found.items:
            tx.suggestions.save(found)
        return found

    def _embed_playbook(self, tx: Transaction) -> None:
        waiting = tx.answers.unembedded_playbook()
        if not waiting or self.embed is None:
            return
        texts = [text for entry in waiting for text in entry.examples]
        try:
            vectors = self.embed(texts)  # one encoder call for every entry
        except (EarshotError, RuntimeError, OSError) as err:
            if str(err) != self._embed_failed:  # every batch tries again; the log says it once
                log.warning("could not embed the playbook (%s); its entries are not suggested yet", err)
            self._embed_failed = str(err)
            return
        self._embed_failed = None
        start = 0
        for entry in waiting:
            tx.answers.set_vectors(
                entry.id, [list(map(float, v)) for v in vectors[start : start + len(entry.examples)]]
            )
            start += len(entry.examples)
        log.info("embedded %d playbook entries", len(waiting), extra={"entries": len(waiting)})
