"""The Mastodon source: hashtag timelines, status search and responders' statuses per instance, through Mastodon.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectors.base import Source, SourceContext, refuse
from connectors.mastodon.settings import MastodonSettings as Settings

if TYPE_CHECKING:
    from connectors.mastodon.connector import MastodonConnector


def problems(settings: Settings, context: SourceContext) -> list[str]:
    """What stops an enabled `connectors.mastodon` from starting: a token variable named but not set."""
    return [
        f"connectors.mastodon.instances.{n}.token_env: enabled, but the environment variable {i.token_env} is not set"
        for n, i in enumerate(settings.instances)
        if i.token_env and not context.secret(i.token_env)
    ]


def build(settings: Settings, context: SourceContext) -> MastodonConnector:
    """The Mastodon connector for `connectors.mastodon`."""
    from connectors.mastodon.connector import MastodonConnector  # Mastodon.py loads only when Mastodon is enabled

    refuse(problems(settings, context))
    tokens = {i.token_env: context.secret(i.token_env) for i in settings.instances if i.token_env}
    return MastodonConnector(settings, tokens, responders=context.responders.get("mastodon", ()))


SOURCE = Source(settings=Settings, problems=problems, build=build, display_name="Mastodon", colour="#6364ff")
