"""The Bluesky source: keyword search, responders' feeds and engagement through a logged-in atproto session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Source, SourceContext, refuse
from connectors.bluesky.settings import BlueskySettings as Settings

if TYPE_CHECKING:
    from connectors.bluesky.connector import BlueskyConnector

PASSWORD = "BLUESKY_APP_PASSWORD"


def problems(settings: Settings, context: SourceContext) -> list[str]:
    """What stops an enabled `connectors.bluesky` from starting: no app password."""
    if not context.secret(PASSWORD):
        return [
            f"connectors.bluesky: enabled, but the environment variable {PASSWORD} is not set "
            "(an app password for connectors.bluesky.login: search needs a logged-in session)"
        ]
    return []


def build(settings: Settings, context: SourceContext) -> BlueskyConnector:
    """The Bluesky connector for `connectors.bluesky`."""
    from connectors.bluesky.connector import BlueskyConnector  # atproto loads only when Bluesky is enabled

    refuse(problems(settings, context))
    return BlueskyConnector(settings, context.secret(PASSWORD), responders=context.responders.get("bluesky", ()))


SOURCE = Source(settings=Settings, problems=problems, build=build, display_name="Bluesky", colour="#0285ff")
