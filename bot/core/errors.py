"""Earshot's one error tree.

EarshotError
├── ConfigError              config.yaml or the environment is wrong (exit 2)
├── StoreError               the database cannot be reached or migrated
│   └── DatabaseUnavailable  the connection failed: retry later (nothing about the data)
├── SourceError              a connector failed; raised at the connector's edge
│   ├── RateLimited          retry after `retry_after` seconds
│   ├── AuthFailed           credentials refused: stop this source, loudly
│   ├── TransientSourceError 5xx, network, truncated body: retried
│   └── MalformedPayload     the API sent something we cannot parse
├── SinkError                a ticket or alert sink is misconfigured
└── ModelError               the classifier cannot load or run
"""

from __future__ import annotations


class EarshotError(Exception):
    """Base of every error Earshot raises on purpose."""


class ConfigError(EarshotError):
    """The configuration is invalid; the message names the YAML path."""


class StoreError(EarshotError):
    """The database is unreachable or its schema cannot be brought up to date."""


class DatabaseUnavailable(StoreError):
    """The database did not answer or the connection broke: the same work will succeed later."""


class SourceError(EarshotError):
    """A source (X, Reddit, replay) failed."""


class RateLimited(SourceError):
    """The source asked us to slow down."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthFailed(SourceError):
    """The source refused our credentials (401/403)."""


class TransientSourceError(SourceError):
    """A failure worth retrying: 5xx, network error, truncated response."""


class MalformedPayload(SourceError):
    """The source sent a payload we cannot parse."""


class SinkError(EarshotError):
    """A ticket or alert sink is misconfigured."""


class ModelError(EarshotError):
    """The classifier cannot be loaded or run."""
