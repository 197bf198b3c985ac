"""Replayed posts for the benchmarks: the demo stream, copied as many times as asked, made distinct.

Each copy gets its own ids (threads and reposts point into the same copy), times spread over
`span`, and two words from a large vocabulary, so the store fills with distinct posts whose
distinctive words grow the incident term index the way a real day of mentions would.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.posts import Post

REPO = Path(__file__).resolve().parents[1]
VOCABULARY = 20_000


def demo_posts() -> list[Post]:
    """Every post of data/demo/stream.jsonl, oldest first."""
    from connectors.replay.connector import ReplayConnector
    from connectors.replay.settings import ReplaySettings

    connector = ReplayConnector(ReplaySettings(enabled=True, path="data/demo", speed=0), REPO / "data" / "demo")
    posts: list[Post] = []
    cursor = None
    while True:
        batch = connector.fetch(cursor)
        posts += batch.posts
        cursor = batch.next_cursor
        if batch.exhausted:
            return posts


def replayed(count: int, *, span: timedelta = timedelta(days=1), seed: int = 7, foreign: float = 0.0) -> list[Post]:
    """`count` distinct posts cycling the demo stream, created over `span` ending now.

    `foreign`: this share of the posts (evenly spread) carry a written post in another language instead
    (classifiers/multilingual/lines.jsonl, cycled), for the multilingual path's cost.
    """
    base, rng = list({p.key: p for p in reversed(demo_posts())}.values())[::-1], random.Random(seed)
    lines = (REPO / "classifiers/multilingual/lines.jsonl").read_text(encoding="utf-8").splitlines()
    others = [json.loads(line)["text"] for line in lines if line.strip()] if foreign else [""]
    start = datetime.now(UTC) - span
    step = span / max(count, 1)
    out: list[Post] = []
    for i in range(count):
        post, copy = base[i % len(base)], i // len(base)

        def mark(native: str | None, copy: int = copy) -> str | None:
            return f"{native}.{copy}" if native and copy else native

        words = f" w{rng.randrange(VOCABULARY)} w{rng.randrange(VOCABULARY)}" if copy else ""
        created = start + step * i
        out.append(
            replace(
                post,
                native_id=mark(post.native_id) or post.native_id,
                parent_id=mark(post.parent_id),
                conversation_id=mark(post.conversation_id),
                text=(others[i % len(others)] if int((i + 1) * foreign) > int(i * foreign) else post.text) + words,
                created_at=created,
                fetched_at=created,
            )
        )
    return out
