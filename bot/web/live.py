"""Live updates: a Server-Sent Events stream that says when the feed changed, whoever changed it.

Each connection polls the store's feed stamp (newest alert id, acks, handling) twice a second, so
an alert stored by any process on the same database shows within about a second.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from sse_starlette.sse import EventSourceResponse

from bot.core.errors import StoreError
from bot.web.auth import Principal
from bot.web.deps import feed_of, principal

router = APIRouter(include_in_schema=False)
POLL_SECONDS = 0.5


@router.get("/events")
async def events(request: Request, user: Annotated[Principal, Depends(principal)]) -> EventSourceResponse:
    feed = feed_of(request)

    def stamp() -> tuple[int, str, int]:
        with feed.store.transaction() as tx:
            newest, mark = tx.feed.stamp()
            return newest, mark, tx.feed.unacked_count()

    async def stream() -> AsyncIterator[dict[str, str]]:
        last = ""
        while not feed.stopping and not await request.is_disconnected():
            try:
                newest, mark, unacked = await to_thread.run_sync(stamp)
            except StoreError:
                await asyncio.sleep(POLL_SECONDS * 4)
                continue
            if mark != last:
                if last:
                    yield {"event": "feed", "data": json.dumps({"newest": newest, "unacked": unacked})}
                last = mark
            await asyncio.sleep(POLL_SECONDS)

    return EventSourceResponse(stream(), ping=15)
