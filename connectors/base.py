"""The connector interface (`fetch(cursor) -> Batch`), what a source is given, and the polled-source loop.

`PolledConnector` owns the loop X and Reddit share: its streams (feeds walked newest first
from a per-stream cursor, `connectors.streams.walk`), pages per tick, seen ids, a stream
that is gone or refused while the others go on, a request budget that is spent, and an
error after a partial batch (the posts are stored first, the error is raised next fetch).
A polled source supplies only its streams and its parser.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from bot.core import metrics
from bot.core.errors import ConfigError, MalformedPayload, SourceError
from bot.core.posts import EngagementUpdate, Post
from connectors.cursor import PolledCursor, SourceCursor, StreamCursor
from connectors.ratelimit import BudgetExhausted, Gone, RequestBudget
from connectors.settings import SourceSettings
from connectors.streams import Item, Page, pending_first, walk

log = logging.getLogger(__name__)
PageFetcher = Callable[[str | None, Any], Page]  # (pagination token, the stream's `since`) -> one page
Stream = tuple[str, PageFetcher]  # (the stream's key in the cursor, its page fetcher)


# What parsing a hostile record may raise: each means "skip this record", never "stop the source".
UNUSABLE = (KeyError, TypeError, ValueError, AttributeError, OverflowError, OSError, RecursionError)


@dataclass(frozen=True, kw_only=True)
class Skipped:
    """A record the connector could not use, why, and the record itself (kept as a dead letter)."""

    reason: str
    native_id: str | None = None
    payload: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.native_id is not None:
            object.__setattr__(self, "native_id", str(self.native_id)[:64])


@dataclass(frozen=True, kw_only=True)
class ParsedPage:
    """Posts parsed from a page, oldest first, and the records that could not be used."""

    posts: list[Post] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Batch:
    """What one fetch returned: posts oldest first, the cursor after them, and what was skipped."""

    posts: Sequence[Post]
    next_cursor: SourceCursor
    skipped: Sequence[Skipped] = field(default_factory=tuple)
    exhausted: bool = True  # False when more is waiting beyond this batch's page bound


@dataclass(frozen=True, kw_only=True)
class SourceContext:
    """What a source may know beyond its own section: the brand's handles, paths, the environment."""

    brand_handles: tuple[str, ...] = ()
    responders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # source -> handles speaking for the brand
    resolve: Callable[[str], Path] = Path  # a config path made absolute (against the config file)
    env: Mapping[str, str] = field(default_factory=dict)  # where credentials come from

    def secret(self, name: str) -> str:
        """An environment variable, stripped; '' when it is not set."""
        return self.env.get(name, "").strip()


@dataclass(frozen=True, kw_only=True)
class Source:
    """What a source package declares as `SOURCE`: its config section, its checks, its factory, how it is shown."""

    settings: type[SourceSettings]  # its section: every key has a default
    problems: Callable[[Any, SourceContext], list[str]]  # what would stop it from starting
    build: Callable[[Any, SourceContext], Connector]  # refuses those problems with a ConfigError
    display_name: str  # how people see it: the feed, the digest ("X", "Bluesky")
    colour: str = "#6d28d9"  # its colour in charts


class Connector(ABC):
    """A source of posts. Errors are translated to bot.core.errors.SourceError at this edge."""

    name: str  # the key of this source's cursor and state, e.g. "x", "reddit", "replay"
    cursor_type: ClassVar[type[SourceCursor]]  # its cursor (connectors/cursor.py), read from the stored JSON
    interval_seconds: int
    recording: bool = False  # a recording that ends (the replay): its silence afterwards is no alarm
    budget: RequestBudget | None = None  # the source's one request budget, if it has one (published as a metric)

    @abstractmethod
    def fetch(self, cursor: SourceCursor | None) -> Batch:
        """Posts newer than `cursor` (a `cursor_type`); the caller stores them, then the returned cursor."""

    def refresh(self, posts: Sequence[Post]) -> list[EngagementUpdate]:
        """Fresh metrics for posts already stored; sources that cannot re-poll return []."""
        return []


class PolledConnector(Connector):
    """A source polled as streams of newest-first pages, from a `PolledCursor` (a position per stream)."""

    cursor_type = PolledCursor

    def __init__(
        self, *, interval_seconds: int, max_pages_per_tick: int, now: Callable[[], datetime] | None = None
    ) -> None:
        self.interval_seconds = interval_seconds
        self.max_pages_per_tick = max_pages_per_tick
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()  # intake and engagement refresh share one client and budget
        self._deferred: SourceError | None = None  # raised on the next fetch, after a partial batch

    @abstractmethod
    def streams(self, cursor: PolledCursor) -> list[Stream]:
        """Every stream polled; what the source knew (account ids, notes) is in `cursor`."""

    @abstractmethod
    def parse(self, pages: list[tuple[Page, list[Item]]], fetched_at: datetime) -> ParsedPage:
        """The new items of each page (with the page they came on) as posts, oldest first."""

    def remember(self, cursor: PolledCursor) -> PolledCursor:
        """The cursor to keep after a fetch: `cursor` (the streams moved on) with what the source learned."""
        return cursor

    def fetch(self, cursor: SourceCursor | None) -> Batch:
        with self._lock:
            if self._deferred is not None:
                err, self._deferred = self._deferred, None
                raise err
            state = PolledCursor.given(cursor) or PolledCursor()
            cursors: dict[str, StreamCursor] = dict(state.streams)
            taken: list[tuple[Page, list[Item]]] = []
            complete, fetched_at = True, self._now()
            try:
                complete = self._walk_all(state, cursors, taken)
            except BudgetExhausted as err:
                metrics.rate_limited(self.name, err.retry_after, by="budget")
                log.info("%s: %s", self.name, err, extra={"source": self.name})
            except SourceError as err:
                if not any(items for _, items in taken):
                    raise
                self._deferred, complete = err, False  # store what we have, then report the error
            parsed = self.parse(_first_of_each(taken), fetched_at)
            return Batch(
                posts=parsed.posts,
                next_cursor=self.remember(replace(state, streams=cursors)),
                skipped=parsed.skipped,
                exhausted=complete,
            )

    def _walk_all(
        self, state: PolledCursor, cursors: dict[str, StreamCursor], taken: list[tuple[Page, list[Item]]]
    ) -> bool:
        """Walk every stream (resumed walks first); True when none stopped at its page bound."""
        complete, refused = True, None
        for key, fetch_page in pending_first(self.streams(state), cursors):
            try:
                result = walk(cursors.get(key), fetch_page, self.max_pages_per_tick)
            except Gone as err:
                log.warning("%s stream %s skipped: %s", self.name, key, err, extra={"source": self.name})
                continue
            except MalformedPayload as err:  # e.g. a query the API refuses: the other streams go on
                refused = refused or err
                continue
            cursors[key], complete = result.cursor, complete and result.complete
            taken += result.pages
        if refused is not None:
            raise refused
        return complete


def _first_of_each(pages: list[tuple[Page, list[Item]]]) -> list[tuple[Page, list[Item]]]:
    """Each item once, on the first page it came on (a mention that also matched a search)."""
    names: set[str] = set()
    unique = []
    for page, items in pages:
        fresh = [item for item in items if item.name not in names]
        names |= {item.name for item in fresh}
        unique.append((page, fresh))
    return unique


def refuse(problems: Sequence[str]) -> None:
    """Raise the ConfigError a source's build gives for what its `problems` found (nothing if none)."""
    if problems:
        raise ConfigError("; ".join(problems))


def refreshed(source: str, asked: Iterable[Post], served: Iterable[Post], taken_at: datetime) -> list[EngagementUpdate]:
    """Fresh counts for each asked post the source served again; an asked post it no longer serves is deleted.

    A post served but not asked for is ignored (an instance may answer for more than it was asked).
    """
    by_id = {post.native_id: post for post in asked}
    found = {post.native_id: post for post in served if post.native_id in by_id}
    return [
        EngagementUpdate(
            source=source,
            native_id=native_id,
            taken_at=taken_at,
            engagement=found[native_id].engagement if native_id in found else post.engagement,
            author_reach=found[native_id].author_reach if native_id in found else None,
            is_deleted=native_id not in found,
        )
        for native_id, post in by_id.items()
    ]
