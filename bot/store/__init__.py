"""The store: SQLite by default, PostgreSQL in production, schema through Alembic.

It owns Earshot's state: stages read and write only through `Store` and its `Transaction`.
"""

from bot.store.engine import check_url
from bot.store.ops.access import SessionView, TokenView
from bot.store.ops.digest import DigestPost, DigestView, IncidentFacts, TicketBreach
from bot.store.ops.feed import TICKET_STATUSES, AlertView, OffBrand, SourceView, TicketView, off_brand_by_connector
from bot.store.ops.feed_items import FEED_STATUSES, FeedFilter, FeedItem
from bot.store.ops.handling import CorrectionView, NoteView
from bot.store.ops.health import DeadLetters, SourceActivity
from bot.store.ops.incidents import IncidentAlert
from bot.store.ops.responses import ResponseTimes
from bot.store.ops.suggestions import ActedComplaint, FeedbackNote
from bot.store.ops.users import AuditView, UserView
from bot.store.store import Store, StoredPost
from bot.store.transaction import Transaction
from bot.store.web_tables import CORRECTION_KINDS, ROLES

__all__ = [
    "ActedComplaint",
    "FeedbackNote",
    "CORRECTION_KINDS",
    "FEED_STATUSES",
    "ROLES",
    "AuditView",
    "CorrectionView",
    "FeedFilter",
    "FeedItem",
    "NoteView",
    "OffBrand",
    "UserView",
    "SessionView",
    "TokenView",
    "TICKET_STATUSES",
    "AlertView",
    "DigestPost",
    "DigestView",
    "IncidentAlert",
    "IncidentFacts",
    "ResponseTimes",
    "DeadLetters",
    "SourceActivity",
    "SourceView",
    "Store",
    "StoredPost",
    "TicketView",
    "TicketBreach",
    "Transaction",
    "check_url",
    "off_brand_by_connector",
]
