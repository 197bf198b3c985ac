"""The store: SQLite by default, PostgreSQL in production, schema through Alembic.

It owns Earshot's state: stages read and write only through `Store` and its `Transaction`, whose operations
are grouped by the rows they own (`tx.outbox.claim(...)`) and hand out records, never rows.
"""

from bot.store.engine import check_url
from bot.store.ops.access import SessionView, TokenView
from bot.store.ops.audit import AuditView
from bot.store.ops.digest import DigestPost, DigestView, IncidentFacts, TicketBreach
from bot.store.ops.feed import FEED_STATUSES, FeedFilter, FeedItem
from bot.store.ops.handling import NoteView
from bot.store.ops.health import DeadLetters, SourceActivity
from bot.store.ops.incidents import IncidentAlert
from bot.store.ops.labels import CorrectionView
from bot.store.ops.listings import TICKET_STATUSES, AlertView, OffBrand, SourceView, TicketView, off_brand_by_connector
from bot.store.ops.responses import ResponseTimes
from bot.store.ops.suggestions import ActedComplaint, FeedbackNote
from bot.store.ops.users import UserView
from bot.store.records import SnapshotRecord, SourceState, Ticket
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
    "SnapshotRecord",
    "SourceState",
    "SourceView",
    "Store",
    "StoredPost",
    "Ticket",
    "TicketView",
    "TicketBreach",
    "Transaction",
    "check_url",
    "off_brand_by_connector",
]
