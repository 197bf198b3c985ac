"""The Jetstream source: Bluesky's firehose as JSON over a websocket, filtered locally for the brand's names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Source, SourceContext, refuse
from connectors.jetstream.settings import JetstreamSettings as Settings

if TYPE_CHECKING:
    from connectors.jetstream.connector import JetstreamConnector


def problems(settings: Settings, context: SourceContext) -> list[str]:
    """Nothing to check before starting: Jetstream needs no credential."""
    return []


def build(settings: Settings, context: SourceContext) -> JetstreamConnector:
    """The Jetstream reader for `connectors.jetstream`; the brand's handles count as keywords too."""
    from connectors.jetstream.connector import JetstreamConnector  # websockets loads only when enabled

    refuse(problems(settings, context))
    return JetstreamConnector(settings, [*settings.keywords, *context.brand_handles])


SOURCE = Source(settings=Settings, problems=problems, build=build, display_name="Bluesky (Jetstream)", colour="#0ea5e9")
