"""The replay source: the recorded demo stream of raw X and Reddit pages, so Earshot runs without credentials."""

from __future__ import annotations

from connectors.base import Source, SourceContext, refuse
from connectors.replay.connector import ReplayConnector, stream_file
from connectors.replay.settings import ReplaySettings as Settings


def problems(settings: Settings, context: SourceContext) -> list[str]:
    """What stops an enabled `connectors.replay` from starting: a stream that is not there."""
    file = stream_file(context.resolve(settings.path))
    return [] if file.is_file() else [f"connectors.replay.path: {file} does not exist"]


def build(settings: Settings, context: SourceContext) -> ReplayConnector:
    """The replay connector for `connectors.replay`."""
    refuse(problems(settings, context))
    return ReplayConnector(settings, context.resolve(settings.path))


SOURCE = Source(settings=Settings, problems=problems, build=build, display_name="Demo replay", colour="#047857")
