"""What every owner of store rows shares: the open session of one transaction and its moment; and the
typed cache the transaction passes to the owners that share reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.store.tables import EngagementSnapshotRow


@dataclass
class TxCache:
    """What one transaction's owners share between operations, read once for a batch (see Routing.prefetch).

    An empty set or map means "not read": the owner asks the database. What only one owner keeps (the
    writes `tx.routing` and `tx.posts` hold until commit, the incident and ticket rows already read) is a
    typed field of that owner, which lives exactly as long as the transaction.
    """

    kept: list[Any] = field(default_factory=list)  # rows read for the batch: the session holds rows only weakly
    undecided: set[int] = field(default_factory=set)  # prefetched posts without a decision
    unmembered: set[int] = field(default_factory=set)  # prefetched posts in no incident
    unticketed: set[int] = field(default_factory=set)  # prefetched posts that opened or commented on no ticket
    snapshots: dict[int, list[EngagementSnapshotRow]] = field(default_factory=dict)  # prefetched, by post id


class Owner:
    """The operations on the rows of one or a few tables, over the session of one open transaction
    (the caller commits)."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now  # one moment for everything the transaction writes

    @property
    def on_postgres(self) -> bool:
        return bool(self.session.get_bind().dialect.name == "postgresql")
