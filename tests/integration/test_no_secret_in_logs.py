"""No secret reaches the log at any level: DEBUG with every secret set, tweepy's request headers included."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

import connectors.ratelimit
from bot.app.config import load_config
from bot.app.logs import setup_logging
from bot.app.secrets import known_secrets
from connectors.reddit.connector import RedditConnector
from connectors.reddit.settings import RedditSettings
from connectors.x.connector import XConnector
from connectors.x.settings import XSettings
from tests.conftest import REPO
from tests.fakes.fake_api import REDDIT_ID, REDDIT_SECRET, X_TOKEN, FakeAPI
from tests.fakes.recorded import fake_data

SECRETS = {
    "X_BEARER_TOKEN": X_TOKEN,
    "REDDIT_CLIENT_ID": REDDIT_ID,
    "REDDIT_CLIENT_SECRET": REDDIT_SECRET,
    "ZENDESK_API_TOKEN": "zendesk-token-51f0",
    "JIRA_API_TOKEN": "jira-token-7d2a",
    "EARSHOT_WEBHOOK_SECRET": "webhook-secret-9c1e",
    "SLACK_TOKENS": "T0AAAAAAA/B0BBBBBBB/slackSecretPart0123456789",
}
DB_PASSWORD = "db-pass-4b7e"


@pytest.fixture
def debug_log(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[io.StringIO]:
    """Logging at DEBUG exactly as `earshot run` sets it up, with every secret in the environment and config."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EARSHOT_DATABASE_URL", f"postgresql+psycopg://earshot:{DB_PASSWORD}@db.internal/earshot")
    monkeypatch.setattr(connectors.ratelimit, "SLEEP", lambda _s: None)
    text = (
        (REPO / "config.yaml")
        .read_text()
        .replace("      leadership:\n        urls: []", '      leadership:\n        urls: ["slack://${SLACK_TOKENS}"]')
    )
    (tmp_path / "config.yaml").write_text(text)
    config = load_config(tmp_path / "config.yaml")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging("human", "DEBUG", secrets=known_secrets(config))
    written = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)  # the very handler `earshot run` installs, writing where the test can read
    yield written
    root.handlers[:], root.level = saved


def test_every_secret_is_masked_at_debug_in_library_and_earshot_records(debug_log: io.StringIO) -> None:
    with FakeAPI(fake_data(), page_size=20) as api:
        x = XConnector(XSettings(enabled=True, api_base=api.url, queries=["#brexit"]), X_TOKEN)  # type: ignore[call-arg]
        x.fetch(None)
        reddit = RedditConnector(
            RedditSettings(enabled=True, api_base=api.url, subreddits=["askreddit"]),  # type: ignore[call-arg]
            REDDIT_ID,
            REDDIT_SECRET,
        )
        reddit.fetch(None)
    log = logging.getLogger("earshot.test")
    log.debug("every secret once: %s", " ".join(SECRETS.values()), extra={"password": DB_PASSWORD})
    try:
        raise RuntimeError(f"a failure quoting {SECRETS['JIRA_API_TOKEN']}")
    except RuntimeError:
        log.exception("with a traceback")

    err = debug_log.getvalue()
    assert "Authorization" in err or "Headers" in err  # tweepy's request-header record went through
    assert "every secret once" in err and "***" in err
    for secret in [*SECRETS.values(), DB_PASSWORD, "slackSecretPart0123456789"]:
        assert secret not in err, f"{secret} leaked"
