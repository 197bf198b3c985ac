"""The Reddit source: new submissions and comments per subreddit, and site-wide search, through praw."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Source, SourceContext, refuse
from connectors.reddit.settings import RedditSettings as Settings

if TYPE_CHECKING:
    from connectors.reddit.connector import RedditConnector

CLIENT_ID, CLIENT_SECRET = "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET"


def problems(settings: Settings, context: SourceContext) -> list[str]:
    """What stops an enabled `connectors.reddit` from starting."""
    missing = [name for name in (CLIENT_ID, CLIENT_SECRET) if not context.secret(name)]
    if missing:
        return [f"connectors.reddit: enabled, but the environment variable(s) {', '.join(missing)} are not set"]
    return []


def build(settings: Settings, context: SourceContext) -> RedditConnector:
    """The read-only Reddit connector for `connectors.reddit`."""
    from connectors.reddit.connector import RedditConnector  # praw loads only when Reddit is enabled

    refuse(problems(settings, context))
    responders = context.responders.get("reddit", ())
    return RedditConnector(settings, context.secret(CLIENT_ID), context.secret(CLIENT_SECRET), responders=responders)


SOURCE = Source(settings=Settings, problems=problems, build=build, display_name="Reddit", colour="#c2410c")
