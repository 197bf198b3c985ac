"""One transaction of the store: every operation a stage needs, committed together or not at all.

    with store.transaction() as tx:
        tx.<operation>(...)

Stages never import table classes or write SQL: they call these operations, and each row has
one writer (the operation family named after it).
"""

from __future__ import annotations

from bot.store.ops.alerts import AlertOps
from bot.store.ops.answers import AnswerOps
from bot.store.ops.claims import ClaimOps
from bot.store.ops.delivery import DeliveryOps
from bot.store.ops.digest import DigestOps
from bot.store.ops.feed import FeedOps
from bot.store.ops.feed_items import FeedItemOps
from bot.store.ops.handling import HandlingOps
from bot.store.ops.health import HealthOps
from bot.store.ops.incidents import IncidentOps
from bot.store.ops.responses import ResponseOps
from bot.store.ops.routing import RoutingOps
from bot.store.ops.suggestions import SuggestionOps
from bot.store.ops.tickets import TicketOps
from bot.store.ops.users import UserOps


class Transaction(
    AlertOps,
    AnswerOps,
    ClaimOps,
    DeliveryOps,
    DigestOps,
    FeedOps,
    FeedItemOps,
    HandlingOps,
    HealthOps,
    IncidentOps,
    ResponseOps,
    RoutingOps,
    SuggestionOps,
    TicketOps,
    UserOps,
):
    """All operation families over one session."""
