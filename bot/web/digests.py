"""The digests kept (`/digests`, `/digests/<id>`): where the digest's short form links, for any logged-in user.

A digest is the HTML `earshot digest --out` writes (inline styles, charts as data: URIs), served
under a policy of its own: no script of any kind, not even its own, and no framing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from bot.web.actions import NotFound
from bot.web.auth import Principal
from bot.web.deps import feed_of, principal, render

router = APIRouter(include_in_schema=False)
User = Annotated[Principal, Depends(principal)]
DIGEST_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; sandbox allow-popups allow-popups-to-escape-sandbox"
)


@router.get("/digests", response_class=HTMLResponse)
def digests_page(request: Request, user: User) -> Response:
    with feed_of(request).store.transaction() as tx:
        digests = tx.digests.recent(limit=100)
    return render(request, "digests.html", user, digests=digests)


@router.get("/digests/{digest_id}", response_class=HTMLResponse)
def digest_page(request: Request, digest_id: int, user: User) -> Response:
    """The digest as its readers got it."""
    with feed_of(request).store.transaction() as tx:
        found = tx.digests.get(digest_id)
    if found is None or not found.html:
        raise NotFound(f"no digest {digest_id}")
    return HTMLResponse(found.html, headers={"Content-Security-Policy": DIGEST_CSP, "Cache-Control": "no-store"})
