"""The daemon's own Prometheus metrics, on prometheus_client's default registry.

What the store holds (posts per source, skipped records, queue depths, alert latencies, time
to acknowledgement, delivery failures) is read at scrape time by bot.store.telemetry, so any
process that registers it shows the same figures. What only the running daemon sees (how long
classification takes, rate-limit waits, the request budget, whether the database answers) is
recorded here as it happens. docs/deployment.md says what each metric means.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CLASSIFY_SECONDS = Histogram(
    "earshot_classification_seconds",
    "Seconds the classifier took for one batch.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CLASSIFY_BATCH = Histogram(
    "earshot_classification_batch_size",
    "Posts in one classifier batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
)
RATE_LIMIT_WAITS = Counter(
    "earshot_rate_limit_waits",
    "Times a source had to wait: the server's rate limit (by=server) or its own request budget (by=budget).",
    ["source", "by"],
)
RATE_LIMIT_WAIT_SECONDS = Counter(
    "earshot_rate_limit_wait_seconds", "Seconds sources were told to wait by rate limits.", ["source", "by"]
)
BUDGET_REMAINING = Gauge(
    "earshot_request_budget_remaining", "Requests a source may still send in its budget window.", ["source"]
)
DATABASE_UP = Gauge("earshot_database_up", "1 while the daemon reaches its database, 0 during an outage.")
INGEST_ERRORS = Counter("earshot_ingest_errors", "Ticks in which a source failed.", ["source"])


def rate_limited(source: str, seconds: float, *, by: str = "server") -> None:
    """Count one rate-limit wait of `seconds` for `source`."""
    RATE_LIMIT_WAITS.labels(source=source, by=by).inc()
    RATE_LIMIT_WAIT_SECONDS.labels(source=source, by=by).inc(max(seconds, 0.0))


def classified(batch_size: int, seconds: float) -> None:
    """Record one classifier batch."""
    CLASSIFY_BATCH.observe(batch_size)
    CLASSIFY_SECONDS.observe(seconds)
