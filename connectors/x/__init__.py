"""The X source: recent search and brand mentions through tweepy (X API v2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Source, SourceContext, refuse
from connectors.x.settings import XSettings as Settings

if TYPE_CHECKING:
    from connectors.x.connector import XConnector

TOKEN = "X_BEARER_TOKEN"


def problems(settings: Settings, context: SourceContext) -> list[str]:
    """What stops an enabled `connectors.x` from starting."""
    found = []
    if not context.secret(TOKEN):
        found.append(f"connectors.x: enabled, but the environment variable {TOKEN} is not set")
    if not (settings.queries or settings.mentions_of):
        found.append("connectors.x: set queries or mentions_of (or both)")
    return found


def build(settings: Settings, context: SourceContext) -> XConnector:
    """The X connector for `connectors.x`; the brand's own handles are left out of search."""
    from connectors.x.connector import XConnector  # tweepy loads only when X is enabled

    refuse(problems(settings, context))
    handles = [*context.brand_handles, *settings.mentions_of]
    responders = context.responders.get("x", ())
    return XConnector(settings, context.secret(TOKEN), own_handles=handles, responders=responders)


SOURCE = Source(settings=Settings, problems=problems, build=build, display_name="X", colour="#1d4ed8")
