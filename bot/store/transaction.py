"""One transaction of the store: every operation a stage needs, grouped by the rows it owns, committed
together or not at all.

    with store.transaction() as tx:
        tx.tickets.open(...)
        tx.outbox.add(...)

Stages never import table classes or write SQL: they call the owners' operations and get records back,
never rows. Each table has one writer, the owner named after it; an owner that needs another's rows
changed asks that owner (the outbox asks `alerts` to mark an alert sent, `tickets` to keep a remote id).

    table                                   owner (attribute: module under bot/store/ops/)
    post (stage, review flag)               posts: posts.py (a post's arrival: bot/store/intake.py)
    classification, correction              labels: labels.py
    route_decision                          routing: routing.py
    incident, incident_post, incident_term  incidents: incidents.py
    alert                                   alerts: alerts.py
    outbox                                  outbox: outbox.py
    ticket, ticket_event                    tickets: tickets.py
    alert_handling, alert_note              handling: handling.py
    response                                responses: responses.py
    answer                                  answers: answers.py
    answer_suggestion, answer_feedback      suggestions: suggestions.py
    digest                                  digests: digest.py
    source_state                            sources: health.py
    user                                    users: users.py
    web_session, api_token                  access: access.py
    audit                                   audit: audit.py
    (none: reads only)                      feed: feed.py (the web feed), listings: listings.py (the CLI's
                                            lists), locks: locks.py (advisory locks)

bot/store/intake.py stores what a connector brings (post, engagement_snapshot, source_cursor, dead_letter)
outside any transaction's owners. tests/unit/test_store_owners.py checks the one-writer rule.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.clock import utcnow
from bot.store.ops.access import Access
from bot.store.ops.alerts import Alerts
from bot.store.ops.answers import Answers
from bot.store.ops.audit import Audit
from bot.store.ops.base import TxCache
from bot.store.ops.digest import Digests
from bot.store.ops.feed import Feed
from bot.store.ops.handling import Handling
from bot.store.ops.health import Sources
from bot.store.ops.incidents import Incidents
from bot.store.ops.labels import Labels
from bot.store.ops.listings import Listings
from bot.store.ops.locks import Locks
from bot.store.ops.outbox import Outbox
from bot.store.ops.posts import Posts
from bot.store.ops.responses import Responses
from bot.store.ops.routing import Routing
from bot.store.ops.suggestions import Suggestions
from bot.store.ops.tickets import Tickets
from bot.store.ops.users import Users


class Transaction:
    """The owners of the store's rows over one session, sharing one moment (`now`) and one cache."""

    def __init__(self, session: Session, *, now: datetime | None = None) -> None:
        self.session = session
        self.now = now or utcnow()  # one moment for everything the transaction writes
        self.cache = cache = TxCache()
        on = (session, self.now)
        self.locks = Locks(*on)
        self.posts = Posts(*on, cache=cache)
        self.labels = Labels(*on, posts=self.posts)
        self.routing = Routing(*on, cache=cache, posts=self.posts)
        self.incidents = Incidents(*on, cache=cache)
        self.tickets = Tickets(*on, cache=cache)
        self.outbox = Outbox(*on, tickets=self.tickets)
        self.alerts = Alerts(*on, outbox=self.outbox)
        self.outbox.alerts = self.alerts  # each asks the other: an ack cancels sends, a send marks its alert
        self.handling = Handling(*on)
        self.responses = Responses(*on)
        self.answers = Answers(*on)
        self.suggestions = Suggestions(*on)
        self.digests = Digests(*on)
        self.sources = Sources(*on)
        self.access = Access(*on)
        self.users = Users(*on, access=self.access)
        self.audit = Audit(*on)
        self.feed = Feed(*on)
        self.listings = Listings(*on)

    @property
    def on_postgres(self) -> bool:
        return self.locks.on_postgres
