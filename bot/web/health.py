"""`/healthz` (the process answers), `/readyz` (it can do its job) and `/metrics` (Prometheus)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from bot.core.errors import StoreError
from bot.web.deps import feed_of

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> Response:
    return JSONResponse({"status": "alive"})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """200 when the database answers, the model is loaded and no source is failing; 503 with why not."""
    feed = feed_of(request)
    problems: list[str] = []
    try:
        with feed.store.transaction() as tx:
            failing = [s.source for s in tx.listings.sources() if s.status != "ok"]
        problems += [f"source {name} is failing" for name in failing]
    except StoreError:
        problems.append("the database is unreachable")
    problems += feed.context.problems()
    body = {"status": "ready" if not problems else "not ready", "problems": problems}
    return JSONResponse(body, status_code=503 if problems else 200)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    token = feed_of(request).settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return PlainTextResponse(
                "metrics need the bearer token\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
