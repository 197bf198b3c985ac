"""Every secret the process knows, so the log can mask it: credentials from the environment, the
database password, sink tokens, and the tokens inside alert channel URLs.

`setup_logging(..., secrets=known_secrets(config))` puts a `MaskingFormatter` around the
formatter, so no record (Earshot's, tweepy's request headers at DEBUG, urllib3's URLs, a
traceback) leaves the process with a secret in it, at any level.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from bot.app.config import Config

MASK = "***"
MIN_SECRET = 6  # shorter values (a port, "true") would mask ordinary words
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|CLIENT_ID|PRIVATE|CREDENTIAL|AUTH|_KEY$|^KEY$", re.I)
_URL_PARTS = re.compile(r"[/:@?&=#,;]+")


def env_secrets(env: Mapping[str, str] | None = None) -> set[str]:
    """Values of environment variables whose names say they are secret (X_BEARER_TOKEN, *_SECRET, ...)."""
    env = os.environ if env is None else env
    return {value.strip() for name, value in env.items() if _SECRET_NAME.search(name) and value.strip()}


def url_secrets(url: str) -> set[str]:
    """The parts of a URL that may be credentials: its password, user, path segments and query values."""
    found = {url}
    try:
        parts = urlsplit(url)
    except ValueError:
        return found
    if parts.password:
        found |= {parts.password, unquote(parts.password)}
    rest = (
        f"{parts.username or ''}/{parts.netloc.rsplit('@', 1)[-1] if parts.username else ''}/{parts.path}?{parts.query}"
    )
    found |= {piece for piece in _URL_PARTS.split(rest) if len(piece) >= 12}  # tokens, not words like "hooks"
    return found


def known_secrets(config: Config, env: Mapping[str, str] | None = None) -> set[str]:
    """Every secret of this config and environment."""
    env = os.environ if env is None else env
    found = env_secrets(env)
    password = urlsplit(config.database_url).password
    if password:
        found |= {password, unquote(password)}
    for sink in config.routing.tickets.sinks.values():
        for field, value in sink.model_dump().items():
            if field.endswith("_env") and isinstance(value, str) and env.get(value):
                found.add(env[value].strip())
    for tier in config.routing.alerts.tiers.values():
        for url in tier.urls:
            found |= url_secrets(url)
    return {secret for secret in found if len(secret) >= MIN_SECRET}


class MaskingFormatter(logging.Formatter):
    """Formats with `inner`, then replaces every known secret in the finished line with ***."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        ordered = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)  # longest first
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(self.inner.format(record))

    def mask(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern else text
